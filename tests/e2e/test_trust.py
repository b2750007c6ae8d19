#!/usr/bin/env python3
"""Trust against insiders (docs/threat-model.md): each attack of the
adversarial review performed with sqlite3, git and file edits, then refused
or detected. This file grows with the trust work; see docs/threat-model.md
for what each kind of insider can and cannot do."""
import os
import shutil
import sqlite3
import unittest

from cvtest import Archive, BUNDLES, main, simple_manifest, write_bundle
from insider import MasterKeyHolder

LEROY = "ASE-31-2016-00042"
NOW = "2026-12-06T12:00:00Z"


def secret(a, name, text):
    p = os.path.join(a.work, "cred-" + name + str(abs(hash(text))))
    with open(p, "w") as f:
        f.write(text + "\n")
    return p


def catalog(a):
    return sqlite3.connect(os.path.join(a.dir, "catalog.db"))


def edit(a, sql, *args):
    db = catalog(a)
    db.execute(sql, args)
    db.commit()
    db.close()


def lines(path):
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


def snapshot(a, dest):
    """What an insider with write access copies to roll the archive back later."""
    db = sqlite3.connect(os.path.join(a.dir, "catalog.db"))
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    shutil.copytree(a.dir, dest)


def restore(a, src):
    for f in ("catalog.db", "catalog.db-wal", "catalog.db-shm"):
        p = os.path.join(a.dir, f)
        if os.path.exists(p):
            os.remove(p)
        if os.path.exists(os.path.join(src, f)):
            shutil.copy2(os.path.join(src, f), p)
    shutil.copy2(os.path.join(src, "git", "refs", "heads", "main"), os.path.join(a.dir, "git", "refs", "heads", "main"))


class Journal(unittest.TestCase):
    def test_entry_removed_and_rechained_is_detected(self):
        import hashlib
        import struct
        a = Archive(self)
        a.ok("ingest", os.path.join(BUNDLES, "leroy"))
        cid = a.case_id("ASE-31-2016-00042")
        a.ok("doc", "cat", cid, "d1")  # a read of personal data, journaled
        db = sqlite3.connect(os.path.join(a.dir, "catalog.db"))
        db.executescript("DROP TRIGGER journal_no_update; DROP TRIGGER journal_no_delete;")
        victim = db.execute("SELECT max(seq) FROM journal WHERE action='doc.read'").fetchone()[0]
        db.execute("DELETE FROM journal WHERE seq=?", (victim,))
        db.execute("UPDATE journal SET seq=seq-1 WHERE seq>?", (victim,))
        # the chain recomputed as the format allows without the key
        prev = bytes(32)
        for seq, t, actor, action, obj, outcome in db.execute(
                "SELECT seq,time,actor,action,object,outcome FROM journal ORDER BY seq").fetchall():
            enc = b"cvj1" + struct.pack(">Q", seq) + b"".join(
                struct.pack(">I", len(x.encode())) + x.encode() for x in (t, actor, action, obj, outcome))
            h = hashlib.sha256(prev + enc).digest()
            db.execute("UPDATE journal SET prev=?, hash=? WHERE seq=?", (prev, h, seq))
            prev = h
        db.commit()
        db.close()
        r = a.cv("journal", "verify")
        self.assertEqual(r.rc, 3, r)
        self.assertIn("entry 1", r.err)
        self.assertEqual(a.cv("verify").rc, 3)

    def test_rollback_behind_an_anchor_is_detected(self):
        a = Archive(self)
        a.ok("ingest", os.path.join(BUNDLES, "leroy"))
        old = os.path.join(a.work, "copy-before")
        snapshot(a, old)
        a.ok("ingest", os.path.join(BUNDLES, "petit"))
        anchors = os.path.join(a.work, "elsewhere", "anchors.txt")
        os.makedirs(os.path.dirname(anchors))
        a.ok("journal", "anchor", "--out", anchors)
        self.assertEqual(a.cv("journal", "verify", "--anchor", anchors).rc, 0)
        self.assertEqual(a.cv("verify", "--anchor", anchors).rc, 0)
        restore(a, old)
        self.assertEqual([c["ref"] for c in a.js("case", "list")], ["ASE-31-2016-00042"])
        self.assertEqual(a.cv("journal", "verify").rc, 0)  # consistent in itself...
        r = a.cv("journal", "verify", "--anchor", anchors)
        self.assertEqual(r.rc, 3, r)                      # ...but behind the anchor
        self.assertIn("rollback", r.err)
        r = a.cv("verify", "--anchor", anchors)
        self.assertEqual(r.rc, 3)
        self.assertIn("rollback", r.text + r.err)

    def test_forged_anchor_line_is_damage(self):
        a = Archive(self)
        a.ok("ingest", os.path.join(BUNDLES, "leroy"))
        anchors = os.path.join(a.work, "anchors.txt")
        a.ok("journal", "anchor", "--out", anchors)
        line = lines(anchors)[0].split(" ")
        line[4] = "0" * 64  # another head, the signature left as it was
        with open(anchors, "a") as f:
            f.write(" ".join(line) + "\n")
        r = a.cv("journal", "verify", "--anchor", anchors)
        self.assertEqual(r.rc, 3)
        self.assertIn("does not verify", r.err)

    def test_automatic_anchor_after_every_commit(self):
        a = Archive(self)
        anchors = os.path.join(a.work, "auto-anchors.txt")
        a.ok("journal", "anchor", "--auto", anchors)
        a.ok("ingest", os.path.join(BUNDLES, "leroy"))
        a.ok("ingest", os.path.join(BUNDLES, "petit"))
        got = lines(anchors)
        self.assertGreaterEqual(len(got), 3)
        self.assertTrue(all(x.startswith("casevault-anchor 1 ") for x in got))
        self.assertEqual(a.cv("verify", "--anchor", anchors).rc, 0)
        self.assertIn("auto:on", a.ok("journal", "show").text)
        a.ok("journal", "anchor", "--no-auto")
        n = len(lines(anchors))
        a.ok("ingest", os.path.join(BUNDLES, "moreau"))
        self.assertEqual(len(lines(anchors)), n)


class Documents(unittest.TestCase):
    """A revision's chunk list, order and size are bound by a keyed tag."""

    def setUp(self):
        import random
        self.a = Archive(self)
        work = os.path.join(self.a.work, "bundle")
        rnd = random.Random(7)
        words = ["rapport", "éducatif", "famille", "accueil", "école", "suivi", "entretien", "mesure", "juge"]
        # over 8 MiB: at least 3 chunks whatever the archive's chunking seed
        # (chunks are at most 4 MiB); 4 MB gave 2 chunks for some seeds
        big = " ".join(rnd.choice(words) for _ in range(1250000)).encode()
        self.big = big
        m = simple_manifest(ref="ASE-31-2020-00077", docs=("docs/gros.txt",))
        write_bundle(work, m, {"docs/gros.txt": big})
        self.a.ok("ingest", work)
        self.cid = self.a.case_id("ASE-31-2020-00077")
        self.db = os.path.join(self.a.dir, "catalog.db")
        n = sqlite3.connect(self.db).execute("SELECT nchunks FROM revisions WHERE case_id=?", (self.cid,)).fetchone()[0]
        self.assertGreaterEqual(n, 3)
        self.assertEqual(self.a.ok("doc", "cat", self.cid, "d1").out, big)

    def tampered(self, sql, *args):
        db = sqlite3.connect(self.db)
        db.execute(sql, args)
        db.commit()
        db.close()
        r = self.a.cv("doc", "cat", self.cid, "d1")
        self.assertNotEqual(r.rc, 0)
        self.assertEqual(r.out, b"", "no byte may leave before the chunk list is checked")
        self.assertIn("revision 1", r.err)
        v = self.a.cv("verify", "--quick")
        self.assertEqual(v.rc, 3, v)
        self.assertIn("document d1 revision 1", v.text + v.err)

    def test_chunk_row_deleted(self):
        self.tampered("DELETE FROM rev_chunks WHERE case_id=? AND seq=1", self.cid)

    def test_chunk_rows_reordered(self):
        db = sqlite3.connect(self.db)
        db.execute("UPDATE rev_chunks SET seq=-1 WHERE case_id=? AND seq=0", (self.cid,))
        db.execute("UPDATE rev_chunks SET seq=0 WHERE case_id=? AND seq=1", (self.cid,))
        db.execute("UPDATE rev_chunks SET seq=1 WHERE case_id=? AND seq=-1", (self.cid,))
        db.commit()
        db.close()
        self.tampered("UPDATE revisions SET note=note WHERE case_id=?", self.cid)

    def test_size_edited(self):
        self.tampered("UPDATE revisions SET size=size-100 WHERE case_id=?", self.cid)

    def test_tag_removed_is_damage_and_cannot_be_laundered(self):
        db = sqlite3.connect(self.db)
        db.execute("UPDATE revisions SET tag=NULL WHERE case_id=?", (self.cid,))
        db.commit()
        r = self.a.cv("doc", "cat", self.cid, "d1")
        self.assertEqual(r.rc, 3)
        self.assertIn("has no tag", r.err)
        # Posing as an archive made before tags existed, to have the
        # library tag the altered revision: the flag's row is sealed.
        db.execute("UPDATE meta SET v='pending' WHERE k='revision_tags'")
        db.commit()
        db.close()
        r = self.a.cv("doc", "cat", self.cid, "d1")
        self.assertEqual(r.rc, 3, r)
        self.assertIn("meta revision_tags", r.err)
        self.assertNotIn("archive.upgrade", self.a.ok("journal", "show").text)

    def second_version(self):
        work = os.path.join(self.a.work, "bundle")
        with open(os.path.join(work, "docs", "gros.txt"), "ab") as f:
            f.write(" complément du rapport".encode())
        db = sqlite3.connect(self.db)
        old = db.execute("SELECT manifest FROM cases WHERE id=?", (self.cid,)).fetchone()[0]
        db.close()
        self.a.ok("ingest", work)
        self.assertTrue(self.a.ok("doc", "cat", self.cid, "d1").out.endswith(" complément du rapport".encode()))
        return old

    def test_latest_revision_removed(self):
        self.second_version()
        db = sqlite3.connect(self.db)
        db.execute("DELETE FROM rev_chunks WHERE case_id=? AND rev=2", (self.cid,))
        db.execute("DELETE FROM revisions WHERE case_id=? AND rev=2", (self.cid,))
        db.commit()
        db.close()
        r = self.a.cv("doc", "cat", self.cid, "d1")
        self.assertEqual(r.rc, 3, r)
        self.assertEqual(r.out, b"")
        self.assertIn("latest revision (1) is not the manifest's (2)", r.err)
        self.assertEqual(self.a.cv("verify", "--quick").rc, 3)

    def test_older_manifest_swapped_in(self):
        old = self.second_version()
        db = sqlite3.connect(self.db)
        db.execute("UPDATE cases SET manifest=? WHERE id=?", (old, self.cid))
        db.commit()
        db.close()
        r = self.a.cv("doc", "cat", self.cid, "d1")
        self.assertEqual(r.rc, 3, r)
        self.assertIn("cases " + self.cid, r.err)
        r = self.a.cv("verify", "--quick")
        self.assertEqual(r.rc, 3, r)

    def test_index_points_the_manifest_at_an_older_one(self):
        """The first insider edits a pack index (and recomputes its checksum)
        so that the current manifest's id reads the older manifest's bytes,
        which open with the same case key."""
        import hashlib
        import struct
        old = self.second_version()
        a = self.a
        db = sqlite3.connect(self.db)
        new = db.execute("SELECT manifest FROM cases WHERE id=?", (self.cid,)).fetchone()[0]
        db.close()
        self.assertEqual(a.git("repack", "-a", "-d", "-q", "--keep-unreachable", "--window=0").returncode, 0)
        pack_dir = os.path.join(a.dir, "git", "objects", "pack")
        idx = [f for f in os.listdir(pack_dir) if f.endswith(".idx")]
        self.assertEqual(len(idx), 1)
        path = os.path.join(pack_dir, idx[0])
        b = bytearray(open(path, "rb").read())
        count = struct.unpack(">I", b[8 + 255 * 4:8 + 256 * 4])[0]
        ids = [bytes(b[1032 + 20 * i:1052 + 20 * i]) for i in range(count)]
        i_new, i_old = ids.index(bytes.fromhex(new)), ids.index(bytes.fromhex(old))
        offs = 1032 + count * 24
        b[offs + 4 * i_new:offs + 4 * i_new + 4] = b[offs + 4 * i_old:offs + 4 * i_old + 4]
        b[-20:] = hashlib.sha1(bytes(b[:-20])).digest()
        os.chmod(path, 0o644)
        with open(path, "wb") as f:
            f.write(b)
        r = a.cv("verify")
        self.assertEqual(r.rc, 3, r)
        self.assertIn(f"git object {new}", r.err + r.out.decode())
        self.assertIn("hash mismatch", r.err + r.out.decode())

    def test_branch_rolled_back(self):
        self.second_version()
        a = self.a
        # (one commit behind is what a crash between the catalog's commit and
        # the ref's update leaves: the next open moves the ref forward again)
        prev = a.git("rev-parse", "main~2").stdout.strip()
        self.assertEqual(a.git("update-ref", "refs/heads/main", prev).returncode, 0)
        r = a.cv("verify", "--quick")
        self.assertEqual(r.rc, 3, r)
        self.assertIn("branch", r.err + r.out.decode())

    def test_chunk_row_pointed_at_another_object(self):
        """The first insider points a chunk row at another chunk object of the
        same case, copying that object's GCM tag (its last 16 bytes, readable
        without a key) and size: the object then decrypts and carries the
        row's tag, but the row's seal fails; reads recompute the keyed hash."""
        db = sqlite3.connect(self.db)
        rows = db.execute("SELECT rowid, oid, tag, size FROM chunks WHERE case_id=? ORDER BY rowid",
                          (self.cid,)).fetchall()
        self.assertGreaterEqual(len(rows), 3)
        self.assertTrue(all(r[2] is not None and len(r[2]) == 16 for r in rows), "chunk rows carry their object's tag")
        victim, other = rows[0], rows[1]
        db.execute("UPDATE chunks SET oid=?, tag=?, size=? WHERE rowid=?", (other[1], other[2], other[3], victim[0]))
        db.commit()
        db.close()
        r = self.a.cv("doc", "cat", self.cid, "d1")
        self.assertEqual(r.rc, 3, r)
        self.assertEqual(r.out, b"")
        v = self.a.cv("verify")
        self.assertEqual(v.rc, 3, v)
        self.assertIn("catalog row chunks " + self.cid, v.text + v.err)

    def test_chunk_seals_stripped_and_migration_replayed(self):
        """The first insider removes the chunk rows' seals and tags, points a
        row at another object and sets the schema back to 14, so that the
        upgrade seals the altered row again: it seals it without a tag, and
        verify then binds the object by its keyed hash."""
        db = sqlite3.connect(self.db)
        rows = db.execute("SELECT rowid, oid FROM chunks WHERE case_id=? ORDER BY rowid", (self.cid,)).fetchall()
        db.execute("ALTER TABLE chunks DROP COLUMN mac")
        db.execute("ALTER TABLE chunks DROP COLUMN tag")
        db.execute("UPDATE chunks SET oid=? WHERE rowid=?", (rows[1][1], rows[0][0]))
        db.execute("PRAGMA user_version=14")
        db.commit()
        db.close()
        v = self.a.cv("verify")
        self.assertEqual(v.rc, 3, v)
        self.assertIn("does not match the catalog's keyed hash", v.text + v.err)
        self.assertEqual(self.a.cv("doc", "cat", self.cid, "d1").rc, 3)

    def test_chunk_record_removed(self):
        self.tampered("DELETE FROM chunks WHERE case_id=? AND hash=(SELECT hash FROM rev_chunks WHERE case_id=? AND seq=2)",
                      self.cid, self.cid)



class Rows(unittest.TestCase):
    """The first insider: write access to the archive directory, no key."""

    def setUp(self):
        self.a = Archive(self)
        self.a.ok("ingest", os.path.join(BUNDLES, "leroy"), os.path.join(BUNDLES, "petit"))
        self.cid = self.a.case_id(LEROY)

    def damaged(self, r, *names):
        self.assertEqual(r.rc, 3, r)
        for n in names:
            self.assertIn(n, r.err + r.out.decode())

    def test_hold_cleared(self):
        a = self.a
        a.ok("case", "hold", self.cid, "--reason", "contentieux en cours")
        edit(a, "UPDATE cases SET hold=NULL, hold_since=NULL WHERE id=?", self.cid)
        self.damaged(a.cv("sweep", "plan"), "cases " + self.cid)
        self.damaged(a.cv("case", "release", self.cid), "cases " + self.cid)
        self.damaged(a.cv("verify"), "catalog row cases " + self.cid)

    def test_state_changed(self):
        a = self.a
        edit(a, "UPDATE cases SET state='active', closed=NULL WHERE id=?", self.cid)
        self.damaged(a.cv("doc", "cat", self.cid, "d1"), "cases " + self.cid)
        self.damaged(a.cv("verify", "--quick"), "catalog row cases " + self.cid)

    def test_permanent_flag_cleared(self):
        a = self.a
        m = simple_manifest(ref="ASE-31-2001-00007", category="pupille")
        a.ok("ingest", write_bundle(os.path.join(a.work, "pupille"), m, {"docs/a.txt": "Jugement.\n"}))
        pid = a.case_id("ASE-31-2001-00007")
        self.assertTrue(a.js("case", "show", pid)["permanent"])
        edit(a, "UPDATE cases SET permanent=0 WHERE id=?", pid)
        # what an erasure or a sweep would read first
        self.damaged(a.cv("case", "show", pid), "cases " + pid)
        self.damaged(a.cv("verify", "--quick"), "catalog row cases " + pid)

    def test_person_role_changed(self):
        a = self.a
        edit(a, "UPDATE persons SET role='professional' WHERE case_id=? AND pid='p2'", self.cid)
        self.damaged(a.cv("export", self.cid, "--for", "p1", "--out", os.path.join(a.work, "c.zip")),
                     "persons " + self.cid + "/p2")
        self.assertFalse(os.path.exists(os.path.join(a.work, "c.zip")))
        self.damaged(a.cv("verify", "--quick"), "catalog row persons " + self.cid + "/p2")

    def test_case_key_deleted(self):
        a = self.a
        edit(a, "DELETE FROM case_keys WHERE case_id=?", self.cid)
        self.damaged(a.cv("doc", "cat", self.cid, "d1"), "never shredded")
        r = a.cv("verify", "--quick")
        self.damaged(r, "case " + self.cid + " key", "never shredded")
        self.assertIn("2 cases", r.out.decode() + r.err)

    def test_role_given_to_oneself(self):
        a = self.a
        a.add_user("stagiaire", "auditor")
        edit(a, "UPDATE users SET roles='admin,dpo' WHERE name='stagiaire'")
        self.damaged(a.cv("doc", "cat", self.cid, "d1", user="stagiaire"), "users stagiaire")


class Decisions(unittest.TestCase):
    """The second and third insiders: the master key without another user's
    credential; one user with their own credential."""

    def setUp(self):
        a = self.a = Archive(self)
        self.admin = secret(a, "admin", "phrase de l'administrateur")
        a.ok("user", "passwd", "archiviste", "--credential-file", self.admin)  # set-up ends: the admin has keys
        self.dir_cred = secret(a, "dir", "phrase de la directrice")
        a.ok("user", "add", "directrice", "--role", "director", "--credential-file", self.dir_cred,
             "--admin-credential-file", self.admin)
        a.ok("ingest", os.path.join(BUNDLES, "leroy"), os.path.join(BUNDLES, "petit"))
        self.plan = a.js("sweep", "plan")["id"]

    def approve(self, cred, user="directrice"):
        return self.a.cv("sweep", "approve", self.plan, "--credential-file", cred, user=user)

    def test_own_credential_change_needs_the_old_one(self):
        a = self.a
        mine = secret(a, "mine", "je choisis la phrase de la directrice")
        r = a.cv("user", "passwd", "directrice", "--credential-file", mine, user="directrice")
        self.assertEqual(r.rc, 4, r)
        self.assertEqual(self.approve(mine).rc, 4)
        a.ok("sweep", "approve", self.plan, "--credential-file", self.dir_cred, user="directrice")

    def test_one_time_credential_decides_nothing(self):
        a = self.a
        tmp = secret(a, "tmp", "phrase provisoire")
        a.ok("user", "passwd", "directrice", "--credential-file", tmp, "--admin-credential-file", self.admin)
        r = self.approve(tmp)
        self.assertEqual(r.rc, 4, r)
        self.assertIn("one-time", r.err)
        resets = [e for e in a.js("journal", "show") if e["action"] == "user.reset"]
        self.assertEqual(len(resets), 1)
        new = secret(a, "new", "ma nouvelle phrase")
        a.ok("user", "passwd", "directrice", "--credential-file", new, "--old-credential-file", tmp, user="directrice")
        a.ok("sweep", "approve", self.plan, "--credential-file", new, user="directrice")
        self.assertEqual(a.cv("journal", "verify").rc, 0)

    def test_master_key_holder_approves_with_keys_of_their_own(self):
        a = self.a
        mk = MasterKeyHolder(a)
        # In a copy, the insider gives the director keys of their own choosing
        # (the admin's keys removed there, so that a reset needs no signature)...
        copy = os.path.join(a.work, "copie")
        snapshot(a, copy)
        db = sqlite3.connect(os.path.join(copy, "catalog.db"))
        db.execute("UPDATE users SET identity=NULL, sign_pub=NULL, seal_pub=NULL WHERE name='archiviste'")
        mk.reseal(db, "users", "name='archiviste'")
        db.commit()
        db.close()
        env = {"CASEVAULT_ARCHIVE": copy}
        mine = secret(a, "mine", "phrase choisie par l'initie")
        mine2 = secret(a, "mine2", "seconde phrase de l'initie")
        a.ok("user", "passwd", "directrice", "--credential-file", mine, env=env)
        a.ok("user", "passwd", "directrice", "--credential-file", mine2, "--old-credential-file", mine,
             user="directrice", env=env)
        db = sqlite3.connect(os.path.join(copy, "catalog.db"))
        row = db.execute("SELECT credential, identity, sign_pub, seal_pub FROM users WHERE name='directrice'").fetchone()
        db.close()
        # ... and swaps them into the real catalog, sealed with the master key.
        db = catalog(a)
        db.execute("UPDATE users SET credential=?, identity=?, sign_pub=?, seal_pub=?, one_time=0 "
                   "WHERE name='directrice'", row)
        mk.reseal(db, "users", "name='directrice'")
        db.commit()
        db.close()
        self.assertEqual(self.approve(mine2).rc, 0)  # the catalog believes it...
        r = a.cv("journal", "verify")  # ... the journal does not
        self.assertEqual(r.rc, 3, r)
        self.assertIn("signature of 'directrice' on this sweep.approve does not verify", r.err + r.out.decode())
        r = a.cv("sweep", "run", self.plan)
        self.assertEqual(r.rc, 3, r)
        self.assertIn("directrice", r.err)
        self.assertEqual([c["state"] for c in a.js("case", "list") if c["ref"] == LEROY], ["archived"])

    def test_master_key_holder_forges_an_unsigned_approval(self):
        a = self.a
        mk = MasterKeyHolder(a)
        db = catalog(a)
        db.execute("UPDATE plans SET state='approved', approver='directrice', approved=? WHERE id=?", (NOW, self.plan))
        mk.reseal(db, "plans", "id=?", self.plan)
        seq = mk.append(db, NOW, "directrice", "sweep.approve", "plan:" + self.plan)
        db.commit()
        db.close()
        r = a.cv("sweep", "run", self.plan)
        self.assertEqual(r.rc, 3, r)
        self.assertIn(f"entry {seq}", r.err)
        self.assertIn("no signature", r.err)
        r = a.cv("journal", "verify")
        self.assertEqual(r.rc, 3, r)
        self.assertEqual([c["state"] for c in a.js("case", "list") if c["ref"] == LEROY], ["archived"])

    def test_master_key_holder_shreds_without_a_decision(self):
        """Sealed rows and a keyed journal entry forged with the master key do
        not make a shredding: it needs the signed approval of its plan."""
        a = self.a
        mk = MasterKeyHolder(a)
        cid = a.case_id(LEROY)
        db = catalog(a)
        db.execute("UPDATE cases SET state='destroyed' WHERE id=?", (cid,))
        mk.reseal(db, "cases", "id=?", cid)
        db.execute("DELETE FROM case_keys WHERE case_id=?", (cid,))
        mk.append(db, NOW, "directrice", "case.destroy", f"case:{cid} plan:{self.plan} rule:forged")
        db.commit()
        db.close()
        r = a.cv("verify", "--quick")
        self.assertEqual(r.rc, 3, r)
        self.assertIn(f"case {cid} key", r.err + r.out.decode())
        self.assertIn("without a journaled, signed decision", r.err + r.out.decode())

    def test_sound_archive_verifies(self):
        a = self.a
        a.ok("sweep", "approve", self.plan, "--credential-file", self.dir_cred, user="directrice")
        a.ok("sweep", "run", self.plan)
        self.assertEqual(a.cv("journal", "verify").rc, 0)
        self.assertEqual(a.cv("verify").rc, 0)


class Shredding(unittest.TestCase):
    """Crypto-shredding reaches the notes about a case; exported keys are
    recorded and refused under restriction; archived records are erased only
    with the archives director's approval (Code du patrimoine R.212-14)."""

    def setUp(self):
        a = self.a = Archive(self)
        self.dpo = secret(a, "dpo", "phrase du délégué")
        self.dir = secret(a, "dir", "phrase de la directrice des archives")
        a.add_user("dpo", "dpo", credential="phrase du délégué")
        a.add_user("directrice", "director", credential="phrase de la directrice des archives")
        a.ok("ingest", os.path.join(BUNDLES, "leroy"))
        self.cid = a.case_id(LEROY)

    def request(self, typ, person="p1"):
        a = self.a
        r = a.js("request", "open", "--type", typ, "--subject", person, "--case", self.cid, "--received", "2026-12-01",
                 "--note", "rappeler Mme Leroy au 06 12 34 56 78", user="dpo")["id"]
        a.ok("request", "verify-identity", r, "--method", "guichet", user="dpo")
        a.ok("request", "decide", r, "--grant", "--ground", "RGPD", "--credential-file", self.dpo, user="dpo")
        return r

    def test_erasure_of_archived_records_needs_the_directors_approval_and_reaches_notes(self):
        a = self.a
        self.assertEqual(a.js("case", "show", self.cid)["state"], "archived")
        a.ok("export", self.cid, "--for", "p1", "--out", os.path.join(a.work, "c.zip"), "--note",
             "remise en main propre, tél. 06 12 34 56 78")
        k = a.js("key", "case", self.cid)
        r = self.request("erasure")
        owners = [o for (o,) in catalog(a).execute("SELECT owner FROM note_keys").fetchall()]
        self.assertIn("request:" + r, owners)
        self.assertTrue(any(o.startswith("export:") for o in owners))
        refused = a.cv("request", "fulfil", r, "--credential-file", self.dpo, user="dpo")
        self.assertEqual(refused.rc, 1, refused)
        self.assertIn("R.212-14", refused.err)
        # the DPO cannot give the visa; the director can, with her own key
        self.assertEqual(a.cv("request", "approve", r, "--credential-file", self.dpo, user="dpo").rc, 4)
        a.ok("request", "approve", r, "--credential-file", self.dir, user="directrice")
        done = a.js("request", "fulfil", r, "--credential-file", self.dpo, user="dpo")
        cert = done["certificate"]
        self.assertEqual(len(cert["destroyed"][0]["keys_exported"]), 1)
        self.assertEqual(cert["destroyed"][0]["keys_exported"][0]["by"], "archiviste")
        self.assertIn("key case", cert["warning"])
        # the notes' keys went with the case: the ciphertext stays, nothing opens it
        db = catalog(a)
        self.assertEqual(db.execute("SELECT count(*) FROM note_keys").fetchone()[0], 0)
        self.assertIsNotNone(db.execute("SELECT note FROM requests WHERE id=?", (r,)).fetchone()[0])
        db.close()
        raw = bytes.fromhex(k["key"])
        for path, data in a.all_bytes():
            self.assertNotIn(raw, data, path)
            self.assertNotIn(b"06 12 34 56 78", data, path)
        self.assertEqual(a.cv("journal", "verify").rc, 0)
        self.assertEqual(a.cv("verify").rc, 0)

    def test_approval_for_other_cases_does_not_count(self):
        a = self.a
        r = self.request("erasure")
        mk = MasterKeyHolder(a)
        db = catalog(a)
        mk.append(db, NOW, "directrice", "request.approve", f"request:{r} cases:0000000000000000")
        db.commit()
        db.close()
        refused = a.cv("request", "fulfil", r, "--credential-file", self.dpo, user="dpo")
        self.assertEqual(refused.rc, 3, refused)  # an unsigned approval is damage
        self.assertEqual(a.js("case", "show", self.cid)["state"], "archived")

    def test_key_case_refused_under_restriction(self):
        a = self.a
        r = self.request("restriction", person="p2")
        a.ok("request", "fulfil", r, "--credential-file", self.dpo, user="dpo")
        refused = a.cv("key", "case", self.cid)
        self.assertEqual(refused.rc, 1, refused)
        self.assertIn("restricted", refused.err)
        self.assertEqual([e["outcome"] for e in a.js("journal", "show") if e["action"] == "key.case"], ["refused"])

if __name__ == "__main__":
    main()
