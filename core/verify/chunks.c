/* The chunks of one case, read and (full mode) authenticated. A case with
 * many chunks (a scanned file of a gigabyte) is shared out among a team of
 * threads, each with its own repository handle; results are kept per chunk
 * and reported by the calling thread in catalog order, so the report does
 * not depend on the team. The case key is only read by the team, and
 * outlives it. */
#include "verify/vctx.h"
#include "util/buf.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define damage cv__verify_damage
#define TEAM_MIN_CHUNKS 4 /* chunks average 1 MiB: below this, a team costs more than it saves */

/* One check of one object: read it, and (full mode) authenticate it and
 * bind it to its sealed chunk row: by the AES-GCM tag the row records
 * (schema 15), which decryption has just checked, or, for a row written
 * before tags, by the keyed hash of the plaintext; returns 0 or a code
 * with the reason set. */
static int check_chunk(cv_store *store, int quick, const git_oid *oid, const cv_case_key *k, const unsigned char *hash,
	const unsigned char *tag, uint64_t size, uint64_t *bytes)
{
	if (quick)
		return cv__store_exists(store, oid) ? 0 : cv__err(CV_EDAMAGED, "object is missing");
	const void *data = NULL;
	size_t len = 0;
	CV_TRY(cv__store_read_unhashed(store, oid, &data, &len));
	if (!hash) {
		/* A manifest has no keyed hash in the catalog to bind it to its id,
		 * and any manifest of the case opens with its key: an index edited
		 * to point at an older one must fail here, on its SHA-1. */
		git_oid got;
		if (git_odb_hash(&got, data, len, GIT_OBJECT_BLOB) < 0 || !git_oid_equal(&got, oid))
			return cv__err(CV_EDAMAGED, "object hash mismatch (its content is not the object)");
	}
	cv_buf plain = CV_BUF_INIT;
	int rc = cv__cms_open(&plain, k->key, k->id, data, len);
	if (!rc && hash && tag) {
		unsigned char got[CV_CMS_TAG_LEN];
		rc = cv__cms_tag(data, len, got);
		if (!rc && (memcmp(got, tag, CV_CMS_TAG_LEN) || plain.len != size))
			rc = cv__err(CV_EDAMAGED, "content is not the object its catalog row records (AES-GCM tag or size)");
	} else if (!rc && hash) {
		unsigned char h[32];
		rc = cv__hmac_sha256(h, k->k_hash, 32, plain.data, plain.len);
		if (!rc && (memcmp(h, hash, 32) || plain.len != size))
			rc = cv__err(CV_EDAMAGED, "content does not match the catalog's keyed hash");
	}
	if (!rc) {
		*bytes = plain.len;
		/* a manifest: must be the JSON of this very case */
		if (!hash && !memmem(plain.data, plain.len, "casevault-case-manifest", 23))
			rc = cv__err(CV_EDAMAGED, "manifest is not a casevault case manifest");
	}
	cv__buf_wipe_dispose(&plain);
	return rc;
}

/* Once checked: counted, remembered (full mode skips it later) and, if
 * bad, reported under the name of the object and its case. */
static void report(vctx *v, const git_oid *oid, const char *label, int rc, const char *why, uint64_t bytes)
{
	v->rep->objects++;
	v->rep->bytes += rc ? 0 : bytes;
	if (!v->o->quick) /* only full mode passes over the other objects */
		cv__verify_seen(v, oid);
	if (rc) {
		char obj[256], hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof hex, oid);
		snprintf(obj, sizeof obj, "git object %s (%s)", hex, label);
		damage(v, obj, why);
	}
}

void cv__verify_object(vctx *v, const git_oid *oid, const char *label, const cv_case_key *k,
	const unsigned char *hash, uint64_t size)
{
	uint64_t bytes = 0;
	int rc = check_chunk(v->a->store, v->o->quick, oid, k, hash, NULL, size, &bytes);
	if (rc)
		rc = check_chunk(v->a->store, v->o->quick, oid, k, hash, NULL, size, &bytes); /* re-read once */
	report(v, oid, label, rc, rc ? cv_error_last()->message : NULL, bytes);
}

typedef struct cjob {
	git_oid oid;
	unsigned char hash[32], tag[CV_CMS_TAG_LEN];
	uint64_t size, bytes;
	int has_tag, malformed, skip, rc;
	char *why;
} cjob;

typedef struct cteam {
	cjob *jobs;
	size_t n;
	atomic_size_t next;
	const cv_case_key *k;
	int quick;
} cteam;

static void run_jobs(void *ctx, cv_store *store)
{
	cteam *t = ctx;
	for (;;) {
		size_t i = atomic_fetch_add(&t->next, 1);
		if (i >= t->n)
			break;
		cjob *j = &t->jobs[i];
		if (j->malformed || j->skip)
			continue;
		const unsigned char *tag = j->has_tag ? j->tag : NULL;
		j->rc = check_chunk(store, t->quick, &j->oid, t->k, j->hash, tag, j->size, &j->bytes);
		if (j->rc) /* re-read once */
			j->rc = check_chunk(store, t->quick, &j->oid, t->k, j->hash, tag, j->size, &j->bytes);
		if (j->rc && !(j->why = strdup(cv_error_last()->message)))
			j->why = NULL; /* reported without its reason */
	}
}

/* The case's chunk rows, in catalog order, as jobs. */
static int load_jobs(vctx *v, const char *case_id, cjob **out, size_t *n)
{
	sqlite3_stmt *ch = NULL;
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	/* in the order they were stored, which is their order in the packs (the
	 * primary key would give hash order: random reads from storage) */
	CV_TRY(cv__catalog_stmt(v->a->cat, &ch, "SELECT oid, hash, size, tag FROM chunks WHERE case_id=? ORDER BY rowid"));
	cv__bind_text(ch, 1, case_id);
	int rc = 0;
	while (!rc && sqlite3_step(ch) == SQLITE_ROW) {
		if ((rc = cv__grow((void **)out, &cap, *n, sizeof **out)))
			break;
		cjob *j = &(*out)[(*n)++];
		memset(j, 0, sizeof *j);
		const char *hex = (const char *)sqlite3_column_text(ch, 0);
		if (!hex || git_oid_fromstr(&j->oid, hex) < 0 || sqlite3_column_bytes(ch, 1) != 32) {
			j->malformed = 1;
			continue;
		}
		memcpy(j->hash, sqlite3_column_blob(ch, 1), 32);
		j->size = (uint64_t)sqlite3_column_int64(ch, 2);
		/* a tag of another length is a row no casevault wrote: its seal
		 * fails too, and the object is still checked by its keyed hash */
		if ((j->has_tag = sqlite3_column_bytes(ch, 3) == CV_CMS_TAG_LEN))
			memcpy(j->tag, sqlite3_column_blob(ch, 3), CV_CMS_TAG_LEN);
		j->skip = !cv__verify_in_subset(v, &j->oid);
	}
	cv__stmt_done(ch);
	return rc;
}

struct cv_chunk_pass {
	cteam t;
	cv_team *team;
	char label[96];
};

int cv__verify_case_chunks_begin(cv_chunk_pass **out, vctx *v, const char *case_id, const cv_case_key *k)
{
	cv_chunk_pass *p = calloc(1, sizeof *p);
	if (!p)
		return cv__oom();
	int rc = load_jobs(v, case_id, &p->t.jobs, &p->t.n);
	if (rc) {
		free(p->t.jobs);
		free(p);
		return rc;
	}
	p->t.k = k;
	p->t.quick = v->o->quick;
	atomic_init(&p->t.next, 0);
	snprintf(p->label, sizeof p->label, "case %s chunk", case_id);
	size_t helpers = !v->o->quick && p->t.n >= TEAM_MIN_CHUNKS && v->threads > 1 ? v->threads - 1 : 0;
	p->team = helpers ? cv__verify_team_begin(helpers, v->a->gitdir, run_jobs, &p->t) : NULL;
	*out = p;
	return 0;
}

void cv__verify_case_chunks_end(vctx *v, cv_chunk_pass *p)
{
	cv__verify_team_end(p->team, v->a->store, run_jobs, &p->t);
	cjob *jobs = p->t.jobs;
	for (size_t i = 0; i < p->t.n; i++) {
		if (jobs[i].malformed)
			damage(v, p->label, "malformed chunk record in the catalog");
		else if (!jobs[i].skip)
			report(v, &jobs[i].oid, p->label, jobs[i].rc, jobs[i].why ? jobs[i].why : "cannot be checked",
				jobs[i].bytes);
		free(jobs[i].why);
	}
	free(jobs);
	free(p);
}
