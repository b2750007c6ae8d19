/* libFuzzer target: the pre-authentication surface of `casevault serve`.
 * Each input is the raw bytes a client sends on one connection (one HTTP
 * request, or several pipelined), given to the real daemon (tools/serve,
 * started once with no listening socket) through a socketpair: request
 * line and headers (MHD), path decoding and checks, routing, cookies (a
 * random one is just an unknown session), the login form (urlencoded or
 * multipart, body limits), JSON bodies on /api/. Beyond what ASan / UBSan
 * catch, every answer must be well-formed HTTP and:
 *   - every answer of the service carries Content-Security-Policy and
 *     X-Content-Type-Options (MHD's own protocol errors, sent before the
 *     service sees a request, are counted apart: see wire_check);
 *   - only /login's own 303 sets a cookie;
 *   - nothing but a public route answers 200 without a session, no JSON
 *     body is parsed and no upload is written without one (checked on the
 *     server side, in the access-log hook, where the route is known).
 * One user exists with a credential: a login attempt costs an scrypt
 * (~0.1 s), so inputs that reach one are slow; the fuzzer finds them
 * rarely enough. Nothing here knows a session id, so the authenticated
 * pages stay out of reach by design.
 *
 * Ownership: the archive, the service and the temporary directory are the
 * process's, made in LLVMFuzzerInitialize and removed at exit.
 * Thread-safety: inputs run one at a time; the access-log hook runs on the
 * daemon's threads and only touches atomic counters. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "http.h"

#include <casevault.h>

#include <errno.h>
#include <linux/sockios.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHECK(cond, what)                                                   \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "harness check failed: %s\n", what); \
			abort();                                            \
		}                                                           \
	} while (0)

/* No progress for this long (nothing read or written) is a hang: one
 * login's scrypt takes ~0.1 s. Below libFuzzer's -timeout=25 of run.sh, so
 * that the harness names the hang itself. (A pipeline of a few hundred
 * logins would still exceed -timeout in total: none was seen so far.) */
#define EXCHANGE_MS 15000
#define ANSWER_MAX ((size_t)64 << 20)

static sv_server *srv;
static sv_config cfg;
static cv_archive *base;
static char tmp[64], work_dir[96];
static atomic_ulong n_requests, n_ok, n_login, n_mhd_errors;
static atomic_uchar mhd_statuses[600]; /* which statuses MHD's own answers had */
static int verbose; /* FUZZ_SERVE_VERBOSE=1: one line per request and answer (to read a reproducer) */

/* ------------------------------------------------------ server-side checks */

static int is_route(const sv_req *r, const char *method, const char *pattern)
{
	return r->route && !strcmp(r->route->method, method) && !strcmp(r->route->pattern, pattern);
}

/* The access-log hook: the request is over, its state still readable. */
static void on_request_done(const sv_req *r, int status, long ms, void *cls)
{
	(void)cls;
	if (verbose)
		fprintf(stderr, "serve: %s %s -> %d (%s%s, %ld ms)\n", r->method ? r->method : "-",
			r->route ? r->route->pattern : r->path ? r->path : "-", status, r->user ? "session" : "no session",
			r->route && r->route_public ? ", public" : "", ms);
	atomic_fetch_add(&n_requests, 1);
	if (status == 200)
		atomic_fetch_add(&n_ok, 1);
	if (is_route(r, "POST", "/login") && (status == 303 || status == 401 || status == 429))
		atomic_fetch_add(&n_login, 1); /* reached cv_user_login */
	if (!r->user) {
		CHECK(!(status == 200 && r->route && !r->route_public), "200 on a private route without a session");
		CHECK(!r->json, "a JSON body parsed without a session");
		CHECK(!r->uploads, "an upload written without a session");
	}
	if (r->set_cookie)
		CHECK((is_route(r, "POST", "/login") && status == 303) || (r->user && is_route(r, "POST", "/logout")),
			"a cookie set by another answer than the login's 303 or a logout");
}

/* ------------------------------------------------------------ wire checks */

typedef struct answer {
	int status;
	int csp, nosniff, cookie, html, close;
	int ours; /* a header MHD's own error answers lack (they have Date, Connection, Content-Length) */
	long long length; /* Content-Length, -1 when absent */
} answer;

static const char *find_crlf2(const char *p, size_t n)
{
	return memmem(p, n, "\r\n\r\n", 4);
}

static void header_line(answer *a, const char *line, size_t n)
{
	const char *colon = memchr(line, ':', n);
	CHECK(colon && colon > line, "a header line without a name");
	size_t nl = (size_t)(colon - line);
	const char *v = colon + 1;
	while (v < line + n && *v == ' ')
		v++;
	CHECK(!memchr(line, '\n', n) && !memchr(line, '\r', n), "a bare CR or LF in a header line");
#define IS(name) (nl == sizeof name - 1 && !strncasecmp(line, name, nl))
	if (!IS("Date") && !IS("Connection") && !IS("Content-Length"))
		a->ours = 1;
	if (IS("Content-Security-Policy"))
		a->csp = 1;
	else if (IS("X-Content-Type-Options"))
		a->nosniff = (size_t)(line + n - v) == 7 && !memcmp(v, "nosniff", 7);
	else if (IS("Connection"))
		a->close = (size_t)(line + n - v) == 5 && !strncasecmp(v, "close", 5);
	else if (IS("Set-Cookie"))
		a->cookie = 1;
	else if (IS("Content-Type"))
		a->html = (size_t)(line + n - v) >= 9 && !strncasecmp(v, "text/html", 9);
	else if (IS("Content-Length"))
		a->length = strtoll(v, NULL, 10);
#undef IS
}

/* One answer at p: its status line and headers; returns the head's size. */
static size_t parse_head(answer *a, const char *p, size_t n)
{
	memset(a, 0, sizeof *a);
	a->length = -1;
	CHECK(n >= 13 && (!memcmp(p, "HTTP/1.1 ", 9) || !memcmp(p, "HTTP/1.0 ", 9)), "an answer without a status line");
	CHECK(p[9] >= '1' && p[9] <= '5' && p[10] >= '0' && p[10] <= '9' && p[11] >= '0' && p[11] <= '9',
		"a status that is not three digits");
	a->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	const char *end = find_crlf2(p, n);
	CHECK(end, "an answer cut in its headers");
	const char *line = memchr(p, '\n', (size_t)(end - p) + 2) + 1;
	while (line < end + 2) {
		const char *eol = memmem(line, (size_t)(end + 2 - line), "\r\n", 2);
		header_line(a, line, (size_t)(eol - line));
		line = eol + 2;
	}
	return (size_t)(end - p) + 4;
}

/* What a body may be: HEAD answers carry Content-Length without one, so
 * a body is absent when the next answer starts right away (the service's
 * pages and MHD's never begin with "HTTP/1.") or nothing follows. */
static size_t body_size(const answer *a, const char *p, size_t n)
{
	if (a->status < 200 || a->status == 204 || a->status == 304)
		return 0;
	CHECK(a->length >= 0, "an answer without Content-Length");
	if (n == 0 || (n >= 7 && !memcmp(p, "HTTP/1.", 7)))
		return 0;
	CHECK((unsigned long long)a->length <= n, "an answer cut in its body");
	return (size_t)a->length;
}

/* Whatever the request reflects in a page (the login's "next") is escaped:
 * the only script element is the page's own. */
static void html_check(const char *body, size_t n)
{
	static const char own[] = "<script src=\"/static/app.js\" defer></script>";
	for (const char *p = body; (p = memmem(p, n - (size_t)(p - body), "<script", 7)) != NULL; p += 7)
		CHECK((size_t)(body + n - p) >= sizeof own - 1 && !memcmp(p, own, sizeof own - 1),
			"a script element in a page other than the page's own");
}

static void wire_check(const char *buf, size_t len)
{
	size_t pos = 0;
	while (pos < len) {
		answer a;
		pos += parse_head(&a, buf + pos, len - pos);
		if (a.status >= 200) {
			if (a.ours) {
				CHECK(a.csp, "an answer without Content-Security-Policy");
				CHECK(a.nosniff, "an answer without X-Content-Type-Options: nosniff");
			} else {
				/* MHD refused the request itself (malformed, too big):
				 * a constant error page of its own, then it closes. */
				CHECK(a.status >= 400 && a.close, "an answer of MHD's own that is not a closing error");
				atomic_fetch_add(&n_mhd_errors, 1);
				atomic_store(&mhd_statuses[a.status], 1);
			}
			CHECK(!a.cookie || a.status == 303, "a cookie set by an answer other than a 303");
		}
		size_t body = body_size(&a, buf + pos, len - pos);
		if (a.html)
			html_check(buf + pos, body);
		pos += body;
	}
}

/* --------------------------------------------------------------- exchange */

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct buffer {
	char *p;
	size_t len, cap;
} buffer;

/* Read what is there; 1 at EOF (or a reset: the service may close first). */
static int read_some(int fd, buffer *b)
{
	for (;;) {
		if (b->cap - b->len < 65536) {
			CHECK(b->cap < ANSWER_MAX, "more than 64 MiB of answers");
			b->cap = b->cap ? 2 * b->cap : 1 << 18;
			b->p = realloc(b->p, b->cap);
			CHECK(b->p, "out of memory");
		}
		ssize_t n = read(fd, b->p + b->len, b->cap - b->len);
		if (n > 0) {
			b->len += (size_t)n;
			continue;
		}
		if (n == 0 || errno == ECONNRESET)
			return 1;
		CHECK(errno == EAGAIN || errno == EINTR, "read from the service failed");
		return 0;
	}
}

/* Whether the service has read everything sent: on AF_UNIX, SIOCOUTQ
 * counts what the peer has not consumed yet. */
static int drained(int fd)
{
	int q = 0;
	return ioctl(fd, SIOCOUTQ, &q) == 0 && q == 0;
}

/* Send the input, end our side once the service has read it all, collect
 * the answers until it closes. Reading while writing: a big input and a
 * big answer would otherwise block each other. The end is sent only after
 * the last byte was read: MHD (epoll, edge-triggered) takes a short read
 * as "nothing more to read", so an end that arrives with the data of an
 * incomplete request goes unseen until its 120 s connection timeout. */
static void exchange(int fd, const uint8_t *data, size_t size, buffer *out)
{
	size_t sent = 0;
	int eof = 0, shut = 0;
	long deadline = now_ms() + EXCHANGE_MS;
	while (!eof) {
		if (!shut && sent == size && drained(fd)) {
			(void)shutdown(fd, SHUT_WR);
			shut = 1;
		}
		struct pollfd p = { fd, (short)(POLLIN | (sent < size ? POLLOUT : 0)), 0 };
		/* While waiting for the service to read, poll briefly: nothing
		 * wakes us when it does. */
		struct timespec wait = { 0, shut || sent < size ? 10 * 1000000 : 100 * 1000 };
		CHECK(now_ms() < deadline, "the service neither answered nor closed for 15 s");
		if (ppoll(&p, 1, &wait, NULL) < 0)
			CHECK(errno == EINTR, "poll failed");
		if (sent < size && (p.revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				sent = size; /* closed by the service: keep reading its answer */
			else if (n > 0) {
				sent += (size_t)n;
				deadline = now_ms() + EXCHANGE_MS;
			}
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			size_t had = out->len;
			eof = read_some(fd, out);
			if (out->len > had)
				deadline = now_ms() + EXCHANGE_MS;
		}
	}
}

/* The daemon frees a connection just after closing it: wait for that too,
 * so that libFuzzer counts each input's allocations and frees together. */
static void wait_closed(void)
{
	long deadline = now_ms() + EXCHANGE_MS;
	for (;;) {
		const union MHD_DaemonInfo *i = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		if (!i || i->num_connections == 0)
			return;
		CHECK(now_ms() < deadline, "a connection still open 15 s after the client's end");
		struct timespec t = { 0, 50 * 1000 };
		nanosleep(&t, NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sp[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0, "socketpair failed");
	CHECK(sv__add_connection(srv, sp[0]) == 0, "the daemon refused a connection");
	CHECK(fcntl(sp[1], F_SETFL, O_NONBLOCK) == 0, "fcntl failed");
	buffer b = { 0 };
	exchange(sp[1], data, size, &b);
	close(sp[1]);
	if (verbose)
		fprintf(stderr, "serve: %zu bytes in, %zu bytes of answers:\n%.*s\n", size, b.len,
			(int)(b.len < 2048 ? b.len : 2048), b.p ? b.p : "");
	wire_check(b.p, b.len);
	free(b.p);
	/* The completion callbacks (and the hook's checks) may run just after
	 * the close: wait, so that each input's work is its own. */
	CHECK(sv__wait_idle(srv, EXCHANGE_MS) == 0, "a request still under way 15 s after its connection closed");
	wait_closed();
	return 0;
}

/* ------------------------------------------------------------------ setup */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	(void)remove(path); /* best effort */
	return 0;
}

static void teardown(void)
{
	if (srv)
		sv__stop(srv);
	srv = NULL;
	cv_archive_free(base);
	base = NULL;
	if (tmp[0])
		nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	fprintf(stderr, "fuzz_serve_request: %lu requests, %lu answered 200, %lu logins tried (scrypt), "
		"%lu refused by MHD itself (statuses", atomic_load(&n_requests), atomic_load(&n_ok), atomic_load(&n_login),
		atomic_load(&n_mhd_errors));
	for (int st = 0; st < 600; st++)
		if (atomic_load(&mhd_statuses[st]))
			fprintf(stderr, " %d", st);
	fprintf(stderr, ")\n");
}

static void die(const char *what)
{
	const cv_error *e = cv_error_last();
	fprintf(stderr, "fuzz_serve_request: %s: %s\n", what, e && e->message[0] ? e->message : "failed");
	exit(1);
}

/* A key, an archive acting as "admin", and one user with a credential (the
 * login form's target), all in a temporary directory. */
static void make_archive(void)
{
	char key[96], arch[96];
	const char *t = getenv("TMPDIR");
	snprintf(tmp, sizeof tmp, "%s/cv-fuzz-serve-XXXXXX", t && *t && strlen(t) < 32 ? t : "/tmp");
	if (!mkdtemp(tmp))
		die("mkdtemp");
	snprintf(key, sizeof key, "%s/key", tmp);
	snprintf(arch, sizeof arch, "%s/archive", tmp);
	snprintf(work_dir, sizeof work_dir, "%s/work", tmp);
	if (mkdir(work_dir, 0700))
		die("mkdir");
	if (cv_key_generate(key))
		die("cv_key_generate");
	cv_open_options o = CV_OPEN_OPTIONS_INIT;
	o.key_file = key;
	o.actor = "admin";
	if (cv_archive_init(&base, arch, &o))
		die("cv_archive_init");
	static const char *const roles[] = { "dpo" };
	if (cv_user_add(base, "alice", roles, 1, "fuzz-credential-1"))
		die("cv_user_add");
	cfg.base = base;
	cfg.work_dir = work_dir;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	verbose = getenv("FUZZ_SERVE_VERBOSE") != NULL;
	make_archive();
	cfg.threads = 2;
	sv_start_opts opts = { .no_listen = 1, .access_log = on_request_done, .access_cls = NULL };
	if (sv__start(&srv, &cfg, &opts))
		die("sv__start");
	atexit(teardown);
	return 0;
}
