/* A stand-in for casevault-docparse that tries what a hostile parser would,
 * for tests/unit/test_sandbox.c. argv[1] names the attempt; each prints one
 * line saying how it went. Built without sanitizers: it runs under the
 * sandbox's RLIMIT_AS and must link only /usr libraries. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int echo(void)
{
	char buf[65536];
	ssize_t k;
	while ((k = read(0, buf, sizeof buf)) > 0)
		for (ssize_t done = 0; done < k;) {
			ssize_t w = write(1, buf + done, (size_t)(k - done));
			if (w <= 0)
				return 2;
			done += w;
		}
	return k < 0 ? 2 : 0;
}

static int env(void)
{
	for (char **e = environ; *e; e++)
		printf("%s\n", *e);
	return 0;
}

static int net(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0) {
		printf("socket errno %d\n", errno);
		return 0;
	}
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons(9);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(s, (struct sockaddr *)&a, sizeof a) < 0)
		printf("connect errno %d\n", errno);
	else
		printf("connected\n");
	return 0;
}

static int read_path(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		printf("errno %d\n", errno);
	else
		printf("ok\n");
	return 0;
}

static int fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return 2;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		char link[256] = "", path[300];
		snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
		ssize_t k = readlink(path, link, sizeof link - 1);
		link[k > 0 ? k : 0] = '\0';
		printf("%s %s\n", e->d_name, link);
	}
	closedir(d);
	return 0;
}

/* The document must reach the parser read-only: the memfd is sealed. */
static int seal(void)
{
	ssize_t w = write(0, "x", 1);
	printf("write %s %d\n", w < 0 ? "errno" : "ok", w < 0 ? errno : 0);
	int t = ftruncate(0, 0);
	printf("truncate %s %d\n", t < 0 ? "errno" : "ok", t < 0 ? errno : 0);
	return 0;
}

/* New namespaces are refused; a plain child process is not. */
static int ns(void)
{
	int u = unshare(CLONE_NEWUSER | CLONE_NEWNS);
	printf("unshare %s %d\n", u < 0 ? "errno" : "ok", u < 0 ? errno : 0);
	long c = syscall(SYS_clone, (unsigned long)(CLONE_NEWNET | SIGCHLD), 0, 0, 0, 0);
	if (c == 0)
		_exit(0);
	printf("clone-newnet %s %d\n", c < 0 ? "errno" : "ok", c < 0 ? errno : 0);
	pid_t p = fork();
	if (p == 0)
		_exit(0);
	printf("fork %s\n", p > 0 && waitpid(p, NULL, 0) == p ? "ok" : "failed");
	return 0;
}

static void *nothing(void *u)
{
	return u;
}

/* Threads still work: clone3 is refused with ENOSYS, so the C library
 * falls back to clone, whose flags the filter can check. */
static int thread(void)
{
	pthread_t t;
	int e = pthread_create(&t, NULL, nothing, NULL);
	printf("thread %s %d\n", e ? "errno" : "ok", e ? e : pthread_join(t, NULL));
	return 0;
}

static int do_ptrace(void)
{
	long a = ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	printf("traceme %s %d\n", a < 0 ? "errno" : "ok", a < 0 ? errno : 0);
	a = ptrace(PTRACE_ATTACH, 1, NULL, NULL);
	printf("attach %s %d\n", a < 0 ? "errno" : "ok", a < 0 ? errno : 0);
	return 0;
}

/* As tesseract does on std::bad_alloc: a message on stderr, then abort. */
static int alloc(void)
{
	size_t n = (size_t)3 << 30;
	unsigned char *p = malloc(n);
	if (!p) {
		fprintf(stderr, "probe: Cannot allocate memory\n");
		abort();
	}
	for (size_t i = 0; i < n; i += 4096)
		p[i] = 1;
	printf("allocated\n");
	return 0;
}

static int flood(void)
{
	static char buf[65536];
	memset(buf, 'x', sizeof buf);
	for (;;)
		if (write(1, buf, sizeof buf) < 0)
			return 2;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(what, "echo"))
		return echo();
	if (!strcmp(what, "env"))
		return env();
	if (!strcmp(what, "net"))
		return net();
	if (!strcmp(what, "read") && argc > 2)
		return read_path(argv[2]);
	if (!strcmp(what, "cwd")) {
		char cwd[4096];
		printf("%s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
		return 0;
	}
	if (!strcmp(what, "spin"))
		for (volatile unsigned long i = 0;; i++)
			;
	if (!strcmp(what, "sleep")) {
		sleep(100);
		return 0;
	}
	if (!strcmp(what, "alloc"))
		return alloc();
	if (!strcmp(what, "flood"))
		return flood();
	if (!strcmp(what, "crash"))
		raise(SIGSEGV);
	if (!strcmp(what, "fds"))
		return fds();
	if (!strcmp(what, "ptrace"))
		return do_ptrace();
	if (!strcmp(what, "ns"))
		return ns();
	if (!strcmp(what, "thread"))
		return thread();
	if (!strcmp(what, "seal"))
		return seal();
	if (!strcmp(what, "stderr") && argc > 3) { /* TEXT N: say TEXT on fd 2, exit N */
		fprintf(stderr, "%s\n", argv[2]);
		return atoi(argv[3]);
	}
	if (!strcmp(what, "exit") && argc > 2)
		return atoi(argv[2]);
	fprintf(stderr, "usage: sandbox_probe echo|env|net|read PATH|cwd|spin|sleep|alloc|flood|crash|fds|ptrace|seal|ns|thread|"
			"stderr TEXT N|exit N\n");
	return 2;
}
