/* cvfault: an LD_PRELOAD shim for the fault-injection countdown tests
 * (tests/fault/fault_test.py), in the manner of SQLite's countdown tests.
 *
 *   CVFAULT_OP=write|fsync|rename|malloc   the kind of call to fail
 *   CVFAULT_N=<n>                          fail the n-th such call (1-based)
 *   CVFAULT_MODE=transient|persistent      only the n-th, or the n-th and all later ones
 *   CVFAULT_ERRNO=EIO|ENOSPC               (optional) errno of a failed write (default EIO)
 *   CVFAULT_REPORT=<file>                  at exit: "calls=C injected=I armed=A"
 *   (with CVFAULT_REPORT, a crash adds "signal=S first_fault_in=LIB": the
 *   library that made the first failed call, so the driver can tell a known
 *   crash inside a dependency from one in casevault)
 *   CVFAULT_TIME=<epoch seconds>           (optional) the wall clock stands still at this time
 *                                          (time, gettimeofday, clock_gettime(CLOCK_REALTIME*)),
 *                                          so that two runs of a command write the same bytes
 *                                          (a copy's zip and index carry the time); monotonic
 *                                          clocks are untouched (timeouts still expire)
 *
 * Calls are counted only once the process has opened the archive's catalog
 * (a path ending in "/catalog.db"): process start-up, option parsing and
 * plugin loading are not the archive's I/O. Writes to fds 0-2 are neither
 * counted nor failed, so the error message can always be printed.
 *
 * The kinds:
 *   write  : write, pwrite, pwrite64, writev, pwritev, pwritev2 (glibc's
 *            stdio calls its internal write and is NOT seen here)
 *   fsync  : fsync, fdatasync, sync_file_range, msync, syncfs
 *   rename : rename, renameat, renameat2, link, linkat (link is the
 *            no-clobber way casevault installs an output file)
 *   malloc : malloc, calloc, realloc, posix_memalign, aligned_alloc,
 *            memalign, valloc (forwarded to glibc's __libc_* entry points,
 *            so no dlsym recursion; free is not interposed)
 *
 * At load the shim removes LD_PRELOAD from the environment so that the
 * processes the command starts (the document sandbox: bwrap, docparse)
 * run without it. Not for sanitizer builds: ASan interposes malloc. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <execinfo.h>
#include <signal.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

enum { OP_NONE, OP_WRITE, OP_FSYNC, OP_RENAME, OP_MALLOC };

static int g_op = OP_NONE;
static long g_n = 0;
static int g_persistent = 0;
static int g_write_errno = EIO;
static long long g_time = -1; /* CVFAULT_TIME */
static int g_backtrace = 0; /* CVFAULT_BACKTRACE=1: print where each fault lands (debugging) */
static char g_report[4096];
static volatile int g_armed = 0;
static volatile int g_done = 0;
static char g_first_lib[256]; /* the first object (not libc, not the shim) under the first fault */
static long g_calls = 0;    /* atomic */
static long g_injected = 0; /* atomic */

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static const char *base_name(const char *p)
{
	const char *b = strrchr(p, '/');
	return b ? b + 1 : p;
}

/* Which library asked for the first failed call: backtrace() was warmed up
 * at load (its first call loads libgcc_s and allocates), dladdr does not
 * allocate. */
static void note_first_fault(void)
{
	/* the chain of libraries, innermost first: "libmbedx509.so.1<libgit2.so.1.5<libcasevault.so.0" */
	void *frames[48];
	int k = backtrace(frames, 48);
	size_t len = 0;
	const char *last = "";
	for (int i = 1; i < k; i++) {
		Dl_info info;
		if (!dladdr(frames[i], &info) || !info.dli_fname)
			continue;
		const char *b = base_name(info.dli_fname);
		if (strstr(b, "cvfault") || !strncmp(b, "libc.so", 7) || !strcmp(b, last))
			continue;
		last = b;
		int w = snprintf(g_first_lib + len, sizeof g_first_lib - len, "%s%s", len ? "<" : "", b);
		if (w < 0 || (size_t)w >= sizeof g_first_lib - len)
			break;
		len += (size_t)w;
	}
}

static void write_report(int sig)
{
	if (!g_report[0])
		return;
	char line[512];
	int len = snprintf(line, sizeof line, "calls=%ld injected=%ld armed=%d", __atomic_load_n(&g_calls, __ATOMIC_RELAXED),
	                   __atomic_load_n(&g_injected, __ATOMIC_RELAXED), g_armed);
	if (sig)
		len += snprintf(line + len, sizeof line - (size_t)len, " signal=%d first_fault_in=%s", sig,
		                g_first_lib[0] ? g_first_lib : "?");
	line[len++] = '\n';
	int fd = (int)syscall(SYS_openat, AT_FDCWD, g_report, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		syscall(SYS_write, fd, line, (size_t)len);
		syscall(SYS_close, fd);
	}
}

static void on_crash(int sig)
{
	__atomic_store_n(&g_done, 1, __ATOMIC_RELAXED);
	write_report(sig);
	if (g_backtrace) {
		void *frames[48];
		backtrace_symbols_fd(frames, backtrace(frames, 48), 2);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* 1 = fail this call. Counts it when armed and of the selected kind. */
static int hit(int op)
{
	if (g_op != op || !__atomic_load_n(&g_armed, __ATOMIC_RELAXED) || __atomic_load_n(&g_done, __ATOMIC_RELAXED))
		return 0;
	long c = __atomic_add_fetch(&g_calls, 1, __ATOMIC_RELAXED);
	if (g_n > 0 && (c == g_n || (g_persistent && c > g_n))) {
		if (__atomic_add_fetch(&g_injected, 1, __ATOMIC_RELAXED) == 1)
			note_first_fault();
		if (g_backtrace && (op != OP_MALLOC || g_backtrace > 1)) {
			void *frames[32];
			int k = backtrace(frames, 32);
			backtrace_symbols_fd(frames, k, 2);
		}
		return 1;
	}
	return 0;
}

static void maybe_arm(const char *path)
{
	if (g_armed || !path)
		return;
	size_t n = strlen(path);
	static const char suf[] = "catalog.db";
	size_t s = sizeof suf - 1;
	if (n >= s && !strcmp(path + n - s, suf) && (n == s || path[n - s - 1] == '/'))
		__atomic_store_n(&g_armed, 1, __ATOMIC_RELAXED);
}

__attribute__((constructor)) static void cvfault_init(void)
{
	const char *op = getenv("CVFAULT_OP"), *n = getenv("CVFAULT_N"), *mode = getenv("CVFAULT_MODE");
	const char *rep = getenv("CVFAULT_REPORT"), *en = getenv("CVFAULT_ERRNO");
	if (op && !strcmp(op, "write"))
		g_op = OP_WRITE;
	else if (op && !strcmp(op, "fsync"))
		g_op = OP_FSYNC;
	else if (op && !strcmp(op, "rename"))
		g_op = OP_RENAME;
	else if (op && !strcmp(op, "malloc"))
		g_op = OP_MALLOC;
	g_n = n ? strtol(n, NULL, 10) : 0;
	g_persistent = mode && !strcmp(mode, "persistent");
	if (en && !strcmp(en, "ENOSPC"))
		g_write_errno = ENOSPC;
	if (rep && strlen(rep) < sizeof g_report)
		strcpy(g_report, rep);
	/* children (bwrap, docparse) must run clean */
	unsetenv("LD_PRELOAD");
	g_backtrace = getenv("CVFAULT_BACKTRACE") ? atoi(getenv("CVFAULT_BACKTRACE")) : 0;
	const char *t = getenv("CVFAULT_TIME");
	if (t && *t)
		g_time = strtoll(t, NULL, 10);
	if (g_report[0]) {
		/* a crash still reports, from its own stack (a stack overflow is a crash too) */
		static char altstack[64 * 1024];
		stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
		sigaltstack(&ss, NULL);
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_crash;
		sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
		sigaction(SIGSEGV, &sa, NULL);
		sigaction(SIGBUS, &sa, NULL);
		sigaction(SIGABRT, &sa, NULL);
		sigaction(SIGFPE, &sa, NULL);
		sigaction(SIGILL, &sa, NULL);
		void *warm[2];
		backtrace(warm, 2);
	}
	if (getenv("CVFAULT_ARM_AT_START"))
		g_armed = 1;
}

__attribute__((destructor)) static void cvfault_fini(void)
{
	__atomic_store_n(&g_done, 1, __ATOMIC_RELAXED);
	write_report(0);
}

#define NEXT(name) \
	static __typeof__(&name) real_##name; \
	if (!real_##name) \
		real_##name = (__typeof__(&name))dlsym(RTLD_NEXT, #name)

/* ---- arming: open ---- */

static int has_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

int open(const char *path, int flags, ...)
{
	NEXT(open);
	mode_t m = 0;
	if (has_mode(flags)) {
		va_list ap;
		va_start(ap, flags);
		m = va_arg(ap, mode_t);
		va_end(ap);
	}
	maybe_arm(path);
	return real_open(path, flags, m);
}

int open64(const char *path, int flags, ...)
{
	NEXT(open64);
	mode_t m = 0;
	if (has_mode(flags)) {
		va_list ap;
		va_start(ap, flags);
		m = va_arg(ap, mode_t);
		va_end(ap);
	}
	maybe_arm(path);
	return real_open64(path, flags, m);
}

int openat(int dfd, const char *path, int flags, ...)
{
	NEXT(openat);
	mode_t m = 0;
	if (has_mode(flags)) {
		va_list ap;
		va_start(ap, flags);
		m = va_arg(ap, mode_t);
		va_end(ap);
	}
	maybe_arm(path);
	return real_openat(dfd, path, flags, m);
}

int openat64(int dfd, const char *path, int flags, ...)
{
	NEXT(openat64);
	mode_t m = 0;
	if (has_mode(flags)) {
		va_list ap;
		va_start(ap, flags);
		m = va_arg(ap, mode_t);
		va_end(ap);
	}
	maybe_arm(path);
	return real_openat64(dfd, path, flags, m);
}

/* ---- write ---- */

static int write_fault(int fd)
{
	if (fd <= 2)
		return 0;
	if (hit(OP_WRITE)) {
		errno = g_write_errno;
		return 1;
	}
	return 0;
}

ssize_t write(int fd, const void *buf, size_t n)
{
	NEXT(write);
	if (write_fault(fd))
		return -1;
	return real_write(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	NEXT(pwrite);
	if (write_fault(fd))
		return -1;
	return real_pwrite(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	NEXT(pwrite64);
	if (write_fault(fd))
		return -1;
	return real_pwrite64(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	NEXT(writev);
	if (write_fault(fd))
		return -1;
	return real_writev(fd, iov, cnt);
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
	NEXT(pwritev);
	if (write_fault(fd))
		return -1;
	return real_pwritev(fd, iov, cnt, off);
}

ssize_t pwritev2(int fd, const struct iovec *iov, int cnt, off_t off, int flags)
{
	NEXT(pwritev2);
	if (write_fault(fd))
		return -1;
	return real_pwritev2(fd, iov, cnt, off, flags);
}

/* ---- fsync ---- */

int fsync(int fd)
{
	NEXT(fsync);
	if (hit(OP_FSYNC)) {
		errno = EIO;
		return -1;
	}
	return real_fsync(fd);
}

int fdatasync(int fd)
{
	NEXT(fdatasync);
	if (hit(OP_FSYNC)) {
		errno = EIO;
		return -1;
	}
	return real_fdatasync(fd);
}

int sync_file_range(int fd, off64_t off, off64_t n, unsigned int flags)
{
	NEXT(sync_file_range);
	if (hit(OP_FSYNC)) {
		errno = EIO;
		return -1;
	}
	return real_sync_file_range(fd, off, n, flags);
}

int msync(void *addr, size_t len, int flags)
{
	NEXT(msync);
	if (hit(OP_FSYNC)) {
		errno = EIO;
		return -1;
	}
	return real_msync(addr, len, flags);
}

int syncfs(int fd)
{
	NEXT(syncfs);
	if (hit(OP_FSYNC)) {
		errno = EIO;
		return -1;
	}
	return real_syncfs(fd);
}

/* ---- rename ---- */

int rename(const char *a, const char *b)
{
	NEXT(rename);
	if (hit(OP_RENAME)) {
		errno = EIO;
		return -1;
	}
	return real_rename(a, b);
}

int renameat(int da, const char *a, int db, const char *b)
{
	NEXT(renameat);
	if (hit(OP_RENAME)) {
		errno = EIO;
		return -1;
	}
	return real_renameat(da, a, db, b);
}

int renameat2(int da, const char *a, int db, const char *b, unsigned int flags)
{
	NEXT(renameat2);
	if (hit(OP_RENAME)) {
		errno = EIO;
		return -1;
	}
	return real_renameat2(da, a, db, b, flags);
}

int link(const char *a, const char *b)
{
	NEXT(link);
	if (hit(OP_RENAME)) {
		errno = EIO;
		return -1;
	}
	return real_link(a, b);
}

int linkat(int da, const char *a, int db, const char *b, int flags)
{
	NEXT(linkat);
	if (hit(OP_RENAME)) {
		errno = EIO;
		return -1;
	}
	return real_linkat(da, a, db, b, flags);
}

/* ---- malloc ---- */

void *malloc(size_t n)
{
	if (hit(OP_MALLOC)) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
	if (hit(OP_MALLOC)) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
	/* realloc(p, 0) frees: not an allocation that can fail */
	if ((n || !p) && hit(OP_MALLOC)) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_realloc(p, n);
}

void *memalign(size_t al, size_t n)
{
	if (hit(OP_MALLOC)) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_memalign(al, n);
}

void *aligned_alloc(size_t al, size_t n)
{
	return memalign(al, n);
}

void *valloc(size_t n)
{
	return memalign((size_t)sysconf(_SC_PAGESIZE), n);
}

int posix_memalign(void **out, size_t al, size_t n)
{
	if (al < sizeof(void *) || (al & (al - 1)))
		return EINVAL;
	void *p = memalign(al, n);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

/* ---- a wall clock that stands still (CVFAULT_TIME) ---- */

time_t time(time_t *out)
{
	NEXT(time);
	if (g_time < 0)
		return real_time(out);
	if (out)
		*out = (time_t)g_time;
	return (time_t)g_time;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	NEXT(gettimeofday);
	if (g_time < 0)
		return real_gettimeofday(tv, tz);
	tv->tv_sec = (time_t)g_time;
	tv->tv_usec = 0;
	return 0;
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	NEXT(clock_gettime);
	if (g_time < 0 || (id != CLOCK_REALTIME && id != CLOCK_REALTIME_COARSE))
		return real_clock_gettime(id, ts);
	ts->tv_sec = (time_t)g_time;
	ts->tv_nsec = 0;
	return 0;
}
