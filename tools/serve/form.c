/* casevault serve — request bodies: forms (urlencoded, multipart with file
 * parts streamed to the work directory), JSON; the sv_form / sv_upload /
 * sv_json_body accessors.
 *
 * Ownership: fields, uploads and the JSON value belong to the request and
 * are released by sv__body_free: values wiped (they may hold a credential),
 * files not taken by a handler wiped then unlinked.
 * Thread-safety: one request, one thread. */
#include "form.h"

#include <openssl/crypto.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* A file part starts: only on a logged-in request, and only once the form's csrf
 * field (which our forms put first) has been seen and is right, so that a
 * forged upload is not written to disk at all. */
static int upload_start(sv_req *r, const char *key, const char *filename)
{
	/* Nothing is written to disk for someone who has not logged in. */
	if (!r->pool) {
		r->bad_body = 1;
		return -1;
	}
	{
		const char *t = sv_form(r, "csrf");
		if (!sv__ct_streq(t, r->csrf)) {
			r->csrf_early = -1;
			return -1;
		}
		r->csrf_early = 1;
	}
	sv_upload_item *u = calloc(1, sizeof *u);
	if (!u)
		return -1;
	const char *base = filename;
	for (const char *c = filename; *c; c++)
		if (*c == '/' || *c == '\\')
			base = c + 1;
	u->fd = -1;
	u->field = strdup(key);
	u->filename = strndup(base, 255);
	u->path = sv_work_path(r, "upload", "");
	u->next = r->uploads;
	r->uploads = u;
	if (!u->field || !u->filename || !u->path)
		return -1;
	for (char *c = u->filename; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '_';
	u->fd = open(u->path, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
	return u->fd < 0 ? -1 : 0;
}

static void upload_close(sv_req *r)
{
	sv_upload_item *u = r->uploads;
	if (u && u->fd >= 0) {
		close(u->fd);
		u->fd = -1;
	}
}

static int upload_write(sv_req *r, const char *data, size_t size)
{
	sv_upload_item *u = r->uploads;
	r->upload_bytes += size;
	if (r->upload_bytes > r->srv->max_upload) {
		r->too_large = 1;
		return -1;
	}
	while (size) {
		ssize_t w = write(u->fd, data, size);
		if (w <= 0)
			return -1;
		data += w;
		size -= (size_t)w;
		u->up.size += (uint64_t)w;
	}
	return 0;
}

static int field_add(sv_req *r, const char *key, const char *data, size_t size, uint64_t off)
{
	r->form_bytes += size + (off == 0 ? strlen(key) : 0);
	if (r->form_bytes > r->srv->max_body) {
		r->too_large = 1;
		return -1;
	}
	sv_field *f = r->last_field;
	if (off == 0 || !f || strcmp(f->name, key)) {
		if (!(f = calloc(1, sizeof *f)) || !(f->name = strdup(key)) || !(f->value = calloc(1, 1))) {
			if (f)
				free(f->name);
			free(f);
			return -1;
		}
		if (r->last_field)
			r->last_field->next = f;
		else
			r->fields = f;
		r->last_field = f;
	}
	char *v = malloc(f->len + size + 1);
	if (!v)
		return -1;
	memcpy(v, f->value, f->len);
	memcpy(v + f->len, data, size);
	OPENSSL_cleanse(f->value, f->len);
	free(f->value);
	f->value = v;
	f->len += size;
	v[f->len] = '\0';
	return 0;
}

static enum MHD_Result iterate(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
	const char *content_type, const char *transfer_encoding, const char *data, uint64_t off, size_t size)
{
	sv_req *r = cls;
	(void)kind;
	(void)content_type;
	(void)transfer_encoding;
	if (!key)
		return MHD_YES;
	if (!filename) {
		if (off == 0)
			upload_close(r);
		return field_add(r, key, data, size, off) ? MHD_NO : MHD_YES;
	}
	if (off == 0) {
		upload_close(r);
		if (upload_start(r, key, filename))
			return MHD_NO;
	}
	if (!r->uploads || r->uploads->fd < 0)
		return MHD_NO;
	return upload_write(r, data, size) ? MHD_NO : MHD_YES;
}

int sv__body_begin(sv_req *r, const char *ct)
{
	if (ct && !strncasecmp(ct, "application/json", 16)) {
		r->body_kind = SV_BODY_JSON;
		return 0;
	}
	if (ct && (!strncasecmp(ct, "application/x-www-form-urlencoded", 33) ||
		!strncasecmp(ct, "multipart/form-data", 19))) {
		r->body_kind = SV_BODY_FORM;
		r->pp = MHD_create_post_processor(r->conn, 32 * 1024, iterate, r);
		if (!r->pp)
			r->bad_body = 1;
		return 0;
	}
	r->body_kind = ct ? SV_BODY_OTHER : SV_BODY_NONE;
	return 0;
}

/* Bytes after a refusal are read and dropped (so that the answer reaches a
 * browser still sending), within the same bound as an accepted body. */
static int discard(sv_req *r, size_t len)
{
	r->upload_bytes += len;
	if (r->upload_bytes > r->srv->max_upload + r->srv->max_body) {
		r->too_large = 1;
		return -1;
	}
	return 0;
}

int sv__body_feed(sv_req *r, const char *data, size_t len)
{
	if (r->too_large)
		return -1;
	if (r->bad_body || r->csrf_early < 0)
		return discard(r, len);
	switch (r->body_kind) {
	case SV_BODY_FORM:
		if (MHD_post_process(r->pp, data, len) == MHD_YES)
			return 0;
		if (r->too_large)
			return -1;
		if (r->csrf_early >= 0)
			r->bad_body = 1;
		return 0;
	case SV_BODY_JSON:
		if (r->body_len + len > r->srv->max_body) {
			r->too_large = 1;
			return -1;
		}
		char *b = realloc(r->body, r->body_len + len + 1);
		if (!b) {
			r->bad_body = 1;
			return 0;
		}
		r->body = b;
		memcpy(r->body + r->body_len, data, len);
		r->body_len += len;
		return 0;
	default:
		r->body_len += len;
		if (r->body_len > r->srv->max_body) {
			r->too_large = 1;
			return -1;
		}
		return 0;
	}
}

int sv__body_end(sv_req *r)
{
	if (r->pp) {
		if (MHD_destroy_post_processor(r->pp) != MHD_YES && !r->too_large && r->csrf_early >= 0)
			r->bad_body = 1;
		r->pp = NULL;
	}
	upload_close(r);
	if (r->body_kind == SV_BODY_JSON && !r->too_large && !r->bad_body && r->body_len) {
		json_error_t err;
		r->json = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &err);
		if (!r->json)
			r->bad_body = 1;
	}
	return 0;
}

void sv__body_free(sv_req *r)
{
	if (r->pp)
		MHD_destroy_post_processor(r->pp);
	r->pp = NULL;
	for (sv_field *f = r->fields, *n; f; f = n) {
		n = f->next;
		OPENSSL_cleanse(f->value, f->len);
		free(f->value);
		free(f->name);
		free(f);
	}
	r->fields = r->last_field = NULL;
	for (sv_upload_item *u = r->uploads, *n; u; u = n) {
		n = u->next;
		if (u->fd >= 0)
			close(u->fd);
		if (u->path && !u->taken)
			sv__wipe_file(u->path);
		free(u->field);
		free(u->filename);
		free(u->path);
		free(u);
	}
	r->uploads = NULL;
	json_decref(r->json);
	r->json = NULL;
	if (r->body) {
		OPENSSL_cleanse(r->body, r->body_len);
		free(r->body);
	}
	r->body = NULL;
}

/* ---------------------------------------------------------------- accessors */

const char *sv_form(const sv_req *r, const char *name)
{
	for (const sv_field *f = r->fields; f; f = f->next)
		if (!strcmp(f->name, name))
			return f->value;
	return NULL;
}

size_t sv_form_all(const sv_req *r, const char *name, const char **vals, size_t max)
{
	size_t n = 0;
	for (const sv_field *f = r->fields; f; f = f->next)
		if (!strcmp(f->name, name)) {
			if (n < max)
				vals[n] = f->value;
			n++;
		}
	return n;
}

size_t sv_form_names(const sv_req *r, const char **names, size_t max)
{
	size_t n = 0;
	for (const sv_field *f = r->fields; f; f = f->next) {
		int seen = 0;
		for (const sv_field *g = r->fields; g != f; g = g->next)
			if (!strcmp(g->name, f->name)) {
				seen = 1;
				break;
			}
		if (seen)
			continue;
		if (n < max)
			names[n] = f->name;
		n++;
	}
	return n;
}

const sv_upload *sv_upload_get(const sv_req *r, const char *field)
{
	for (sv_upload_item *u = r->uploads; u; u = u->next)
		if (!u->taken && u->fd < 0 && u->path && !strcmp(u->field, field)) {
			u->up.field = u->field;
			u->up.filename = u->filename;
			u->up.path = u->path;
			return &u->up;
		}
	return NULL;
}

char *sv_upload_take(sv_req *r, const char *field)
{
	for (sv_upload_item *u = r->uploads; u; u = u->next)
		if (!u->taken && u->fd < 0 && u->path && !strcmp(u->field, field)) {
			char *p = strdup(u->path);
			if (p)
				u->taken = 1;
			return p;
		}
	return NULL;
}

json_t *sv_json_body(const sv_req *r)
{
	return r->json;
}
