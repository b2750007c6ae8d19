/* Office documents (DOCX, ODT) to PDF with LibreOffice headless, run
 * without a shell, in a fresh temporary directory that is its HOME, its
 * profile and its output, killed after 120 s. */
#include "docparse.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CONVERT_SECONDS 120

static const char ODT_MIME[] = "application/vnd.oasis.opendocument.text";

static char tmp_dir[4096];

static uint32_t rd16(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* An ODT text document: its first zip entry is "mimetype", stored, holding
 * exactly the ODF text type. */
static int is_odt(const unsigned char *d, size_t len)
{
	if (len < 30 || memcmp(d, "PK\3\4", 4))
		return 0;
	uint32_t method = rd16(d + 8), csize = rd32(d + 18), nlen = rd16(d + 26), xlen = rd16(d + 28);
	size_t data = 30 + (size_t)nlen + xlen;
	return method == 0 && nlen == 8 && csize == sizeof ODT_MIME - 1 && data + csize <= len &&
		!memcmp(d + 30, "mimetype", 8) && !memcmp(d + data, ODT_MIME, csize);
}

/* A DOCX: a zip whose central directory names word/document.xml. */
static int is_docx(const unsigned char *d, size_t len)
{
	if (len < 22 || memcmp(d, "PK\3\4", 4))
		return 0;
	/* The end of central directory record, in the last 64 KiB + 22 bytes. */
	size_t lo = len > 65557 ? len - 65557 : 0;
	for (size_t e = len - 22 + 1; e-- > lo;) {
		if (memcmp(d + e, "PK\5\6", 4))
			continue;
		uint32_t count = rd16(d + e + 10), size = rd32(d + e + 12), off = rd32(d + e + 16);
		if ((uint64_t)off + size > e)
			continue;
		size_t p = off, end = (size_t)off + size;
		for (uint32_t k = 0; k < count && p + 46 <= end; k++) {
			if (memcmp(d + p, "PK\1\2", 4))
				break;
			size_t nlen = rd16(d + p + 28), xlen = rd16(d + p + 30), clen = rd16(d + p + 32);
			if (p + 46 + nlen > end)
				break;
			if (nlen == 17 && !memcmp(d + p + 46, "word/document.xml", 17))
				return 1;
			p += 46 + nlen + xlen + clen;
		}
		return 0;
	}
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void cleanup(void)
{
	if (tmp_dir[0]) {
		nftw(tmp_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		tmp_dir[0] = 0;
	}
}

static void write_file(const char *path, const unsigned char *d, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		dp_fail(E_INTERNAL, "a temporary file could not be created");
	while (len) {
		ssize_t w = write(fd, d, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			dp_fail(E_INTERNAL, "a temporary file could not be written");
		}
		d += w;
		len -= (size_t)w;
	}
	if (close(fd) != 0)
		dp_fail(E_INTERNAL, "a temporary file could not be written");
}

static const char *soffice_path(void)
{
	static const char *const cand[] = { "/usr/bin/soffice", "/usr/lib/libreoffice/program/soffice" };
	for (size_t i = 0; i < sizeof cand / sizeof cand[0]; i++)
		if (access(cand[i], X_OK) == 0)
			return cand[i];
	dp_fail(E_INTERNAL, "LibreOffice is not available");
}

/* Runs LibreOffice; 0 when it exited cleanly, 1 on failure, 2 on timeout. */
static int run_soffice(const char *in, const char *outdir, const char *profile_url)
{
	const char *exe = soffice_path();
	char env_home[4200], env_tmp[4200];
	snprintf(env_home, sizeof env_home, "HOME=%s", tmp_dir);
	snprintf(env_tmp, sizeof env_tmp, "TMPDIR=%s", tmp_dir);
	char *const envp[] = { "PATH=/usr/bin:/bin", env_home, env_tmp, "LANG=C.UTF-8", "SAL_USE_VCLPLUGIN=svp",
		NULL };
	char *const argv[] = { (char *)exe, "--headless", "--norestore", "--nolockcheck", "--nodefault", "--nologo",
		(char *)profile_url, "--convert-to", "pdf", "--outdir", (char *)outdir, (char *)in, NULL };
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		dp_fail(E_INTERNAL, "the converter could not be started");
	if (pid == 0) {
		setpgid(0, 0);
		int nul = open("/dev/null", O_RDONLY);
		if (nul >= 0) {
			dup2(nul, 0);
			if (nul != 0)
				close(nul);
		}
		/* Its chatter goes to fd 2, never into the answer on fd 1. */
		dup2(2, 1);
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		execve(exe, argv, envp);
		_exit(127);
	}
	setpgid(pid, pid);
	struct timespec t0, now, nap = { 0, 50 * 1000 * 1000 };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int status = 0;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			kill(-pid, SIGKILL);
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec >= CONVERT_SECONDS) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			return 2;
		}
		nanosleep(&nap, NULL);
	}
	kill(-pid, SIGKILL); /* anything it left behind */
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

void dp_run_convert(const unsigned char *data, size_t len)
{
	const char *ext = is_odt(data, len) ? "odt" : is_docx(data, len) ? "docx" : NULL;
	if (!ext)
		dp_fail(E_UNSUPPORTED, "the document is neither a DOCX nor an ODT document");
	if (dp_office_external(data, len))
		dp_fail(E_UNSUPPORTED, "the office document links to external content (a linked image, object or text)");
	const char *base = getenv("TMPDIR");
	if (!base || base[0] != '/' || strlen(base) > 1000)
		base = "/tmp";
	snprintf(tmp_dir, sizeof tmp_dir, "%s/cvdp-XXXXXX", base);
	if (!mkdtemp(tmp_dir)) {
		tmp_dir[0] = 0;
		dp_fail(E_INTERNAL, "a temporary directory could not be created");
	}
	dp_cleanup = cleanup;
	char in[4200], outdir[4200], lo[4200], url[4300], pdf[4300];
	snprintf(in, sizeof in, "%s/in.%s", tmp_dir, ext);
	snprintf(outdir, sizeof outdir, "%s/out", tmp_dir);
	snprintf(lo, sizeof lo, "%s/lo", tmp_dir);
	snprintf(url, sizeof url, "-env:UserInstallation=file://%s", lo);
	snprintf(pdf, sizeof pdf, "%s/in.pdf", outdir);
	if (mkdir(outdir, 0700) != 0 || mkdir(lo, 0700) != 0)
		dp_fail(E_INTERNAL, "a temporary directory could not be created");
	write_file(in, data, len);
	int r = run_soffice(in, outdir, url);
	if (r == 2)
		dp_fail(E_LIMIT, "the conversion took longer than %d seconds", CONVERT_SECONDS);
	int fd = open(pdf, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		dp_fail(E_MALFORMED, "the office document could not be converted");
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
		close(fd);
		dp_fail(E_MALFORMED, "the office document could not be converted");
	}
	if ((uint64_t)st.st_size > DP_MAX_DOC) {
		close(fd);
		dp_fail(E_LIMIT, "the converted document is larger than 256 MiB");
	}
	size_t n = (size_t)st.st_size;
	unsigned char *buf = dp_xmalloc(n);
	size_t got = 0;
	while (got < n) {
		ssize_t k = read(fd, buf + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	if (got != n || n < 5 || memcmp(buf, "%PDF-", 5)) {
		free(buf);
		dp_fail(E_MALFORMED, "the office document could not be converted");
	}
	cleanup();
	dp_cleanup = NULL;
	dp_out_begin('D', n);
	dp_out_bytes(buf, n);
	free(buf);
	dp_out_end(0);
	(void)r;
}
