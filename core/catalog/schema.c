/* Schema migrations. Each entry upgrades from version i to i+1 and is never
 * edited once released: add a new entry instead. */
#include "catalog/schema.h"

#include <stddef.h>

static const char *const MIGRATIONS[] = {
	/* 0 -> 1: the archive engine core */
	"CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);"
	"CREATE TABLE users(name TEXT PRIMARY KEY, roles TEXT NOT NULL, credential TEXT,"
	"  created TEXT NOT NULL);"
	"CREATE TABLE cases(id TEXT PRIMARY KEY, ref TEXT NOT NULL UNIQUE, category TEXT NOT NULL,"
	"  state TEXT NOT NULL, opened TEXT, closed TEXT, territory TEXT,"
	"  hold BLOB, hold_since TEXT, restricted INTEGER NOT NULL DEFAULT 0,"
	"  permanent INTEGER NOT NULL DEFAULT 0, version INTEGER NOT NULL DEFAULT 0,"
	"  manifest TEXT, sealed TEXT, details BLOB, stats BLOB,"
	"  created TEXT NOT NULL, updated TEXT NOT NULL);"
	"CREATE INDEX cases_state ON cases(state);"
	"CREATE TABLE case_keys(case_id TEXT PRIMARY KEY REFERENCES cases(id),"
	"  key_id TEXT NOT NULL UNIQUE, wrapped BLOB NOT NULL, created TEXT NOT NULL);"
	"CREATE TABLE persons(case_id TEXT NOT NULL REFERENCES cases(id), pid TEXT NOT NULL,"
	"  role TEXT NOT NULL, identity BLOB NOT NULL, PRIMARY KEY(case_id, pid));"
	"CREATE TABLE blind(case_id TEXT NOT NULL, pid TEXT NOT NULL, field TEXT NOT NULL,"
	"  tag BLOB NOT NULL);"
	"CREATE INDEX blind_tag ON blind(tag);"
	"CREATE INDEX blind_case ON blind(case_id);"
	"CREATE TABLE documents(case_id TEXT NOT NULL REFERENCES cases(id), doc_id TEXT NOT NULL,"
	"  seq INTEGER NOT NULL, path_tag BLOB NOT NULL, meta BLOB NOT NULL, type TEXT, date TEXT,"
	"  removed INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(case_id, doc_id));"
	"CREATE UNIQUE INDEX documents_path ON documents(case_id, path_tag);"
	"CREATE TABLE revisions(case_id TEXT NOT NULL, doc_id TEXT NOT NULL, rev INTEGER NOT NULL,"
	"  case_version INTEGER NOT NULL, created TEXT NOT NULL, size INTEGER NOT NULL,"
	"  nchunks INTEGER NOT NULL, note TEXT, PRIMARY KEY(case_id, doc_id, rev));"
	"CREATE TABLE rev_chunks(case_id TEXT NOT NULL, doc_id TEXT NOT NULL, rev INTEGER NOT NULL,"
	"  seq INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY(case_id, doc_id, rev, seq));"
	"CREATE TABLE chunks(case_id TEXT NOT NULL, hash BLOB NOT NULL, oid TEXT NOT NULL,"
	"  size INTEGER NOT NULL, PRIMARY KEY(case_id, hash));"
	"CREATE TABLE journal(seq INTEGER PRIMARY KEY, time TEXT NOT NULL, actor TEXT NOT NULL,"
	"  action TEXT NOT NULL, object TEXT NOT NULL, outcome TEXT NOT NULL,"
	"  prev BLOB NOT NULL, hash BLOB NOT NULL);"
	/* Append-only by construction; verification still catches anyone who
	 * drops these triggers. */
	"CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal"
	"  BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;"
	"CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal"
	"  BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;",
	/* 1 -> 2: retention sweeps */
	"ALTER TABLE cases ADD COLUMN child_born BLOB;"
	"CREATE TABLE plans(id TEXT PRIMARY KEY, sha256 TEXT NOT NULL, as_of TEXT NOT NULL, policy TEXT NOT NULL,"
	"  policy_sha256 TEXT NOT NULL, body BLOB NOT NULL, planner TEXT NOT NULL, planned TEXT NOT NULL,"
	"  approver TEXT, approved TEXT, state TEXT NOT NULL);"
	"CREATE TABLE plan_items(plan_id TEXT NOT NULL REFERENCES plans(id), seq INTEGER NOT NULL,"
	"  case_id TEXT NOT NULL, action TEXT NOT NULL, facts TEXT NOT NULL, result TEXT, done_at TEXT,"
	"  key_id TEXT, rule TEXT, keep_redacted TEXT, PRIMARY KEY(plan_id, seq));"
	"CREATE TABLE certificates(id TEXT PRIMARY KEY, plan_id TEXT NOT NULL, created TEXT NOT NULL,"
	"  actor TEXT NOT NULL, body BLOB NOT NULL, sha256 TEXT NOT NULL);",
	/* 2 -> 3: communication copies */
	"CREATE TABLE exports(id TEXT PRIMARY KEY, cases TEXT NOT NULL, requester TEXT NOT NULL, actor TEXT NOT NULL,"
	"  created TEXT NOT NULL, purpose TEXT NOT NULL, documents TEXT NOT NULL, zip_sha256 TEXT NOT NULL, note BLOB);",
	/* 3 -> 4: the GDPR rights register */
	"CREATE TABLE requests(id TEXT PRIMARY KEY, type TEXT NOT NULL, received TEXT NOT NULL, due TEXT NOT NULL,"
	"  extended_due TEXT, extension_reason BLOB, extended_by TEXT, extended_at TEXT, channel TEXT, note BLOB,"
	"  state TEXT NOT NULL, opened_by TEXT NOT NULL, opened_at TEXT NOT NULL,"
	"  identity_method TEXT, identity_by TEXT, identity_at TEXT,"
	"  proposal TEXT NOT NULL, proposal_ground TEXT NOT NULL,"
	"  decision TEXT, ground TEXT, decided_by TEXT, decided_at TEXT,"
	"  fulfilled_by TEXT, fulfilled_at TEXT, outcome TEXT, certificate BLOB);"
	"CREATE TABLE request_subjects(request_id TEXT NOT NULL REFERENCES requests(id), case_id TEXT NOT NULL,"
	"  person_id TEXT NOT NULL, PRIMARY KEY(request_id, case_id, person_id));"
	"CREATE INDEX request_subjects_case ON request_subjects(case_id);"
	"CREATE TABLE restrictions(case_id TEXT NOT NULL, person_id TEXT NOT NULL, request_id TEXT NOT NULL,"
	"  since TEXT NOT NULL, PRIMARY KEY(case_id, person_id));",
	/* 4 -> 5: sealed identities of secret births (origins, CNAOP) */
	"CREATE TABLE origins_keys(generation INTEGER PRIMARY KEY, threshold INTEGER NOT NULL, holders INTEGER NOT NULL,"
	"  cert_sha256 TEXT NOT NULL, created TEXT NOT NULL, created_by TEXT NOT NULL, retired TEXT);"
	"CREATE TABLE origins_shares(generation INTEGER NOT NULL, holder TEXT NOT NULL, share_no INTEGER NOT NULL,"
	"  kdf TEXT NOT NULL, salt BLOB NOT NULL, kek_id TEXT NOT NULL, wrapped BLOB NOT NULL, created TEXT NOT NULL,"
	"  PRIMARY KEY(generation, holder));"
	"CREATE TABLE origins_sealed(case_id TEXT NOT NULL, seq INTEGER NOT NULL, oid TEXT NOT NULL, sha256 TEXT NOT NULL,"
	"  size INTEGER NOT NULL, cert_sha256 TEXT NOT NULL, created TEXT NOT NULL, PRIMARY KEY(case_id, seq));"
	"CREATE TABLE origins_facts(id TEXT PRIMARY KEY, case_id TEXT NOT NULL, kind TEXT NOT NULL, date TEXT,"
	"  source BLOB NOT NULL, recorded_by TEXT NOT NULL, recorded_at TEXT NOT NULL);"
	"CREATE INDEX origins_facts_case ON origins_facts(case_id);"
	"CREATE TABLE origins_approvals(id INTEGER PRIMARY KEY, case_id TEXT NOT NULL, holder TEXT NOT NULL,"
	"  generation INTEGER NOT NULL, approved_at TEXT NOT NULL, expires_at TEXT NOT NULL, release_id TEXT);"
	"CREATE INDEX origins_approvals_case ON origins_approvals(case_id);"
	"CREATE TABLE origins_releases(id TEXT PRIMARY KEY, case_id TEXT NOT NULL, actor TEXT NOT NULL,"
	"  released_at TEXT NOT NULL, holders TEXT NOT NULL, condition TEXT NOT NULL, recipient_sha256 TEXT NOT NULL,"
	"  out_sha256 TEXT NOT NULL);",
	/* 5 -> 6: covering indexes for the sweep plan's volume pass (count of
	 * live documents and size of their latest revision, per case): index
	 * only, no table row read; 0.44 -> 0.15 s on 100,000 cases. */
	"CREATE INDEX documents_live ON documents(case_id, doc_id, removed);"
	"CREATE INDEX revisions_size ON revisions(case_id, doc_id, rev, size);",
	/* 6 -> 7: safety rails. input_tag: keyed digest of the last ingested
	 * bundle, so that an identical re-ingest changes nothing. due: each plan
	 * item's due date, re-checked against the real date at run time.
	 * rectifications: what a GDPR rectification changed, re-applied over
	 * every later ingest of the source (values boxed under the case key). */
	"ALTER TABLE cases ADD COLUMN input_tag BLOB;"
	"ALTER TABLE plan_items ADD COLUMN due TEXT;"
	"CREATE TABLE rectifications(case_id TEXT NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL,"
	"  field TEXT NOT NULL, request_id TEXT NOT NULL, rev INTEGER, value BLOB, created TEXT NOT NULL,"
	"  actor TEXT NOT NULL, PRIMARY KEY(case_id, kind, target, field));",
	/* 7 -> 8: a keyed journal. Entries from journal_keyed_from on are chained
	 * with HMAC-SHA-256 under a key derived from the master key (earlier ones
	 * keep their SHA-256 chain); a decision carries its author's signature. */
	"ALTER TABLE journal ADD COLUMN signer TEXT;"
	"ALTER TABLE journal ADD COLUMN sig BLOB;"
	"INSERT INTO meta(k,v) SELECT 'journal_keyed_from', coalesce(max(seq),0)+1 FROM journal;",
	/* 8 -> 9: revision tags (records/revtag.h); revisions stored before are
	 * tagged once by the library, under the writer lock, at the first open
	 * (meta revision_tags). */
	"ALTER TABLE revisions ADD COLUMN tag BLOB;"
	"INSERT INTO meta(k,v) SELECT 'revision_tags', CASE WHEN count(*) THEN 'pending' ELSE 'done' END FROM revisions;",
	/* 9 -> 10: the blind index keeps one truncated surname bucket per person
	 * (engine/keys.h); the full tags of every field linked persons across
	 * cases without the key. Rebuilt by the library at the first read-write
	 * open (meta blind_index). */
	"INSERT INTO meta(k,v) SELECT 'blind_index', CASE WHEN count(*) THEN 'pending' ELSE 'done' END FROM blind;"
	"DELETE FROM blind;",
	/* 10 -> 11: personal keys (engine/identity.h): public keys in clear, the
	 * private keys wrapped under the user's credential, and whether the
	 * credential is a one-time one from an admin's reset. */
	"ALTER TABLE users ADD COLUMN sign_pub BLOB;"
	"ALTER TABLE users ADD COLUMN seal_pub BLOB;"
	"ALTER TABLE users ADD COLUMN identity BLOB;"
	"ALTER TABLE users ADD COLUMN one_time INTEGER NOT NULL DEFAULT 0;"
	/* Decisions journaled from signed_from on must carry their author's
	 * signature; earlier ones were made before personal keys existed. */
	"INSERT INTO meta(k,v) SELECT 'signed_from', coalesce(max(seq),0)+1 FROM journal;",
	/* 11 -> 12: sealed rows (rowmac.h). The rows are sealed by the library
	 * in the same transaction, which the journal then records
	 * (catalog.seal). */
	"ALTER TABLE meta ADD COLUMN mac BLOB;"
	"ALTER TABLE users ADD COLUMN mac BLOB;"
	"ALTER TABLE cases ADD COLUMN mac BLOB;"
	"ALTER TABLE case_keys ADD COLUMN mac BLOB;"
	"ALTER TABLE persons ADD COLUMN mac BLOB;"
	"ALTER TABLE plans ADD COLUMN mac BLOB;"
	"ALTER TABLE plan_items ADD COLUMN mac BLOB;"
	"ALTER TABLE certificates ADD COLUMN mac BLOB;"
	"ALTER TABLE exports ADD COLUMN mac BLOB;"
	"ALTER TABLE requests ADD COLUMN mac BLOB;"
	"ALTER TABLE request_subjects ADD COLUMN mac BLOB;"
	"ALTER TABLE restrictions ADD COLUMN mac BLOB;"
	"ALTER TABLE rectifications ADD COLUMN mac BLOB;"
	"ALTER TABLE origins_keys ADD COLUMN mac BLOB;"
	"ALTER TABLE origins_shares ADD COLUMN mac BLOB;"
	"ALTER TABLE origins_sealed ADD COLUMN mac BLOB;"
	"ALTER TABLE origins_facts ADD COLUMN mac BLOB;"
	"ALTER TABLE origins_approvals ADD COLUMN mac BLOB;"
	"ALTER TABLE origins_releases ADD COLUMN mac BLOB;"
	/* the keys of the notes of requests and exports (engine/notes.c) */
	"CREATE TABLE note_keys(owner TEXT PRIMARY KEY, wrapped BLOB NOT NULL, created TEXT NOT NULL, mac BLOB);",
	/* 12 -> 13: the journal looked up by action and object (a case's sealed
	 * identity at verify, a case's key exports on its certificate): one
	 * scan of the whole journal per case made verify after a sweep of
	 * 5,000 cases take minutes. Ids only: nothing personal. */
	"CREATE INDEX journal_action ON journal(action, object);",
	/* 13 -> 14: a director's refusal of a sweep plan (the reason sealed as a
	 * note of the plan: it may name people), and the journal looked up by
	 * actor (a user's recent logins, for the lockout of engine/login.c). */
	"CREATE TABLE plan_refusals(plan_id TEXT PRIMARY KEY, actor TEXT NOT NULL, at TEXT NOT NULL,"
	"  reason BLOB NOT NULL, mac BLOB);"
	"CREATE INDEX journal_actor ON journal(actor, action);",
	/* 14 -> 15: sealed chunk rows carrying their object's AES-GCM tag
	 * (docs/format.md "Chunks"). Full verify then binds an object to its
	 * row by the tag that decryption checks anyway, instead of a keyed
	 * hash over every byte of plaintext. Rows written before carry no tag
	 * (NULL, sealed so by the migration) and keep the keyed-hash check:
	 * whoever strips the seals to replay this step only gets NULL tags. */
	"ALTER TABLE chunks ADD COLUMN tag BLOB;"
	"ALTER TABLE chunks ADD COLUMN mac BLOB;",
};

int cv__schema_count(void)
{
	return (int)(sizeof MIGRATIONS / sizeof MIGRATIONS[0]);
}

const char *cv__schema_step(int i)
{
	return i >= 0 && i < cv__schema_count() ? MIGRATIONS[i] : NULL;
}
