/* Archive life: keygen, init, open (key check before anything else), free.
 * Layout of an archive directory (docs/format.md):
 *   archive.json   format, id, KDF parameters, key check value
 *   catalog.db     SQLite catalog (+ -wal, -shm)
 *   git/           bare git repository of encrypted objects
 *   lock           writer lock (flock) */
#include "util/json.h"
#include "engine/internal.h"
#include "crypto/warm.h"
#include "catalog/rowmac.h"
#include "util/date.h"
#include "util/fs.h"
#include "util/hex.h"
#include "util/wipe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

CV_EXTERN(int) cv_key_generate(const char *path)
{
	unsigned char key[32];
	if (!path || !*path)
		return cv__err(CV_EINVAL, "keygen: no file name given");
	CV_TRY(cv__random(key, sizeof key));
	int rc = cv__write_file_new(path, key, sizeof key, 0600);
	cv__wipe(key, sizeof key);
	return rc;
}

static int read_key_file(unsigned char out[32], const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return cv__err(CV_EINVAL, "cannot read key file %s: %s", path, strerror(errno));
	if (st.st_mode & 0077)
		return cv__err(CV_EAUTH, "key file %s is accessible to group or others (mode %04o); run chmod 600 %s",
			path, (unsigned)(st.st_mode & 0777), path);
	cv_buf b = CV_BUF_INIT;
	int rc = cv__read_file(&b, path, 64);
	if (!rc && b.len != 32)
		rc = cv__err(CV_EAUTH, "key file %s holds %zu bytes; a master key is exactly 32 bytes", path, b.len);
	if (!rc)
		memcpy(out, b.data, 32);
	cv__buf_wipe_dispose(&b);
	return rc;
}

CV_EXTERN(int) cv_secret_read_file(char **out, const char *path)
{
	cv_buf b = CV_BUF_INIT;
	int rc = cv__read_file(&b, path, 4096);
	if (rc) {
		cv__buf_wipe_dispose(&b);
		return rc;
	}
	size_t n = 0;
	while (n < b.len && b.data[n] != '\n' && b.data[n] != '\r')
		n++;
	if (n == 0) {
		cv__buf_wipe_dispose(&b);
		return cv__err(CV_EINVAL, "%s: the first line (the passphrase) is empty", path);
	}
	char *s = malloc(n + 1);
	if (!s) {
		cv__buf_wipe_dispose(&b);
		return cv__oom();
	}
	memcpy(s, b.data, n);
	s[n] = '\0';
	cv__buf_wipe_dispose(&b);
	*out = s;
	return 0;
}

CV_EXTERN(void) cv_secret_free(char *secret)
{
	if (secret)
		cv__wipe_free(secret, strlen(secret));
}

static void archive_free(cv_archive *a)
{
	if (!a)
		return;
	if (a->wrote && a->store && !a->read_only) {
		/* Keep the pack count logarithmic, once per command; skipped if
		 * another writer holds the lock (it will do it). The caller's last
		 * error (a command that committed, then failed) is kept. */
		const cv_error *e = cv_error_last();
		int code = e->code;
		char msg[1024];
		snprintf(msg, sizeof msg, "%s", e->message);
		int saved = a->lock_timeout_ms;
		a->lock_timeout_ms = 2000;
		if (cv__lock(a) == 0) {
			cv__store_consolidate(a->store, 0, 0);
			cv__unlock(a);
		}
		a->lock_timeout_ms = saved;
		cv_error_clear();
		if (code)
			cv__err(code, "%s", msg);
	}
	cv__unlock(a);
	cv__catalog_close(a->cat);
	cv__store_free(a->store);
	free(a->dir);
	free(a->gitdir);
	free(a->catalog_path);
	free(a->lock_path);
	free(a->config_path);
	free(a->plugin_path);
	if (a->credential)
		cv__wipe_free(a->credential, strlen(a->credential));
	cv__wipe(a, sizeof *a);
	free(a);
}

CV_EXTERN(void) cv_archive_free(cv_archive *a)
{
	archive_free(a);
}

static int archive_alloc(cv_archive **out, const char *dir, const cv_open_options *opts)
{
	if (opts)
		CV_TRY(cv__options_version(opts, opts->version, CV_OPEN_OPTIONS_VERSION, "archive open"));
	cv_archive *a = calloc(1, sizeof *a);
	if (!a)
		return cv__oom();
	a->lock_fd = -1;
	a->lock_timeout_ms = opts && opts->lock_timeout_ms >= 0 ? opts->lock_timeout_ms : 30000;
	a->read_only = opts ? opts->read_only : 0;
	a->progress = opts ? opts->progress : NULL;
	a->progress_payload = opts ? opts->progress_payload : NULL;
	a->plugin_path = opts && opts->plugin_path ? strdup(opts->plugin_path) : NULL;
	a->dir = strdup(dir);
	a->gitdir = cv__path_join(dir, "git");
	a->catalog_path = cv__path_join(dir, "catalog.db");
	a->lock_path = cv__path_join(dir, "lock");
	a->config_path = cv__path_join(dir, "archive.json");
	if (!a->dir || !a->gitdir || !a->catalog_path || !a->lock_path || !a->config_path) {
		archive_free(a);
		return cv__oom();
	}
	const char *actor = opts ? opts->actor : NULL;
	if (!actor || !*actor) {
		struct passwd *pw = getpwuid(geteuid());
		actor = pw ? pw->pw_name : "unknown";
	}
	if (strlen(actor) >= sizeof a->actor) {
		archive_free(a);
		return cv__err(CV_EINVAL, "user name '%.20s...' is too long", actor);
	}
	snprintf(a->actor, sizeof a->actor, "%s", actor);
	*out = a;
	return 0;
}

/* Master key from the options: a raw key file, or a passphrase through
 * scrypt with the archive's salt and parameters. */
/* Once rows are sealed, the journal says so (catalog.seal): an upgrade
 * that would seal them again after someone removed the seals is refused
 * (catalog.c). */
static int seals_journaled(cv_archive *a)
{
	sqlite3_stmt *st = NULL;
	CV_TRY(cv__catalog_prepare(a->cat, &st, "SELECT 1 FROM journal WHERE action='catalog.seal' LIMIT 1"));
	int done = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (done || !cv__rowmac_active(a->cat))
		return 0;
	CV_TRY(cv__catalog_begin(a->cat));
	int rc = cv__journal_append(a->cat, "casevault", "catalog.seal", "schema:12", "ok", NULL, NULL);
	if (!rc)
		rc = cv__catalog_commit(a->cat);
	if (rc)
		cv__catalog_rollback(a->cat);
	return rc;
}

static int load_master(cv_archive *a, const cv_open_options *opts, const char *kdf, const unsigned char *salt,
	size_t saltlen, const cv_scrypt_params *prm)
{
	const char *key_file = opts ? opts->key_file : NULL, *pass_file = opts ? opts->passphrase_file : NULL;
	if (key_file && pass_file)
		return cv__err(CV_EINVAL, "give either a key file or a passphrase file, not both");
	if (!key_file && !pass_file)
		return cv__err(CV_EINVAL, "no master key was given (a key file or a passphrase file)");
	if (kdf && strcmp(kdf, "scrypt") == 0 && key_file)
		return cv__err(CV_EAUTH, "archive %s is protected by a passphrase, not a key file", a->dir);
	if (kdf && strcmp(kdf, "raw") == 0 && pass_file)
		return cv__err(CV_EAUTH, "archive %s is protected by a key file, not a passphrase", a->dir);
	if (key_file)
		return read_key_file(a->master, key_file);
	char *pass = NULL;
	CV_TRY(cv_secret_read_file(&pass, pass_file));
	int rc = cv__scrypt(a->master, 32, pass, strlen(pass), salt, saltlen, prm);
	cv_secret_free(pass);
	return rc;
}

static int key_check_value(const cv_archive *a, unsigned char out[32])
{
	return cv__hkdf(out, 32, a->master, 32, (const unsigned char *)a->id, strlen(a->id), CV_LABEL_CHECK);
}

static int dir_is_empty(const char *dir, int *empty)
{
	DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT) {
			*empty = -1;
			return 0;
		}
		return cv__err(CV_ERROR, "cannot open directory %s: %s", dir, strerror(errno));
	}
	struct dirent *e;
	*empty = 1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			*empty = 0;
	closedir(d);
	return 0;
}

static int write_config(cv_archive *a, const char *kdf, const unsigned char *salt, size_t saltlen,
	const cv_scrypt_params *prm, const unsigned char kcv[32])
{
	char kcvhex[65], salthex[65], now[32];
	cv__hex(kcvhex, kcv, 32);
	cv__now_iso(now);
	json_t *k = json_pack("{s:s}", "type", kdf);
	if (salt) {
		cv__hex(salthex, salt, saltlen);
		json_object_set_new(k, "salt", json_string(salthex));
		json_object_set_new(k, "log2_n", json_integer(prm->log2_n));
		json_object_set_new(k, "r", json_integer(prm->r));
		json_object_set_new(k, "p", json_integer(prm->p));
	}
	json_t *root = json_pack("{s:s,s:i,s:s,s:s,s:o,s:s,s:s}", "format", "casevault-archive", "version",
		CV_ARCHIVE_FORMAT, "id", a->id, "created", now, "kdf", k, "key_check", kcvhex, "key_check_label",
		CV_LABEL_CHECK);
	char *text = root ? cv__json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(root);
	if (!text)
		return cv__oom();
	size_t n = strlen(text);
	int rc = cv__write_file_atomic(a->config_path, text, n, 0600);
	free(text);
	return rc;
}

CV_EXTERN(int) cv_archive_init(cv_archive **out, const char *dir, const cv_open_options *opts)
{
	cv_archive *a = NULL;
	unsigned char idb[16], salt[16], kcv[32];
	cv_scrypt_params prm = CV_MASTER_SCRYPT;
	int empty = 0, rc;
	*out = NULL;
	if (!dir || !*dir)
		return cv__err(CV_EINVAL, "init: no archive directory (give -A DIR or set CASEVAULT_ARCHIVE)");
	CV_TRY(dir_is_empty(dir, &empty));
	if (empty == 0)
		return cv__err(CV_EEXISTS, "init: %s is not empty; an archive is created in a new or empty directory", dir);
	if (empty < 0 && mkdir(dir, 0700) < 0)
		return cv__err(CV_ERROR, "init: cannot create %s: %s", dir, strerror(errno));
	chmod(dir, 0700);
	CV_TRY(archive_alloc(&a, dir, opts));
	const int passphrase = opts && opts->passphrase_file;
	if ((rc = cv__random(idb, sizeof idb)) || (rc = cv__random(salt, sizeof salt)))
		goto fail;
	cv__hex(a->id, idb, sizeof idb);
	if ((rc = load_master(a, opts, NULL, salt, sizeof salt, &prm)))
		goto fail;
	if ((rc = key_check_value(a, kcv)) || (rc = cv__derive_master_keys(a)))
		goto fail;
	if ((rc = cv__store_create(a->gitdir)) || (rc = cv__store_open(&a->store, a->gitdir)))
		goto fail;
	if ((rc = cv__catalog_open(&a->cat, a->catalog_path, 1, a->lock_timeout_ms)) ||
		(rc = cv__rowmac_start(a->cat, a->k_rows)) || (rc = cv__catalog_migrate(a->cat, cv__catalog_schema_latest())))
		goto fail;
	cv__journal_use_key(a->cat, a->k_journal);
	chmod(a->catalog_path, 0600); /* SQLite gives its -wal and -shm files the same mode */
	if ((rc = cv__catalog_begin(a->cat)) || (rc = cv__catalog_meta_set(a->cat, "archive_id", a->id)) ||
		(rc = cv__catalog_commit(a->cat)))
		goto fail;
	int fd = open(a->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = cv__err(CV_ERROR, "init: cannot create %s: %s", a->lock_path, strerror(errno));
		goto fail;
	}
	close(fd);
	/* The first user and the first commit, in one transaction. */
	cv_txn t;
	if ((rc = cv__txn_begin(&t, a, "init")))
		goto fail;
	rc = cv__txn_sql_begin(&t);
	if (!rc)
		rc = cv__user_insert(a, a->actor, "admin", NULL);
	if (!rc)
		rc = cv__txn_journal(&t, "archive.init", a->id, "ok");
	if (!rc)
		t.tree_changed = 1;
	if (!rc)
		rc = cv__txn_commit(&t);
	cv__txn_abort(&t);
	if (!rc)
		rc = seals_journaled(a);
	if (rc)
		goto fail;
	/* archive.json last: its presence marks a complete archive. */
	if ((rc = write_config(a, passphrase ? "scrypt" : "raw", passphrase ? salt : NULL, sizeof salt, &prm, kcv)))
		goto fail;
	rc = cv__fsync_dir(dir);
	if (rc)
		goto fail;
	snprintf(a->roles, sizeof a->roles, "admin");
	cv__wipe(kcv, sizeof kcv);
	*out = a;
	return 0;
fail:
	cv__wipe(kcv, sizeof kcv);
	archive_free(a);
	return cv__err_prefix("init %s", dir);
}

static int parse_config_text(cv_archive *a, const void *text, size_t len, char **kdf, unsigned char salt[64],
	size_t *saltlen, cv_scrypt_params *prm, unsigned char kcv[32]);

static int parse_config(cv_archive *a, char **kdf, unsigned char salt[64], size_t *saltlen, cv_scrypt_params *prm,
	unsigned char kcv[32])
{
	cv_buf b = CV_BUF_INIT;
	int rc = cv__read_file(&b, a->config_path, 65536);
	if (rc == CV_ENOTFOUND)
		return cv__err(CV_ENOTFOUND, "%s is not a casevault archive (no archive.json)", a->dir);
	CV_TRY(rc);
	rc = parse_config_text(a, b.data, b.len, kdf, salt, saltlen, prm, kcv);
	cv__buf_dispose(&b);
	return rc;
}

static int parse_config_text(cv_archive *a, const void *text, size_t len, char **kdf, unsigned char salt[64],
	size_t *saltlen, cv_scrypt_params *prm, unsigned char kcv[32])
{
	int rc = 0;
	json_error_t je;
	json_t *root = NULL;
	CV_TRY(cv__json_parse(&root, text, len, 0, a->config_path));
	const char *fmt = NULL, *id = NULL, *check = NULL, *type = NULL, *s = NULL;
	json_int_t ver = 0, ln = 0, r = 0, p = 0;
	json_t *k = NULL;
	if (json_unpack_ex(root, &je, 0, "{s:s,s:I,s:s,s:s,s:o}", "format", &fmt, "version", &ver, "id", &id,
		    "key_check", &check, "kdf", &k) < 0 ||
		json_unpack_ex(k, &je, 0, "{s:s,s?s,s?I,s?I,s?I}", "type", &type, "salt", &s, "log2_n", &ln, "r", &r, "p",
		    &p) < 0) {
		rc = json_error_code(&je) == json_error_out_of_memory ? cv__oom()
			: cv__err(CV_EDAMAGED, "%s: %s", a->config_path, je.text);
	} else if (strcmp(fmt, "casevault-archive") != 0) {
		rc = cv__err(CV_EDAMAGED, "%s: not a casevault archive header", a->config_path);
	} else if (ver != CV_ARCHIVE_FORMAT) {
		rc = cv__err(CV_EUNSUPPORTED, "%s: archive format %lld is not supported by this casevault (knows %d)",
			a->config_path, (long long)ver, CV_ARCHIVE_FORMAT);
	} else if (strlen(id) != 32 || cv__unhex(salt, 16, id) < 0 || cv__unhex(kcv, 32, check) < 0) {
		rc = cv__err(CV_EDAMAGED, "%s: malformed id or key check", a->config_path);
	} else if (strcmp(type, "raw") && strcmp(type, "scrypt")) {
		rc = cv__err(CV_EDAMAGED, "%s: unknown key derivation '%s'", a->config_path, type);
	} else {
		snprintf(a->id, sizeof a->id, "%s", id);
		*saltlen = 0;
		if (!strcmp(type, "scrypt")) {
			if (!s || strlen(s) > 128 || strlen(s) % 2 || cv__unhex(salt, strlen(s) / 2, s) < 0) {
				rc = cv__err(CV_EDAMAGED, "%s: malformed scrypt salt", a->config_path);
			} else {
				*saltlen = strlen(s) / 2;
				prm->log2_n = (unsigned)ln;
				prm->r = (unsigned)r;
				prm->p = (unsigned)p;
			}
		}
		if (!rc && !(*kdf = strdup(type)))
			rc = cv__oom();
	}
	json_decref(root);
	return rc;
}

static int open_keyed(cv_archive *a, const unsigned char kcv_stored[32]);

CV_EXTERN(int) cv_archive_open(cv_archive **out, const char *dir, const cv_open_options *opts)
{
	cv_archive *a = NULL;
	unsigned char salt[64], kcv_stored[32];
	size_t saltlen = 0;
	cv_scrypt_params prm = CV_MASTER_SCRYPT;
	char *kdf = NULL;
	int rc;
	*out = NULL;
	if (!dir || !*dir)
		return cv__err(CV_EINVAL, "no archive directory (give -A DIR or set CASEVAULT_ARCHIVE)");
	CV_TRY(cv__crypto_ready());
	CV_TRY(archive_alloc(&a, dir, opts));
	if ((rc = parse_config(a, &kdf, salt, &saltlen, &prm, kcv_stored)))
		goto fail;
	if ((rc = load_master(a, opts, kdf, salt, saltlen, &prm)))
		goto fail;
	free(kdf);
	kdf = NULL;
	if ((rc = open_keyed(a, kcv_stored)))
		goto fail;
	*out = a;
	return 0;
fail:
	free(kdf);
	archive_free(a);
	return rc;
}

/* Everything after the master key is in a->master: check it against the
 * archive's key-check value, derive the keys, open catalog and store, load
 * the actor, finish an interrupted write. */
static int open_keyed(cv_archive *a, const unsigned char kcv_stored[32])
{
	unsigned char kcv[32];
	int rc;
	if ((rc = key_check_value(a, kcv)))
		goto fail;
	if (!cv__ct_equal(kcv, kcv_stored, 32)) {
		rc = cv__err(CV_EAUTH, "wrong key: this master key or passphrase does not open archive %s (id %s)", a->dir, a->id);
		goto fail;
	}
	if ((rc = cv__derive_master_keys(a)))
		goto fail;
	if ((rc = cv__catalog_open(&a->cat, a->catalog_path, 0, a->lock_timeout_ms)) ||
		(rc = cv__rowmac_start(a->cat, a->k_rows)))
		goto fail;
	cv__journal_use_key(a->cat, a->k_journal);
	char *cat_id = NULL;
	if ((rc = cv__catalog_meta_get(a->cat, "archive_id", &cat_id)))
		goto fail;
	int same = strcmp(cat_id, a->id) == 0;
	free(cat_id);
	if (!same) {
		rc = cv__err(CV_EDAMAGED, "catalog %s belongs to another archive", a->catalog_path);
		goto fail;
	}
	int ver = 0;
	if ((rc = cv__catalog_version(a->cat, &ver)))
		goto fail;
	if (ver != cv__catalog_schema_latest()) {
		if (a->read_only) {
			rc = cv__err(CV_ESTATE, "catalog schema %d needs migrating to %d; open read-write once", ver,
				cv__catalog_schema_latest());
			goto fail;
		}
		if ((rc = cv__lock(a)))
			goto fail;
		rc = cv__catalog_migrate(a->cat, cv__catalog_schema_latest());
		if (!rc)
			rc = seals_journaled(a);
		cv__unlock(a);
		if (rc)
			goto fail;
	}
	if ((rc = cv__store_open(&a->store, a->gitdir)))
		goto fail;
	if ((rc = cv__load_actor(a)))
		goto fail;
	if (!a->read_only && (rc = cv__recover(a)) && rc != CV_EBUSY)
		goto fail;
	cv__wipe(kcv, sizeof kcv);
	cv_error_clear();
	return 0;
fail:
	cv__wipe(kcv, sizeof kcv);
	return rc;
}

int cv__archive_keyed(cv_archive **out, const char *dir, const void *config, size_t len, const cv_open_options *opts)
{
	cv_archive *a = NULL;
	unsigned char salt[64], kcv_stored[32], kcv[32];
	size_t saltlen = 0;
	cv_scrypt_params prm = CV_MASTER_SCRYPT;
	char *kdf = NULL;
	*out = NULL;
	CV_TRY(archive_alloc(&a, dir, opts));
	int rc = parse_config_text(a, config, len, &kdf, salt, &saltlen, &prm, kcv_stored);
	if (!rc)
		rc = load_master(a, opts, kdf, salt, saltlen, &prm);
	if (!rc)
		rc = key_check_value(a, kcv);
	if (!rc && !cv__ct_equal(kcv, kcv_stored, 32))
		rc = cv__err(CV_EAUTH, "wrong key: this master key or passphrase does not open archive %s", a->id);
	if (!rc)
		rc = cv__derive_master_keys(a);
	free(kdf);
	cv__wipe(kcv, sizeof kcv);
	if (rc) {
		archive_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

int cv__archive_open_as(cv_archive **out, const cv_archive *base, const char *actor)
{
	cv_open_options o = CV_OPEN_OPTIONS_INIT;
	o.actor = actor;
	o.lock_timeout_ms = base->lock_timeout_ms;
	o.read_only = base->read_only;
	o.plugin_path = base->plugin_path;
	cv_archive *a = NULL;
	unsigned char salt[64], kcv_stored[32];
	size_t saltlen = 0;
	cv_scrypt_params prm = CV_MASTER_SCRYPT;
	char *kdf = NULL;
	*out = NULL;
	CV_TRY(archive_alloc(&a, base->dir, &o));
	int rc = parse_config(a, &kdf, salt, &saltlen, &prm, kcv_stored);
	free(kdf);
	if (!rc) {
		memcpy(a->master, base->master, sizeof a->master);
		rc = open_keyed(a, kcv_stored);
	}
	if (rc) {
		archive_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

CV_EXTERN(int) cv_archive_clone(cv_archive **out, const cv_archive *a)
{
	if (!out || !a)
		return cv__err(CV_EINVAL, "archive clone: no handle given");
	return cv__archive_open_as(out, a, a->actor);
}

CV_EXTERN(const char *) cv_archive_id(const cv_archive *a)
{
	return a->id;
}

CV_EXTERN(const char *) cv_archive_dir(const cv_archive *a)
{
	return a->dir;
}

CV_EXTERN(const char *) cv_archive_actor(const cv_archive *a)
{
	return a->actor;
}

CV_EXTERN(int) cv_archive_set_progress(cv_archive *a, cv_progress_cb cb, void *payload)
{
	if (!a)
		return cv__err(CV_EINVAL, "archive set progress: no handle given");
	a->progress = cb;
	a->progress_payload = payload;
	return 0;
}

CV_EXTERN(const char *) cv_archive_roles(const cv_archive *a)
{
	return a->roles;
}

void cv__progress(cv_archive *a, const char *what, uint64_t done, uint64_t total)
{
	if (a->progress)
		a->progress(what, done, total, a->progress_payload);
}

CV_EXTERN(int) cv_archive_sign_with(cv_archive *a, const char *credential)
{
	if (a->credential)
		cv__wipe_free(a->credential, strlen(a->credential));
	a->credential = NULL;
	if (credential && !(a->credential = strdup(credential)))
		return cv__oom();
	return 0;
}
