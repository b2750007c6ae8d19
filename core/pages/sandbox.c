/* The document parser's sandbox: bubblewrap with every namespace unshared,
 * a seccomp filter built here, rlimits set before bwrap is executed, the
 * document on a sealed memfd and the answer streamed out of a pipe.
 *
 * bubblewrap writes a JSON "exit-code" record on --json-status-fd only when
 * the command it ran has ended: without one, the helper never ran and what
 * is on fd 2 is bubblewrap's own complaint (the only stderr text that may be
 * shown, since the helper's might quote the document). With --unshare-pid,
 * bwrap exits 128 + N when the helper died of signal N.
 *
 * Nothing here is shared between calls but the availability check
 * (pthread_once); the diagnostics of the last run are per thread. */
#include "pages/sandbox.h"
#include "util/error.h"
#include "util/wipe.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define BWRAP "/usr/bin/bwrap"
#define HELPER_AT "/run/cv/docparse"
#define TMP_SIZE "536870912"             /* the sandbox's /tmp tmpfs */
#define FSIZE_MAX ((rlim_t)512 << 20)    /* the largest file it may write */
#define NOFILE_MAX 256
#define DIAG_MAX 4096                    /* stderr kept for a developer */
#define TAIL_MAX 1024                    /* stderr's end, to classify a failure */
#define STATUS_MAX 4096                  /* bwrap's JSON status */
#define CHUNK ((size_t)64 << 10)
#define MIB ((size_t)1 << 20)

/* The fds bwrap gets, in this order (its --seccomp and --json-status-fd
 * name 3 and 4). */
enum { FD_IN, FD_OUT, FD_ERR, FD_FILTER, FD_STATUS, NFD };

enum stop_reason { STOP_NONE, STOP_WALL, STOP_OUTMAX, STOP_CB, STOP_POLL };

/* What the child reports on its exec pipe when it cannot exec bwrap. */
enum child_step { STEP_PGID = 1, STEP_FDS, STEP_LIMITS, STEP_EXEC };

static _Thread_local char tls_diag[DIAG_MAX + 1];

typedef struct sb_run {
	const cv_sandbox_limits *lim;
	cv_sandbox_out_cb cb;
	void *payload;
	pid_t pid;
	int out, err, st; /* parent's read ends; -1 once at end of file */
	size_t out_total;
	enum stop_reason stop;
	int cb_rc, poll_errno;
	unsigned char *chunk;
	char diag[DIAG_MAX + 1];
	size_t diag_len;
	char tail[TAIL_MAX];
	size_t tail_len;
	char status[STATUS_MAX + 1];
	size_t status_len;
} sb_run;

/* ---- bwrap's command line ---------------------------------------------- */

typedef struct bw_args {
	const char **v;
	size_t n, cap;
	char links[6][128]; /* targets of the merged-/usr symlinks at / */
} bw_args;

static void push(bw_args *a, const char *s)
{
	if (a->n + 1 < a->cap)
		a->v[a->n++] = s;
}

static void push3(bw_args *a, const char *opt, const char *x, const char *y)
{
	push(a, opt);
	push(a, x);
	if (y)
		push(a, y);
}

/* /bin, /lib... as the host has them: symlinks into /usr on a merged-/usr
 * system (recreated as such), real directories otherwise (bound read-only). */
static void push_root_dirs(bw_args *a)
{
	static const char *const dirs[6] = { "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32" };
	for (size_t i = 0; i < 6; i++) {
		struct stat st;
		if (lstat(dirs[i], &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			ssize_t k = readlink(dirs[i], a->links[i], sizeof a->links[i] - 1);
			if (k <= 0 || (size_t)k >= sizeof a->links[i] - 1)
				continue;
			a->links[i][k] = '\0';
			push3(a, "--symlink", a->links[i], dirs[i]);
		} else if (S_ISDIR(st.st_mode)) {
			push3(a, "--ro-bind", dirs[i], dirs[i]);
		}
	}
}

static int build_args(bw_args *a, const char *helper, const char *const *argv)
{
	static const char *const head[] = { BWRAP, "--unshare-all", "--die-with-parent", "--new-session",
		"--cap-drop", "ALL", "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp",
		"--setenv", "LANG", "C.UTF-8", "--setenv", "OMP_THREAD_LIMIT", "1", "--ro-bind", "/usr", "/usr" };
	/* read-only system files the parsers need; fontconfig's cache saves each
	 * run a scan of every font (a tenth of a second for a short PDF) */
	static const char *const etc[] = { "/etc/fonts", "/etc/ld.so.cache", "/etc/libreoffice", "/etc/alternatives",
		"/var/cache/fontconfig" };
	size_t nargs = 0;
	while (argv && argv[nargs])
		nargs++;
	memset(a, 0, sizeof *a);
	a->cap = 96 + nargs;
	a->v = calloc(a->cap, sizeof *a->v);
	if (!a->v)
		return cv__oom();
	for (size_t i = 0; i < sizeof head / sizeof *head; i++)
		push(a, head[i]);
	push_root_dirs(a);
	for (size_t i = 0; i < sizeof etc / sizeof *etc; i++)
		push3(a, "--ro-bind-try", etc[i], etc[i]);
	push3(a, "--proc", "/proc", NULL);
	push3(a, "--dev", "/dev", NULL);
	push3(a, "--size", TMP_SIZE, NULL);
	push3(a, "--tmpfs", "/tmp", NULL);
	push3(a, "--ro-bind", helper, HELPER_AT);
	push3(a, "--chdir", "/tmp", NULL);
	push3(a, "--seccomp", "3", NULL);
	push3(a, "--json-status-fd", "4", NULL);
	push(a, "--");
	push(a, HELPER_AT);
	for (size_t i = 0; i < nargs; i++)
		push(a, argv[i]);
	a->v[a->n] = NULL;
	return 0;
}

/* ---- the system-call filter -------------------------------------------- */

/* Calls a document parser never needs and an escape would: other address
 * families than local sockets, tracing, keys, kernel modules, mounts and
 * namespaces, io_uring (it bypasses the filter's view of what is done). */
static const char *const denied[] = { "ptrace", "process_vm_readv", "process_vm_writev", "keyctl", "add_key",
	"request_key", "bpf", "perf_event_open", "userfaultfd", "mount", "umount2", "pivot_root", "chroot",
	"unshare", "setns", "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
	"open_by_handle_at", "io_uring_setup", "fsopen", "fsmount", "move_mount", "open_tree" };

static int deny_clone_namespaces(scmp_filter_ctx ctx)
{
	static const unsigned long ns[] = { CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
		CLONE_NEWNET, CLONE_NEWCGROUP };
	for (size_t i = 0; i < sizeof ns / sizeof *ns; i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
			    SCMP_A0(SCMP_CMP_MASKED_EQ, ns[i], ns[i])) < 0)
			return -1;
	/* clone3 passes its flags in memory a filter cannot read: ENOSYS makes
	 * the C library fall back to clone, whose flags it can. */
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) < 0 ? -1 : 0;
}

static int add_rules(scmp_filter_ctx ctx)
{
	for (size_t i = 0; i < sizeof denied / sizeof *denied; i++) {
		int nr = seccomp_syscall_resolve_name(denied[i]);
		if (nr == __NR_SCMP_ERROR) /* not a call on this architecture */
			continue;
		if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0) < 0)
			return -1;
	}
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_NE, AF_UNIX)) < 0)
		return -1;
	return deny_clone_namespaces(ctx);
}

/* The filter as BPF in a memfd at offset 0, for bwrap's --seccomp. Calls
 * of another architecture than ours are killed (libseccomp's default). */
static int filter_fd(int *out)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return cv__oom();
	int fd = -1, rc = 0;
	if (add_rules(ctx) < 0)
		rc = cv__err(CV_ERROR, "cannot build the document parser's system-call filter (libseccomp refused a rule)");
	if (!rc && (fd = memfd_create("cv-seccomp", MFD_CLOEXEC)) < 0)
		rc = cv__err(CV_ERROR, "cannot build the document parser's system-call filter: %s", strerror(errno));
	if (!rc && (seccomp_export_bpf(ctx, fd) < 0 || lseek(fd, 0, SEEK_SET) < 0))
		rc = cv__err(CV_ERROR, "cannot write the document parser's system-call filter");
	seccomp_release(ctx);
	if (rc && fd >= 0)
		close(fd);
	*out = rc ? -1 : fd;
	return rc;
}

/* ---- the document --------------------------------------------------------- */

/* A sealed memfd: the parser may read, map and seek it, never change it. */
static int input_fd(const void *input, size_t len, int *out)
{
	int fd = memfd_create("cv-doc", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return cv__err(CV_ERROR, "cannot hand the document to its parser: %s", strerror(errno));
	const unsigned char *p = input;
	for (size_t done = 0; done < len;) {
		ssize_t k = write(fd, p + done, len - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			int e = k < 0 ? errno : ENOSPC;
			close(fd);
			return cv__err(CV_ERROR, "cannot hand the document to its parser: %s", strerror(e));
		}
		done += (size_t)k;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0 ||
		lseek(fd, 0, SEEK_SET) < 0) {
		int e = errno;
		close(fd);
		return cv__err(CV_ERROR, "cannot seal the document handed to its parser: %s", strerror(e));
	}
	*out = fd;
	return 0;
}

/* ---- the child, between fork and exec (async-signal-safe calls only) ----- */

static void child_fail(int report, int step)
{
	int msg[2] = { step, errno };
	ssize_t k = write(report, msg, sizeof msg);
	(void)k;
	_exit(127);
}

/* soft, capped by the hard limit the caller already has (which only root
 * could raise); hard one above soft so that SIGXCPU comes before SIGKILL. */
static int limit(int res, rlim_t soft, rlim_t hard)
{
	struct rlimit r;
	if (getrlimit(res, &r) < 0)
		return -1;
	if (r.rlim_max != RLIM_INFINITY && r.rlim_max < hard)
		hard = r.rlim_max;
	r.rlim_cur = soft < hard ? soft : hard;
	r.rlim_max = hard;
	return setrlimit(res, &r);
}

static int child_limits(const cv_sandbox_limits *lim)
{
	if (limit(RLIMIT_CPU, lim->cpu_seconds, (rlim_t)lim->cpu_seconds + 1) < 0 || limit(RLIMIT_CORE, 0, 0) < 0 ||
		limit(RLIMIT_FSIZE, FSIZE_MAX, FSIZE_MAX) < 0 || limit(RLIMIT_NOFILE, NOFILE_MAX, NOFILE_MAX) < 0)
		return -1;
	return lim->mem_bytes ? limit(RLIMIT_AS, lim->mem_bytes, lim->mem_bytes) : 0;
}

/* fds[] become 0..4; everything else is closed at exec, so no descriptor
 * of the archive or the catalogue reaches bwrap or the parser. */
static int child_fds(const int fds[NFD], int *report, int maxfd)
{
	int hi[NFD], moved = fcntl(*report, F_DUPFD_CLOEXEC, 16);
	if (moved < 0)
		return -1;
	*report = moved;
	for (int i = 0; i < NFD; i++)
		if ((hi[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 16)) < 0)
			return -1;
	for (int i = 0; i < NFD; i++)
		if (dup2(hi[i], i) < 0)
			return -1;
	if (close_range(NFD, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		for (int fd = NFD; fd < maxfd; fd++)
			(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	return 0;
}

static void child_signals(void)
{
	sigset_t none;
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	struct sigaction dfl;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++) /* an ignored signal would stay ignored after exec */
		if (s != SIGKILL && s != SIGSTOP)
			(void)sigaction(s, &dfl, NULL);
}

__attribute__((noreturn)) static void child_exec(char *const *av, const int fds[NFD], int report,
	const cv_sandbox_limits *lim, pid_t parent, int maxfd)
{
	static char *const envp[] = { NULL };
	child_signals();
	if (setpgid(0, 0) < 0)
		child_fail(report, STEP_PGID);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127); /* the caller is gone: nobody wants the answer */
	if (child_fds(fds, &report, maxfd) < 0)
		child_fail(report, STEP_FDS);
	if (child_limits(lim) < 0)
		child_fail(report, STEP_LIMITS);
	execve(BWRAP, av, envp);
	child_fail(report, STEP_EXEC);
	_exit(127);
}

/* ---- starting ------------------------------------------------------------ */

static const char *step_name(int step)
{
	switch (step) {
	case STEP_PGID: return "cannot give it a process group of its own";
	case STEP_FDS: return "cannot set up its descriptors";
	case STEP_LIMITS: return "cannot set its resource limits";
	default: return "cannot run " BWRAP;
	}
}

/* Did the child reach exec? Its exec pipe closes at exec, or carries why not. */
static int exec_report(int report_r, pid_t pid)
{
	int msg[2];
	size_t got = 0;
	while (got < sizeof msg) {
		ssize_t k = read(report_r, (char *)msg + got, sizeof msg - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(report_r);
	if (got < sizeof msg)
		return 0;
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (msg[0] == STEP_EXEC && msg[1] == ENOENT)
		return cv__err(CV_EUNSUPPORTED, "documents other than text are read in a sandbox, and bubblewrap (bwrap) "
			"is not installed: install the bubblewrap package");
	return cv__err(CV_ERROR, "cannot start the sandbox that reads documents: %s: %s", step_name(msg[0]),
		strerror(msg[1]));
}

static void close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

/* Pipes for fd 1, fd 2 and bwrap's status; the parent's ends non-blocking
 * (the child's stay blocking: O_NONBLOCK belongs to each end). */
static int make_pipes(int child_end[3], int parent_end[3])
{
	for (int i = 0; i < 3; i++) {
		int p[2];
		if (pipe2(p, O_CLOEXEC) < 0)
			return cv__err(CV_ERROR, "cannot create a pipe for the document parser: %s", strerror(errno));
		parent_end[i] = p[0];
		child_end[i] = p[1];
		(void)fcntl(p[0], F_SETFL, O_NONBLOCK);
	}
	return 0;
}

static int spawn(sb_run *r, const bw_args *a, int in_fd, int filter)
{
	int child_end[3] = { -1, -1, -1 }, parent_end[3] = { -1, -1, -1 }, rep[2];
	int rc = make_pipes(child_end, parent_end);
	if (!rc && pipe2(rep, O_CLOEXEC) < 0)
		rc = cv__err(CV_ERROR, "cannot create a pipe for the document parser: %s", strerror(errno));
	if (rc) {
		close_fds(child_end, 3);
		close_fds(parent_end, 3);
		return rc;
	}
	const int fds[NFD] = { in_fd, child_end[0], child_end[1], filter, child_end[2] };
	long open_max = sysconf(_SC_OPEN_MAX);
	int maxfd = open_max > 0 && open_max < INT_MAX ? (int)open_max : 65536;
	pid_t parent = getpid(), pid = fork();
	if (pid == 0)
		child_exec((char *const *)a->v, fds, rep[1], r->lim, parent, maxfd);
	int e = errno;
	close(rep[1]);
	close_fds(child_end, 3);
	if (pid < 0) {
		close(rep[0]);
		close_fds(parent_end, 3);
		return cv__err(CV_ERROR, "cannot start the document parser: %s", strerror(e));
	}
	if ((rc = exec_report(rep[0], pid)) < 0) {
		close_fds(parent_end, 3);
		return rc;
	}
	r->pid = pid;
	r->out = parent_end[0];
	r->err = parent_end[1];
	r->st = parent_end[2];
	return 0;
}

/* ---- the conversation ------------------------------------------------------ */

static long ms_left(const struct timespec *deadline)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long ms = (long)(deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms;
}

/* Up to cap bytes; 0 when nothing is there yet. At end of file (or an error:
 * nothing more will come either way) the fd is closed and set to -1. */
static size_t take(int *fd, void *buf, size_t cap)
{
	ssize_t k = read(*fd, buf, cap);
	if (k > 0)
		return (size_t)k;
	if (k < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	close(*fd);
	*fd = -1;
	return 0;
}

static void on_out(sb_run *r)
{
	size_t k = take(&r->out, r->chunk, CHUNK);
	if (!k)
		return;
	if (k > r->lim->out_max - r->out_total) {
		r->stop = STOP_OUTMAX;
		return;
	}
	r->out_total += k;
	int rc = r->cb ? r->cb(r->chunk, k, r->payload) : 0;
	if (rc) {
		r->stop = STOP_CB;
		r->cb_rc = rc;
	}
}

/* stderr: its start kept for a developer, its end for classify(); the rest
 * is read only so that the parser never blocks on a full pipe. */
static void on_err(sb_run *r)
{
	size_t k = take(&r->err, r->chunk, CHUNK);
	if (!k)
		return;
	size_t room = DIAG_MAX - r->diag_len, n = k < room ? k : room;
	memcpy(r->diag + r->diag_len, r->chunk, n);
	r->diag_len += n;
	if (k >= TAIL_MAX) {
		memcpy(r->tail, r->chunk + k - TAIL_MAX, TAIL_MAX);
		r->tail_len = TAIL_MAX;
		return;
	}
	size_t keep = r->tail_len + k > TAIL_MAX ? TAIL_MAX - k : r->tail_len;
	memmove(r->tail, r->tail + r->tail_len - keep, keep);
	memcpy(r->tail + keep, r->chunk, k);
	r->tail_len = keep + k;
}

static void on_status(sb_run *r)
{
	size_t room = STATUS_MAX - r->status_len;
	if (!room) { /* bwrap's records are short: anything beyond is dropped */
		take(&r->st, r->chunk, CHUNK);
		return;
	}
	r->status_len += take(&r->st, r->status + r->status_len, room);
}

/* Until all three pipes are at end of file, the wall deadline, or a reason
 * to stop the parser. */
static void pump(sb_run *r, const struct timespec *deadline)
{
	while (!r->stop && (r->out >= 0 || r->err >= 0 || r->st >= 0)) {
		long ms = ms_left(deadline);
		if (!ms) {
			r->stop = STOP_WALL;
			break;
		}
		struct pollfd p[3] = { { r->out, POLLIN, 0 }, { r->err, POLLIN, 0 }, { r->st, POLLIN, 0 } };
		int n = poll(p, 3, ms > INT_MAX ? INT_MAX : (int)ms);
		if (n < 0 && errno != EINTR) {
			r->stop = STOP_POLL;
			r->poll_errno = errno;
		}
		if (n <= 0)
			continue;
		if (p[0].revents)
			on_out(r);
		if (p[1].revents && !r->stop)
			on_err(r);
		if (p[2].revents && !r->stop)
			on_status(r);
	}
}

/* bwrap has closed its pipes: it is exiting, but a parser that closed its
 * fds 1 and 2 could still be running, so the deadline holds until reaped. */
static int reap(sb_run *r, const struct timespec *deadline, int *ws, struct rusage *ru)
{
	for (;;) {
		pid_t w = wait4(r->pid, ws, r->stop ? 0 : WNOHANG, ru);
		if (w == r->pid)
			return 0;
		if (w < 0 && errno != EINTR)
			return cv__err(CV_ERROR, "cannot learn how the document parser ended: %s", strerror(errno));
		if (w == 0 && !ms_left(deadline)) {
			r->stop = STOP_WALL;
			killpg(r->pid, SIGKILL);
		} else if (w == 0) {
			struct timespec nap = { 0, 5 * 1000 * 1000 };
			nanosleep(&nap, NULL);
		}
	}
}

/* ---- what happened ---------------------------------------------------------- */

static int mentions(const sb_run *r, const char *what)
{
	size_t n = strlen(what);
	return memmem(r->diag, r->diag_len, what, n) || memmem(r->tail, r->tail_len, what, n);
}

/* The helper's own words are never quoted: they are only searched for the
 * signs of an allocation failure. */
static int out_of_memory(const sb_run *r)
{
	return mentions(r, "bad_alloc") || mentions(r, "Cannot allocate memory") || mentions(r, "out of memory") ||
		mentions(r, "Out of memory");
}

static int memory_error(const sb_run *r)
{
	if (r->lim->mem_bytes)
		return cv__err(CV_ERROR, "the document parser ran out of its memory limit (%zu MiB) on this document",
			r->lim->mem_bytes / MIB);
	return cv__err(CV_ERROR, "the document parser ran out of memory on this document");
}

static double cpu_used(const struct rusage *ru)
{
	return (double)ru->ru_utime.tv_sec + (double)ru->ru_stime.tv_sec +
		((double)ru->ru_utime.tv_usec + (double)ru->ru_stime.tv_usec) / 1e6;
}

static int signal_error(const sb_run *r, int sig, const struct rusage *ru)
{
	unsigned cpu = r->lim->cpu_seconds;
	if (sig == SIGXCPU || (sig == SIGKILL && cpu_used(ru) >= (double)cpu))
		return cv__err(CV_ERROR, "reading the document took more than %u s of processor time, the limit", cpu);
	if (out_of_memory(r))
		return memory_error(r);
	if (sig == SIGKILL)
		return cv__err(CV_ERROR, "the document parser was killed (signal 9), perhaps by the system for lack of "
			"memory");
	return cv__err(CV_ERROR, "the document parser crashed on this document (signal %d)", sig);
}

/* bubblewrap failed before running the helper: its first line, printable
 * characters only, since it names what the machine does not allow. */
static int setup_error(const sb_run *r, int ws)
{
	static const char pre[] = "bwrap: ";
	if (r->diag_len <= sizeof pre - 1 || memcmp(r->diag, pre, sizeof pre - 1))
		return cv__err(CV_ERROR, "the sandbox that reads documents stopped before the document parser ran "
			"(exit status %d)", WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
	char why[201];
	size_t n = 0;
	for (size_t i = sizeof pre - 1; i < r->diag_len && r->diag[i] != '\n' && n < sizeof why - 1; i++)
		why[n++] = r->diag[i] >= 0x20 && r->diag[i] < 0x7f ? r->diag[i] : '?';
	why[n] = '\0';
	return cv__err(CV_EUNSUPPORTED, "documents other than text are read in a sandbox, and bubblewrap cannot create "
		"it on this machine: %s", why);
}

static int stop_error(const sb_run *r)
{
	switch (r->stop) {
	case STOP_WALL:
		return cv__err(CV_ERROR, "reading the document took longer than %u s, the limit", r->lim->wall_seconds);
	case STOP_OUTMAX:
		return cv__err(CV_ERROR, "the document parser's answer grew beyond its limit of %zu bytes",
			r->lim->out_max);
	case STOP_CB:
		return r->cb_rc < 0 ? r->cb_rc : cv__err(CV_ERROR, "reading the document was stopped");
	default:
		return cv__err(CV_ERROR, "cannot wait for the document parser: %s", strerror(r->poll_errno));
	}
}

static int classify(const sb_run *r, int ws, const struct rusage *ru, int *code)
{
	if (r->stop) {
		*code = -SIGKILL;
		return stop_error(r);
	}
	if (WIFSIGNALED(ws)) { /* bwrap itself, by someone else */
		*code = -WTERMSIG(ws);
		return signal_error(r, WTERMSIG(ws), ru);
	}
	if (!memmem(r->status, r->status_len, "\"exit-code\"", 11)) {
		*code = CV_SANDBOX_NOT_RUN;
		return setup_error(r, ws);
	}
	int ex = WEXITSTATUS(ws);
	*code = ex;
	if (ex == 0)
		return 0;
	if (ex > 128 && ex < 128 + NSIG) {
		*code = -(ex - 128);
		return signal_error(r, ex - 128, ru);
	}
	if (ex == 3)
		return cv__err(CV_EINVAL, "the document parser refused this document");
	if (out_of_memory(r))
		return memory_error(r);
	return cv__err(CV_ERROR, "the document parser failed on this document (exit status %d)", ex);
}

/* ---- entry points -------------------------------------------------------- */

static int check_args(const char *helper, const void *input, size_t len, const cv_sandbox_limits *lim)
{
	struct stat st;
	if (!helper || helper[0] != '/' || !lim || (!input && len))
		return cv__err(CV_EINVAL, "the sandbox needs the absolute path of the document parser, its limits and "
			"the document");
	if (!lim->cpu_seconds || !lim->wall_seconds)
		return cv__err(CV_EINVAL, "the document parser's time limits must not be zero");
	if (access(BWRAP, X_OK) < 0)
		return cv__err(CV_EUNSUPPORTED, "documents other than text are read in a sandbox, and bubblewrap (bwrap) "
			"is not installed: install the bubblewrap package");
	if (stat(helper, &st) < 0 || !S_ISREG(st.st_mode) || access(helper, X_OK) < 0)
		return cv__err(CV_EUNSUPPORTED, "the document parser %s is not installed or not executable", helper);
	return 0;
}

static int start(sb_run *r, const char *helper, const char *const *argv, const void *input, size_t len)
{
	bw_args a;
	int in_fd = -1, filter = -1;
	int rc = build_args(&a, helper, argv);
	if (!rc)
		rc = input_fd(input, len, &in_fd);
	if (!rc)
		rc = filter_fd(&filter);
	if (!rc)
		rc = spawn(r, &a, in_fd, filter);
	if (in_fd >= 0)
		close(in_fd);
	if (filter >= 0)
		close(filter);
	free(a.v);
	return rc;
}

static void finish(sb_run *r)
{
	int fds[3] = { r->out, r->err, r->st };
	close_fds(fds, 3);
	cv__wipe(tls_diag, sizeof tls_diag);
	memcpy(tls_diag, r->diag, r->diag_len);
	cv__wipe_free(r->chunk, CHUNK);
	cv__wipe(r, sizeof *r);
}

int cv__sandbox_run(const char *helper, const char *const *argv, const void *input, size_t len,
	const cv_sandbox_limits *lim, cv_sandbox_out_cb cb, void *payload, int *exit_status)
{
	int code = CV_SANDBOX_NOT_RUN, ws = 0;
	struct rusage ru;
	struct timespec deadline;
	if (exit_status)
		*exit_status = code;
	cv__sandbox_diag_clear();
	CV_TRY(check_args(helper, input, len, lim));
	sb_run *r = calloc(1, sizeof *r);
	if (!r || !(r->chunk = malloc(CHUNK))) {
		free(r);
		return cv__oom();
	}
	*r = (sb_run){ .lim = lim, .cb = cb, .payload = payload, .out = -1, .err = -1, .st = -1, .chunk = r->chunk };
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += lim->wall_seconds;
	int rc = start(r, helper, argv, input, len);
	if (!rc) {
		pump(r, &deadline);
		if (r->stop)
			killpg(r->pid, SIGKILL); /* bwrap; its sandbox dies with it (--die-with-parent) */
		memset(&ru, 0, sizeof ru);
		rc = reap(r, &deadline, &ws, &ru);
		if (!rc)
			rc = classify(r, ws, &ru, &code);
	}
	if (exit_status)
		*exit_status = code;
	finish(r);
	free(r);
	return rc;
}

const char *cv__sandbox_diag(void)
{
	return tls_diag;
}

void cv__sandbox_diag_clear(void)
{
	cv__wipe(tls_diag, sizeof tls_diag);
}

static pthread_once_t avail_once = PTHREAD_ONCE_INIT;
static int avail_ok;
static char avail_why[512];

static void avail_check(void)
{
	static const cv_sandbox_limits lim = { 10, 10, 0, 4096 };
	int rc = cv__sandbox_run("/usr/bin/true", NULL, NULL, 0, &lim, NULL, NULL, NULL);
	avail_ok = rc == 0;
	if (rc)
		snprintf(avail_why, sizeof avail_why, "%s", cv_error_last()->message);
}

int cv__sandbox_available(void)
{
	pthread_once(&avail_once, avail_check);
	if (avail_ok)
		return 1;
	cv__err(CV_EUNSUPPORTED, "%s", avail_why);
	return 0;
}
