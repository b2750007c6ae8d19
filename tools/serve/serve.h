/* casevault serve — the staff web service.
 *
 * This header is the contract between the HTTP core (http.c, session.c,
 * pool.c, form.c, job.c, html.c, core_pages.c) and the pages of each role
 * (page_dpo.c, page_maft.c, page_director.c, page_audit.c, page_archivist.c,
 * api.c). Everything here uses only the public API of libcasevault.
 *
 * Ownership: a sv_req and its strings belong to the core and live until the
 * handler returns; a handler never frees them. The cv_archive a handler gets
 * from sv_archive() acts as the logged-in user and is that request's alone
 * (checked out of the user's pool by the core, returned after the handler).
 * Thread-safety: handlers run concurrently on the service's threads; each
 * sees only its own sv_req / sv_resp; jobs run in their own thread with
 * their own handle.
 */
#ifndef CV_SERVE_H
#define CV_SERVE_H

#include <casevault.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- service */

typedef struct sv_config {
	const char *listen;            /**< "ADDR:PORT"; default "127.0.0.1:8080" */
	const char *tls_cert;          /**< PEM certificate chain, with tls_key; NULL: plain HTTP */
	const char *tls_key;           /**< PEM private key */
	int behind_tls_proxy;          /**< a TLS reverse proxy in front: cookies are Secure */
	const char *work_dir;          /**< private scratch directory (0700); NULL: $XDG_RUNTIME_DIR or /dev/shm */
	cv_archive *base;              /**< opened by the command line; owned by the caller */
	unsigned idle_timeout_s;       /**< session idle timeout; 0: 900 (15 min) */
	unsigned absolute_timeout_s;   /**< session absolute timeout; 0: 28800 (8 h) */
	size_t max_body;               /**< forms and JSON bodies; 0: 1 MiB */
	uint64_t max_upload;           /**< bundle uploads; 0: 512 MiB */
	unsigned threads;              /**< threads serving requests; 0: one per core, at least 2 (at most 32) */
	void (*on_ready)(const char *url, void *payload); /**< called once listening */
	void *payload;
} sv_config;

/** Serve until SIGTERM or SIGINT; 0 after a clean stop (sessions wiped,
 * jobs finished or cancelled), else a CV_E* code with the last error set. */
int sv_run(const sv_config *cfg);

/* ---------------------------------------------------------------- request */

typedef struct sv_req sv_req;

const char *sv_method(const sv_req *r);            /**< "GET", "POST" */
const char *sv_path(const sv_req *r);              /**< decoded path, no query */
/** The i-th '*' segment of the route's pattern (0-based), or "". */
const char *sv_param(const sv_req *r, unsigned i);
/** A query-string argument, or NULL. */
const char *sv_query(const sv_req *r, const char *name);
/** A field of a POSTed form (urlencoded or multipart), or NULL. */
const char *sv_form(const sv_req *r, const char *name);
/** Every value of a repeated form field, in order: up to `max` in vals; returns how many there are. */
size_t sv_form_all(const sv_req *r, const char *name, const char **vals, size_t max);
/** The names of the form's fields in order (for "decision-<id>" style forms): up to `max`; returns how many. */
size_t sv_form_names(const sv_req *r, const char **names, size_t max);

/** A file field of a multipart form, streamed by the core into the work
 * directory (bounded by max_upload). The file is removed after the request
 * unless sv_upload_take() moved it out of the core's hands. */
typedef struct sv_upload {
	const char *field;
	const char *filename;  /**< as sent by the browser, base name only */
	const char *path;      /**< where it is in the work directory */
	uint64_t size;
} sv_upload;
const sv_upload *sv_upload_get(const sv_req *r, const char *field);
/** The caller now owns the file at upload->path (e.g. a job removes it). Returns a malloc'd copy of the path. */
char *sv_upload_take(sv_req *r, const char *field);

/** The JSON body of an API request (Content-Type: application/json), or NULL. Borrowed. */
json_t *sv_json_body(const sv_req *r);
/** 1 for /api/ paths (answers are JSON, no redirects). */
int sv_is_api(const sv_req *r);

const char *sv_user(const sv_req *r);              /**< logged-in user, or NULL */
const char *sv_roles(const sv_req *r);             /**< comma-separated roles, or "" */
int sv_has_role(const sv_req *r, const char *role);
/** Whether the user's roles allow an access-table action (cv_access_allowed; journals nothing). */
int sv_allowed(const sv_req *r, const char *action);
/** The handle acting as the logged-in user for this request (NULL without a session). */
cv_archive *sv_archive(sv_req *r);
const char *sv_csrf(const sv_req *r);              /**< the session's CSRF token */
const char *sv_work_dir(const sv_req *r);          /**< private scratch directory (0700) */
/** A new file name in the work directory, not yet created (malloc'd): "<work>/<prefix>-<random><suffix>". */
char *sv_work_path(const sv_req *r, const char *prefix, const char *suffix);

/* --------------------------------------------------------------- response */

typedef struct sv_resp sv_resp;

void sv_status(sv_resp *o, int code);              /**< default 200 */
void sv_type(sv_resp *o, const char *content_type); /**< default "text/html; charset=utf-8" */
/** An extra header (Content-Disposition, Cache-Control...). Security headers and cookies are the core's. */
void sv_header(sv_resp *o, const char *name, const char *value);
void sv_write(sv_resp *o, const void *data, size_t len);
void sv_printf(sv_resp *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** HTML-escaped text (& < > " '). */
void sv_esc(sv_resp *o, const char *text);
void sv_escf(sv_resp *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Markup with its values: `fmt` is trusted HTML and every %s argument is
 * HTML-escaped (sv_escf escapes the whole text, tags included). Knows %s,
 * %zu, %u, %d, %ld, %llu and %%. */
void sv_html(sv_resp *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** "?name=value" (or "&amp;name=value" after the first) with the value
 * percent-encoded; nothing for a NULL or empty value. */
void sv_url_arg(sv_resp *o, const char *name, const char *value, int *first);
/** 303 See Other to a local path ("/requests/R1?ok=decided"). */
void sv_redirect(sv_resp *o, const char *location);
/** A JSON answer (steals v; NULL answers 500). */
void sv_json(sv_resp *o, int status, json_t *v);
/** Send a file as the body (read into the answer now); with download_name,
 * as an attachment. unlink_after: remove (after wiping) the file once read. */
int sv_send_file(sv_resp *o, const char *path, const char *type, const char *download_name, int unlink_after);

/* ------------------------------------------------------------------ pages */

/** Begin a page: <!doctype html><html lang="fr">, title, the stylesheet and
 * the one script (/static/app.js, no inline script), the header with the
 * user and the logout button, the menu of the routes the user's roles allow
 * (sv_route.nav_fr), then <main>. Writes a notice for ?ok=/?err= codes
 * registered with sv_notice_text. */
void sv_page_begin(sv_resp *o, sv_req *r, const char *title_fr);
void sv_page_end(sv_resp *o, sv_req *r);
/** <input type="hidden" name="csrf" value="..."> */
void sv_csrf_field(sv_resp *o, const sv_req *r);
/** A notice box: kind "ok", "error" or "info"; text_fr is escaped. */
void sv_notice(sv_resp *o, const char *kind, const char *text_fr);
/** Register the French text shown by sv_page_begin for ?ok=code / ?err=code
 * (idempotent, thread-safe; call it before redirecting with the code). */
void sv_notice_text(const char *code, const char *text_fr);
/** An error answer in the request's kind: a French page, or for the API
 * {"error": {"status": N, "message": "..."}}. message_fr is escaped. */
void sv_error(sv_resp *o, sv_req *r, int status, const char *message_fr);
/** The library's last error as an answer: the status its code maps to
 * (sv_http_status), a French sentence for `what_fr` ("La décision n'a pas
 * été enregistrée") and the library's own message as the detail. */
void sv_fail(sv_resp *o, sv_req *r, const char *what_fr);
/** denied/auth 403, not found 404, invalid 400, refused/state 409, busy 503, unsupported 501, else 500. */
int sv_http_status(int cv_code);

/** cv_date_format_fr: "7 décembre 2026", "7 décembre 2026 à 11 h 20" (Europe/Paris), "—" for
 * "" or NULL; the same words as the library's slips and registers. Returns out. */
const char *sv_date_fr(char out[64], const char *iso);
/** Read "YYYY-MM-DD" (what follows is not looked at): 0, or -1 when it is not such a date. */
int sv_iso_date(const char *iso, int *y, int *m, int *d);
/** "12,3 Mo", "512 octets": a size in French units. Returns out. */
const char *sv_bytes_fr(char out[32], uint64_t n);
/** A case category as the staff and the elimination slip say it ("Placement"). */
const char *sv_category_fr(const char *code);
/** one when n is 0 or 1 (French usage), else many. */
const char *sv_plural(long n, const char *one, const char *many);

/* ------------------------------------------------------------------- jobs */

/* Long work (ingest of an upload, a communication copy with OCR, a full
 * verify) runs as a job: its own thread, its own handle (a clone of the
 * request's), owned by the user who started it. /jobs/<id> shows its
 * progress (refreshing itself while it runs, no script needed) and then its
 * outcome, a link and/or a file to download. Jobs and their files expire an
 * hour after they end; their files are wiped then. */
typedef struct sv_job sv_job;
/** Runs in the job's thread; returns 0 or a CV_E* code (the job then shows cv_error_last's message). */
typedef int (*sv_job_fn)(sv_job *j, cv_archive *a, void *arg);
/** Start a job; *id_out receives its id (for a redirect to /jobs/<id>). free_arg (may be NULL) runs when the job ends. */
int sv_job_start(char id_out[33], sv_req *r, const char *title_fr, sv_job_fn fn, void *arg, void (*free_arg)(void *));
/** The answer when sv_job_start returned rc: 503 for a user who has too many
 * jobs running, the library's error when it set one, else a 500 saying what_fr. */
void sv_job_refused(sv_resp *o, sv_req *r, int rc, const char *what_fr);
/** A cv_progress_cb: pass the job as payload (cv_open_options / ingest progress). */
void sv_job_progress(const char *what, uint64_t done, uint64_t total, void *job);
/** The outcome in words (escaped when shown). */
void sv_job_message(sv_job *j, const char *text_fr);
/** A link shown when the job is done ("Voir le dossier", "/cases/C1"). */
void sv_job_link(sv_job *j, const char *href, const char *label_fr);
/** A file to offer for download when done; the job owns and later wipes it. */
void sv_job_file(sv_job *j, const char *path, const char *type, const char *download_name);
/** Attach a value for the page that started the job (e.g. a review id); read back with sv_job_value. */
void sv_job_set_value(sv_job *j, const char *value);
const char *sv_job_value_of(sv_req *r, const char *job_id); /**< NULL unless the job is the user's and done */

/* ----------------------------------------------------------------- routes */

typedef void (*sv_handler)(sv_resp *o, sv_req *r);

typedef struct sv_route {
	const char *method;    /**< "GET" or "POST" */
	const char *pattern;   /**< a path where '*' stands for one segment ([A-Za-z0-9._-]+), read with sv_param */
	sv_handler fn;
	const char *action;    /**< access-table action the core requires first (refusal journaled, 403), or NULL */
	const char *nav_fr;    /**< label in the menu (GET routes without '*'), or NULL */
} sv_route;

/* Each page module defines one table, ended by { NULL }. POST routes are
 * only reached with a valid CSRF token; every route needs a session except
 * the core's /login and /static/. */
extern const sv_route sv_routes_dpo[];
extern const sv_route sv_routes_maft[];
extern const sv_route sv_routes_director[];
extern const sv_route sv_routes_audit[];
extern const sv_route sv_routes_archivist[];
extern const sv_route sv_routes_api[];

#endif
