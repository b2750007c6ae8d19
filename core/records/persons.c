/* Person identities as JSON (the plaintext of the encrypted catalog field
 * and of the manifest entries). */
#include "util/json.h"
#include "records/persons.h"
#include "catalog/rowmac.h"
#include "util/wipe.h"
#include "util/text.h"
#include "util/date.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

void cv__person_free_fields(cv_person *p)
{
	free(p->id);
	free(p->role);
	free(p->last);
	for (size_t i = 0; i < p->nfirst; i++)
		free(p->first[i]);
	free(p->first);
	free(p->born);
	free(p->sex);
	if (p->phone)
		OPENSSL_cleanse(p->phone, strlen(p->phone));
	free(p->phone);
	free(p->email);
	free(p->address);
	if (p->nir)
		OPENSSL_cleanse(p->nir, strlen(p->nir));
	free(p->nir);
	free(p->function);
	memset(p, 0, sizeof *p);
}

/* jansson drops what it cannot allocate: every set is checked, or a person
 * was stored without their sex, phone... after one failed malloc, and the
 * ingest said it succeeded (tests/fault). *bad counts the failures. */
static void set_opt(json_t *o, const char *k, const char *v, int *bad)
{
	if (v && json_object_set_new(o, k, json_string(v)))
		(*bad)++;
}

char *cv__person_to_json(const cv_person *p)
{
	json_t *o = json_object(), *first = json_array();
	int bad = !o || !first;
	set_opt(o, "id", p->id, &bad);
	set_opt(o, "role", p->role, &bad);
	set_opt(o, "last", p->last, &bad);
	for (size_t i = 0; i < p->nfirst; i++)
		if (json_array_append_new(first, json_string(p->first[i])))
			bad++;
	if (json_object_set_new(o, "first", first))
		bad++;
	set_opt(o, "born", p->born, &bad);
	set_opt(o, "sex", p->sex, &bad);
	set_opt(o, "phone", p->phone, &bad);
	set_opt(o, "email", p->email, &bad);
	set_opt(o, "address", p->address, &bad);
	set_opt(o, "nir", p->nir, &bad);
	set_opt(o, "function", p->function, &bad);
	char *s = bad ? NULL : cv__json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s; /* NULL: out of memory, for the callers */
}

/* A field present but not copied (out of memory) counts in *bad: read as
 * absent it was lost from rebuilt manifests (tests/fault). */
static char *get(json_t *o, const char *k, int *bad)
{
	const char *v = json_string_value(json_object_get(o, k));
	char *c = v ? strdup(v) : NULL;
	if (v && !c)
		(*bad)++;
	return c;
}

int cv__person_from_json(cv_person *p, const char *s)
{
	memset(p, 0, sizeof *p);
	json_t *o = NULL;
	int r = cv__json_parse(&o, s, (size_t)-1, 0, "person record");
	if (r == CV_ENOMEM)
		return r; /* not damage (tests/fault) */
	if (!json_is_object(o)) {
		json_decref(o);
		return cv__err(CV_EDAMAGED, "person record is not valid JSON");
	}
	int bad = 0;
	p->id = get(o, "id", &bad);
	p->role = get(o, "role", &bad);
	p->last = get(o, "last", &bad);
	json_t *first = json_object_get(o, "first");
	size_t n = json_array_size(first);
	if (n) {
		p->first = calloc(n, sizeof *p->first);
		bad += !p->first;
		for (size_t i = 0; p->first && i < n; i++) {
			const char *v = json_string_value(json_array_get(first, i));
			if (!(p->first[p->nfirst++] = strdup(v ? v : "")))
				bad++;
		}
	}
	p->born = get(o, "born", &bad);
	p->sex = get(o, "sex", &bad);
	p->phone = get(o, "phone", &bad);
	p->email = get(o, "email", &bad);
	p->address = get(o, "address", &bad);
	p->nir = get(o, "nir", &bad);
	p->function = get(o, "function", &bad);
	json_decref(o);
	if (bad) {
		cv__person_free_fields(p);
		return cv__oom();
	}
	if (!p->id || !p->role) {
		cv__person_free_fields(p);
		return cv__err(CV_EDAMAGED, "person record lacks id or role");
	}
	return 0;
}

/* One field of a person, as a rectification sets it (a rectified "first"
 * replaces all first names with the one given). */
int cv__person_set_field(cv_person *p, const char *field, const char *value)
{
	char **slot = !strcmp(field, "last") ? &p->last : !strcmp(field, "born") ? &p->born : !strcmp(field, "sex") ? &p->sex
		: !strcmp(field, "phone") ? &p->phone : !strcmp(field, "email") ? &p->email : !strcmp(field, "address") ? &p->address
		: !strcmp(field, "nir") ? &p->nir : NULL;
	if (!strcmp(field, "first")) {
		for (size_t i = 0; i < p->nfirst; i++)
			free(p->first[i]);
		free(p->first);
		p->first = calloc(1, sizeof *p->first);
		if (!p->first || !(p->first[0] = strdup(value)))
			return cv__oom();
		p->nfirst = 1;
		return 0;
	}
	if (!slot)
		return cv__err(CV_EINVAL, "the field '%s' is not one of last, first, born, sex, phone, email, address, nir", field);
	if (!strcmp(field, "born") && !cv__date_valid(value))
		return cv__err(CV_EINVAL, "born '%s' is not a valid date", value);
	free(*slot);
	*slot = strdup(value);
	return *slot ? 0 : cv__oom();
}

int cv__persons_load(cv_archive *a, const char *case_id, const cv_case_key *k, cv_person **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	cv_buf plain = CV_BUF_INIT;
	*out = NULL;
	*n = 0;
	/* roles decide what is redacted for whom */
	CV_TRY(cv__rowmac_check(a->cat, "persons", "case_id=?1", case_id));
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT pid, identity FROM persons WHERE case_id=? ORDER BY rowid"));
	cv__bind_text(st, 1, case_id);
	size_t cap = 0;
	int r, rc = 0;
	while ((r = sqlite3_step(st)) == SQLITE_ROW && !rc) {
		char where[64];
		snprintf(where, sizeof where, "person:%s", (const char *)sqlite3_column_text(st, 0));
		rc = cv__case_unbox(&plain, k, case_id, where, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1));
		if (rc)
			break;
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			cv_person *p = realloc(*out, cap * sizeof *p);
			if (!p) {
				rc = cv__oom();
				break;
			}
			*out = p;
		}
		rc = cv__person_from_json(&(*out)[*n], (const char *)plain.data);
		if (!rc)
			(*n)++;
	}
	/* a case id that could not be bound reads as a case without persons */
	if (!rc && ((r != SQLITE_DONE && r != SQLITE_ROW) || cv__catalog_bind_failed()))
		rc = cv__catalog_fail(a->cat, "read persons");
	sqlite3_finalize(st);
	cv__buf_wipe_dispose(&plain);
	return rc;
}

/* ------------------------------------------------------------------ */

void cv__persons_free(cv_person *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cv__person_free_fields(&p[i]);
	free(p);
}

/* The blind-index row of a person: the bucket of their folded surname
 * (engine/keys.h); first names and birth date are compared after
 * decryption, never indexed. */
int cv__blind_index_person(cv_archive *a, const char *case_id, sqlite3_stmt *ins, const cv_person *p)
{
	char *key = NULL;
	unsigned char bucket[2];
	if (!p->last)
		return 0; /* nobody finds a person without a surname by surname */
	int rc = cv__fold_key(&key, p->last);
	if (rc == CV_ENOMEM)
		return rc; /* never a person left out of the index for want of memory */
	if (rc || !key[0]) {
		free(key);
		cv_error_clear();
		return 0;
	}
	rc = cv__blind_bucket(a, key, bucket);
	cv__wipe(key, strlen(key));
	free(key);
	if (!rc) {
		sqlite3_reset(ins);
		cv__bind_text(ins, 1, case_id);
		cv__bind_text(ins, 2, p->id);
		cv__bind_text(ins, 3, "last");
		cv__bind_blob(ins, 4, bucket, 2);
		if (sqlite3_step(ins) != SQLITE_DONE)
			rc = cv__catalog_fail(a->cat, "insert blind index");
	}
	return rc;
}
