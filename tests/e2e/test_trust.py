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
        big = " ".join(rnd.choice(words) for _ in range(600000)).encode()  # about 4 MB: several chunks
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

    def test_chunk_record_removed(self):
        self.tampered("DELETE FROM chunks WHERE case_id=? AND hash=(SELECT hash FROM rev_chunks WHERE case_id=? AND seq=2)",
                      self.cid, self.cid)


if __name__ == "__main__":
    main()
