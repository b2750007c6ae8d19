/* pages/sandbox: the document parser's sandbox, driven with a probe program
 * (sandbox_probe.c) that tries what a hostile parser would: the document
 * round-trips, the environment is clean, the network, the archive's files,
 * /etc/shadow and the caller's cwd are out of reach, ptrace, new namespaces
 * and writing to the document are refused, every limit stops the parser with a message
 * that says which, and the parser's stderr is never quoted. Skipped (77)
 * when bubblewrap is not usable on the machine. */
#include "support.h"
#include "pages/sandbox.h"
#include "util/error.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CV_SANDBOX_PROBE
#error "CV_SANDBOX_PROBE (the probe's path) is defined by tests/unit/sandbox_probe.cmake"
#endif

static cv_sandbox_limits limits(unsigned cpu, unsigned wall, size_t mem, size_t out_max)
{
	cv_sandbox_limits l = { cpu, wall, mem, out_max };
	return l;
}

static const cv_sandbox_limits *std_limits(void)
{
	static cv_sandbox_limits l = { 5, 10, 0, (size_t)16 << 20 };
	return &l;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Run the probe; its fd 1 in *out (NUL-terminated). */
static int probe(const char *const *argv, const void *in, size_t len, const cv_sandbox_limits *lim, cvt_sink *out,
	int *status)
{
	int rc = cv__sandbox_run(CV_SANDBOX_PROBE, argv, in, len, lim, cvt_sink_cb, out, status);
	cvt_sink_cb("", 1, out);
	out->len--;
	if (rc)
		printf("# probe %s: %s\n", argv[0], cv_error_last()->message);
	return rc;
}

static char *probe_text(const char *const *argv, int *rc_out)
{
	cvt_sink s = { 0 };
	int status = 0, rc = probe(argv, NULL, 0, std_limits(), &s, &status);
	if (rc_out)
		*rc_out = rc;
	else
		assert_int_equal(rc, 0);
	return (char *)s.data;
}

static void echo_round_trips_a_mebibyte(void **state)
{
	(void)state;
	size_t n = (size_t)1 << 20;
	unsigned char *doc = malloc(n);
	cvt_fill(doc, n, 42);
	const char *argv[] = { "echo", NULL };
	cvt_sink s = { 0 };
	int status = -1;
	assert_int_equal(probe(argv, doc, n, std_limits(), &s, &status), 0);
	assert_int_equal(status, 0);
	assert_int_equal(s.len, n);
	assert_memory_equal(s.data, doc, n);
	free(doc);
	cvt_sink_free(&s);
}

static void environment_is_clean(void **state)
{
	(void)state;
	setenv("CASEVAULT_TEST_SECRET", "leaked", 1);
	setenv("HOME", "/home/caller-of-the-test", 1);
	const char *argv[] = { "env", NULL };
	char *env = probe_text(argv, NULL);
	assert_null(strstr(env, "CASEVAULT_"));
	assert_null(strstr(env, "caller-of-the-test"));
	assert_null(strstr(env, "LD_"));
	assert_non_null(strstr(env, "HOME=/tmp\n"));
	size_t lines = 0;
	for (const char *p = env; (p = strchr(p, '\n')); p++)
		lines++;
	assert_non_null(strstr(env, "PWD=/tmp\n")); /* bwrap's, for --chdir */
	assert_int_equal(lines, 5); /* PATH, HOME, LANG, OMP_THREAD_LIMIT, PWD */
	free(env);
}

static void network_is_unreachable(void **state)
{
	(void)state;
	const char *argv[] = { "net", NULL };
	char *out = probe_text(argv, NULL);
	assert_null(strstr(out, "connected"));
	assert_non_null(strstr(out, "errno"));
	free(out);
}

static void expect_unreadable(const char *path)
{
	const char *argv[] = { "read", path, NULL };
	char *out = probe_text(argv, NULL);
	if (strncmp(out, "errno", 5))
		printf("# %s is readable in the sandbox\n", path);
	assert_int_equal(strncmp(out, "errno", 5), 0);
	free(out);
}

/* A path of the host that may also exist inside (by its name only); /tmp
 * inside is a fresh tmpfs. */
static int exists_inside(const char *path)
{
	static const char *const inside[] = { "/usr", "/proc", "/dev", "/run", "/bin", "/sbin", "/lib" };
	if (!strcmp(path, "/") || !strcmp(path, "/tmp"))
		return 1;
	for (size_t i = 0; i < sizeof inside / sizeof *inside; i++)
		if (!strncmp(path, inside[i], strlen(inside[i])) &&
			(!path[strlen(inside[i])] || path[strlen(inside[i])] == '/'))
			return 1;
	return 0;
}

static void host_files_are_out_of_reach(void **state)
{
	(void)state;
	char *dir = cvt_tmpdir("sandbox_files");
	char *file = cvt_join(dir, "catalog.db");
	cvt_write(file, "secret", 6);
	expect_unreadable(file);
	expect_unreadable(dir);
	expect_unreadable(CV_TEST_TMP);
	expect_unreadable("/etc/shadow");
	expect_unreadable("/etc/passwd");
	expect_unreadable("/root");
	expect_unreadable("/home");
	char cwd[4096];
	assert_non_null(getcwd(cwd, sizeof cwd));
	if (exists_inside(cwd))
		printf("# the test's cwd %s has a namesake inside the sandbox: not checked\n", cwd);
	else
		expect_unreadable(cwd);
	const char *argv[] = { "cwd", NULL };
	char *out = probe_text(argv, NULL);
	assert_string_equal(out, "/tmp\n");
	free(out);
	cvt_rmrf(dir);
	free(file);
	free(dir);
}

static void only_the_three_fds_are_open(void **state)
{
	(void)state;
	const char *argv[] = { "fds", NULL };
	char *out = probe_text(argv, NULL);
	printf("# fds inside:\n%s", out);
	assert_int_equal(strncmp(out, "0 /memfd:cv-doc", 15), 0);
	const char *p = strchr(out, '\n') + 1;
	assert_int_equal(strncmp(p, "1 pipe:", 7), 0);
	p = strchr(p, '\n') + 1;
	assert_int_equal(strncmp(p, "2 pipe:", 7), 0);
	p = strchr(p, '\n') + 1;
	assert_string_equal(p, "");
	free(out);
}

static void ptrace_and_writing_the_document_are_refused(void **state)
{
	(void)state;
	const char *argv[] = { "ptrace", NULL };
	char *out = probe_text(argv, NULL);
	assert_string_equal(out, "traceme errno 1\nattach errno 1\n");
	free(out);
	const char *seal[] = { "seal", NULL };
	cvt_sink s = { 0 };
	int status = 0;
	assert_int_equal(probe(seal, "document", 8, std_limits(), &s, &status), 0);
	assert_string_equal((char *)s.data, "write errno 1\ntruncate errno 1\n");
	cvt_sink_free(&s);
}

static void new_namespaces_are_refused(void **state)
{
	(void)state;
	const char *argv[] = { "ns", NULL };
	char *out = probe_text(argv, NULL);
	assert_string_equal(out, "unshare errno 1\nclone-newnet errno 1\nfork ok\n");
	free(out);
	const char *thread[] = { "thread", NULL };
	out = probe_text(thread, NULL);
	assert_string_equal(out, "thread ok 0\n");
	free(out);
}

static void cpu_limit_stops_a_spin(void **state)
{
	(void)state;
	cv_sandbox_limits l = limits(1, 10, 0, 4096);
	const char *argv[] = { "spin", NULL };
	cvt_sink s = { 0 };
	int status = 0;
	double t0 = now();
	assert_int_equal(probe(argv, NULL, 0, &l, &s, &status), CV_ERROR);
	assert_true(now() - t0 < 5);
	assert_non_null(strstr(cv_error_last()->message, "more than 1 s of processor time"));
	assert_true(status == -SIGXCPU || status == -SIGKILL);
	cvt_sink_free(&s);
}

static void wall_limit_stops_a_sleep(void **state)
{
	(void)state;
	cv_sandbox_limits l = limits(5, 2, 0, 4096);
	const char *argv[] = { "sleep", NULL };
	cvt_sink s = { 0 };
	int status = 0;
	double t0 = now();
	assert_int_equal(probe(argv, NULL, 0, &l, &s, &status), CV_ERROR);
	double took = now() - t0;
	assert_true(took >= 1.9 && took < 5);
	assert_non_null(strstr(cv_error_last()->message, "took longer than 2 s"));
	assert_int_equal(status, -SIGKILL);
	cvt_sink_free(&s);
}

static void memory_limit_fails_clearly(void **state)
{
	(void)state;
	cv_sandbox_limits l = limits(10, 10, (size_t)512 << 20, 4096);
	const char *argv[] = { "alloc", NULL };
	cvt_sink s = { 0 };
	int status = 0;
	double t0 = now();
	assert_int_equal(probe(argv, NULL, 0, &l, &s, &status), CV_ERROR);
	assert_true(now() - t0 < 5);
	assert_non_null(strstr(cv_error_last()->message, "ran out of its memory limit (512 MiB)"));
	assert_int_equal(status, -SIGABRT);
	assert_null(strstr((char *)s.data, "allocated"));
	cvt_sink_free(&s);
}

static void output_limit_stops_a_flood(void **state)
{
	(void)state;
	cv_sandbox_limits l = limits(5, 10, 0, (size_t)1 << 20);
	const char *argv[] = { "flood", NULL };
	cvt_sink s = { 0 };
	int status = 0;
	assert_int_equal(probe(argv, NULL, 0, &l, &s, &status), CV_ERROR);
	assert_non_null(strstr(cv_error_last()->message, "beyond its limit of 1048576 bytes"));
	assert_true(s.len <= l.out_max);
	assert_int_equal(status, -SIGKILL);
	cvt_sink_free(&s);
}

static int refuse_after_a_while(const void *data, size_t len, void *payload)
{
	size_t *seen = payload;
	*seen += len;
	return *seen > 100000 ? cv__err(CV_EDAMAGED, "the answer is malformed (test)") : 0;
}

static void callback_stops_the_parser(void **state)
{
	(void)state;
	const char *argv[] = { "flood", NULL };
	size_t seen = 0;
	int status = 0;
	double t0 = now();
	int rc = cv__sandbox_run(CV_SANDBOX_PROBE, argv, NULL, 0, std_limits(), refuse_after_a_while, &seen, &status);
	assert_int_equal(rc, CV_EDAMAGED);
	assert_string_equal(cv_error_last()->message, "the answer is malformed (test)");
	assert_true(now() - t0 < 5);
	assert_int_equal(status, -SIGKILL);
}

static void crash_is_reported(void **state)
{
	(void)state;
	const char *argv[] = { "crash", NULL };
	int rc = 0;
	free(probe_text(argv, &rc));
	assert_int_equal(rc, CV_ERROR);
	assert_non_null(strstr(cv_error_last()->message, "crashed on this document (signal 11)"));
}

static void exit_statuses_are_mapped(void **state)
{
	(void)state;
	const char *refuse[] = { "exit", "3", NULL }, *fail[] = { "exit", "2", NULL }, *ok[] = { "exit", "0", NULL };
	cvt_sink s = { 0 };
	int status = -1;
	assert_int_equal(probe(refuse, NULL, 0, std_limits(), &s, &status), CV_EINVAL);
	assert_int_equal(status, 3);
	assert_string_equal(cv_error_last()->message, "the document parser refused this document");
	assert_int_equal(probe(fail, NULL, 0, std_limits(), &s, &status), CV_ERROR);
	assert_int_equal(status, 2);
	assert_non_null(strstr(cv_error_last()->message, "exit status 2"));
	assert_int_equal(probe(ok, NULL, 0, std_limits(), &s, &status), 0);
	assert_int_equal(status, 0);
	cvt_sink_free(&s);
}

/* The parser's stderr may quote the document: kept for a developer, never
 * in a message, even when it pretends to be bubblewrap failing. */
static void stderr_is_never_quoted(void **state)
{
	(void)state;
	const char *leak[] = { "stderr", "SECRET-PAGE-TEXT", "2", NULL };
	const char *spoof[] = { "stderr", "bwrap: SECRET-PAGE-TEXT", "1", NULL };
	cvt_sink s = { 0 };
	int status = 0;
	assert_int_equal(probe(leak, NULL, 0, std_limits(), &s, &status), CV_ERROR);
	assert_null(strstr(cv_error_last()->message, "SECRET"));
	assert_string_equal(cv__sandbox_diag(), "SECRET-PAGE-TEXT\n");
	assert_int_equal(probe(spoof, NULL, 0, std_limits(), &s, &status), CV_ERROR);
	assert_int_equal(status, 1);
	assert_null(strstr(cv_error_last()->message, "SECRET"));
	cv__sandbox_diag_clear();
	assert_string_equal(cv__sandbox_diag(), "");
	cvt_sink_free(&s);
}

static void bad_arguments_are_refused(void **state)
{
	(void)state;
	const char *argv[] = { "echo", NULL };
	int status = 0;
	assert_int_equal(cv__sandbox_run("sandbox_probe", argv, NULL, 0, std_limits(), NULL, NULL, &status), CV_EINVAL);
	assert_int_equal(status, CV_SANDBOX_NOT_RUN);
	assert_int_equal(cv__sandbox_run(CV_TEST_TMP "/no-such-parser", argv, NULL, 0, std_limits(), NULL, NULL, &status),
		CV_EUNSUPPORTED);
	assert_non_null(strstr(cv_error_last()->message, "not installed"));
	cv_sandbox_limits l = limits(0, 10, 0, 10);
	assert_int_equal(cv__sandbox_run(CV_SANDBOX_PROBE, argv, NULL, 0, &l, NULL, NULL, &status), CV_EINVAL);
}

#define THREADS 4
#define RUNS 3

typedef struct echo_job {
	size_t n;
	int failures;
} echo_job;

static void *echo_thread(void *u)
{
	echo_job *j = u;
	unsigned char *doc = malloc(j->n);
	const char *argv[] = { "echo", NULL };
	for (int i = 0; i < RUNS; i++) {
		cvt_fill(doc, j->n, (uint64_t)(j->n + (size_t)i));
		cvt_sink s = { 0 };
		int rc = cv__sandbox_run(CV_SANDBOX_PROBE, argv, doc, j->n, std_limits(), cvt_sink_cb, &s, NULL);
		j->failures += rc || s.len != j->n || memcmp(s.data, doc, j->n);
		cvt_sink_free(&s);
	}
	free(doc);
	return NULL;
}

static void runs_from_several_threads_at_once(void **state)
{
	(void)state;
	pthread_t t[THREADS];
	echo_job jobs[THREADS];
	for (int i = 0; i < THREADS; i++) {
		jobs[i] = (echo_job){ (size_t)(i + 1) * 70000, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, echo_thread, &jobs[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(jobs[i].failures, 0);
	}
}

/* Every child reaped: bwrap by the run; what it started is not ours. */
static void no_child_is_left(void **state)
{
	(void)state;
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

int main(void)
{
	if (!cv__sandbox_available()) {
		printf("# skipped: %s\n", cv_error_last()->message);
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(echo_round_trips_a_mebibyte),
		cmocka_unit_test(environment_is_clean),
		cmocka_unit_test(network_is_unreachable),
		cmocka_unit_test(host_files_are_out_of_reach),
		cmocka_unit_test(only_the_three_fds_are_open),
		cmocka_unit_test(ptrace_and_writing_the_document_are_refused),
		cmocka_unit_test(new_namespaces_are_refused),
		cmocka_unit_test(cpu_limit_stops_a_spin),
		cmocka_unit_test(wall_limit_stops_a_sleep),
		cmocka_unit_test(memory_limit_fails_clearly),
		cmocka_unit_test(output_limit_stops_a_flood),
		cmocka_unit_test(callback_stops_the_parser),
		cmocka_unit_test(crash_is_reported),
		cmocka_unit_test(exit_statuses_are_mapped),
		cmocka_unit_test(stderr_is_never_quoted),
		cmocka_unit_test(bad_arguments_are_refused),
		cmocka_unit_test(runs_from_several_threads_at_once),
		cmocka_unit_test(no_child_is_left),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
