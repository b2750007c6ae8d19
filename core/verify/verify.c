/* Whole-archive verification. Full mode decrypts and authenticates every
 * live chunk and manifest, checks each against the catalog's keyed hash,
 * compares the branch's case trees with the catalog, re-reads every other
 * git object (libgit2 verifies its hash) and the checksums of every pack and
 * index file, and checks the journal chain and its anchors. Quick mode
 * checks structure only. A failing object is re-read once before it is
 * reported, as restic does, so a transient read error is not called damage. */
#include "util/buf.h"
#include "catalog/rowmac.h"
#include "records/sealed.h"
#include "records/revtag.h"
#include "crypto/algs.h"

#include <dirent.h>
#include <git2/sys/odb_backend.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct vctx {
	cv_archive *a;
	const cv_verify_options *o;
	cv_verify_report *rep;
	cv_damage_cb cb;
	void *payload;
	git_oid *seen;
	size_t nseen, capseen;
} vctx;

static void damage(vctx *v, const char *object, const char *reason)
{
	v->rep->damaged++;
	if (v->cb)
		v->cb(object, reason, v->payload);
}

static int in_subset(const vctx *v, const git_oid *oid)
{
	if (!v->o->subset_t)
		return 1;
	unsigned x = (unsigned)oid->id[0] << 8 | oid->id[1];
	return x % v->o->subset_t == v->o->subset_n - 1;
}

static int mark_seen(vctx *v, const git_oid *oid)
{
	CV_TRY(cv__grow((void **)&v->seen, &v->capseen, v->nseen, sizeof *v->seen));
	git_oid_cpy(&v->seen[v->nseen++], oid);
	return 0;
}

static int oid_cmp(const void *x, const void *y)
{
	return git_oid_cmp(x, y);
}

/* One check of one object: read it, and (full mode) authenticate it and
 * compare its keyed hash; returns 0 or a code with the reason set. */
static int check_chunk(vctx *v, const git_oid *oid, const cv_case_key *k, const unsigned char *hash, uint64_t size)
{
	cv_archive *a = v->a;
	if (v->o->quick)
		return cv__store_exists(a->store, oid) ? 0 : cv__err(CV_EDAMAGED, "object is missing");
	git_odb_object *obj = NULL;
	CV_TRY(cv__store_read_blob(a->store, oid, &obj));
	cv_buf plain = CV_BUF_INIT;
	int rc = cv__cms_open(&plain, k->key, k->id, git_odb_object_data(obj), git_odb_object_size(obj));
	git_odb_object_free(obj);
	if (!rc && hash) {
		unsigned char h[32];
		rc = cv__hmac_sha256(h, k->k_hash, 32, plain.data, plain.len);
		if (!rc && (memcmp(h, hash, 32) || plain.len != size))
			rc = cv__err(CV_EDAMAGED, "content does not match the catalog's keyed hash");
	}
	if (!rc) {
		v->rep->bytes += plain.len;
		if (!hash) {
			/* a manifest: must be the JSON of this very case */
			if (!memmem(plain.data, plain.len, "casevault-case-manifest", 23))
				rc = cv__err(CV_EDAMAGED, "manifest is not a casevault case manifest");
		}
	}
	cv__buf_wipe_dispose(&plain);
	return rc;
}

static void checked(vctx *v, const git_oid *oid, const char *label, const cv_case_key *k, const unsigned char *hash,
	uint64_t size)
{
	int rc = check_chunk(v, oid, k, hash, size);
	if (rc)
		rc = check_chunk(v, oid, k, hash, size); /* re-read once */
	v->rep->objects++;
	mark_seen(v, oid);
	if (rc) {
		char obj[256], hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof hex, oid);
		snprintf(obj, sizeof obj, "git object %s (%s)", hex, label);
		damage(v, obj, cv_error_last()->message);
	}
}

static int compare_case_tree(vctx *v, const git_oid *root, const char *case_id, const char *manifest_hex)
{
	cv_archive *a = v->a;
	git_oid ct, m, want;
	char label[128];
	snprintf(label, sizeof label, "case %s", case_id);
	if (cv__store_get_case(a->store, root, case_id, &ct) < 0) {
		damage(v, label, "case tree missing from the branch head");
		return 0;
	}
	int is_tree = 0;
	if (manifest_hex && (git_oid_fromstr(&want, manifest_hex) < 0 || cv__store_lookup(a->store, &ct, "manifest", &m, &is_tree) < 0 ||
		!git_oid_equal(&m, &want)))
		damage(v, label, "the branch's manifest differs from the catalog's");
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_stmt(a->cat, &st,
		"SELECT d.doc_id, c.oid, rc.seq FROM documents d JOIN rev_chunks rc ON rc.case_id=d.case_id AND rc.doc_id=d.doc_id"
		" AND rc.rev=(SELECT max(rev) FROM revisions r WHERE r.case_id=d.case_id AND r.doc_id=d.doc_id)"
		" JOIN chunks c ON c.case_id=rc.case_id AND c.hash=rc.hash WHERE d.case_id=? AND d.removed=0"));
	cv__bind_text(st, 1, case_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char path[64];
		git_oid got, exp;
		snprintf(path, sizeof path, "%s/%06d", (const char *)sqlite3_column_text(st, 0), sqlite3_column_int(st, 2));
		const char *hex = (const char *)sqlite3_column_text(st, 1);
		if (!hex || git_oid_fromstr(&exp, hex) < 0 || cv__store_lookup(a->store, &ct, path, &got, &is_tree) < 0 ||
			!git_oid_equal(&got, &exp)) {
			char obj[200];
			snprintf(obj, sizeof obj, "case %s document chunk %s", case_id, path);
			damage(v, obj, "the branch's tree differs from the catalog");
		}
	}
	cv__stmt_done(st);
	return 0;
}

/* Every revision's chunk list against its tag: rows removed, added,
 * reordered or edited are damage even when every object is sound. */
static int check_revision_tags(vctx *v, const char *case_id, const cv_case_key *k)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_stmt(v->a->cat, &st, "SELECT doc_id, rev FROM revisions WHERE case_id=? ORDER BY doc_id, rev"));
	cv__bind_text(st, 1, case_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *doc = (const char *)sqlite3_column_text(st, 0);
		unsigned rev = (unsigned)sqlite3_column_int(st, 1);
		if (cv__rev_check(v->a, case_id, k, doc, rev)) {
			char obj[160];
			snprintf(obj, sizeof obj, "case %s document %s revision %u", case_id, doc, rev);
			damage(v, obj, cv_error_last()->message);
		}
	}
	cv__stmt_done(st);
	CV_TRY(cv__catalog_stmt(v->a->cat, &st,
		"SELECT rc.doc_id, rc.rev, rc.seq FROM rev_chunks rc LEFT JOIN chunks c ON c.case_id=rc.case_id AND c.hash=rc.hash"
		" WHERE rc.case_id=? AND c.hash IS NULL"));
	cv__bind_text(st, 1, case_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char obj[160];
		snprintf(obj, sizeof obj, "case %s document %s revision %d chunk %d", case_id,
			(const char *)sqlite3_column_text(st, 0), sqlite3_column_int(st, 1), sqlite3_column_int(st, 2));
		damage(v, obj, "the chunk's record is missing from the catalog");
	}
	cv__stmt_done(st);
	return 0;
}

static int verify_cases(vctx *v, const git_oid *root, int has_root)
{
	cv_archive *a = v->a;
	sqlite3_stmt *cs = NULL, *ch = NULL;
	/* In the order the cases were stored: their objects lie together in the
	 * packs, so the pack windows mapped for one case serve the next. */
	CV_TRY(cv__catalog_prepare(a->cat, &cs, "SELECT c.id, c.manifest FROM cases c JOIN case_keys k ON k.case_id=c.id "
		"ORDER BY c.rowid"));
	int rc = cv__catalog_prepare(a->cat, &ch, "SELECT oid, hash, size FROM chunks WHERE case_id=?");
	uint64_t ncases = 0, total = 0;
	sqlite3_stmt *cnt = NULL;
	if (!rc && cv__catalog_prepare(a->cat, &cnt, "SELECT count(*) FROM case_keys") == 0) {
		if (sqlite3_step(cnt) == SQLITE_ROW)
			total = (uint64_t)sqlite3_column_int64(cnt, 0);
		sqlite3_finalize(cnt);
	}
	while (!rc && sqlite3_step(cs) == SQLITE_ROW) {
		char id[40], manifest[64] = "";
		cv__col_text(cs, 0, id, sizeof id);
		cv__col_text(cs, 1, manifest, sizeof manifest);
		cv_case_key k;
		ncases++;
		if (cv__case_key_load(a, id, &k) < 0) {
			char obj[96];
			snprintf(obj, sizeof obj, "case %s key", id);
			damage(v, obj, cv_error_last()->message);
			continue;
		}
		if (manifest[0]) {
			git_oid m;
			char label[96];
			snprintf(label, sizeof label, "case %s manifest", id);
			if (git_oid_fromstr(&m, manifest) == 0 && in_subset(v, &m))
				checked(v, &m, label, &k, NULL, 0);
		}
		sqlite3_reset(ch);
		cv__bind_text(ch, 1, id);
		while (sqlite3_step(ch) == SQLITE_ROW) {
			git_oid oid;
			const char *hex = (const char *)sqlite3_column_text(ch, 0);
			char label[96];
			snprintf(label, sizeof label, "case %s chunk", id);
			if (!hex || git_oid_fromstr(&oid, hex) < 0 || sqlite3_column_bytes(ch, 1) != 32) {
				damage(v, label, "malformed chunk record in the catalog");
				continue;
			}
			if (in_subset(v, &oid))
				checked(v, &oid, label, &k, sqlite3_column_blob(ch, 1), (uint64_t)sqlite3_column_int64(ch, 2));
		}
		if (!v->o->subset_t || v->o->subset_n == 1)
			rc = check_revision_tags(v, id, &k);
		cv__case_key_wipe(&k);
		if (!rc && has_root && (!v->o->subset_t || v->o->subset_n == 1))
			rc = compare_case_tree(v, root, id, manifest[0] ? manifest : NULL);
		char why[256]; /* the sealed identity: hash and structure, never decrypted */
		if (!rc && (!v->o->subset_t || v->o->subset_n == 1) &&
			cv__sealed_verify(a, id, has_root ? root : NULL, v->o->quick, why, sizeof why) == CV_EDAMAGED) {
			char obj[96];
			snprintf(obj, sizeof obj, "case %s sealed identity", id);
			damage(v, obj, why);
		}
		cv__progress(a, "verify", ncases, total);
	}
	sqlite3_finalize(cs);
	sqlite3_finalize(ch);
	v->rep->cases = ncases;
	return rc;
}

static int collect(const git_oid *id, void *payload)
{
	vctx *v = payload;
	git_oid *p;
	if (v->nseen == v->capseen) {
		size_t cap = v->capseen ? v->capseen * 2 : 1024;
		if (!(p = realloc(v->seen, cap * sizeof *p)))
			return -1;
		v->seen = p;
		v->capseen = cap;
	}
	git_oid_cpy(&v->seen[v->nseen++], id);
	return 0;
}

/* Every other object in the repository: trees, commits, old manifests. */
static int verify_all_objects(vctx *v)
{
	cv_archive *a = v->a;
	size_t already = v->nseen;
	if (already)
		qsort(v->seen, already, sizeof *v->seen, oid_cmp);
	/* git_odb_foreach would call the mempack backend, which has no foreach
	 * in libgit2 1.5; walk the on-disk backends ourselves. */
	size_t nb = git_odb_num_backends(a->store->odb);
	for (size_t b = 0; b < nb; b++) {
		git_odb_backend *be = NULL;
		if (git_odb_get_backend(&be, a->store->odb, b) < 0 || !be->foreach || be == a->store->mempack)
			continue;
		if (be->foreach(be, collect, v) < 0)
			return cv__err(CV_EDAMAGED, "cannot list git objects: %s", cv__git_reason());
	}
	for (size_t i = already; i < v->nseen; i++) {
		const git_oid *id = &v->seen[i];
		if ((already && bsearch(id, v->seen, already, sizeof *id, oid_cmp)) || !in_subset(v, id))
			continue;
		git_odb_object *o = NULL;
		int e = git_odb_read(&o, a->store->odb, id);
		if (e < 0)
			e = git_odb_read(&o, a->store->odb, id);
		git_odb_object_free(o);
		v->rep->objects++;
		if (e < 0) {
			char obj[96], hex[GIT_OID_HEXSZ + 1];
			git_oid_tostr(hex, sizeof hex, id);
			snprintf(obj, sizeof obj, "git object %s", hex);
			damage(v, obj, cv__git_reason());
		}
	}
	return 0;
}

static int file_checksum_ok(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	off_t size = lseek(fd, 0, SEEK_END);
	if (size < 20) {
		close(fd);
		return 0;
	}
	lseek(fd, 0, SEEK_SET);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(md, cv__alg_sha1(), NULL);
	unsigned char *buf = malloc(1 << 16);
	off_t left = size - 20;
	int ok = buf != NULL;
	while (left > 0) {
		ssize_t n = read(fd, buf, left < (off_t)(1 << 16) ? (size_t)left : (size_t)(1 << 16));
		if (n <= 0) {
			ok = 0;
			break;
		}
		EVP_DigestUpdate(md, buf, (size_t)n);
		left -= n;
	}
	free(buf);
	unsigned char want[20], got[20];
	unsigned int gl = 0;
	EVP_DigestFinal_ex(md, got, &gl);
	EVP_MD_CTX_free(md);
	if (ok && read(fd, want, 20) != 20)
		ok = 0;
	close(fd);
	return ok && memcmp(want, got, 20) == 0;
}

static int verify_packs(vctx *v)
{
	DIR *d = opendir(v->a->store->pack_dir);
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n < 5 || (strcmp(e->d_name + n - 5, ".pack") && strcmp(e->d_name + n - 4, ".idx")))
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", v->a->store->pack_dir, e->d_name);
		if (!file_checksum_ok(path) && !file_checksum_ok(path))
			damage(v, path, "file checksum does not match its content");
	}
	closedir(d);
	return 0;
}

static int row_damaged(const char *table, const char *row, void *payload)
{
	char obj[200];
	snprintf(obj, sizeof obj, "catalog row %s %s", table, row);
	damage(payload, obj, "altered outside casevault (its seal does not match)");
	return 0;
}

/* The decision a shredding rests on: a sweep plan a director approved, or
 * an erasure fulfilled (both signed; journal verify checks the signatures). */
static int shred_grounded(cv_archive *a, const char *case_id)
{
	sqlite3_stmt *st = NULL;
	char like[64];
	snprintf(like, sizeof like, "case:%s %%", case_id);
	if (cv__catalog_prepare(a->cat, &st, "SELECT d.seq FROM journal j JOIN journal d ON d.outcome='ok' AND ("
		" (j.action IN ('case.anonymise','case.destroy') AND d.action='sweep.approve'"
		"   AND d.object LIKE 'plan:' || substr(j.object, instr(j.object, 'plan:') + 5, 16) || '%')"
		" OR (j.action='case.erase' AND d.action='request.fulfil'"
		"   AND d.object LIKE 'request:' || substr(j.object, instr(j.object, 'request:') + 8, 13) || ' %'))"
		" WHERE j.object LIKE ?1 AND j.outcome='ok' AND j.action IN ('case.anonymise','case.destroy','case.erase') LIMIT 1"))
		return 0;
	cv__bind_text(st, 1, like);
	int ok = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return ok;
}

/* A case without a key was shredded by a journaled decision, or its key
 * was deleted behind casevault's back: that is damage, not erasure. */
static int verify_keyless(vctx *v, uint64_t *n)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(v->a->cat, &st, "SELECT id, ref, state FROM cases WHERE id NOT IN (SELECT case_id FROM "
		"case_keys) ORDER BY id"));
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0), *state = (const char *)sqlite3_column_text(st, 2);
		char obj[96];
		snprintf(obj, sizeof obj, "case %s key", id);
		(*n)++;
		if (strcmp(state, "anonymised") && strcmp(state, "destroyed"))
			damage(v, obj, "the case key is missing, but the case was never shredded (deleted from the catalog)");
		else if (!shred_grounded(v->a, id))
			damage(v, obj, "the case was shredded without a journaled, signed decision (sweep plan or erasure)");
	}
	sqlite3_finalize(st);
	return 0;
}

/* The sealing certificate must be the one the signed origins setup pinned. */
static void verify_sealing_cert(vctx *v)
{
	char *pem = NULL;
	int has = cv__catalog_meta_get(v->a->cat, "sealing_cert", &pem) == 0;
	free(pem);
	if (!has) {
		cv_error_clear();
		return;
	}
	X509 *x = NULL;
	if (cv__sealing_cert(v->a, &x) < 0)
		damage(v, "origins sealing certificate", cv_error_last()->message);
	X509_free(x);
}

CV_EXTERN(int) cv_archive_verify(cv_verify_report *rep, cv_archive *a, const cv_verify_options *opts, cv_damage_cb on_damage,
	void *payload)
{
	cv_verify_options defaults = CV_VERIFY_OPTIONS_INIT;
	if (!opts)
		opts = &defaults;
	CV_TRY(cv__result_begin(rep, sizeof *rep, CV_VERIFY_REPORT_VERSION, "verify"));
	CV_TRY(cv__options_version(opts, opts->version, CV_VERIFY_OPTIONS_VERSION, "verify"));
	if (opts->subset_t && (opts->subset_n < 1 || opts->subset_n > opts->subset_t))
		return cv__err(CV_EINVAL, "verify: a subset N of T needs 1 <= N <= T");
	CV_TRY(cv__access_check(a, "archive.verify", ""));
	vctx v = { a, opts, rep, on_damage, payload, NULL, 0, 0 };

	/* catalog file */
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, opts->quick ? "PRAGMA quick_check" : "PRAGMA integrity_check"));
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *m = (const char *)sqlite3_column_text(st, 0);
		if (m && strcmp(m, "ok"))
			damage(&v, "catalog", m);
	}
	sqlite3_finalize(st);

	/* sealed rows, and keys that vanished */
	uint64_t rows = 0;
	CV_TRY(cv__rowmac_scan(a->cat, row_damaged, &v, &rows));
	uint64_t keyless = 0;
	CV_TRY(verify_keyless(&v, &keyless));
	verify_sealing_cert(&v);

	/* journal chain and anchors */
	cv_journal_report jr = CV_JOURNAL_REPORT_INIT;
	if (cv_journal_verify(&jr, a) == CV_EDAMAGED) {
		char obj[64];
		snprintf(obj, sizeof obj, "journal entry %llu", (unsigned long long)jr.first_bad);
		damage(&v, obj, jr.reason);
	}
	rep->journal_entries = jr.entries;
	/* a version-1 caller's struct ends before anchor_file */
	const char *anchors = opts->version >= 2 ? opts->anchor_file : NULL;
	if (anchors) {
		int ar = cv_journal_verify_anchors(&jr, a, anchors);
		if (ar == CV_EDAMAGED)
			damage(&v, "journal anchor", jr.reason);
		else if (ar)
			return ar;
	}

	/* branch against catalog */
	git_oid head, root;
	int has_root = 0;
	char *hex = NULL;
	if (cv__catalog_meta_get(a->cat, "head", &hex) == 0 && git_oid_fromstr(&head, hex) == 0) {
		git_oid ref;
		if (cv__store_head(a->store, &ref) < 0 || !git_oid_equal(&ref, &head)) {
			git_oid parent;
			int hp = 0;
			int pending = cv__store_commit_info(a->store, &head, NULL, &parent, &hp, NULL) == 0 && hp &&
				cv__store_head(a->store, &ref) == 0 && git_oid_equal(&parent, &ref);
			if (!pending)
				damage(&v, "branch " CV_BRANCH, "does not point at the catalog's head commit");
		}
		if (cv__store_commit_info(a->store, &head, &root, NULL, NULL, NULL) == 0)
			has_root = 1;
		else
			damage(&v, "head commit", cv_error_last()->message);
	}
	free(hex);

	int rc = verify_cases(&v, &root, has_root);
	rep->cases += keyless;
	if (!rc && !opts->quick) {
		rc = verify_all_objects(&v);
		if (!rc && (!opts->subset_t || opts->subset_n == 1))
			rc = verify_packs(&v);
	}
	free(v.seen);
	if (rc)
		return rc;
	char obj[160];
	snprintf(obj, sizeof obj, "mode:%s subset:%u/%u objects:%llu damaged:%llu", opts->quick ? "quick" : "full",
		opts->subset_n, opts->subset_t, (unsigned long long)rep->objects, (unsigned long long)rep->damaged);
	cv__journal_record(a->cat, a->actor, "archive.verify", obj, rep->damaged ? "damaged" : "ok");
	if (rep->damaged)
		return cv__err(CV_EDAMAGED, "verification found %llu damaged object%s", (unsigned long long)rep->damaged,
			rep->damaged > 1 ? "s" : "");
	return 0;
}
