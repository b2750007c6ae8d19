/* casevault serve — jobs: long work in its own thread with a clone of the
 * request's handle, its progress and outcome, the /jobs/<id> page and the
 * /jobs/<id>/file download, expiry an hour after the end.
 *
 * Ownership: the registry owns every job; a job owns its handle (freed when
 * its function returns), its arg (free_arg then) and its file (wiped at
 * expiry). A user only ever sees their own jobs.
 * Thread-safety: one mutex over the registry and every job's fields; the
 * job function runs unlocked and reports through the sv_job_* setters. */
#include "job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { JOB_RUNNING, JOB_OK, JOB_FAILED };

struct sv_job {
	char id[33];
	char owner[64];
	char *title;
	int state;
	char what[64];
	uint64_t done, total;
	char *message, *href, *label, *file, *ftype, *fname, *value;
	time_t ended;
	pthread_t thread;
	cv_archive *a;
	sv_job_fn fn;
	void *arg;
	void (*free_arg)(void *);
	struct sv_job *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static sv_job *jobs;

void sv__job_server(sv_server *s)
{
	(void)s;
}

static time_t now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Replace *slot with a copy of v (lock held). */
static void set_str(char **slot, const char *v)
{
	char *c = v ? strdup(v) : NULL;
	free(*slot);
	*slot = c;
}

static void *job_main(void *p)
{
	sv_job *j = p;
	int rc = j->fn(j, j->a, j->arg);
	char msg[512] = "";
	if (rc)
		snprintf(msg, sizeof msg, "%s", cv_error_last()->message[0] ? cv_error_last()->message
			: cv_error_name(rc));
	if (j->free_arg)
		j->free_arg(j->arg);
	cv_archive_free(j->a);
	pthread_mutex_lock(&lock);
	j->a = NULL;
	j->arg = NULL;
	j->state = rc ? JOB_FAILED : JOB_OK;
	if (rc && !j->message)
		set_str(&j->message, msg);
	j->ended = now_s();
	pthread_mutex_unlock(&lock);
	return NULL;
}

static unsigned running_of(const char *user)
{
	unsigned n = 0;
	for (sv_job *j = jobs; j; j = j->next)
		n += j->state == JOB_RUNNING && !strcmp(j->owner, user);
	return n;
}

static void job_free(sv_job *j)
{
	if (j->file)
		sv__wipe_file(j->file);
	free(j->title);
	free(j->message);
	free(j->href);
	free(j->label);
	free(j->file);
	free(j->ftype);
	free(j->fname);
	free(j->value);
	free(j);
}

int sv_job_start(char id_out[33], sv_req *r, const char *title_fr, sv_job_fn fn, void *arg, void (*free_arg)(void *))
{
	sv_job *j = calloc(1, sizeof *j);
	int rc = CV_ENOMEM;
	if (!j || !r->arch || !r->user || sv__random_hex(j->id, 16) || !(j->title = strdup(title_fr)))
		goto fail;
	if ((rc = cv_archive_clone(&j->a, r->arch)))
		goto fail;
	snprintf(j->owner, sizeof j->owner, "%s", r->user);
	j->fn = fn;
	j->arg = arg;
	j->free_arg = free_arg;
	pthread_mutex_lock(&lock);
	if (running_of(j->owner) >= SV_JOBS_PER_USER) {
		pthread_mutex_unlock(&lock);
		rc = CV_EBUSY;
		goto fail;
	}
	if (pthread_create(&j->thread, NULL, job_main, j)) {
		pthread_mutex_unlock(&lock);
		rc = CV_ERROR;
		goto fail;
	}
	j->next = jobs;
	jobs = j;
	memcpy(id_out, j->id, 33);
	pthread_mutex_unlock(&lock);
	return 0;
fail:
	if (free_arg)
		free_arg(arg);
	if (j) {
		cv_archive_free(j->a);
		free(j->title);
		free(j);
	}
	return rc ? rc : CV_ERROR;
}

void sv_job_progress(const char *what, uint64_t done, uint64_t total, void *job)
{
	sv_job *j = job;
	pthread_mutex_lock(&lock);
	snprintf(j->what, sizeof j->what, "%s", what ? what : "");
	j->done = done;
	j->total = total;
	pthread_mutex_unlock(&lock);
}

void sv_job_message(sv_job *j, const char *text_fr)
{
	pthread_mutex_lock(&lock);
	set_str(&j->message, text_fr);
	pthread_mutex_unlock(&lock);
}

void sv_job_link(sv_job *j, const char *href, const char *label_fr)
{
	pthread_mutex_lock(&lock);
	set_str(&j->href, sv__is_local_path(href) ? href : NULL);
	set_str(&j->label, label_fr);
	pthread_mutex_unlock(&lock);
}

void sv_job_file(sv_job *j, const char *path, const char *type, const char *download_name)
{
	pthread_mutex_lock(&lock);
	if (j->file && strcmp(j->file, path))
		sv__wipe_file(j->file);
	set_str(&j->file, path);
	set_str(&j->ftype, type ? type : "application/octet-stream");
	set_str(&j->fname, download_name);
	pthread_mutex_unlock(&lock);
}

void sv_job_set_value(sv_job *j, const char *value)
{
	pthread_mutex_lock(&lock);
	set_str(&j->value, value);
	pthread_mutex_unlock(&lock);
}

/* The user's own job (lock held), or NULL: another's is as unknown. */
static sv_job *find_own(const char *id, const char *user)
{
	if (!id || !user)
		return NULL;
	for (sv_job *j = jobs; j; j = j->next)
		if (!strcmp(j->id, id) && !strcmp(j->owner, user))
			return j;
	return NULL;
}

const char *sv_job_value_of(sv_req *r, const char *job_id)
{
	char *v = NULL;
	pthread_mutex_lock(&lock);
	sv_job *j = find_own(job_id, r->user);
	if (j && j->state != JOB_RUNNING && j->value)
		v = strdup(j->value);
	pthread_mutex_unlock(&lock);
	if (!v)
		return NULL;
	free(r->job_value);
	r->job_value = v;
	return v;
}

/* Expired (or, at stop, all) jobs out of the registry, then joined and
 * freed unlocked: joining a running job at stop waits for it. */
void sv__jobs_sweep(int all)
{
	time_t now = now_s();
	sv_job *out = NULL;
	pthread_mutex_lock(&lock);
	for (sv_job **pp = &jobs; *pp;) {
		sv_job *j = *pp;
		if (all || (j->state != JOB_RUNNING && now - j->ended >= SV_JOB_TTL_S)) {
			*pp = j->next;
			j->next = out;
			out = j;
		} else {
			pp = &j->next;
		}
	}
	pthread_mutex_unlock(&lock);
	while (out) {
		sv_job *n = out->next;
		pthread_join(out->thread, NULL);
		job_free(out);
		out = n;
	}
}

void sv__jobs_stop(void)
{
	sv__jobs_sweep(1);
}

/* ------------------------------------------------------------------ pages */

/* What the page shows, copied under the lock, rendered unlocked. */
typedef struct job_view {
	char title[256], what[64], message[1024], href[512], label[256];
	int state, has_file;
	uint64_t done, total;
} job_view;

static int job_view_of(sv_req *r, job_view *v)
{
	memset(v, 0, sizeof *v);
	pthread_mutex_lock(&lock);
	sv_job *j = find_own(sv_param(r, 0), sv_user(r));
	if (j) {
		snprintf(v->title, sizeof v->title, "%s", j->title);
		snprintf(v->what, sizeof v->what, "%s", j->what);
		snprintf(v->message, sizeof v->message, "%s", j->message ? j->message : "");
		snprintf(v->href, sizeof v->href, "%s", j->href ? j->href : "");
		snprintf(v->label, sizeof v->label, "%s", j->label ? j->label : "");
		v->state = j->state;
		v->has_file = j->file != NULL;
		v->done = j->done;
		v->total = j->total;
	}
	pthread_mutex_unlock(&lock);
	return j ? 0 : -1;
}

static void job_running(sv_resp *o, const job_view *v)
{
	sv_printf(o, "<p>Traitement en cours… Cette page se met à jour toute seule.</p>\n");
	if (v->total)
		sv_printf(o, "<p><progress max=\"%llu\" value=\"%llu\">%llu %%</progress> ",
			(unsigned long long)v->total, (unsigned long long)v->done,
			(unsigned long long)(v->done * 100 / v->total));
	else
		sv_printf(o, "<p><progress>en cours</progress> ");
	sv_esc(o, v->what);
	if (v->total)
		sv_printf(o, " : %llu / %llu", (unsigned long long)v->done, (unsigned long long)v->total);
	else if (v->done)
		sv_printf(o, " : %llu", (unsigned long long)v->done);
	sv_printf(o, "</p>\n");
}

void sv__job_page(sv_resp *o, sv_req *r)
{
	job_view v;
	if (job_view_of(r, &v)) {
		sv_error(o, r, 404, "Ce traitement n'existe pas ou a expiré.");
		return;
	}
	sv__page_begin_ex(o, r, v.title, v.state == JOB_RUNNING ? 2 : 0);
	if (v.state == JOB_RUNNING) {
		job_running(o, &v);
	} else {
		sv_notice(o, v.state == JOB_OK ? "ok" : "error", v.message[0] ? v.message
			: v.state == JOB_OK ? "Traitement terminé." : "Le traitement a échoué.");
		if (v.has_file && v.state == JOB_OK)
			sv_printf(o, "<p><a class=\"button\" href=\"/jobs/%s/file\">Télécharger le fichier</a></p>\n",
				sv_param(r, 0));
		if (v.href[0]) {
			sv_printf(o, "<p><a href=\"");
			sv_esc(o, v.href);
			sv_printf(o, "\">");
			sv_esc(o, v.label[0] ? v.label : "Continuer");
			sv_printf(o, "</a></p>\n");
		}
		sv_printf(o, "<p class=\"hint\">Le résultat reste disponible une heure.</p>\n");
	}
	sv_page_end(o, r);
}

void sv__job_file(sv_resp *o, sv_req *r)
{
	char *path = NULL, *type = NULL, *name = NULL;
	pthread_mutex_lock(&lock);
	sv_job *j = find_own(sv_param(r, 0), sv_user(r));
	if (j && j->state == JOB_OK && j->file) {
		path = strdup(j->file);
		type = strdup(j->ftype);
		name = j->fname ? strdup(j->fname) : NULL;
	}
	pthread_mutex_unlock(&lock);
	if (!path || !type || sv_send_file(o, path, type, name ? name : "fichier", 0))
		sv_error(o, r, 404, "Ce fichier n'existe pas ou a expiré.");
	free(path);
	free(type);
	free(name);
}

/* sv_job_start sets the library's last error only when the clone failed; a
 * user with too many jobs running (CV_EBUSY) gets a sentence of their own. */
void sv_job_refused(sv_resp *o, sv_req *r, int rc, const char *what_fr)
{
	char msg[256];
	if (rc == CV_EBUSY) {
		sv_error(o, r, 503, "Vous avez déjà des travaux en cours : attendez que l'un d'eux se termine, puis "
			"recommencez.");
	} else if (cv_error_last()->code == rc) {
		sv_fail(o, r, what_fr);
	} else {
		snprintf(msg, sizeof msg, "%s.", what_fr);
		sv_error(o, r, 500, msg);
	}
}
