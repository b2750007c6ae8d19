#!/usr/bin/env python3
"""The archive engine seen from outside: keys, roles, journal, integrity,
recovery with git and openssl, nothing personal in clear, usage."""
import json
import os
import re
import sqlite3
import subprocess
import threading
import time
import unittest

from cvtest import Archive, BIN, BUNDLES, SRC, main

PERSONAL = [b"Leroy", b"LEROY", b"Martin", b"MARTIN", b"Faure", b"Garnier", b"Da Silva", b"Sophie", b"Fran\xc3\xa7ois",
            b"06 12 34 56 78", b"0612345678", b"sophie.martin", b"orange.fr", b"impasse du Moulin", b"05 61 22 33 44",
            b"Petit", b"J\xc3\xa9r\xc3\xb4me", b"07.11.22.33.44", b"n.moreau", b"Moreau", b"Vasseur",
            b"Rapport \xc3\xa9ducatif", b"rapport-2019"]


def ingest_samples(a):
    a.ok("ingest", *(os.path.join(BUNDLES, b) for b in ("leroy", "petit", "moreau")))


class Keys(unittest.TestCase):
    def test_keygen(self):
        a = Archive(self)
        self.assertEqual(oct(os.stat(a.key).st_mode & 0o777), "0o600")
        self.assertEqual(os.path.getsize(a.key), 32)
        r = a.cv("keygen", a.key)
        self.assertEqual(r.rc, 1)
        self.assertIn("already exists", r.err)

    def test_wrong_key_exits_4_before_touching_anything(self):
        a = Archive(self)
        ingest_samples(a)
        other = os.path.join(a.work, "other.key")
        a.ok("keygen", other)
        snap = {p: (os.stat(p).st_mtime_ns, os.path.getsize(p)) for p, _ in a.all_bytes()}
        time.sleep(0.05)
        for cmd in (["case", "list"], ["ingest", os.path.join(BUNDLES, "leroy")], ["verify"], ["journal", "verify"]):
            r = a.cv(*cmd, env={"CASEVAULT_KEY_FILE": other})
            self.assertEqual(r.rc, 4, (cmd, r))
            self.assertIn("wrong key", r.err)
        after = {p: (os.stat(p).st_mtime_ns, os.path.getsize(p)) for p, _ in a.all_bytes()}
        self.assertEqual(snap, after)

    def test_passphrase_archive(self):
        a = Archive(self, passphrase="une phrase de passe assez longue")
        conf = json.load(open(os.path.join(a.dir, "archive.json")))
        self.assertEqual(conf["kdf"]["type"], "scrypt")
        self.assertGreaterEqual(conf["kdf"]["log2_n"], 15)
        a.ok("case", "list")
        bad = os.path.join(a.work, "bad")
        open(bad, "w").write("une autre phrase\n")
        r = a.cv("case", "list", env={"CASEVAULT_PASSPHRASE_FILE": bad})
        self.assertEqual(r.rc, 4)
        r = a.cv("--key-file", a.pass_file, "case", "list")
        self.assertEqual(r.rc, 4)
        self.assertIn("passphrase", r.err)

    def test_key_case_and_roles(self):
        a = Archive(self)
        ingest_samples(a)
        cid = a.case_id("ASE-31-2016-00042")
        k = a.js("key", "case", cid)
        self.assertRegex(k["key_id"], r"^[0-9a-f]{32}$")
        self.assertRegex(k["key"], r"^[0-9a-f]{64}$")
        a.add_user("claire", "archivist")
        a.add_user("audit", "auditor")
        r = a.cv("key", "case", cid, user="claire")
        self.assertEqual(r.rc, 4)
        self.assertIn("auditor", r.err)
        self.assertEqual(a.cv("key", "case", cid, user="audit").rc, 0)
        r = a.cv("doc", "cat", cid, "d1", user="audit")
        self.assertEqual(r.rc, 4)
        self.assertEqual(a.cv("doc", "cat", cid, "d1", user="claire").rc, 0)
        r = a.cv("case", "list", user="mallory")
        self.assertEqual(r.rc, 4)
        self.assertIn("not registered", r.err)
        r = a.cv("user", "add", "eve", "--role", "admin", user="claire")
        self.assertEqual(r.rc, 4)
        entries = a.js("journal", "show")
        denied = [(e["actor"], e["action"]) for e in entries if e["outcome"] == "denied"]
        self.assertIn(("claire", "key.case"), denied)
        self.assertIn(("audit", "doc.read"), denied)
        self.assertIn(("mallory", "archive.open"), denied)
        self.assertIn(("claire", "user.add"), denied)
        ok = [(e["actor"], e["action"]) for e in entries if e["outcome"] == "ok"]
        self.assertIn(("audit", "key.case"), ok)
        self.assertIn(("claire", "doc.read"), ok)
        r = a.cv("user", "add", "x", "--role", "boss")
        self.assertEqual(r.rc, 1)
        self.assertIn("unknown role", r.err)


class Journal(unittest.TestCase):
    def tamper(self, a, sql):
        db = sqlite3.connect(os.path.join(a.dir, "catalog.db"))
        db.executescript("DROP TRIGGER IF EXISTS journal_no_update; DROP TRIGGER IF EXISTS journal_no_delete;" + sql)
        db.commit()
        db.close()

    def test_chain_and_anchor(self):
        a = Archive(self)
        ingest_samples(a)
        cid = a.case_id("ASE-31-2016-00042")
        a.ok("doc", "cat", cid, "d1")
        v = a.js("journal", "verify")
        self.assertTrue(v["ok"])
        self.assertGreaterEqual(v["anchors"], 4)
        anchor = a.ok("journal", "anchor").text
        m = re.search(r"seq (\d+) sha256 ([0-9a-f]{64})", anchor)
        self.assertTrue(m, anchor)
        last = a.js("journal", "show")[-1]
        self.assertEqual((last["seq"], last["hash"]), (int(m.group(1)), m.group(2)))
        log = a.git("log", "--format=%B").stdout
        self.assertIn("Journal-Head:", log)

    def test_edit_detected(self):
        a = Archive(self)
        ingest_samples(a)
        self.tamper(a, "UPDATE journal SET actor='quelquun' WHERE seq=3;")
        r = a.cv("journal", "verify")
        self.assertEqual(r.rc, 3)
        self.assertIn("entry 3", r.err)
        self.assertEqual(a.cv("verify").rc, 3)

    def test_removal_detected(self):
        a = Archive(self)
        ingest_samples(a)
        self.tamper(a, "DELETE FROM journal WHERE seq=2;")
        r = a.cv("journal", "verify")
        self.assertEqual(r.rc, 3)
        self.assertIn("entry 2", r.err)

    def test_reorder_detected(self):
        a = Archive(self)
        ingest_samples(a)
        self.tamper(a, "UPDATE journal SET seq=-1 WHERE seq=2; UPDATE journal SET seq=2 WHERE seq=3;"
                       "UPDATE journal SET seq=3 WHERE seq=-1;")
        r = a.cv("journal", "verify")
        self.assertEqual(r.rc, 3)
        self.assertIn("entry 2", r.err)

    def test_truncation_caught_by_git_anchor(self):
        a = Archive(self)
        ingest_samples(a)
        n = a.js("journal", "show")[-1]["seq"]
        self.tamper(a, f"DELETE FROM journal WHERE seq >= {n - 1};")
        r = a.cv("journal", "verify")
        self.assertEqual(r.rc, 3, r)
        self.assertIn("removed", r.err)


class Integrity(unittest.TestCase):
    def test_flipped_byte_in_any_object_is_named(self):
        a = Archive(self)
        ingest_samples(a)
        self.assertEqual(a.cv("verify").rc, 0)
        pack_dir = os.path.join(a.dir, "git", "objects", "pack")
        packs = sorted((os.path.getsize(os.path.join(pack_dir, p)), p) for p in os.listdir(pack_dir) if p.endswith(".pack"))
        size, name = packs[-1]
        path = os.path.join(pack_dir, name)
        os.chmod(path, 0o644)
        with open(path, "r+b") as f:
            f.seek(size // 2)
            b = f.read(1)
            f.seek(size // 2)
            f.write(bytes([b[0] ^ 0x20]))
        r = a.cv("verify")
        self.assertEqual(r.rc, 3, r)
        self.assertIn("DAMAGED", r.err)
        self.assertRegex(r.err, r"git object [0-9a-f]{40}|pack-[0-9a-f]+\.pack")
        self.assertNotEqual(a.git("fsck", "--strict").returncode, 0)

    def test_clean_archive_passes_git_fsck_and_verify_modes(self):
        a = Archive(self)
        ingest_samples(a)
        cid = a.case_id("ASE-31-2016-00042")
        a.ok("case", "hold", cid, "--reason", "contentieux en cours")
        a.ok("case", "release", cid)
        self.assertEqual(a.git("fsck", "--strict").returncode, 0, a.git("fsck", "--strict").stderr)
        for args in (["verify"], ["verify", "--quick"], ["verify", "--subset", "1/3"], ["verify", "--subset", "3/3"]):
            r = a.cv(*args)
            self.assertEqual(r.rc, 0, (args, r))
        v = a.js("verify")
        self.assertTrue(v["ok"])
        self.assertGreater(v["objects"], 8)
        self.assertEqual(a.cv("verify", "--subset", "4/3").rc, 2)


class NothingPersonalInClear(unittest.TestCase):
    def test_no_name_phone_or_email_anywhere(self):
        a = Archive(self)
        ingest_samples(a)
        cid = a.case_id("ASE-31-2016-00042")
        a.ok("case", "hold", cid, "--reason", "Litige avec Mme Martin")
        a.ok("find", "--last", "Leroy")
        a.ok("case", "show", cid)
        for path, data in a.all_bytes():
            for needle in PERSONAL:
                self.assertNotIn(needle, data, f"{needle!r} in clear in {path}")
        log = a.git("log", "--all", "--format=%H %an %ae %s %b").stdout + a.git("ls-tree", "-r", "--name-only", "main").stdout
        for needle in PERSONAL:
            self.assertNotIn(needle.decode("utf-8"), log)
        self.assertEqual(os.stat(a.dir).st_mode & 0o077, 0)
        self.assertEqual(os.stat(os.path.join(a.dir, "catalog.db")).st_mode & 0o077, 0)


class RecoveryTest(unittest.TestCase):
    def test_recover_with_git_and_openssl(self):
        a = Archive(self)
        a.ok("ingest", os.path.join(BUNDLES, "leroy"))
        cid = a.case_id("ASE-31-2016-00042")
        k = a.js("key", "case", cid)
        script = os.path.join(SRC, "docs", "recover.sh")
        for d in a.js("doc", "list", cid):
            p = subprocess.run(["sh", script, a.dir, cid, d["id"], k["key_id"], k["key"]], capture_output=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stdout, a.ok("doc", "cat", cid, d["id"]).out)
        c = cid
        m = subprocess.run(f"git --git-dir={a.dir}/git cat-file blob main:cases/{c[:2]}/{c[2:4]}/{c}/manifest | "
                           f"openssl cms -decrypt -binary -inform DER -secretkey {k['key']} -secretkeyid {k['key_id']}",
                           shell=True, capture_output=True)
        self.assertEqual(m.returncode, 0, m.stderr)
        man = json.loads(m.stdout)
        self.assertEqual(man["case"]["ref"], "ASE-31-2016-00042")
        self.assertEqual({d["id"] for d in man["documents"]}, {"d1", "d2", "d3", "d4"})


class Usage(unittest.TestCase):
    def test_usage_and_help(self):
        a = Archive(self)
        self.assertEqual(a.cv("no-such-command").rc, 2)
        self.assertEqual(a.cv("case").rc, 2)
        self.assertEqual(a.cv("case", "list", "--bogus").rc, 2)
        self.assertEqual(a.cv("doc", "cat", "x").rc, 2)
        self.assertEqual(a.cv("--lock-timeout", "abc", "case", "list").rc, 2)
        for cmd in (["keygen"], ["init"], ["user", "add"], ["user", "list"], ["ingest"], ["case", "list"], ["case", "show"],
                    ["case", "close"], ["case", "hold"], ["doc", "list"], ["doc", "cat"], ["doc", "log"], ["find"],
                    ["key"], ["verify"], ["journal"], ["plugin"]):
            r = a.cv(*cmd, "--help")
            self.assertEqual(r.rc, 0, (cmd, r))
            self.assertIn("usage", r.text)
        r = a.cv("case", "show", "ASE-NOPE")
        self.assertEqual(r.rc, 1)
        self.assertIn("no case 'ASE-NOPE'", r.err)
        r = subprocess.run([BIN, "case", "list"], capture_output=True, env={"PATH": os.environ["PATH"]})
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"archive", r.stderr)

    def test_writer_waits_then_reports_busy(self):
        a = Archive(self)
        # Hold the writer lock from outside, as another command would.
        import fcntl
        fd = os.open(os.path.join(a.dir, "lock"), os.O_RDWR)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            t0 = time.time()
            r = a.cv("--lock-timeout", "0.5", "ingest", os.path.join(BUNDLES, "moreau"))
            self.assertEqual(r.rc, 1)
            self.assertIn("archive busy", r.err)
            self.assertGreaterEqual(time.time() - t0, 0.5)
            # readers are not blocked
            self.assertEqual(a.cv("case", "list").rc, 0)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        self.assertEqual(a.cv("ingest", os.path.join(BUNDLES, "moreau")).rc, 0)

    def test_concurrent_writers_do_not_corrupt(self):
        a = Archive(self)
        results = []

        def run(b):
            results.append(a.cv("ingest", os.path.join(BUNDLES, b)))
        ts = [threading.Thread(target=run, args=(b,)) for b in ("leroy", "petit", "moreau")]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual([r.rc for r in results], [0, 0, 0])
        self.assertEqual(len(a.js("case", "list")), 3)
        self.assertEqual(a.cv("verify").rc, 0)
        self.assertEqual(a.git("fsck", "--strict").returncode, 0)


class Plugins(unittest.TestCase):
    def test_loader_refusals(self):
        build = os.environ.get("CV_BUILD", os.path.join(SRC, "build"))
        bad = os.path.join(build, "test-plugins")
        if not os.path.isdir(bad):
            self.skipTest("test plugins not built")
        a = Archive(self)
        r = a.cv("--plugin-path", bad, "--json", "plugin", "list")
        self.assertEqual(r.rc, 0, r)
        names = [(x["name"], x["file"]) for x in r.json()]
        self.assertNotIn("future-minor", [n for n, _ in names])
        self.assertNotIn("fails-init", [n for n, _ in names])
        self.assertEqual([f for n, f in names if n == "bundle"], [f for n, f in names if n == "bundle" and "test-plugins" not in f])
        self.assertRegex(r.err, r"future-minor.*bad_abi_minor\.so.*1\.8.*1\.1|bad_abi_minor\.so.*ABI 1\.8")
        self.assertIn("other-major", r.err)
        self.assertIn("ABI 2.", r.err)
        self.assertIn("its configuration file is missing", r.err)
        self.assertIn("already loaded", r.err)
        self.assertIn("no casevault_plugin_entry", r.err)
        # a plugin writable by others is refused
        d = os.path.join(a.work, "ww")
        os.makedirs(d)
        import shutil as sh
        src = os.path.join(build, "examples", "example_email.so")
        if os.path.exists(src):
            sh.copy(src, os.path.join(d, "example_email.so"))
            os.chmod(os.path.join(d, "example_email.so"), 0o666)
            r = a.cv("--plugin-path", d, "plugin", "list")
            self.assertIn("writable by group or others", r.err)
            self.assertNotIn("example-email", r.text)
        # ingestion still works with the impostor around
        self.assertEqual(a.cv("--plugin-path", bad, "ingest", os.path.join(BUNDLES, "moreau")).rc, 0)

    def test_list_and_example_plugin(self):
        a = Archive(self)
        rows = a.js("plugin", "list")
        self.assertIn(("bundle", "ingest"), [(r["name"], r["kind"]) for r in rows])
        self.assertTrue(all(r["abi"].startswith("1.") for r in rows))
        build = os.environ.get("CV_BUILD", os.path.join(SRC, "build"))
        ex = os.path.join(build, "examples")
        guide = open(os.path.join(SRC, "docs", "plugin-guide.md"), encoding="utf-8").read()
        source = open(os.path.join(SRC, "plugins", "example", "example_redact.c"), encoding="utf-8").read()
        self.assertIn(source, guide, "docs/plugin-guide.md must show the example as it is built")
        self.assertLess(len(source.splitlines()), 100)
        if not os.path.exists(os.path.join(ex, "example_email.so")) and "CV_BUILD" not in os.environ:
            self.skipTest("example plugin not built (no build tree given)")
        rows = a.js("--plugin-path", ex, "plugin", "list")
        self.assertIn(("example-email", "redact"), [(r["name"], r["kind"]) for r in rows])


if __name__ == "__main__":
    main()
