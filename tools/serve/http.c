/* casevault serve — the HTTP core: the libmicrohttpd daemon, one request's
 * path from the first header to the answer (path checks, routing, session,
 * body, CSRF, access check, handler), the answer and its security headers,
 * and the service's life: sv__start (state, work directory, daemon),
 * sv__stop (clean stop), and sv_run between them (signals).
 *
 * Ownership: sv__start makes the sv_server, which owns the daemon, the work
 * directory and the TLS key; sv__stop frees them all. sv_run does both for
 * the command; the fuzzer (tests/fuzz/fuzz_serve_request.c) starts a
 * daemon without a listening socket and hands it socketpairs.
 * Each request's sv_req / sv_resp are freed at MHD's completion callback.
 * Thread-safety: a pool of threads, one per core, each serving its
 * connections with epoll (MHD_OPTION_THREAD_POOL_SIZE): a thread per
 * connection made 32 clients queue on two cores in 32 threads and on the
 * users' handle pools, with a p99 three times the median. Pages are short
 * (long work runs as jobs in threads of their own); a login's scrypt holds
 * its thread ~0.1 s. Shared
 * state is only touched through session.c, pool.c and job.c, which lock;
 * the in-flight counter has its own lock. */
#include "http.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* ---------------------------------------------------------------- helpers */

static int isalnum_ascii(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int sv__random_hex(char *out, size_t nbytes)
{
	unsigned char raw[64];
	static const char hex[] = "0123456789abcdef";
	if (nbytes > sizeof raw || RAND_bytes(raw, (int)nbytes) != 1)
		return -1;
	for (size_t i = 0; i < nbytes; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[2 * nbytes] = '\0';
	OPENSSL_cleanse(raw, sizeof raw);
	return 0;
}

/* Session ids and CSRF tokens: compared without an early exit, so that the
 * time taken says nothing about how much of a guess was right. */
int sv__ct_streq(const char *a, const char *b)
{
	if (!a || !b)
		return 0;
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb || la == 0)
		return 0;
	return CRYPTO_memcmp(a, b, la) == 0;
}

/* Decoded paths only ever name routes, never files; still, anything that
 * looks like a way out of a tree is refused outright. */
int sv__path_ok(const char *p)
{
	if (!p || p[0] != '/')
		return 0;
	if (strstr(p, "..") || strstr(p, "//") || strchr(p, '\\') || strstr(p, "%00"))
		return 0;
	for (const unsigned char *c = (const unsigned char *)p; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return 0;
	return 1;
}

/* A redirect target we accept from a form ("next"): a path on this site. */
int sv__is_local_path(const char *p)
{
	return p && p[0] == '/' && p[1] != '/' && !strchr(p, '\\') && !strchr(p, ':') && strlen(p) < 512 &&
		sv__path_ok(p);
}

/* Overwrite, then unlink: the work directory holds plaintext bundles and
 * copies; tmpfs pages are reused. */
void sv__wipe_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		struct stat st;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
			static const char zeros[65536];
			off_t left = st.st_size;
			while (left > 0) {
				size_t n = left > (off_t)sizeof zeros ? sizeof zeros : (size_t)left;
				ssize_t w = write(fd, zeros, n);
				if (w <= 0)
					break;
				left -= w;
			}
			(void)fdatasync(fd);
		}
		close(fd);
	}
	unlink(path);
}

const char *sv__header(const sv_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

/* --------------------------------------------------------------- accessors */

const char *sv_method(const sv_req *r) { return r->method; }
const char *sv_path(const sv_req *r) { return r->path; }
int sv_is_api(const sv_req *r) { return r->api; }
const char *sv_user(const sv_req *r) { return r->user; }
const char *sv_roles(const sv_req *r) { return r->roles ? r->roles : ""; }
cv_archive *sv_archive(sv_req *r) { return r->arch; }
const char *sv_csrf(const sv_req *r) { return r->csrf ? r->csrf : ""; }
const char *sv_work_dir(const sv_req *r) { return r->srv->work_dir; }

const char *sv_param(const sv_req *r, unsigned i)
{
	return i < SV_MAX_PARAMS && r->params[i] ? r->params[i] : "";
}

const char *sv_query(const sv_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

int sv_has_role(const sv_req *r, const char *role)
{
	const char *p = r->roles;
	size_t n = strlen(role);
	while (p && *p) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == n && !strncmp(p, role, n))
			return 1;
		p = e ? e + 1 : NULL;
	}
	return 0;
}

int sv_allowed(const sv_req *r, const char *action)
{
	return r->arch && action && cv_access_allowed(r->arch, action) == 1;
}

char *sv_work_path(const sv_req *r, const char *prefix, const char *suffix)
{
	char rnd[33];
	if (sv__random_hex(rnd, 16))
		return NULL;
	size_t n = strlen(r->srv->work_dir) + strlen(prefix) + strlen(suffix ? suffix : "") + 40;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s-%s%s", r->srv->work_dir, prefix, rnd, suffix ? suffix : "");
	return p;
}

/* ---------------------------------------------------------------- answers */

/* The body lives after a small header holding its capacity, so that the
 * free callback MHD calls once the answer is sent can wipe it: answers
 * carry personal data. */
#define SV_PREFIX 16

static int resp_grow(sv_resp *o, size_t more)
{
	if (o->oom)
		return -1;
	if (o->len + more + 1 <= o->cap)
		return 0;
	size_t cap = o->cap ? o->cap : 4096;
	while (cap < o->len + more + 1)
		cap *= 2;
	char *base = malloc(cap + SV_PREFIX);
	if (!base) {
		o->oom = 1;
		return -1;
	}
	*(size_t *)base = cap;
	if (o->buf) {
		memcpy(base + SV_PREFIX, o->buf, o->len);
		char *old = o->buf - SV_PREFIX;
		OPENSSL_cleanse(old, o->cap + SV_PREFIX);
		free(old);
	}
	o->buf = base + SV_PREFIX;
	o->cap = cap;
	return 0;
}

static void body_free_cb(void *cls)
{
	char *base = cls;
	if (base) {
		OPENSSL_cleanse(base, *(size_t *)base + SV_PREFIX);
		free(base);
	}
}

static void stream_free(void *cls);

void sv__resp_reset_body(sv_resp *o)
{
	if (o->buf)
		OPENSSL_cleanse(o->buf, o->len);
	o->len = 0;
	if (o->stream) {
		stream_free(o->stream);
		o->stream = NULL;
	}
}

void sv_status(sv_resp *o, int code) { o->status = code; }

void sv_type(sv_resp *o, const char *content_type)
{
	char *t = strdup(content_type);
	if (!t) {
		o->oom = 1;
		return;
	}
	free(o->type);
	o->type = t;
}

void sv_header(sv_resp *o, const char *name, const char *value)
{
	/* Header injection: a value never spans lines. */
	if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n"))
		return;
	sv_hdr *h = calloc(1, sizeof *h);
	if (!h || !(h->name = strdup(name)) || !(h->value = strdup(value))) {
		if (h)
			free(h->name);
		free(h);
		o->oom = 1;
		return;
	}
	h->next = o->headers;
	o->headers = h;
}

void sv_write(sv_resp *o, const void *data, size_t len)
{
	if (!len || resp_grow(o, len))
		return;
	memcpy(o->buf + o->len, data, len);
	o->len += len;
	o->buf[o->len] = '\0';
}

static void resp_vprintf(sv_resp *o, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n <= 0 || resp_grow(o, (size_t)n))
		return;
	vsnprintf(o->buf + o->len, (size_t)n + 1, fmt, ap);
	o->len += (size_t)n;
}

void sv_printf(sv_resp *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	resp_vprintf(o, fmt, ap);
	va_end(ap);
}

void sv_redirect(sv_resp *o, const char *location)
{
	const char *to = location && location[0] == '/' && location[1] != '/' && !strchr(location, '\\') ? location : "/";
	o->status = 303;
	sv_header(o, "Location", to);
}

void sv_json(sv_resp *o, int status, json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	json_decref(v);
	sv__resp_reset_body(o);
	sv_type(o, "application/json");
	if (!s) {
		o->status = 500;
		static const char e[] = "{\"error\":{\"status\":500,\"message\":\"Erreur interne du service.\"}}";
		sv_write(o, e, sizeof e - 1);
		return;
	}
	o->status = status;
	sv_write(o, s, strlen(s));
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

/* The French documents the library renders (the slip, the register, the
 * certificate) carry their print styles in <style> blocks so that they stay
 * one file when saved. Rather than 'unsafe-inline', the answer's CSP allows
 * exactly those blocks by their SHA-256 (CSP level 2 hashes); a style
 * injected anywhere else still fails. */
static void allow_document_styles(sv_resp *o)
{
	char acc[1024] = "";
	size_t used = 0;
	for (const char *p = o->buf; p && (p = strstr(p, "<style>")) != NULL;) {
		const char *start = p + 7, *end = strstr(start, "</style>");
		if (!end)
			break;
		unsigned char h[32], b64[48];
		unsigned int hl = 0;
		if (!EVP_Digest(start, (size_t)(end - start), h, &hl, EVP_sha256(), NULL))
			break;
		EVP_EncodeBlock(b64, h, 32);
		int n = snprintf(acc + used, sizeof acc - used, " 'sha256-%s'", (const char *)b64);
		if (n < 0 || (size_t)n >= sizeof acc - used)
			break;
		used += (size_t)n;
		p = end + 8;
	}
	free(o->style_hashes);
	o->style_hashes = used ? strdup(acc) : NULL;
}

/* A large file (a copy of many scans) is not read into memory: the answer
 * reads it from its descriptor as it goes. A file to remove is unlinked at
 * once (nobody else can open it) and overwritten through the descriptor
 * when the answer is done. */
struct sv_stream {
	int fd;
	int wipe;
	uint64_t size;
};

#define SV_STREAM_FROM (8u << 20)

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sv_stream *st = cls;
	ssize_t n = pread(st->fd, buf, max, (off_t)pos);
	return n > 0 ? n : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void stream_free(void *cls)
{
	struct sv_stream *st = cls;
	if (st->wipe) {
		static const char zeros[65536];
		for (uint64_t off = 0; off < st->size;) {
			size_t n = st->size - off > sizeof zeros ? sizeof zeros : (size_t)(st->size - off);
			ssize_t w = pwrite(st->fd, zeros, n, (off_t)off);
			if (w <= 0)
				break;
			off += (uint64_t)w;
		}
		(void)fdatasync(st->fd);
	}
	close(st->fd);
	free(st);
}

static int stream_file(sv_resp *o, const char *path, int fd, const struct stat *st, int unlink_after)
{
	int wfd = fd;
	if (unlink_after) {
		/* read-write, to overwrite it once sent */
		wfd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (wfd < 0)
			return CV_ERROR;
		unlink(path);
	}
	struct sv_stream *s = calloc(1, sizeof *s);
	if (!s) {
		close(wfd);
		return CV_ENOMEM;
	}
	s->fd = wfd;
	s->wipe = unlink_after;
	s->size = (uint64_t)st->st_size;
	if (o->stream)
		stream_free(o->stream);
	o->stream = s;
	return 0;
}

static void content_disposition(sv_resp *o, const char *download_name);

int sv_send_file(sv_resp *o, const char *path, const char *type, const char *download_name, int unlink_after)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return CV_ENOTFOUND;
	}
	sv__resp_reset_body(o);
	if ((uint64_t)st.st_size >= SV_STREAM_FROM && !(type && !strncmp(type, "text/html", 9))) {
		int rc = stream_file(o, path, fd, &st, unlink_after);
		if (rc)
			return rc;
		sv_type(o, type ? type : "application/octet-stream");
		if (download_name)
			content_disposition(o, download_name);
		return 0;
	}
	if (resp_grow(o, (size_t)st.st_size)) {
		close(fd);
		return CV_ENOMEM;
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, o->buf + got, (size_t)st.st_size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got != (size_t)st.st_size)
		return CV_ERROR;
	o->len = got;
	o->buf[got] = '\0';
	sv_type(o, type ? type : "application/octet-stream");
	if (download_name)
		content_disposition(o, download_name);
	if (unlink_after)
		sv__wipe_file(path);
	if (type && !strncmp(type, "text/html", 9))
		allow_document_styles(o);
	return 0;
}

static void content_disposition(sv_resp *o, const char *download_name)
{
	{
		/* Only a safe ASCII name in the plain parameter; the UTF-8 one in filename*. */
		char plain[128], enc[512];
		size_t pi = 0, ei = 0;
		for (const unsigned char *c = (const unsigned char *)download_name; *c && ei + 4 < sizeof enc; c++) {
			if (pi + 1 < sizeof plain)
				plain[pi++] = (isalnum_ascii(*c) || strchr("._-", *c)) ? (char)*c : '_';
			if (isalnum_ascii(*c) || strchr("._-", *c))
				enc[ei++] = (char)*c;
			else
				ei += (size_t)snprintf(enc + ei, sizeof enc - ei, "%%%02X", *c);
		}
		plain[pi] = enc[ei] = '\0';
		char cd[768];
		snprintf(cd, sizeof cd, "attachment; filename=\"%s\"; filename*=UTF-8''%s", plain, enc);
		sv_header(o, "Content-Disposition", cd);
	}
}

/* ---------------------------------------------------------------- routing */

typedef struct route_table {
	const sv_route *routes;
	int public;
} route_table;

/* Built by the compiler: shared by every request thread, never written. */
static const route_table TABLES[] = {
	{ sv__public_routes, 1 },
	{ sv__core_routes, 0 },
	{ sv_routes_dpo, 0 },
	{ sv_routes_maft, 0 },
	{ sv_routes_director, 0 },
	{ sv_routes_audit, 0 },
	{ sv_routes_archivist, 0 },
	{ sv_routes_api, 0 },
	{ NULL, 0 },
};

static const route_table *tables(void)
{
	return TABLES;
}

static int seg_ok(const char *s, size_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum_ascii((unsigned char)s[i]) && !strchr("._-", s[i]))
			return 0;
	return 1;
}

/* '*' stands for one segment of [A-Za-z0-9._-]+; everything else is literal.
 * On a match, params[] receive the starred segments (malloc'd). */
static int pattern_match(const char *pat, const char *path, char **params)
{
	unsigned np = 0;
	while (*pat && *path) {
		if (*pat == '*') {
			size_t n = strcspn(path, "/");
			if (!seg_ok(path, n) || np >= SV_MAX_PARAMS)
				goto no;
			if (params && !(params[np] = strndup(path, n)))
				goto no;
			np++;
			pat++;
			path += n;
		} else if (*pat++ != *path++) {
			goto no;
		}
	}
	if (!*pat && !*path)
		return 1;
no:
	if (params)
		for (unsigned i = 0; i < np; i++) {
			free(params[i]);
			params[i] = NULL;
		}
	return 0;
}

/* 1 found, 0 no route for this path, -1 the path exists with other
 * methods (listed in allow, for the 405's Allow header). */
static int route_find(sv_req *r, char *allow, size_t allowsz)
{
	int other = 0;
	allow[0] = '\0';
	for (const route_table *t = tables(); t->routes; t++)
		for (const sv_route *rt = t->routes; rt->method; rt++) {
			if (!pattern_match(rt->pattern, r->path, NULL))
				continue;
			if (strcmp(rt->method, r->method)) {
				if (!strstr(allow, rt->method))
					snprintf(allow + strlen(allow), allowsz - strlen(allow), "%s%s", other ? ", " : "",
						rt->method);
				other = 1;
				continue;
			}
			if (!pattern_match(rt->pattern, r->path, r->params))
				return 0;
			r->route = rt;
			r->route_public = t->public;
			return 1;
		}
	return other ? -1 : 0;
}

/* ------------------------------------------------------------ the answer */

/* connect-src 'self': the upload form's progress bar sends the form with
 * XMLHttpRequest to the service itself (app.js); nothing else connects. */
#define SV_CSP_HEAD "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'"
#define SV_CSP_TAIL "; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

static const char *const SECURITY_HEADERS[][2] = {
	{ "Content-Security-Policy", SV_CSP_HEAD SV_CSP_TAIL },
	{ "X-Content-Type-Options", "nosniff" },
	/* same-origin, not no-referrer: under no-referrer browsers send
	 * "Origin: null" with our own forms, and the login form's origin check
	 * (core_pages.c) could not tell them from a forged one. Nothing leaves
	 * for another site either way. */
	{ "Referrer-Policy", "same-origin" },
	{ "X-Frame-Options", "DENY" },
	{ "Cross-Origin-Opener-Policy", "same-origin" },
};

/* In flight, for the stop to wait on: from the moment the request is
 * complete or answered until MHD's completion callback. A request still
 * waiting for its body is not: a client that stalls mid-body would hold
 * the stop back for the whole wait, and MHD_stop_daemon waits for the
 * handlers running on its threads anyway. */
static void req_busy(sv_req *r)
{
	if (r->busy)
		return;
	r->busy = 1;
	pthread_mutex_lock(&r->srv->inflight_lock);
	r->srv->inflight++;
	pthread_mutex_unlock(&r->srv->inflight_lock);
}

static enum MHD_Result answer(sv_req *r, sv_resp *o, int *status_out)
{
	struct MHD_Response *m;
	req_busy(r);
	if (o->oom) {
		sv__resp_reset_body(o);
		o->oom = 0;
		o->status = 500;
	}
	if (o->stream) {
		m = MHD_create_response_from_callback(o->stream->size, 64 * 1024, stream_read, o->stream, stream_free);
		if (m)
			o->stream = NULL;
	} else if (o->buf) {
		char *base = o->buf - SV_PREFIX;
		m = MHD_create_response_from_buffer_with_free_callback_cls(o->len, o->buf, body_free_cb, base);
		if (m)
			o->buf = NULL, o->len = o->cap = 0;
	} else {
		m = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	if (!m)
		return MHD_NO;
	for (size_t i = o->style_hashes ? 1 : 0; i < sizeof SECURITY_HEADERS / sizeof *SECURITY_HEADERS; i++)
		MHD_add_response_header(m, SECURITY_HEADERS[i][0], SECURITY_HEADERS[i][1]);
	if (o->style_hashes) {
		char csp[1400];
		snprintf(csp, sizeof csp, SV_CSP_HEAD "%s" SV_CSP_TAIL, o->style_hashes);
		MHD_add_response_header(m, "Content-Security-Policy", csp);
	}
	MHD_add_response_header(m, "Cache-Control", o->cacheable ? "public, max-age=3600" : "no-store");
	if (r->srv->secure)
		MHD_add_response_header(m, "Strict-Transport-Security", "max-age=31536000");
	MHD_add_response_header(m, "Content-Type", o->type ? o->type : "text/html; charset=utf-8");
	for (sv_hdr *h = o->headers; h; h = h->next)
		MHD_add_response_header(m, h->name, h->value);
	if (r->set_cookie)
		MHD_add_response_header(m, "Set-Cookie", r->set_cookie);
	int st = o->status ? o->status : 200;
	enum MHD_Result ok = MHD_queue_response(r->conn, (unsigned)st, m);
	MHD_destroy_response(m);
	*status_out = st;
	r->done = 1;
	return ok;
}

static void resp_free(sv_resp *o)
{
	if (o->buf) {
		char *base = o->buf - SV_PREFIX;
		OPENSSL_cleanse(base, o->cap + SV_PREFIX);
		free(base);
	}
	free(o->type);
	free(o->style_hashes);
	if (o->stream)
		stream_free(o->stream);
	for (sv_hdr *h = o->headers, *n; h; h = n) {
		n = h->next;
		free(h->name);
		free(h->value);
		free(h);
	}
}

/* ------------------------------------------------------------ a request */

typedef struct conn_state {
	sv_req req;
	int status;
} conn_state;

static void req_free(sv_req *r)
{
	sv__body_free(r);
	if (r->arch && r->pool)
		sv__pool_return(r->pool, r->arch);
	if (r->pool)
		sv__pool_put(r->pool);
	for (unsigned i = 0; i < SV_MAX_PARAMS; i++)
		free(r->params[i]);
	if (r->sid)
		OPENSSL_cleanse(r->sid, strlen(r->sid));
	if (r->csrf)
		OPENSSL_cleanse(r->csrf, strlen(r->csrf));
	free(r->sid);
	free(r->csrf);
	free(r->user);
	free(r->roles);
	free(r->method);
	free(r->path);
	if (r->set_cookie)
		OPENSSL_cleanse(r->set_cookie, strlen(r->set_cookie));
	free(r->set_cookie);
	free(r->job_value);
}

/* An answer the core decides itself (no handler run). */
static enum MHD_Result core_error(conn_state *cs, int status, const char *msg_fr)
{
	sv_resp o = { 0 };
	sv_error(&o, &cs->req, status, msg_fr);
	enum MHD_Result ok = answer(&cs->req, &o, &cs->status);
	resp_free(&o);
	return ok;
}

static enum MHD_Result core_error_allow(conn_state *cs, const char *allow)
{
	sv_resp o = { 0 };
	sv_error(&o, &cs->req, 405, "Cette action n'est pas possible à cette adresse.");
	sv_header(&o, "Allow", allow);
	enum MHD_Result ok = answer(&cs->req, &o, &cs->status);
	resp_free(&o);
	return ok;
}

static enum MHD_Result core_redirect(conn_state *cs, const char *to)
{
	sv_resp o = { 0 };
	sv_redirect(&o, to);
	enum MHD_Result ok = answer(&cs->req, &o, &cs->status);
	resp_free(&o);
	return ok;
}

static int unsafe_method(const char *m)
{
	return !strcmp(m, "POST") || !strcmp(m, "PUT") || !strcmp(m, "PATCH") || !strcmp(m, "DELETE");
}

/* The session named by the cookie, copied into the request with a
 * reference on the user's pool: 0, or -1 when there is none. */
static int req_session(sv_req *r)
{
	const char *sid = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, r->srv->cookie_name);
	sv_session_view v;
	if (!sid || sv__session_find(r->srv, sid, &v))
		return -1;
	r->pool = sv__pool_get(v.user);
	if (!r->pool) {
		OPENSSL_cleanse(&v, sizeof v);
		return -1;
	}
	r->sid = strdup(v.sid);
	r->csrf = strdup(v.csrf);
	r->user = strdup(v.user);
	r->roles = strdup(v.roles);
	OPENSSL_cleanse(&v, sizeof v);
	return r->sid && r->csrf && r->user && r->roles ? 0 : -1;
}

static enum MHD_Result req_no_session(conn_state *cs)
{
	sv_req *r = &cs->req;
	if (r->api)
		return core_error(cs, 401, "Session absente ou expirée : connectez-vous.");
	if (!strcmp(r->method, "GET") && strcmp(r->path, "/") && strlen(r->path) < 400) {
		char to[512];
		snprintf(to, sizeof to, "/login?next=%s", r->path);
		return core_redirect(cs, to);
	}
	return core_redirect(cs, "/login");
}

/* The first call: everything that can be decided from the headers. */
static enum MHD_Result req_begin(conn_state *cs)
{
	sv_req *r = &cs->req;
	if (!sv__path_ok(r->path))
		return core_error(cs, 400, "Adresse invalide.");
	r->api = !strncmp(r->path, "/api/", 5);
	char allow[64];
	int f = route_find(r, allow, sizeof allow);
	if (f == 0)
		return core_error(cs, 404, "Cette page n'existe pas.");
	if (f < 0)
		return core_error_allow(cs, allow);
	if (!r->route_public && req_session(r))
		return req_no_session(cs);
	if (!unsafe_method(r->method))
		return MHD_YES;
	const char *ct = sv__header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
	const char *cl = sv__header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
	int multipart = ct && !strncasecmp(ct, "multipart/form-data", 19);
	uint64_t limit = r->srv->max_body + (multipart && r->pool ? r->srv->max_upload : 0);
	if (cl && strtoull(cl, NULL, 10) > limit)
		return core_error(cs, 413, "Les données envoyées sont trop volumineuses.");
	if (sv__body_begin(r, ct))
		return core_error(cs, 500, "Le service n'a pas pu lire la demande.");
	/* JSON bodies are the API's, which needs a session: a public route
	 * (POST /login) only counts and drops one, so that nothing parses
	 * JSON for someone who has not logged in. */
	if (!r->pool && r->body_kind == SV_BODY_JSON)
		r->body_kind = SV_BODY_OTHER;
	return MHD_YES;
}

/* The form's or header's CSRF token against the session's. */
static int csrf_ok(sv_req *r)
{
	if (r->csrf_early < 0)
		return 0;
	const char *t = sv_form(r, "csrf");
	if (!t)
		t = sv__header(r, "X-CSRF-Token");
	return sv__ct_streq(t, r->csrf);
}

static void run_handler(sv_req *r, sv_resp *o)
{
	if (r->pool) {
		r->arch = sv__pool_checkout(r->pool);
		if (!r->arch) {
			sv_fail(o, r, "Le service n'a pas pu ouvrir l'archive");
			return;
		}
	}
	if (r->route->action && r->arch) {
		int rc = cv_access_require(r->arch, r->route->action, NULL);
		if (rc == CV_EDENIED) {
			sv_error(o, r, 403, "Vos rôles ne permettent pas cette action.");
			return;
		}
		if (rc) {
			sv_fail(o, r, "L'autorisation n'a pas pu être vérifiée");
			return;
		}
	}
	r->route->fn(o, r);
	/* Back to the pool now, not when the connection closes. */
	if (r->arch) {
		sv__pool_return(r->pool, r->arch);
		r->arch = NULL;
	}
}

/* The last call: the body is complete. */
static enum MHD_Result req_finish(conn_state *cs)
{
	sv_req *r = &cs->req;
	req_busy(r);
	if (sv__body_end(r) && !r->too_large && !r->bad_body && r->csrf_early >= 0)
		return core_error(cs, 500, "Le service n'a pas pu lire la demande.");
	if (r->too_large)
		return core_error(cs, 413, "Les données envoyées sont trop volumineuses.");
	if (r->pool && unsafe_method(r->method) && !csrf_ok(r))
		return core_error(cs, 403, "Le formulaire a expiré ou ne vient pas de ce site : rechargez la page.");
	if (r->bad_body)
		return core_error(cs, 400, "Les données envoyées sont illisibles.");
	sv_resp o = { 0 };
	run_handler(r, &o);
	enum MHD_Result ok = answer(r, &o, &cs->status);
	resp_free(&o);
	return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	sv_server *s = cls;
	conn_state *cs = *con_cls;
	(void)version;
	if (!cs) {
		if (!(cs = calloc(1, sizeof *cs)))
			return MHD_NO;
		*con_cls = cs;
		sv_req *r = &cs->req;
		clock_gettime(CLOCK_MONOTONIC, &r->start);
		r->srv = s;
		r->conn = conn;
		r->method = strdup(!strcmp(method, "HEAD") ? "GET" : method);
		r->path = strdup(url);
		if (!r->method || !r->path)
			return MHD_NO;
		return req_begin(cs);
	}
	sv_req *r = &cs->req;
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (r->done)
			return MHD_YES; /* answered early: the rest is not read */
		if (sv__body_feed(r, upload_data, n) && r->too_large) {
			/* Answer now if MHD lets us; else close the connection. */
			return core_error(cs, 413, "Les données envoyées sont trop volumineuses.");
		}
		return MHD_YES;
	}
	if (r->done)
		return MHD_YES;
	return req_finish(cs);
}

/* One line per request: no query string, no user, no id from the path. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	sv_server *s = cls;
	conn_state *cs = *con_cls;
	(void)conn;
	(void)toe;
	if (!cs)
		return;
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	long ms = (long)((end.tv_sec - cs->req.start.tv_sec) * 1000 + (end.tv_nsec - cs->req.start.tv_nsec) / 1000000);
	if (s->access_log)
		s->access_log(&cs->req, cs->status, ms, s->access_cls);
	else
		fprintf(stderr, "casevault: serve: %s %s %d %ld ms\n", cs->req.method ? cs->req.method : "-",
			cs->req.route ? cs->req.route->pattern : "-", cs->status ? cs->status : 0, ms);
	int busy = cs->req.busy;
	req_free(&cs->req);
	free(cs);
	*con_cls = NULL;
	if (busy) {
		pthread_mutex_lock(&s->inflight_lock);
		s->inflight--;
		pthread_cond_broadcast(&s->inflight_cond);
		pthread_mutex_unlock(&s->inflight_lock);
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decoding of the path and the query, except %00: a NUL would cut
 * the string short unseen, so it stays as "%00" and the path check refuses
 * it. '+' in the query is MHD's business (it decodes it first). */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	char *w = s;
	for (const char *p = s; *p; p++) {
		int hi, lo;
		if (p[0] == '%' && p[1] && p[2] && (hi = hexval(p[1])) >= 0 && (lo = hexval(p[2])) >= 0 && (hi | lo)) {
			*w++ = (char)(hi * 16 + lo);
			p += 2;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

/* ------------------------------------------------------------ the service */

/* Our own directory under the given one (or a tmpfs): we may wipe what is
 * in it at stop without touching anybody else's files. */
static char *work_dir_make(const char *given)
{
	const char *base = given;
	if (!base) {
		const char *x = getenv("XDG_RUNTIME_DIR");
		struct stat st;
		base = x && *x && stat(x, &st) == 0 && S_ISDIR(st.st_mode) ? x : "/dev/shm";
	}
	size_t n = strlen(base) + 64;
	char *d = malloc(n);
	if (!d)
		return NULL;
	snprintf(d, n, "%s/casevault-serve-%ld", base, (long)getpid());
	if (mkdir(d, 0700) && errno != EEXIST) {
		free(d);
		return NULL;
	}
	struct stat st;
	if (lstat(d, &st) || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() || chmod(d, 0700)) {
		free(d);
		return NULL;
	}
	return d;
}

static void work_dir_remove(const char *d)
{
	DIR *dir = opendir(d);
	if (dir) {
		struct dirent *e;
		while ((e = readdir(dir))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			char p[4096];
			snprintf(p, sizeof p, "%s/%s", d, e->d_name);
			sv__wipe_file(p);
		}
		closedir(dir);
	}
	rmdir(d);
}

static char *read_pem(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = malloc(1 << 20);
	size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
	int ok = buf && !ferror(f) && feof(f) && n > 0;
	fclose(f);
	if (!ok) {
		if (buf)
			OPENSSL_cleanse(buf, 1 << 20);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

static void pem_free(char *p)
{
	if (p) {
		OPENSSL_cleanse(p, strlen(p));
		free(p);
	}
}

/* "ADDR:PORT", "[V6]:PORT" or ":PORT" into a socket address. */
static int parse_listen(const char *l, struct sockaddr_storage *ss, socklen_t *len, char *host, size_t hostsz,
	unsigned *port)
{
	const char *colon = strrchr(l, ':');
	if (!colon || !colon[1])
		return -1;
	size_t hl = (size_t)(colon - l);
	if (hl >= hostsz)
		return -1;
	memcpy(host, l, hl);
	host[hl] = '\0';
	if (host[0] == '[' && hl >= 2 && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	char *end;
	unsigned long p = strtoul(colon + 1, &end, 10);
	if (*end || p == 0 || p > 65535)
		return -1;
	*port = (unsigned)p;
	struct addrinfo hints = { 0 }, *res = NULL;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &res) || !res)
		return -1;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	if (!host[0])
		snprintf(host, hostsz, "%s", ss->ss_family == AF_INET6 ? "::" : "0.0.0.0");
	return 0;
}

static int server_init(sv_server *s, const sv_config *cfg, const sv_start_opts *opts)
{
	memset(s, 0, sizeof *s);
	s->cfg = cfg;
	s->tls = cfg->tls_cert && cfg->tls_key;
	s->secure = s->tls || cfg->behind_tls_proxy;
	s->cookie_name = s->secure ? "__Host-cv_session" : "cv_session";
	s->idle_s = cfg->idle_timeout_s ? cfg->idle_timeout_s : 900;
	s->absolute_s = cfg->absolute_timeout_s ? cfg->absolute_timeout_s : 28800;
	s->max_body = cfg->max_body ? cfg->max_body : (size_t)1 << 20;
	s->max_upload = cfg->max_upload ? cfg->max_upload : (uint64_t)512 << 20;
	/* one thread per core (at least two): more made the tail longer, not
	 * the throughput higher (docs/performance.md: p99 of 32 clients 25-41 ms
	 * with 2 threads on 2 cores, 47-73 ms with 4). */
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	s->threads = cfg->threads ? cfg->threads : (unsigned)(ncpu > 2 ? ncpu : 2);
	if (s->threads > 32)
		s->threads = 32;
	/* a user's handles: one per thread that may serve them at once */
	s->pool_max = s->threads;
	s->access_log = opts->access_log;
	s->access_cls = opts->access_cls;
	pthread_mutex_init(&s->base_lock, NULL);
	pthread_mutex_init(&s->inflight_lock, NULL);
	pthread_cond_init(&s->inflight_cond, NULL);
	return sv__sessions_init();
}

/* ss NULL: no listening socket (connections come from sv__add_connection).
 * MHD_USE_ITC is what lets another thread hand the daemon a connection. */
static struct MHD_Daemon *daemon_start(sv_server *s, const struct sockaddr_storage *ss)
{
	static const struct sockaddr_storage none;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC;
	if (!ss) {
		flags |= MHD_USE_NO_LISTEN_SOCKET;
		ss = &none; /* ignored by MHD without a listening socket */
	}
	if (ss->ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (s->tls)
		flags |= MHD_USE_TLS;
	struct MHD_OptionItem tls_opts[] = {
		{ s->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, s->cert },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, s->key },
		{ MHD_OPTION_END, 0, NULL },
	};
	return MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
		MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)ss,
		MHD_OPTION_THREAD_POOL_SIZE, s->threads,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)64,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)256 * 1024,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
		MHD_OPTION_ARRAY, tls_opts,
		MHD_OPTION_END);
}

int sv__wait_idle(sv_server *s, unsigned ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&s->inflight_lock);
	while (s->inflight > 0 && pthread_cond_timedwait(&s->inflight_cond, &s->inflight_lock, &until) == 0)
		;
	int idle = s->inflight == 0;
	pthread_mutex_unlock(&s->inflight_lock);
	return idle ? 0 : CV_EBUSY;
}

int sv__add_connection(sv_server *s, int fd)
{
	/* An address of a family MHD does not count per IP (it only keys
	 * IPv4 and IPv6), so that local connections escape that limit. */
	struct sockaddr_un un;
	memset(&un, 0, sizeof un);
	un.sun_family = AF_UNIX;
	return MHD_add_connection(s->daemon, fd, (const struct sockaddr *)&un, (socklen_t)sizeof un) == MHD_YES
		? 0 : CV_ERROR;
}

/* Everything sv__start made, in reverse; each part may be missing. */
static void server_free(sv_server *s)
{
	pem_free(s->cert);
	pem_free(s->key);
	if (s->work_dir)
		work_dir_remove(s->work_dir);
	free(s->work_dir);
	pthread_mutex_destroy(&s->base_lock);
	pthread_mutex_destroy(&s->inflight_lock);
	pthread_cond_destroy(&s->inflight_cond);
	free(s);
}

/* The TLS files, the work directory and the daemon. */
static int server_open(sv_server *s, const struct sockaddr_storage *ss, const char *host, unsigned port)
{
	const sv_config *cfg = s->cfg;
	if (s->tls && (!(s->cert = read_pem(cfg->tls_cert)) || !(s->key = read_pem(cfg->tls_key)))) {
		fprintf(stderr, "casevault: serve: cannot read the TLS certificate or key file\n");
		return CV_ERROR;
	}
	if (!(s->work_dir = work_dir_make(cfg->work_dir))) {
		fprintf(stderr, "casevault: serve: cannot create a private work directory in %s (%s); --work-dir must name an "
			"existing directory of this user\n", cfg->work_dir ? cfg->work_dir : "$XDG_RUNTIME_DIR or /dev/shm",
			strerror(errno));
		return CV_ERROR;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!(s->daemon = daemon_start(s, ss))) {
		fprintf(stderr, "casevault: serve: cannot start on %s:%u (address in use or not of this host, or a TLS "
			"certificate and key that do not load)\n", host, port);
		return CV_ERROR;
	}
	if (ss)
		snprintf(s->url, sizeof s->url, "%s://%s%s%s:%u/", s->tls ? "https" : "http", strchr(host, ':') ? "[" : "",
			host, strchr(host, ':') ? "]" : "", port);
	return 0;
}

int sv__start(sv_server **out, const sv_config *cfg, const sv_start_opts *opts)
{
	static const sv_start_opts defaults;
	struct sockaddr_storage ss;
	socklen_t sl;
	char host[256] = "";
	unsigned port = 0;
	*out = NULL;
	if (!opts)
		opts = &defaults;
	if (!cfg || !cfg->base)
		return CV_EINVAL;
	if ((cfg->tls_cert != NULL) != (cfg->tls_key != NULL))
		return CV_EINVAL;
	const char *listen = cfg->listen ? cfg->listen : "127.0.0.1:8080";
	if (!opts->no_listen && parse_listen(listen, &ss, &sl, host, sizeof host, &port)) {
		fprintf(stderr, "casevault: serve: '%s' is not an address to listen on (ADDR:PORT)\n", listen);
		return CV_EINVAL;
	}
	sv_server *s = malloc(sizeof *s);
	if (!s)
		return CV_ENOMEM;
	if (server_init(s, cfg, opts)) {
		free(s);
		return CV_ENOMEM;
	}
	sv__job_server(s);
	int rc = server_open(s, opts->no_listen ? NULL : &ss, host, port);
	if (rc) {
		server_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* Stop accepting, let the requests under way finish (for a while: see
 * req_busy), then stop the daemon, the jobs, the sessions and their pools. */
void sv__stop(sv_server *s)
{
	MHD_socket ls = MHD_quiesce_daemon(s->daemon);
	if (ls != MHD_INVALID_SOCKET)
		close(ls);
	(void)sv__wait_idle(s, 30 * 1000);
	MHD_stop_daemon(s->daemon);
	sv__jobs_stop();
	sv__sessions_clear(s);
	sv__pools_clear();
	server_free(s);
}

static int wait_for_stop(sv_server *s, const sigset_t *set)
{
	for (;;) {
		struct timespec tick = { 30, 0 };
		int sig = sigtimedwait(set, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT)
			return 0;
		sv__sessions_sweep(s);
		sv__jobs_sweep(0);
	}
}

int sv_run(const sv_config *cfg)
{
	/* Blocked before any thread starts, so that every thread inherits the
	 * mask and only sigtimedwait below sees SIGTERM / SIGINT. */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	sv_server *s;
	int rc = sv__start(&s, cfg, NULL);
	if (!rc) {
		if (cfg->on_ready)
			cfg->on_ready(s->url, cfg->payload);
		wait_for_stop(s, &set);
		sv__stop(s);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}
