#!/usr/bin/env python3
"""Mirrors and restore (issue: backups that crypto-shredding reaches):
push, restore equal to the source at the snapshot, shredding reaching every
copy after `mirror rotate --retention 0`, nothing personal in a mirror,
refusals, a killed push, the certificate's date."""
import json
import os
import random
import signal
import sqlite3
import subprocess
import time
import unittest
import zlib

from cvtest import Archive, BIN, BUNDLES, main

PERSONAL = [b"Leroy", b"LEROY", b"Martin", b"MARTIN", b"Faure", b"Garnier", b"Da Silva", b"Sophie", b"Fran\xc3\xa7ois",
            b"06 12 34 56 78", b"0612345678", b"sophie.martin", b"orange.fr", b"impasse du Moulin", b"05 61 22 33 44",
            b"Petit", b"J\xc3\xa9r\xc3\xb4me", b"07.11.22.33.44", b"n.moreau", b"Moreau", b"Vasseur",
            b"Rapport \xc3\xa9ducatif", b"rapport-2019"]
CRED = "une phrase de la directrice"


def setup(test):
    a = Archive(test)
    a.add_user("directrice", "director", credential=CRED)
    a.add_user("lea", "archivist")
    a.add_user("audit", "auditor")
    a.ok("ingest", *(os.path.join(BUNDLES, b) for b in ("leroy", "petit", "moreau")))
    return a


def cred_file(a, text):
    p = os.path.join(a.work, "cred-dir")
    with open(p, "w") as f:
        f.write(text + "\n")
    return p


def objects(gitdir):
    """Every object of a repository, inflated: (id, type, bytes)."""
    p = subprocess.run(["git", "--git-dir", gitdir, "cat-file", "--batch-all-objects", "--batch",
                        "--unordered"], capture_output=True, check=True)
    out, i, res = p.stdout, 0, []
    while i < len(out):
        nl = out.index(b"\n", i)
        oid, typ, size = out[i:nl].split()
        size = int(size)
        res.append((oid.decode(), typ.decode(), out[nl + 1:nl + 1 + size]))
        i = nl + 1 + size + 1
    return res


def files(d):
    for root, _, fs in os.walk(d):
        for f in fs:
            p = os.path.join(root, f)
            with open(p, "rb") as fh:
                yield p, fh.read()


def catalog_rows(path, skip_journal_after=None):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rows = {}
    for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"):
        q = f"SELECT * FROM {t}"
        if t == "journal" and skip_journal_after is not None:
            q += f" WHERE seq <= {int(skip_journal_after)}"
        rows[t] = sorted(map(repr, db.execute(q).fetchall()))
    db.close()
    return rows


def refs(gitdir):
    return subprocess.run(["git", "--git-dir", gitdir, "for-each-ref", "--format=%(refname) %(objectname)"],
                          capture_output=True, text=True).stdout


class PushRestore(unittest.TestCase):
    def test_restore_equals_source_at_snapshot(self):
        a = setup(self)
        mir = os.path.join(a.work, "mirror.git")
        a.ok("mirror", "add", "offsite", mir)
        p1 = a.js("mirror", "push", "offsite")
        self.assertEqual(p1["snapshot"], 1)
        # a second push after a change: the mirror follows, keeps both snapshots
        cid = a.case_id("ASE-31-2016-00042")
        a.ok("case", "hold", cid, "--reason", "contentieux")
        p2 = a.js("mirror", "push")[0]
        self.assertEqual((p2["snapshot"], p2["snapshots"]), (2, 2))
        lst = a.js("mirror", "list")
        self.assertEqual(lst[0]["snapshot"], 2)
        self.assertEqual(lst[0]["journal_seq"], p2["journal_seq"])
        self.assertEqual(lst[0]["journal_head"], p2["journal_head"])
        source_rows = catalog_rows(os.path.join(a.dir, "catalog.db"), p2["journal_seq"])
        # the source moves on after the snapshot: the restore must not see it
        a.ok("case", "release", cid)
        dest = os.path.join(a.work, "restored")
        r = a.js("restore", "--from", mir, "--to", dest)
        self.assertEqual((r["snapshot"], r["commit"]), (2, p2["commit"]))
        b = dict(a.env, CASEVAULT_ARCHIVE=dest)
        run = lambda *args: subprocess.run([BIN, *args], env=b, capture_output=True)
        for args in (["verify"], ["journal", "verify"]):
            x = run(*args)
            self.assertEqual(x.returncode, 0, (args, x.stderr))
        self.assertEqual(subprocess.run(["git", "--git-dir", os.path.join(dest, "git"), "fsck", "--strict"],
                                        capture_output=True).returncode, 0)
        # same catalog, row for row, journal included up to the snapshot
        self.assertEqual(catalog_rows(os.path.join(dest, "catalog.db"), p2["journal_seq"]), source_rows)
        restored_journal = json.loads(run("--json", "journal", "show").stdout)
        self.assertEqual([e["action"] for e in restored_journal if e["seq"] > p2["journal_seq"]][0], "archive.restore")
        # the restored branch is the snapshot's commit; documents read back identical
        self.assertEqual(refs(os.path.join(dest, "git")).split(), ["refs/heads/main", p2["commit"]])
        cases = json.loads(run("--json", "case", "list").stdout)
        self.assertEqual([c["ref"] for c in cases], [c["ref"] for c in a.js("case", "list")])
        held = [c for c in cases if c["id"] == cid][0]
        self.assertEqual(held["state"], a.js("case", "show", cid)["state"])
        for c in cases:
            for d in a.js("doc", "list", c["id"]):
                for rev in range(1, d["revisions"] + 1):
                    src = a.ok("doc", "cat", c["id"], d["id"], "--rev", str(rev)).out
                    self.assertEqual(run("doc", "cat", c["id"], d["id"], "--rev", str(rev)).stdout, src)
        self.assertEqual(json.loads(run("--json", "user", "list").stdout), a.js("user", "list"))
        # the restored archive keeps its mirror and can push to it again
        self.assertEqual(json.loads(run("--json", "mirror", "list").stdout)[0]["url"], mir)
        x = run("--json", "mirror", "push")
        self.assertEqual(x.returncode, 0, x.stderr)
        # an older snapshot restores too: the state before the hold
        dest1 = os.path.join(a.work, "restored1")
        self.assertEqual(a.js("restore", "--from", mir, "--to", dest1, "--snapshot", "1")["commit"], p1["commit"])
        # ... but it must not push its older history over the mirror's newer one
        r1 = subprocess.run([BIN, "mirror", "push"], env=dict(a.env, CASEVAULT_ARCHIVE=dest1), capture_output=True,
                            text=True)
        self.assertEqual(r1.returncode, 1, r1.stderr)
        self.assertIn("history this archive does not have", r1.stderr)

    def test_nothing_personal_in_a_mirror(self):
        a = setup(self)
        mir = os.path.join(a.work, "m")
        a.ok("mirror", "add", "m", mir)
        a.ok("mirror", "push")
        for path, data in files(mir):
            for needle in PERSONAL:
                self.assertNotIn(needle, data, f"{needle!r} in clear in {path}")
        for oid, typ, data in objects(mir):
            for needle in PERSONAL:
                self.assertNotIn(needle, data, f"{needle!r} in clear in mirror object {oid} ({typ})")
            if typ == "blob" and data[:1] == b"\x1f":
                self.fail("a compressed blob in clear")
        manifest = json.loads(subprocess.run(["git", "--git-dir", mir, "show", "refs/casevault/mirror:manifest.json"],
                                             capture_output=True, check=True).stdout)
        self.assertEqual(len(manifest["snapshots"]), 1)
        self.assertEqual(os.stat(mir).st_mode & 0o077, 0)


class ShreddingReachesMirrors(unittest.TestCase):
    def test_shred_push_rotate_restore(self):
        a = setup(self)
        mir = os.path.join(a.work, "m.git")
        a.ok("mirror", "add", "m", mir)
        cid = a.case_id("ASE-31-2016-00042")
        keep = a.case_id("ASE-31-2019-00117")
        k = a.js("key", "case", cid)
        db = sqlite3.connect(os.path.join(a.dir, "catalog.db"))
        wrapped = db.execute("SELECT wrapped FROM case_keys WHERE case_id=?", (cid,)).fetchone()[0]
        db.close()
        first = a.js("mirror", "push")[0]
        self.assertIsNone(first["keys_gone_by"])
        old_epoch_ring = subprocess.run(["git", "--git-dir", mir, "show", "refs/casevault/mirror:keyring.json"],
                                        capture_output=True, check=True).stdout
        old_wrapped_epoch = json.loads(old_epoch_ring)["epochs"][0]["wrapped"]
        # shred: the sweep anonymises the case (its key destroyed in the archive)
        p = a.js("sweep", "plan", "--as-of", "2026-07-01")
        a.ok("sweep", "approve", p["id"], "--credential-file", cred_file(a, CRED), user="directrice")
        a.ok("sweep", "run", p["id"])
        after = a.js("mirror", "push")[0]
        self.assertGreaterEqual(after["shredded"], 1)
        self.assertRegex(after["keys_gone_by"], r"^\d{4}-\d{2}-\d{2}$")
        text = a.ok("mirror", "push").text
        self.assertIn("still readable in older snapshots until", text)
        # the certificate states the date
        cert = os.path.join(a.work, "cert.json")
        a.ok("sweep", "certificate", p["id"], "--out", cert)
        with open(cert) as f:
            self.assertIn("keys_gone_by", json.load(f)["offsite_copies"])
        html = os.path.join(a.work, "cert.html")
        a.ok("sweep", "certificate", p["id"], "--out", html)
        with open(html, encoding="utf-8") as f:
            self.assertIn("Copies hors site", f.read())
        # before the rotation, the first snapshot still opens: the key is there
        probe = os.path.join(a.work, "probe")
        a.ok("restore", "--from", mir, "--to", probe, "--snapshot", "1")
        pdb = sqlite3.connect(os.path.join(probe, "catalog.db"))
        self.assertEqual(pdb.execute("SELECT wrapped FROM case_keys WHERE case_id=?", (cid,)).fetchone()[0], wrapped)
        pdb.close()
        rot = a.js("mirror", "rotate", "--retention", "0")
        self.assertEqual((rot["destroyed"], rot["pushed"], rot["failed"]), (1, 1, 0))
        self.assertFalse(a.js("mirror", "list")[0]["stale"])
        # snapshot 1 is gone; the newest restores; the shredded case is unreadable there
        dest = os.path.join(a.work, "after")
        r = a.cv("restore", "--from", mir, "--to", dest, "--snapshot", "1")
        self.assertNotEqual(r.rc, 0)
        self.assertIn("no snapshot 1", r.err)
        self.assertFalse(os.path.exists(dest))
        a.ok("restore", "--from", mir, "--to", dest)
        b = dict(a.env, CASEVAULT_ARCHIVE=dest)
        run = lambda *args: subprocess.run([BIN, *args], env=b, capture_output=True)
        self.assertEqual(run("verify").returncode, 0)
        self.assertNotEqual(run("doc", "cat", cid, "d1").returncode, 0)
        self.assertNotEqual(run("key", "case", cid).returncode, 0)
        self.assertEqual(run("doc", "cat", keep, "d1").stdout, a.ok("doc", "cat", keep, "d1").out)
        # the shredded key's bytes, and the destroyed epoch's, are nowhere in the mirror
        raw = bytes.fromhex(k["key"])
        needles = [raw, wrapped, k["key"].encode(), old_wrapped_epoch.encode(), bytes.fromhex(old_wrapped_epoch)]
        for path, data in files(mir):
            for n in needles:
                self.assertNotIn(n, data, path)
        objs = objects(mir)
        for oid, typ, data in objs:
            for n in needles:
                self.assertNotIn(n, data, f"object {oid}")
        # every snapshot the mirror still holds opens (live epochs only) and lacks the key
        man = json.loads(subprocess.run(["git", "--git-dir", mir, "show", "refs/casevault/mirror:manifest.json"],
                                        capture_output=True, check=True).stdout)
        for s in man["snapshots"]:
            d = os.path.join(a.work, f"s{s['seq']}")
            a.ok("restore", "--from", mir, "--to", d, "--snapshot", str(s["seq"]))
            sdb = sqlite3.connect(os.path.join(d, "catalog.db"))
            self.assertIsNone(sdb.execute("SELECT wrapped FROM case_keys WHERE case_id=?", (cid,)).fetchone())
            sdb.close()


class AuditorWithGitAndOpenssl(unittest.TestCase):
    def test_snapshot_opens_with_openssl_alone(self):
        """docs/recover-snapshot.sh: the newest snapshot, opened with the
        master key, git and openssl, is the catalog whose journal head the
        manifest and the mirror commit state."""
        a = setup(self)
        mir = os.path.join(a.work, "m")
        a.ok("mirror", "add", "m", mir)
        a.ok("mirror", "push")
        a.ok("case", "hold", a.case_id("ASE-31-2016-00042"), "--reason", "x")
        p = a.js("mirror", "push")[0]
        script = os.path.join(os.environ.get("CV_SRC", os.path.join(os.path.dirname(__file__), "..", "..")),
                              "docs", "recover-snapshot.sh")
        out = os.path.join(a.work, "snap.db")
        for seq in ("", "1"):
            with open(out, "wb") as f:
                r = subprocess.run(["sh", script, mir, a.key] + ([seq] if seq else []), stdout=f,
                                   stderr=subprocess.PIPE)
            self.assertEqual(r.returncode, 0, r.stderr)
            db = sqlite3.connect(out)
            seq_, head = db.execute("SELECT seq, hex(hash) FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
            db.close()
            if not seq:
                self.assertEqual((seq_, head.lower()), (p["journal_seq"], p["journal_head"]))
                msg = subprocess.run(["git", "--git-dir", mir, "log", "-1", "--format=%B", "refs/casevault/mirror"],
                                     capture_output=True, text=True).stdout
                self.assertIn(f"Journal-Head: {p['journal_head']}", msg)
            else:
                self.assertLess(seq_, p["journal_seq"])


class Refusals(unittest.TestCase):
    def test_roles_targets_and_keys(self):
        a = setup(self)
        mir = os.path.join(a.work, "m")
        # roles: an auditor lists but does not push; an archivist pushes, does not add
        self.assertEqual(a.cv("mirror", "add", "x", os.path.join(a.work, "x"), user="lea").rc, 4)
        a.ok("mirror", "add", "m", mir)
        self.assertEqual(a.cv("mirror", "push", user="audit").rc, 4)
        a.ok("mirror", "list", user="audit")
        a.ok("mirror", "push", user="lea")
        # bad targets
        r = a.cv("mirror", "add", "inside", os.path.join(a.dir, "m"))
        self.assertEqual(r.rc, 1)
        self.assertIn("outside the archive directory", r.err)
        self.assertEqual(a.cv("mirror", "add", "m", os.path.join(a.work, "other")).rc, 1)
        self.assertEqual(a.cv("mirror", "add", "bad name", os.path.join(a.work, "y")).rc, 1)
        self.assertEqual(a.cv("mirror", "add", "h", "https://example.org/x.git").rc, 1)
        self.assertEqual(a.cv("mirror", "push", "nope").rc, 1)
        # a mirror of another archive is refused, not overwritten
        other = Archive(self, name="other")
        other.ok("mirror", "add", "m", mir)
        before = refs(mir)
        r = other.cv("mirror", "push")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("a mirror of another archive", r.err)
        self.assertEqual(refs(mir), before)
        # restore: wrong key, non-empty target, non-admin, no mirror there
        dest = os.path.join(a.work, "r")
        r = other.cv("restore", "--from", mir, "--to", dest)
        self.assertEqual(r.rc, 4, r)
        self.assertFalse(os.path.exists(dest))
        os.makedirs(dest)
        with open(os.path.join(dest, "f"), "w"):
            pass
        self.assertEqual(a.cv("restore", "--from", mir, "--to", dest).rc, 1)
        self.assertTrue(os.path.exists(os.path.join(dest, "f")))
        r = a.cv("restore", "--from", mir, "--to", os.path.join(a.work, "r2"), user="lea")
        self.assertEqual(r.rc, 4, r)
        self.assertFalse(os.path.exists(os.path.join(a.work, "r2")))
        r = a.cv("restore", "--from", os.path.join(a.work, "nothing"), "--to", os.path.join(a.work, "r3"))
        self.assertNotEqual(r.rc, 0)
        self.assertEqual(a.cv("restore", "--from", mir).rc, 2)
        # a tampered mirror state file is refused
        st = os.path.join(a.dir, "mirrors.json")
        with open(st) as f:
            text = f.read()
        with open(st, "w") as f:
            f.write(text.replace('"retention_days": 90', '"retention_days": 9000'))
        r = a.cv("mirror", "push")
        self.assertEqual(r.rc, 3, r)
        self.assertIn("altered", r.err)

    def test_configure_and_remove(self):
        a = setup(self)
        mir = os.path.join(a.work, "m")
        a.ok("mirror", "add", "m", mir)
        self.assertEqual(a.js("mirror", "configure"), {"epoch_days": 30, "retention_days": 90})
        # only an admin changes the window; bad values are usage errors and change nothing
        self.assertEqual(a.cv("mirror", "configure", "--epoch-days", "7", user="lea").rc, 4)
        for bad in (["--epoch-days", "x"], ["--retention-days", "5d"], ["--retention-days", "-1"],
                    ["--retention-days", "99999"], ["extra"]):
            r = a.cv("mirror", "configure", *bad)
            self.assertEqual(r.rc, 2, (bad, r))
        for bad in (["--epoch-days", "0"], ["--epoch-days", "4000"]):
            r = a.cv("mirror", "configure", *bad)
            self.assertEqual(r.rc, 1, (bad, r))
            self.assertIn("an epoch lasts 1 to 3660 days", r.err)
        self.assertEqual(a.js("mirror", "configure"), {"epoch_days": 30, "retention_days": 90})
        self.assertEqual(a.js("mirror", "configure", "--epoch-days", "10", "--retention-days", "5"),
                         {"epoch_days": 10, "retention_days": 5})
        self.assertIn("epochs of 10 days, retention window 5 days", a.ok("mirror", "list").text)
        ent = [(e["actor"], e["outcome"], e["object"]) for e in a.js("journal", "show")
               if e["action"] == "mirror.configure"]
        self.assertEqual(ent, [("lea", "denied", ""), ("archiviste", "ok", "epoch_days:10 retention_days:5")])
        # the date shredded keys are gone from every copy follows the window:
        # the epoch's start (today's push) + 10 + 5 days
        first = a.js("mirror", "push")[0]
        p = a.js("sweep", "plan", "--as-of", "2026-07-01")
        a.ok("sweep", "approve", p["id"], "--credential-file", cred_file(a, CRED), user="directrice")
        a.ok("sweep", "run", p["id"])
        after = a.js("mirror", "push")[0]
        self.assertEqual(after["epoch"], first["epoch"])
        started = time.strftime("%Y-%m-%d", time.gmtime())
        want = time.strftime("%Y-%m-%d", time.gmtime(time.mktime(time.strptime(started, "%Y-%m-%d")) + 15 * 86400
                                                     + 43200))
        self.assertEqual(after["keys_gone_by"], want)
        # remove: the mirror leaves the list (its copy is left as it is), is journaled,
        # and a push to it by name is refused; removing it twice says it is unknown
        self.assertEqual(a.cv("mirror", "remove", "m", user="lea").rc, 4)
        self.assertEqual(a.js("mirror", "remove", "m"), {"removed": "m"})
        self.assertEqual(a.js("mirror", "list"), [])
        self.assertTrue(os.path.isdir(mir))
        r = a.cv("mirror", "remove", "m")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("mirror list", r.err)
        r = a.cv("mirror", "push", "m")
        self.assertEqual(r.rc, 1, r)
        r = a.cv("mirror", "push")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("no mirror", r.err)
        self.assertTrue(any(e["action"] == "mirror.remove" for e in a.js("journal", "show")))
        # the same name can be added again, pointing at the copy it had
        a.ok("mirror", "add", "m", mir)
        again = a.js("mirror", "push")[0]
        self.assertGreater(again["snapshot"], after["snapshot"])
        a.ok("verify")

    def test_mirror_state_deleted_or_rolled_back(self):
        a = setup(self)
        mir = os.path.join(a.work, "m")
        a.ok("mirror", "add", "m", mir)
        a.ok("mirror", "push")
        st = os.path.join(a.dir, "mirrors.json")
        with open(st, "rb") as f:
            old = f.read()
        a.ok("mirror", "rotate", "--retention", "0")
        # put back the copy from before the rotation: the destroyed epoch's key is refused
        with open(st, "wb") as f:
            f.write(old)
        r = a.cv("mirror", "list")
        self.assertEqual(r.rc, 3, r)
        self.assertIn("older copy", r.err)
        r = a.cv("verify")
        self.assertEqual(r.rc, 3, r)
        self.assertIn("mirrors.json", r.out.decode() + r.err)
        os.unlink(st)
        r = a.cv("mirror", "push")
        self.assertEqual(r.rc, 3, r)
        self.assertIn("mirrors.json is missing", r.err)

    def test_tampered_snapshot_is_refused(self):
        a = setup(self)
        mir = os.path.join(a.work, "m")
        a.ok("mirror", "add", "m", mir)
        a.ok("mirror", "push")
        # swap the snapshot for another blob: the restore refuses it
        tree = subprocess.run(["git", "--git-dir", mir, "ls-tree", "-r", "refs/casevault/mirror"], capture_output=True,
                              text=True, check=True).stdout
        snap = [l for l in tree.splitlines() if "snapshots/" in l][0].split()[2]
        data = bytearray(subprocess.run(["git", "--git-dir", mir, "cat-file", "blob", snap], capture_output=True,
                                        check=True).stdout)
        data[-40] ^= 1
        fake = subprocess.run(["git", "--git-dir", mir, "hash-object", "-w", "--stdin"], input=bytes(data),
                              capture_output=True, check=True).stdout.decode().strip()
        listing = tree.replace(snap, fake)
        sub = subprocess.run(["git", "--git-dir", mir, "mktree"], input="\n".join(
            l.replace("snapshots/", "") for l in listing.splitlines() if "snapshots/" in l) + "\n",
            capture_output=True, text=True, check=True).stdout.strip()
        top = "\n".join(l for l in subprocess.run(["git", "--git-dir", mir, "ls-tree", "refs/casevault/mirror"],
                                                  capture_output=True, text=True, check=True).stdout.splitlines()
                        if not l.endswith("\tsnapshots")) + f"\n040000 tree {sub}\tsnapshots\n"
        root = subprocess.run(["git", "--git-dir", mir, "mktree"], input=top, capture_output=True, text=True,
                              check=True).stdout.strip()
        parent = subprocess.run(["git", "--git-dir", mir, "rev-parse", "refs/casevault/mirror^"], capture_output=True,
                                text=True, check=True).stdout.strip()
        env = dict(os.environ, GIT_AUTHOR_NAME="x", GIT_AUTHOR_EMAIL="x@x", GIT_COMMITTER_NAME="x",
                   GIT_COMMITTER_EMAIL="x@x")
        c = subprocess.run(["git", "--git-dir", mir, "commit-tree", root, "-p", parent, "-m", "x"], capture_output=True,
                           text=True, check=True, env=env).stdout.strip()
        subprocess.run(["git", "--git-dir", mir, "update-ref", "refs/casevault/mirror", c], check=True)
        dest = os.path.join(a.work, "r")
        r = a.cv("restore", "--from", mir, "--to", dest)
        self.assertEqual(r.rc, 3, r)
        self.assertIn("altered", r.err)
        self.assertFalse(os.path.exists(dest))


class KilledPush(unittest.TestCase):
    def test_killed_push_leaves_previous_or_new_state(self):
        a = setup(self)
        mir = os.path.join(a.work, "m")
        a.ok("mirror", "add", "m", mir)
        a.ok("mirror", "push")
        rnd = random.Random(7)
        seen = set()
        for i in range(8):
            a.ok("case", "hold", a.case_id("ASE-31-2016-00042"), "--reason", f"r{i}")
            a.ok("case", "release", a.case_id("ASE-31-2016-00042"))
            before = refs(mir)
            p = subprocess.Popen([BIN, "mirror", "push"], env=a.env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            time.sleep(rnd.uniform(0.0, 0.25))
            p.send_signal(signal.SIGKILL)
            p.wait()
            now = refs(mir)
            mirror_ref = lambda s: [l for l in s.splitlines() if "refs/casevault/mirror" in l]
            seen.add("same" if mirror_ref(now) == mirror_ref(before) else "moved")
            self.assertEqual(subprocess.run(["git", "--git-dir", mir, "fsck", "--strict"],
                                            capture_output=True).returncode, 0)
            dest = os.path.join(a.work, f"r{i}")
            a.ok("restore", "--from", mir, "--to", dest)
            self.assertEqual(subprocess.run([BIN, "verify"], env=dict(a.env, CASEVAULT_ARCHIVE=dest),
                                            capture_output=True).returncode, 0)
            a.ok("verify")
        # a push killed while the mirror's ref was locked leaves the lock: the next push still completes
        with open(os.path.join(mir, "refs", "casevault", "mirror.lock"), "w") as f:
            f.write("0" * 40 + "\n")
        x = a.js("mirror", "push")[0]
        self.assertFalse(os.path.exists(os.path.join(mir, "refs", "casevault", "mirror.lock")))
        self.assertEqual(a.js("mirror", "list")[0]["snapshot"], x["snapshot"])
        print(f"killed pushes: mirror ref {sorted(seen)}")


if __name__ == "__main__":
    main()
