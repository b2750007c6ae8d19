/* Whole-archive verification. Full mode decrypts and authenticates every
 * live chunk and manifest, binds each chunk to its sealed catalog row (by
 * its AES-GCM tag, or the keyed hash of rows older than tags), compares the
 * branch's case trees with the catalog, re-reads every other git object
 * (libgit2 verifies its hash), checks every pack against the CRC-32s of its
 * index and every index against its checksum, and checks the journal chain
 * and its anchors. Quick mode checks structure only. The case-by-case part
 * is in cases.c. A failing object is re-read once before it is reported, as
 * restic does, so a transient read error is not called damage. */
#include "verify/vctx.h"
#include "mirror/state.h"
#include "util/buf.h"
#include "catalog/rowmac.h"
#include "crypto/algs.h"
#include "records/sealed.h"
#include "store/pack.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define damage cv__verify_damage
#define in_subset cv__verify_in_subset

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
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(md, cv__alg_sha1(), NULL);
	unsigned char *buf = malloc(1 << 20);
	off_t left = size - 20;
	int ok = buf != NULL;
	while (left > 0) {
		ssize_t n = read(fd, buf, left < (off_t)(1 << 20) ? (size_t)left : (size_t)(1 << 20));
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

/* A pack against its index (store/packcheck.c: every entry's CRC-32, not
 * a SHA-1 over the whole file: the objects verify uses are authenticated
 * one by one anyway); an index by its own SHA-1 (small). Each is read
 * again before it is called damaged. */
static void verify_pack_file(vctx *v, const char *name)
{
	char path[4096], idx[4096], why[256] = "";
	size_t n = strlen(name);
	snprintf(path, sizeof path, "%s/%s", v->a->store->pack_dir, name);
	if (strcmp(name + n - 5, ".pack")) {
		if (!file_checksum_ok(path) && !file_checksum_ok(path))
			damage(v, path, "file checksum does not match its content");
		return;
	}
	snprintf(idx, sizeof idx, "%s/%.*s.idx", v->a->store->pack_dir, (int)(n - 5), name);
	if (access(idx, F_OK) != 0) {
		damage(v, path, "the pack has no index");
		return;
	}
	int rc = cv__pack_check(path, idx, why, sizeof why);
	if (rc == CV_EDAMAGED)
		rc = cv__pack_check(path, idx, why, sizeof why);
	if (rc == CV_EDAMAGED)
		damage(v, path, why);
	else if (rc)
		damage(v, path, cv_error_last()->message); /* out of memory: never passed as sound */
	cv_error_clear();
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
		verify_pack_file(v, e->d_name);
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

/* The mirror state (mirrors.json): authentic, not deleted while the journal
 * records mirrors, not put back with a destroyed epoch's key. */
static void verify_mirror_state(vctx *v)
{
	cv_mstate st;
	if (cv__mstate_load(&st, v->a) < 0) {
		damage(v, "mirrors.json", cv_error_last()->message);
		cv_error_clear();
		return;
	}
	cv__mstate_dispose(&st);
}

/* SQLite's own check of the catalog file's structure, on connection `c`. */
static int check_catalog_file(vctx *v, cv_catalog *c)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(c, &st, v->o->quick ? "PRAGMA quick_check" : "PRAGMA integrity_check"));
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *m = (const char *)sqlite3_column_text(st, 0);
		if (m && strcmp(m, "ok"))
			damage(v, "catalog", m);
	}
	sqlite3_finalize(st);
	return step == SQLITE_DONE ? 0 : cv__catalog_fail(c, "check the catalog file");
}

/* The catalog file (unless the pack thread checks it), its sealed rows,
 * keys that vanished, the sealing certificate. */
static int verify_catalog(vctx *v, uint64_t *keyless, int file_checked_aside)
{
	cv_archive *a = v->a;
	if (!file_checked_aside)
		CV_TRY(check_catalog_file(v, a->cat));
	uint64_t rows = 0, before = v->rep->damaged;
	CV_TRY(cv__rowmac_scan(a->cat, row_damaged, v, &rows));
	v->rows_sound = v->rep->damaged == before;
	CV_TRY(cv__verify_keyless(v, keyless));
	verify_sealing_cert(v);
	verify_mirror_state(v);
	return 0;
}

/* The journal's chain and anchors, and the outside anchors if given. */
static int verify_journal(vctx *v)
{
	cv_journal_report jr = CV_JOURNAL_REPORT_INIT;
	if ((v->o->quick ? cv__journal_verify_newest(&jr, v->a) : cv_journal_verify(&jr, v->a)) == CV_EDAMAGED) {
		char obj[64];
		snprintf(obj, sizeof obj, "journal entry %llu", (unsigned long long)jr.first_bad);
		damage(v, obj, jr.reason);
	}
	v->rep->journal_entries = jr.entries;
	/* a version-1 caller's struct ends before anchor_file */
	const char *anchors = v->o->version >= 2 ? v->o->anchor_file : NULL;
	if (anchors) {
		int ar = cv_journal_verify_anchors(&jr, v->a, anchors);
		if (ar == CV_EDAMAGED)
			damage(v, "journal anchor", jr.reason);
		else if (ar)
			return ar;
	}
	return 0;
}

/* The branch against the catalog's head; the root tree the cases are
 * compared with. */
static void verify_branch(vctx *v, git_oid *root, int *has_root)
{
	cv_archive *a = v->a;
	git_oid head;
	char *hex = NULL;
	*has_root = 0;
	if (cv__catalog_meta_get(a->cat, "head", &hex) == 0 && git_oid_fromstr(&head, hex) == 0) {
		git_oid ref;
		if (cv__store_head(a->store, &ref) < 0 || !git_oid_equal(&ref, &head)) {
			git_oid parent;
			int hp = 0;
			int pending = cv__store_commit_info(a->store, &head, NULL, &parent, &hp, NULL) == 0 && hp &&
				cv__store_head(a->store, &ref) == 0 && git_oid_equal(&parent, &ref);
			if (!pending)
				damage(v, "branch " CV_BRANCH, "does not point at the catalog's head commit");
		}
		if (cv__store_commit_info(a->store, &head, root, NULL, NULL, NULL) == 0)
			*has_root = 1;
		else
			damage(v, "head commit", cv_error_last()->message);
	}
	free(hex);
	cv_error_clear();
}

/* The pack files are a second pass over every byte (full mode), and
 * SQLite's check of the catalog file a pass over all of it (every mode):
 * both on a thread of their own (with a catalog connection of its own),
 * alongside the rest, when more than one thread is allowed. What it finds
 * is reported after the rest. */
typedef struct packs_job {
	vctx v;
	cv_verify_report rep;
	pthread_t th;
	int running, catalog; /* catalog: the job checks the catalog file */
	int packs;            /* full mode, whole archive: the pack files too */
	int rc;
	char err[256];
} packs_job;

static void check_catalog_aside(packs_job *j)
{
	cv_catalog *c = NULL;
	cv_archive *a = j->v.a;
	int rc = cv__catalog_open(&c, a->catalog_path, 0, a->lock_timeout_ms);
	if (!rc)
		rc = check_catalog_file(&j->v, c);
	if (rc) {
		j->rc = rc;
		snprintf(j->err, sizeof j->err, "%s", cv_error_last()->message);
	}
	cv__catalog_close(c);
}

static void *packs_thread(void *p)
{
	packs_job *j = p;
	if (j->catalog)
		check_catalog_aside(j);
	if (j->packs)
		verify_packs(&j->v);
	return NULL;
}

static void packs_start(packs_job *j, const vctx *v)
{
	memset(j, 0, sizeof *j);
	j->v = *v;
	j->v.rep = &j->rep;
	j->v.seen = NULL;
	j->v.nseen = j->v.capseen = 0;
	j->v.keep = 1;
	j->packs = !v->o->quick && (!v->o->subset_t || v->o->subset_n == 1);
	j->catalog = v->threads > 1;
	j->running = j->catalog && pthread_create(&j->th, NULL, packs_thread, j) == 0;
	if (!j->running)
		j->catalog = 0; /* no thread: the caller checks the catalog file */
}

static int packs_finish(packs_job *j, vctx *v)
{
	if (j->running)
		pthread_join(j->th, NULL);
	else if (j->packs)
		verify_packs(&j->v);
	v->rep->damaged += j->rep.damaged - j->v.nfound; /* any not described (out of memory) */
	for (size_t i = 0; i < j->v.nfound; i++) {
		damage(v, j->v.found[i].object, j->v.found[i].reason);
		free(j->v.found[i].object);
		free(j->v.found[i].reason);
	}
	free(j->v.found);
	/* a catalog file that could not be checked is an error, not damage */
	return j->rc ? cv__err(j->rc, "%s", j->err) : 0;
}

static int verify_all(vctx *v)
{
	uint64_t keyless = 0;
	/* the pack files need nothing from the catalog: their thread starts first */
	packs_job pj;
	packs_start(&pj, v);
	int rc = verify_catalog(v, &keyless, pj.catalog);
	if (!rc)
		rc = verify_journal(v);
	git_oid root;
	int has_root = 0;
	if (!rc)
		verify_branch(v, &root, &has_root);
	if (!rc)
		rc = cv__verify_cases(v, &root, has_root);
	v->rep->cases += keyless;
	if (!rc && !v->o->quick)
		rc = cv__verify_objects(v);
	int pr = packs_finish(&pj, v);
	return rc ? rc : pr;
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
	long np = opts->version >= 3 && opts->threads ? (long)opts->threads : sysconf(_SC_NPROCESSORS_ONLN);
	vctx v = { .a = a, .o = opts, .rep = rep, .cb = on_damage, .payload = payload,
		.threads = np < 1 ? 1 : np > 8 ? 8 : (size_t)np };
	/* one snapshot of the catalog for the whole pass (a writer may go on) */
	CV_TRY(cv__catalog_read_begin(a->cat));
	int rc = verify_all(&v);
	cv__catalog_read_end(a->cat);
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
