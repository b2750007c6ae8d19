/* Outside anchors of the journal (anchor.h). */
#include "journal/anchor.h"
#include "crypto/sign.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/hex.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAGIC "casevault-anchor 1"

static int signed_text(char *out, size_t n, const char *archive_id, uint64_t seq, const unsigned char head[32],
	const char *time)
{
	char hh[65];
	cv__hex(hh, head, 32);
	int w = snprintf(out, n, MAGIC " %s %llu %s %s", archive_id, (unsigned long long)seq, hh, time);
	return w > 0 && (size_t)w < n ? 0 : cv__err(CV_EINVAL, "anchor line too long");
}

int cv__anchor_append(const char *path, const char *archive_id, uint64_t seq, const unsigned char head[32],
	const char *time, const unsigned char seed[32])
{
	char text[256], line[512], ph[65], sh[129];
	unsigned char pub[32], sig[64];
	CV_TRY(signed_text(text, sizeof text, archive_id, seq, head, time));
	CV_TRY(cv__sign_public(pub, seed));
	CV_TRY(cv__sign(sig, seed, text, strlen(text)));
	cv__hex(ph, pub, 32);
	cv__hex(sh, sig, 64);
	int len = snprintf(line, sizeof line, "%s %s %s\n", text, ph, sh);
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return cv__err(CV_ERROR, "cannot open the anchor file %s: %s", path, strerror(errno));
	ssize_t w = write(fd, line, (size_t)len);
	int rc = w == len && fsync(fd) == 0 ? 0 : cv__err(CV_ERROR, "cannot write the anchor file %s: %s", path,
		strerror(errno));
	close(fd);
	return rc;
}

/* One line: 0 and *a filled when it is an anchor of `archive_id` whose
 * signature holds, 1 when it belongs to another archive or is not an
 * anchor, CV_EDAMAGED when it claims this archive and does not verify. */
static int parse_line(cv_anchor *a, char *s, const char *archive_id, const unsigned char pub[32])
{
	char arch[64], hh[80], time[40], ph[80], sh[160];
	unsigned long long seq;
	if (strncmp(s, MAGIC " ", sizeof MAGIC) ||
		sscanf(s + sizeof MAGIC, "%63s %llu %79s %39s %79s %159s", arch, &seq, hh, time, ph, sh) != 6)
		return 1;
	if (strcmp(arch, archive_id))
		return 1;
	unsigned char head[32], lpub[32], sig[64];
	char text[256];
	if (cv__unhex(head, 32, hh) < 0 || cv__unhex(lpub, 32, ph) < 0 || cv__unhex(sig, 64, sh) < 0 ||
		memcmp(lpub, pub, 32) || signed_text(text, sizeof text, archive_id, seq, head, time))
		return CV_EDAMAGED;
	/* only a signature that was checked and failed is damage (tests/fault) */
	int v = cv__sign_verify(pub, sig, text, strlen(text));
	if (v)
		return v == CV_EAUTH ? CV_EDAMAGED : v;
	a->seq = seq;
	memcpy(a->head, head, 32);
	snprintf(a->time, sizeof a->time, "%s", time);
	return 0;
}

int cv__anchor_load(cv_anchor **out, size_t *n, const char *path, const char *archive_id, const unsigned char seed[32],
	char *why, size_t wn)
{
	*out = NULL;
	*n = 0;
	why[0] = '\0';
	unsigned char pub[32];
	CV_TRY(cv__sign_public(pub, seed));
	cv_buf f = CV_BUF_INIT;
	int rc = cv__read_file(&f, path, (size_t)64 << 20);
	if (rc)
		return cv__err_prefix("anchor file");
	CV_TRY(cv__buf_cstr(&f));
	cv_anchor *list = NULL;
	size_t cnt = 0, cap = 0;
	int lineno = 0;
	for (char *save = NULL, *s = strtok_r((char *)f.data, "\n", &save); s && !rc; s = strtok_r(NULL, "\n", &save)) {
		lineno++;
		cv_anchor a = { 0 };
		a.line = lineno;
		int r = parse_line(&a, s, archive_id, pub);
		if (r == 1)
			continue;
		if (r && r != CV_EDAMAGED) { /* could not check it (out of memory): not a forgery */
			rc = r;
			break;
		}
		if (r) {
			snprintf(why, wn, "line %d of %s claims to anchor this archive but its signature does not verify "
				"(forged or altered)", lineno, path);
			rc = cv__err(CV_EDAMAGED, "%s", why);
			break;
		}
		if ((rc = cv__grow((void **)&list, &cap, cnt, sizeof *list)))
			break;
		list[cnt++] = a;
	}
	cv__buf_dispose(&f);
	if (rc) {
		free(list);
		return rc;
	}
	*out = list;
	*n = cnt;
	return 0;
}
