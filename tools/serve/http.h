/* casevault serve — the HTTP core's private header: the request and answer
 * as the core sees them, the server's shared state, and the functions the
 * core's files share. Page modules see only serve.h.
 *
 * Ownership: a sv_req and a sv_resp belong to the connection thread that
 * runs the request; everything they point to is freed (secrets wiped) by
 * sv__req_free / sv__resp_free. The sv_server is made by sv__start and
 * freed by sv__stop, once every connection and job thread is gone.
 * Thread-safety: sv_server's mutable parts are guarded by their own locks
 * (session.c, pool.c, job.c); sv_req / sv_resp are one thread's alone.
 */
#ifndef CV_SERVE_HTTP_H
#define CV_SERVE_HTTP_H

#include "serve.h"

#include <microhttpd.h>
#include <pthread.h>
#include <time.h>

#define SV_MAX_PARAMS 8

struct sv_pool;

/* The access log: by default one line per request on stderr. Called on the
 * connection's thread once the request is over (r still readable). */
typedef void (*sv_access_fn)(const sv_req *r, int status, long ms, void *cls);

typedef struct sv_server {
	const sv_config *cfg;
	char *work_dir;              /* our own directory, removed at stop */
	int secure;                  /* TLS or behind a TLS proxy: Secure cookies, HSTS */
	int tls;
	const char *cookie_name;     /* "cv_session" or "__Host-cv_session" */
	unsigned idle_s, absolute_s;
	size_t max_body;
	uint64_t max_upload;
	unsigned threads;            /* the daemon's thread pool */
	unsigned pool_max;
	pthread_mutex_t base_lock;   /* cfg->base is one handle: one thread at a time */
	pthread_mutex_t inflight_lock;
	pthread_cond_t inflight_cond;
	unsigned inflight;           /* requests complete or answered, not yet over (the stop waits for them) */
	struct MHD_Daemon *daemon;
	char *cert, *key;            /* TLS PEM, kept while the daemon runs, wiped at stop */
	char url[320];               /* where it listens (on_ready); "" without a socket */
	sv_access_fn access_log;     /* NULL: the line on stderr */
	void *access_cls;
} sv_server;

/* How sv__start runs the service; NULL: as the command does. */
typedef struct sv_start_opts {
	int no_listen;               /* no socket of its own: connections only come from sv__add_connection */
	sv_access_fn access_log;     /* replaces the stderr line (the fuzzer checks each request there) */
	void *access_cls;
} sv_start_opts;

/** The service without the signal wait (sv_run = sv__start, wait, sv__stop):
 * server state, work directory, daemon. 0 and *out, or a CV_E* code (a
 * message on stderr). Signals: the caller blocks what it waits for first. */
int sv__start(sv_server **out, const sv_config *cfg, const sv_start_opts *opts);
/** Hand the daemon a connected stream socket (an AF_UNIX socketpair end);
 * the daemon owns fd from now on, even on failure. 0 or CV_ERROR. */
int sv__add_connection(sv_server *s, int fd);
/** Wait until no request is being handled or answered (at most ms): 0, or
 * CV_EBUSY. Requests still waiting for their body do not count. */
int sv__wait_idle(sv_server *s, unsigned ms);
/** Stop accepting, let requests finish (30 s at most), stop the daemon,
 * jobs, sessions and pools, wipe the work directory, free s. */
void sv__stop(sv_server *s);

/* A field of a posted form, in order of arrival. */
typedef struct sv_field {
	char *name;
	char *value;
	size_t len;
	struct sv_field *next;
} sv_field;

typedef struct sv_upload_item {
	sv_upload up;
	char *field, *filename, *path;
	int fd;
	int taken;
	struct sv_upload_item *next;
} sv_upload_item;

struct sv_req {
	sv_server *srv;
	struct MHD_Connection *conn;
	char *method;                 /* HEAD is answered as GET */
	char *path;
	const sv_route *route;
	int route_public;
	char *params[SV_MAX_PARAMS];
	int api;
	struct timespec start;

	/* the session, copied at lookup (the table may drop it meanwhile) */
	char *sid;
	char *user;
	char *roles;
	char *csrf;
	struct sv_pool *pool;
	cv_archive *arch;

	/* the body */
	struct MHD_PostProcessor *pp;
	int body_kind;               /* SV_BODY_* */
	char *body;                  /* JSON: raw bytes, bounded by max_body */
	size_t body_len;
	size_t form_bytes;
	uint64_t upload_bytes;
	json_t *json;
	sv_field *fields, *last_field;
	sv_upload_item *uploads;
	int too_large;
	int bad_body;
	int csrf_early;              /* multipart: csrf field checked before a file: 1 ok, -1 bad */
	int done;                    /* answer queued */
	int busy;                    /* counted in srv->inflight (complete or answered: http.c, req_busy) */

	char *set_cookie;            /* the core's Set-Cookie, if any */
	char *job_value;             /* sv_job_value_of's copy, the request's */
};

enum { SV_BODY_NONE, SV_BODY_FORM, SV_BODY_JSON, SV_BODY_OTHER };

typedef struct sv_hdr {
	char *name, *value;
	struct sv_hdr *next;
} sv_hdr;

struct sv_resp {
	int status;
	char *type;
	sv_hdr *headers;
	char *buf;                   /* body, allocated with a size prefix (see http.c) */
	size_t len, cap;
	int oom;
	int cacheable;               /* static files only */
	char *style_hashes;          /* "'sha256-…' …": the <style> blocks of a document the library rendered */
	struct sv_stream *stream;    /* a large file sent from its descriptor (sv_send_file), or NULL */
};

/* http.c */
int sv__path_ok(const char *path);
void sv__resp_reset_body(sv_resp *o);
int sv__is_local_path(const char *p);
void sv__wipe_file(const char *path);
int sv__random_hex(char *out, size_t nbytes);
int sv__ct_streq(const char *a, const char *b);
const char *sv__header(const sv_req *r, const char *name);

/* session.c: the table of logged-in sessions. */
typedef struct sv_session_view {
	char sid[65];
	char csrf[65];
	char user[64];
	char roles[160];
} sv_session_view;
int sv__sessions_init(void);
/** Look up `sid`, touch it; 0 and *out filled, or CV_ENOTFOUND (expired ones are dropped). */
int sv__session_find(sv_server *s, const char *sid, sv_session_view *out);
/** A new session for `user`; its pool must exist already. */
int sv__session_create(sv_server *s, const char *user, const char *roles, sv_session_view *out);
void sv__session_destroy(sv_server *s, const char *sid);
/** Drop expired sessions (and the pools of users left without one). */
void sv__sessions_sweep(sv_server *s);
void sv__sessions_clear(sv_server *s);

/* pool.c: per-user handle pools. */
typedef struct sv_pool sv_pool;
/** Give the pool of `user` the handle from a login (stolen: freed on failure too). */
int sv__pool_attach(sv_server *s, const char *user, cv_archive *login);
/** A reference on the pool of `user`, or NULL when there is none. */
sv_pool *sv__pool_get(const char *user);
void sv__pool_put(sv_pool *p);
/** Check a handle out (waits while all are busy); NULL on failure (error set). */
cv_archive *sv__pool_checkout(sv_pool *p);
void sv__pool_return(sv_pool *p, cv_archive *a);
/** The user's last session ended: drop their pool once unused. */
void sv__pool_drop(const char *user);
void sv__pools_clear(void);

/* form.c: the body. */
int sv__body_begin(sv_req *r, const char *content_type);
/** Feed bytes; 0 go on, -1 stop (r->too_large or r->bad_body says why). */
int sv__body_feed(sv_req *r, const char *data, size_t len);
int sv__body_end(sv_req *r);
void sv__body_free(sv_req *r);

/* job.c */
void sv__jobs_sweep(int all);
void sv__jobs_stop(void);
void sv__job_server(sv_server *s);
void sv__job_page(sv_resp *o, sv_req *r);
void sv__job_file(sv_resp *o, sv_req *r);

/* html.c */
void sv__page_begin_ex(sv_resp *o, sv_req *r, const char *title_fr, unsigned refresh_s);
/** Whether a route belongs in the user's menu (role: the module's role). */
int sv__route_visible(sv_req *r, const sv_route *rt, const char *role);
void sv__login_page(sv_resp *o, sv_req *r, const char *error_fr, const char *next);

/* core_pages.c */
extern const sv_route sv__public_routes[];
extern const sv_route sv__core_routes[];

#endif
