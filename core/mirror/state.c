/* DIR/mirrors.json and mirror keyrings: (de)serialization, authentication,
 * epochs (state.h). */
#include "util/json.h"
#include "mirror/state.h"
#include "crypto/keywrap.h"
#include "util/date.h"
#include "util/fs.h"
#include "util/hex.h"
#include "util/wipe.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define STATE_FILE "mirrors.json"
#define STATE_FORMAT "casevault-mirrors"
#define RING_FORMAT "casevault-mirror-keyring"

int cv__mirror_keys(const cv_archive *a, unsigned char wrap[32], unsigned char mac[32])
{
	const unsigned char *salt = (const unsigned char *)a->id;
	CV_TRY(cv__hkdf(wrap, 32, a->master, 32, salt, strlen(a->id), CV_LABEL_MIRROR_WRAP));
	return cv__hkdf(mac, 32, a->master, 32, salt, strlen(a->id), CV_LABEL_MIRROR_MAC);
}

int64_t cv__mirror_days(const char *a, const char *b)
{
	char da[11], db[11];
	int64_t d = 0;
	snprintf(da, sizeof da, "%.10s", a);
	snprintf(db, sizeof db, "%.10s", b);
	if (cv__date_diff_days(da, db, &d))
		return 0;
	return d;
}

void cv__mstate_dispose(cv_mstate *s)
{
	for (size_t i = 0; i < s->nepochs; i++)
		cv__wipe(s->epochs[i].key, 32);
	free(s->epochs);
	free(s->mirrors);
	memset(s, 0, sizeof *s);
}

cv_mentry *cv__mstate_find(cv_mstate *s, const char *name)
{
	for (size_t i = 0; i < s->nmirrors; i++)
		if (!strcmp(s->mirrors[i].name, name))
			return &s->mirrors[i];
	return NULL;
}

cv_epoch *cv__mstate_current(cv_mstate *s)
{
	for (size_t i = s->nepochs; i-- > 0;)
		if (s->epochs[i].has_key && !s->epochs[i].ended[0])
			return &s->epochs[i];
	return NULL;
}

cv_epoch *cv__mstate_epoch(cv_mstate *s, const char *id_hex)
{
	for (size_t i = 0; i < s->nepochs; i++)
		if (!strcmp(s->epochs[i].id_hex, id_hex))
			return &s->epochs[i];
	return NULL;
}

int cv__mstate_new_epoch(cv_mstate *s, const char *now)
{
	/* a new block, the old one wiped: never realloc what holds keys */
	cv_epoch *e = calloc(s->nepochs + 1, sizeof *e);
	if (!e)
		return cv__oom();
	if (s->nepochs) {
		memcpy(e, s->epochs, s->nepochs * sizeof *e);
		cv__wipe(s->epochs, s->nepochs * sizeof *e);
	}
	free(s->epochs);
	s->epochs = e;
	e = &s->epochs[s->nepochs];
	int rc = cv__random(e->id, sizeof e->id);
	if (!rc)
		rc = cv__random(e->key, sizeof e->key);
	if (rc) {
		cv__wipe(e->key, 32);
		return rc;
	}
	cv__hex(e->id_hex, e->id, sizeof e->id);
	snprintf(e->created, sizeof e->created, "%s", now);
	e->has_key = 1;
	s->nepochs++;
	for (size_t i = 0; i + 1 < s->nepochs; i++)
		if (s->epochs[i].has_key && !s->epochs[i].ended[0])
			snprintf(s->epochs[i].ended, sizeof s->epochs[i].ended, "%s", now);
	return 0;
}

void cv__mstate_expire(cv_mstate *s, const char *now, int retention_days, size_t *n)
{
	*n = 0;
	for (size_t i = 0; i < s->nepochs; i++) {
		cv_epoch *e = &s->epochs[i];
		if (!e->has_key || !e->ended[0] || cv__mirror_days(e->ended, now) < retention_days)
			continue;
		cv__wipe(e->key, 32);
		e->has_key = 0;
		snprintf(e->destroyed, sizeof e->destroyed, "%s", now);
		(*n)++;
	}
}

/* ---- JSON ---------------------------------------------------------------- */

static json_t *epochs_json(const cv_mstate *s, const unsigned char wrap[32], int live_only)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < s->nepochs; i++) {
		const cv_epoch *e = &s->epochs[i];
		if (live_only && !e->has_key)
			continue;
		json_t *o = json_pack("{s:s,s:s}", "id", e->id_hex, "created", e->created);
		if (!o)
			goto oom;
		if (e->ended[0])
			json_object_set_new(o, "ended", json_string(e->ended));
		if (e->has_key) {
			unsigned char w[40];
			char wh[81];
			size_t wl = 0;
			if (cv__wrap(w, &wl, wrap, e->key, 32)) {
				json_decref(o);
				goto oom;
			}
			cv__hex(wh, w, wl);
			json_object_set_new(o, "wrapped", json_string(wh));
		} else {
			json_object_set_new(o, "destroyed", json_string(e->destroyed));
		}
		json_array_append_new(arr, o);
	}
	return arr;
oom:
	json_decref(arr);
	return NULL;
}


/* json_unpack that tells memory from a malformed value (jansson allocates
 * to check an object's keys): 0, 1 malformed, or CV_ENOMEM (error set). */
static int unpack(json_t *v, const char *fmt, ...)
{
	json_error_t je;
	va_list ap;
	va_start(ap, fmt);
	int r = json_vunpack_ex(v, &je, 0, fmt, ap);
	va_end(ap);
	if (r == 0)
		return 0;
	return json_error_code(&je) == json_error_out_of_memory ? cv__oom() : 1;
}

static int epochs_parse(cv_mstate *s, json_t *arr, const unsigned char wrap[32], const char *where)
{
	size_t n = json_array_size(arr);
	if (!json_is_array(arr))
		return cv__err(CV_EDAMAGED, "%s: no epoch list", where);
	s->epochs = calloc(n ? n : 1, sizeof *s->epochs);
	if (!s->epochs)
		return cv__oom();
	for (size_t i = 0; i < n; i++) {
		cv_epoch *e = &s->epochs[i];
		const char *id = NULL, *created = NULL, *ended = NULL, *wrapped = NULL, *destroyed = NULL;
		int u = unpack(json_array_get(arr, i), "{s:s,s:s,s?s,s?s,s?s}", "id", &id, "created", &created, "ended",
			&ended, "wrapped", &wrapped, "destroyed", &destroyed);
		if (u < 0)
			return u;
		if (u || strlen(id) != 2 * CV_EPOCH_ID_LEN || cv__unhex(e->id, CV_EPOCH_ID_LEN, id) < 0)
			return cv__err(CV_EDAMAGED, "%s: epoch %zu is malformed", where, i + 1);
		snprintf(e->id_hex, sizeof e->id_hex, "%s", id);
		snprintf(e->created, sizeof e->created, "%s", created);
		snprintf(e->ended, sizeof e->ended, "%s", ended ? ended : "");
		snprintf(e->destroyed, sizeof e->destroyed, "%s", destroyed ? destroyed : "");
		s->nepochs = i + 1;
		if (wrapped) {
			unsigned char w[40];
			size_t kl = 0;
			int uw = strlen(wrapped) != 80 || cv__unhex(w, 40, wrapped) < 0 ? CV_EAUTH
				: cv__unwrap(e->key, &kl, wrap, w, 40);
			if (uw == CV_ENOMEM)
				return uw;
			if (uw || kl != 32)
				return cv__err(CV_EDAMAGED, "%s: the key of epoch %s does not unwrap under this master key", where,
					id);
			e->has_key = 1;
		}
	}
	return 0;
}

static int snaps_parse(cv_msnap **out, size_t *n, json_t *arr)
{
	size_t k = json_array_size(arr);
	*out = calloc(k ? k : 1, sizeof **out);
	*n = 0;
	if (!*out)
		return cv__oom();
	for (size_t i = 0; i < k; i++) {
		cv_msnap *p = &(*out)[i];
		const char *ep, *tk, *oid, *cm, *jh;
		json_int_t seq, js;
		int u = unpack(json_array_get(arr, i), "{s:I,s:s,s:s,s:s,s:s,s:I,s:s}", "seq", &seq, "epoch", &ep, "taken",
			&tk, "oid", &oid, "commit", &cm, "journal_seq", &js, "journal_head", &jh);
		if (u < 0)
			return u;
		if (u || strlen(oid) != 40 || strlen(cm) != 40 || strlen(jh) != 64 || strlen(ep) != 2 * CV_EPOCH_ID_LEN)
			return cv__err(CV_EDAMAGED, "snapshot %zu of the list is malformed", i + 1);
		p->seq = (uint64_t)seq;
		p->journal_seq = (uint64_t)js;
		snprintf(p->epoch, sizeof p->epoch, "%s", ep);
		snprintf(p->taken, sizeof p->taken, "%s", tk);
		snprintf(p->oid, sizeof p->oid, "%s", oid);
		snprintf(p->commit, sizeof p->commit, "%s", cm);
		snprintf(p->journal_head, sizeof p->journal_head, "%s", jh);
		*n = i + 1;
	}
	return 0;
}

/* The canonical text of `o` (sorted keys, compact) and its MAC. */
static int mac_of(char hex[65], json_t *o, const unsigned char key[32])
{
	char *t = cv__json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (!t)
		return cv__oom();
	unsigned char m[32];
	int rc = cv__hmac_sha256(m, key, 32, t, strlen(t));
	free(t);
	cv__hex(hex, m, 32);
	return rc;
}

static int mac_check(json_t *root, const unsigned char key[32], const char *where)
{
	const char *mac = json_string_value(json_object_get(root, "mac"));
	char want[65];
	if (!mac || strlen(mac) != 64)
		return cv__err(CV_EDAMAGED, "%s has no authentication code", where);
	json_t *c = json_deep_copy(root);
	if (!c)
		return cv__oom();
	json_object_del(c, "mac");
	int rc = mac_of(want, c, key);
	json_decref(c);
	CV_TRY(rc);
	if (!cv__ct_equal(want, mac, 64))
		return cv__err(CV_EDAMAGED, "%s was altered or belongs to another archive: its authentication code does not "
			"match this master key", where);
	return 0;
}

static int sign_and_dump(char **out, json_t *root, const unsigned char key[32], size_t flags)
{
	char mac[65];
	CV_TRY(mac_of(mac, root, key));
	json_object_set_new(root, "mac", json_string(mac));
	*out = cv__json_dumps(root, flags | JSON_SORT_KEYS);
	return *out ? 0 : cv__oom();
}

int cv__mstate_save(const cv_mstate *s, cv_archive *a)
{
	unsigned char wrap[32], mac[32];
	CV_TRY(cv__mirror_keys(a, wrap, mac));
	json_t *mirrors = json_array();
	for (size_t i = 0; mirrors && i < s->nmirrors; i++) {
		const cv_mentry *m = &s->mirrors[i];
		json_array_append_new(mirrors, json_pack("{s:s,s:s,s:s}", "name", m->name, "url", m->url, "added", m->added));
	}
	json_t *root = json_pack("{s:s,s:i,s:s,s:i,s:i,s:I,s:o,s:o}", "format", STATE_FORMAT, "version", 1, "archive",
		a->id, "epoch_days", s->epoch_days, "retention_days", s->retention_days, "next_snapshot",
		(json_int_t)s->next_snapshot, "epochs", epochs_json(s, wrap, 0), "mirrors", mirrors);
	char *text = NULL;
	int rc = root ? sign_and_dump(&text, root, mac, JSON_INDENT(1)) : cv__oom();
	json_decref(root);
	cv__wipe(wrap, 32);
	cv__wipe(mac, 32);
	if (rc)
		return rc;
	char *path = cv__path_join(a->dir, STATE_FILE);
	rc = path ? cv__write_file_atomic(path, text, strlen(text), 0600) : cv__oom();
	free(path);
	free(text);
	return rc;
}

static int mirrors_parse(cv_mstate *s, json_t *arr)
{
	size_t n = json_array_size(arr);
	s->mirrors = calloc(n ? n : 1, sizeof *s->mirrors);
	if (!s->mirrors)
		return cv__oom();
	for (size_t i = 0; i < n; i++) {
		cv_mentry *m = &s->mirrors[i];
		const char *name, *url, *added;
		int u = unpack(json_array_get(arr, i), "{s:s,s:s,s:s}", "name", &name, "url", &url, "added", &added);
		if (u < 0)
			return u;
		if (u)
			return cv__err(CV_EDAMAGED, "mirrors.json: mirror %zu is malformed", i + 1);
		s->nmirrors = i + 1;
		snprintf(m->name, sizeof m->name, "%s", name);
		snprintf(m->url, sizeof m->url, "%s", url);
		snprintf(m->added, sizeof m->added, "%s", added);
	}
	return 0;
}

/* What the state file and a keyring share: authenticated first (MAC under
 * the master-derived key), then the format, the archive, the settings and
 * the epochs (wrapped keys unwrapped). */
static int load_common(cv_mstate *s, const cv_archive *a, json_t *root, const char *format, const char *where)
{
	unsigned char wrap[32], mac[32];
	const char *fmt = NULL, *arch = NULL;
	json_int_t ed = 0, rd = 0, next = 0;
	json_t *epochs = NULL;
	int rc = cv__mirror_keys(a, wrap, mac);
	if (!rc)
		rc = mac_check(root, mac, where);
	int u = rc ? 0 : unpack(root, "{s:s,s:s,s:I,s:I,s:I,s:o}", "format", &fmt, "archive", &arch, "epoch_days", &ed,
		"retention_days", &rd, "next_snapshot", &next, "epochs", &epochs);
	if (u < 0)
		rc = u;
	if (!rc && (u || strcmp(fmt, format)))
		rc = cv__err(CV_EDAMAGED, "%s is not what casevault wrote (format)", where);
	if (!rc && strcmp(arch, a->id))
		rc = cv__err(CV_EDAMAGED, "%s belongs to archive %s, not to this one", where, arch);
	if (!rc) {
		s->epoch_days = (int)ed;
		s->retention_days = (int)rd;
		s->next_snapshot = (uint64_t)next;
		rc = epochs_parse(s, epochs, wrap, where);
	}
	cv__wipe(wrap, 32);
	cv__wipe(mac, 32);
	return rc;
}

/* Whether the journal has an entry `action` (on `object`, if given). */
static int journaled(cv_archive *a, const char *action, const char *object, int *found)
{
	sqlite3_stmt *q = NULL;
	*found = 0;
	CV_TRY(cv__catalog_prepare(a->cat, &q, object ? "SELECT 1 FROM journal WHERE action=?1 AND object=?2 AND outcome='ok' LIMIT 1"
						      : "SELECT 1 FROM journal WHERE action=?1 AND outcome='ok' LIMIT 1"));
	cv__bind_text(q, 1, action);
	if (object)
		cv__bind_text(q, 2, object);
	*found = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	return 0;
}

/* A destroyed epoch whose key is back means the file was put back from an
 * older copy: each destruction is journaled (cv__mstate_journal_destroyed). */
static int check_not_rolled_back(cv_mstate *s, cv_archive *a)
{
	for (size_t i = 0; i < s->nepochs; i++) {
		if (!s->epochs[i].has_key)
			continue;
		char obj[64];
		int gone = 0;
		snprintf(obj, sizeof obj, "epoch:%s", s->epochs[i].id_hex);
		CV_TRY(journaled(a, "mirror.epoch.destroy", obj, &gone));
		if (gone)
			return cv__err(CV_EDAMAGED, "mirrors.json was put back from an older copy: epoch %s, destroyed "
				"according to the journal, has its key again", s->epochs[i].id_hex);
	}
	return 0;
}

int cv__mstate_journal_destroyed(const cv_mstate *s, cv_archive *a, const char *since)
{
	for (size_t i = 0; i < s->nepochs; i++) {
		if (s->epochs[i].has_key || strcmp(s->epochs[i].destroyed, since))
			continue;
		char obj[64];
		snprintf(obj, sizeof obj, "epoch:%s", s->epochs[i].id_hex);
		CV_TRY(cv__journal_record(a->cat, a->actor, "mirror.epoch.destroy", obj, "ok"));
	}
	return 0;
}

int cv__mstate_load(cv_mstate *s, cv_archive *a)
{
	memset(s, 0, sizeof *s);
	s->epoch_days = 30;
	s->retention_days = 90;
	s->next_snapshot = 1;
	char *path = cv__path_join(a->dir, STATE_FILE);
	cv_buf b = CV_BUF_INIT;
	int rc = path ? cv__read_file(&b, path, 16u << 20) : cv__oom();
	free(path);
	if (rc == CV_ENOTFOUND) {
		cv_error_clear();
		/* an insider who deletes the file must not make the archive forget
		 * its mirrors (and say on a certificate that it has none) */
		int added = 0;
		CV_TRY(journaled(a, "mirror.add", NULL, &added));
		if (added)
			return cv__err(CV_EDAMAGED, "mirrors.json is missing, but the journal records mirrors added to this "
				"archive");
		return 0;
	}
	CV_TRY(rc);
	json_t *root = NULL;
	rc = cv__json_parse(&root, b.data, b.len, 0, "mirrors.json");
	cv__buf_dispose(&b);
	CV_TRY(rc);
	rc = load_common(s, a, root, STATE_FORMAT, "mirrors.json");
	if (!rc)
		rc = mirrors_parse(s, json_object_get(root, "mirrors"));
	if (!rc)
		rc = check_not_rolled_back(s, a);
	json_decref(root);
	if (rc)
		cv__mstate_dispose(s);
	return rc;
}

int cv__mstate_keyring(char **out, const cv_mstate *s, const cv_archive *a)
{
	unsigned char wrap[32], mac[32];
	CV_TRY(cv__mirror_keys(a, wrap, mac));
	json_t *root = json_pack("{s:s,s:i,s:s,s:s,s:i,s:i,s:I,s:o}", "format", RING_FORMAT, "version", 1, "archive",
		a->id, "kek", "HKDF-SHA-256(master key, salt = archive id, info = '" CV_LABEL_MIRROR_WRAP "'), AES-256 key "
		"wrap (RFC 3394)", "epoch_days", s->epoch_days, "retention_days", s->retention_days, "next_snapshot",
		(json_int_t)s->next_snapshot, "epochs", epochs_json(s, wrap, 1));
	int rc = root ? sign_and_dump(out, root, mac, JSON_INDENT(1)) : cv__oom();
	json_decref(root);
	cv__wipe(wrap, 32);
	cv__wipe(mac, 32);
	return rc;
}

int cv__mstate_from_keyring(cv_mstate *s, const cv_archive *a, const char *text, size_t len)
{
	memset(s, 0, sizeof *s);
	json_t *root = NULL;
	CV_TRY(cv__json_parse(&root, text, len, 0, "the mirror's keyring"));
	int rc = load_common(s, a, root, RING_FORMAT, "the mirror's keyring");
	json_decref(root);
	if (rc)
		cv__mstate_dispose(s);
	return rc;
}

int cv__manifest_pick(json_t *man, uint64_t want, cv_msnap *out, cv_msnap **all, size_t *nall)
{
	*all = NULL;
	*nall = 0;
	if (!json_is_object(man) || !json_is_array(json_object_get(man, "snapshots")))
		return cv__err(CV_EDAMAGED, "the mirror's manifest has no snapshot list");
	CV_TRY(snaps_parse(all, nall, json_object_get(man, "snapshots")));
	int found = 0;
	for (size_t i = 0; i < *nall; i++) {
		const cv_msnap *s = &(*all)[i];
		if ((want && s->seq == want) || (!want && (!found || s->seq > out->seq))) {
			*out = *s;
			found = 1;
		}
	}
	if (!found)
		return want ? cv__err(CV_ENOTFOUND, "the mirror holds no snapshot %llu", (unsigned long long)want)
			    : cv__err(CV_EDAMAGED, "the mirror holds no snapshot");
	return 0;
}

/* ---- the journal's record of pushes ------------------------------------- */

int cv__mirror_record_push(cv_archive *a, const char *name, const cv_mpush *p)
{
	char obj[400];
	snprintf(obj, sizeof obj, "mirror:%s snapshot:%llu commit:%s journal:%llu head:%s snapshots:%zu oldest:%llu", name,
		(unsigned long long)p->snapshot, p->commit, (unsigned long long)p->journal_seq, p->journal_head,
		p->snapshots, (unsigned long long)p->oldest);
	return cv__journal_record(a->cat, a->actor, "mirror.push", obj, "ok");
}

int cv__mirror_last_push(cv_archive *a, const char *name, cv_mpush *p, int *stale)
{
	sqlite3_stmt *q = NULL;
	char like[96];
	memset(p, 0, sizeof *p);
	*stale = 0;
	snprintf(like, sizeof like, "mirror:%s %%", name);
	/* pushes since the mirror of that name was (last) added */
	CV_TRY(cv__catalog_prepare(a->cat, &q, "SELECT seq, time, object FROM journal WHERE action='mirror.push' AND "
		"outcome='ok' AND object LIKE ?1 ESCAPE '\\' AND seq > (SELECT coalesce(max(seq), 0) FROM journal WHERE "
		"action='mirror.add' AND outcome='ok' AND object=?2) ORDER BY seq DESC LIMIT 1"));
	char obj[80];
	snprintf(obj, sizeof obj, "mirror:%s", name);
	cv__bind_text(q, 1, like);
	cv__bind_text(q, 2, obj);
	int step = cv__catalog_step(a->cat, q, "read the mirror's last push");
	int rc = step < 0 ? step : 0;
	if (step > 0) {
		unsigned long long snap = 0, js = 0, old = 0;
		size_t n = 0;
		char who[80];
		const char *o = (const char *)sqlite3_column_text(q, 2);
		p->seq = (uint64_t)sqlite3_column_int64(q, 0);
		snprintf(p->time, sizeof p->time, "%s", (const char *)sqlite3_column_text(q, 1));
		if (!o || sscanf(o, "%79s snapshot:%llu commit:%40s journal:%llu head:%64s snapshots:%zu oldest:%llu", who,
				&snap, p->commit, &js, p->journal_head, &n, &old) != 7)
			rc = cv__err(CV_EDAMAGED, "the journal's record of a push to mirror %s is malformed", name);
		p->snapshot = snap;
		p->journal_seq = js;
		p->snapshots = n;
		p->oldest = old;
	}
	sqlite3_finalize(q);
	CV_TRY(rc);
	if (!p->seq)
		return 0;
	CV_TRY(cv__catalog_prepare(a->cat, &q, "SELECT 1 FROM journal WHERE action='mirror.epoch.destroy' AND "
		"outcome='ok' AND seq > ?1 LIMIT 1"));
	sqlite3_bind_int64(q, 1, (sqlite3_int64)p->seq);
	step = cv__catalog_step(a->cat, q, "read the mirror's epochs");
	*stale = step > 0;
	sqlite3_finalize(q);
	return step < 0 ? step : 0;
}
