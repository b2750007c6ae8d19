#!/usr/bin/env python3
"""Acceptance defects and safety rails before irreversible acts: each test
performs what a user (or a careless or hurried one) did against the installed
binary, and expects the safe outcome."""
import datetime
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

from cvtest import Archive, BUNDLES, copy_bundle, main, simple_manifest, write_bundle

DIR_CRED = "phrase de la directrice"
DPO_CRED = "phrase personnelle du DPO"
LEROY = "ASE-31-2016-00042"
RAW_SQLITE = ("UNIQUE constraint", "no such table", "no such column", "SQLITE", "sqlite3", "constraint failed")


def cred(a, text):
    p = os.path.join(a.work, f"cred{abs(hash(text))}")
    with open(p, "w") as f:
        f.write(text + "\n")
    return p


def object_count(a):
    out = a.git("count-objects", "-v").stdout
    return sum(int(v) for k, v in (line.split(": ") for line in out.splitlines()) if k in ("count", "in-pack"))


def head(a):
    return a.git("rev-parse", "refs/heads/main").stdout.strip()


class Copies(unittest.TestCase):
    def test_two_copies_in_the_same_second(self):
        a = Archive(self)
        a.ok("ingest", os.path.join(BUNDLES, "leroy"))
        cid = a.case_id(LEROY)
        outs = [os.path.join(a.work, f"copie{i}.zip") for i in range(3)]
        ids = [a.js("export", cid, "--for", "p1", "--out", o)["id"] for o in outs]
        self.assertEqual(len(set(ids)), 3, ids)
        self.assertTrue(all(re.fullmatch(r"[0-9a-f]{16}", i) for i in ids), ids)

    def test_catalog_failures_in_plain_words(self):
        a = Archive(self)
        a.ok("ingest", os.path.join(BUNDLES, "leroy"))
        cid = a.case_id(LEROY)
        db = sqlite3.connect(os.path.join(a.dir, "catalog.db"))
        db.execute("DROP TABLE exports")
        db.commit()
        db.close()
        r = a.cv("export", cid, "--for", "p1", "--out", os.path.join(a.work, "c.zip"))
        self.assertNotEqual(r.rc, 0)
        self.assertIn("the catalog does not have the structure", r.err)
        for raw in RAW_SQLITE:
            self.assertNotIn(raw, r.err)
        self.assertFalse(os.path.exists(os.path.join(a.work, "c.zip")))


class Reingest(unittest.TestCase):
    def test_identical_bundle_changes_nothing(self):
        a = Archive(self)
        a.ok("ingest", os.path.join(BUNDLES, "leroy"))
        before = (head(a), object_count(a), a.state_fingerprint())
        for _ in range(2):
            r = a.ok("ingest", os.path.join(BUNDLES, "leroy"))
            lines = r.text.strip().splitlines()
            self.assertEqual(len(lines), 1, r.text)
            self.assertIn("unchanged", lines[0])
        self.assertEqual((head(a), object_count(a), a.state_fingerprint()), before)
        self.assertEqual([c["version"] for c in a.js("case", "list")], [1])
        self.assertTrue(a.js("ingest", os.path.join(BUNDLES, "leroy"))["bundles"][0]["identical"])
        # the same bundle as a tarball, its entries in another order: still the same input
        work = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, work)
        tar = os.path.join(work, "leroy.tar")
        subprocess.run(["tar", "-C", os.path.join(BUNDLES, "leroy"), "-cf", tar, "docs", "case.json"], check=True)
        self.assertIn("unchanged", a.ok("ingest", tar).text)
        # one changed byte is a new version
        src = copy_bundle(self, "leroy")
        with open(os.path.join(src, "docs", "rapport-2019.txt"), "a", encoding="utf-8") as f:
            f.write("Ajout du 3 juin 2019.\n")
        self.assertIn("version 2: 0 new, 1 changed, 3 unchanged", a.ok("ingest", src).text)
        self.assertEqual(a.cv("verify").rc, 0)


class Requests(unittest.TestCase):
    def test_list_keeps_every_case_and_subject(self):
        a = Archive(self)
        a.add_user("dpo", "dpo", credential=DPO_CRED)
        work = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, work)
        a.ok("ingest", os.path.join(BUNDLES, "leroy"))
        m = simple_manifest(ref="ASE-31-2010-00001", persons=[
            {"id": "e1", "role": "child", "last": "LEROY", "first": ["Francois"], "born": "2009-03-12"}])
        m["documents"][0]["concerns"] = ["e1"]
        a.ok("ingest", write_bundle(os.path.join(work, "b"), m, {"docs/a.txt": "Note.\n"}))
        r = a.js("request", "open", "--type", "access", "--last", "Leroy", "--first", "François", "--born", "2009-03-12",
                 "--received", "2026-11-02", user="dpo")
        row = [x for x in a.js("request", "list", user="dpo") if x["id"] == r["id"]][0]
        both = {a.case_id(LEROY), a.case_id("ASE-31-2010-00001")}
        self.assertEqual(set(row["case"]), both)
        self.assertEqual(sorted(row["subject"]), ["e1", "p1"])
        self.assertEqual({s["case"] for s in row["subjects"]}, both)
        # a one-case request keeps plain strings
        one = a.js("request", "open", "--type", "access", "--subject", "p2", "--case", a.case_id(LEROY),
                   "--received", "2026-11-02", user="dpo")
        row = [x for x in a.js("request", "list", user="dpo") if x["id"] == one["id"]][0]
        self.assertEqual((row["case"], row["subject"]), (a.case_id(LEROY), "p2"))


class Dates(unittest.TestCase):
    def setUp(self):
        self.a = Archive(self)
        self.a.add_user("directrice", "director", credential=DIR_CRED)
        self.a.ok("ingest", os.path.join(BUNDLES, "leroy"), os.path.join(BUNDLES, "petit"))
        self.today = datetime.date.today()

    def test_plan_as_of_a_later_date_is_refused(self):
        later = (self.today + datetime.timedelta(days=1)).isoformat()
        before = self.a.state_fingerprint()
        r = self.a.cv("sweep", "plan", "--as-of", "2035-01-01")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("after today", r.err)
        self.assertEqual(self.a.cv("sweep", "plan", "--as-of", later).rc, 1)
        self.assertEqual(self.a.state_fingerprint(), before)
        # an earlier date is allowed: it only makes fewer cases due
        self.assertEqual(self.a.cv("sweep", "plan", "--as-of", "2020-01-01").rc, 0)

    def test_an_item_row_altered_after_approval_stops_the_run(self):
        # A due date can only be later than today in the rows of the
        # catalog (a plan is made as of today at the latest). The run acts on
        # the body the director signed, and a plan row altered outside
        # casevault is damage: nothing is done.
        a = self.a
        p = a.js("sweep", "plan")
        it = [i for i in p["items"] if i["ref"] == LEROY][0]
        self.assertEqual(it["action"], "anonymise")
        a.ok("sweep", "approve", p["id"], "--credential-file", cred(a, DIR_CRED), user="directrice")
        db = sqlite3.connect(os.path.join(a.dir, "catalog.db"))
        db.execute("UPDATE plan_items SET due='2030-06-30' WHERE plan_id=? AND case_id=?", (p["id"], it["case"]))
        db.commit()
        db.close()
        r = a.cv("sweep", "run", p["id"])
        self.assertEqual(r.rc, 3, r)
        self.assertIn("plan_items " + p["id"], r.err)
        self.assertEqual([c["state"] for c in a.js("case", "list") if c["ref"] == LEROY], ["archived"])
    def test_decisions_cannot_be_dated(self):
        a = self.a
        p = a.js("sweep", "plan")
        for args in (["sweep", "approve", p["id"], "--credential-file", cred(a, DIR_CRED)], ["sweep", "run", p["id"]],
                     ["request", "decide", "R1", "--grant", "--ground", "x"], ["request", "verify-identity", "R1",
                                                                                "--method", "guichet"],
                     ["request", "fulfil", "R1"], ["request", "extend", "R1", "--reason", "x"]):
            r = a.cv(*args, "--as-of", "2026-01-01", user="directrice")
            self.assertEqual(r.rc, 2, (args, r))
            self.assertIn("as-of", r.err)
        self.assertEqual(a.js("sweep", "show", p["id"])["state"], "planned")

    def test_no_future_closure(self):
        a = self.a
        tomorrow = (self.today + datetime.timedelta(days=1)).isoformat()
        petit = a.case_id("ASE-31-2019-00117")
        r = a.cv("case", "close", petit, "--date", tomorrow)
        self.assertEqual(r.rc, 1, r)
        self.assertIn("after today", r.err)
        self.assertEqual([c["state"] for c in a.js("case", "list") if c["id"] == petit], ["active"])
        self.assertEqual(a.cv("case", "close", petit, "--date", self.today.isoformat()).rc, 0)
        # nor in a bundle
        work = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, work)
        m = simple_manifest(ref="ASE-31-2020-00099", closed=tomorrow)
        r = a.cv("ingest", write_bundle(os.path.join(work, "b"), m, {"docs/a.txt": "x\n"}))
        self.assertEqual(r.rc, 1)
        self.assertIn("in the future", r.err)


class Rectification(unittest.TestCase):
    def rectify(self, a, *how):
        r = a.js("request", "open", "--type", "rectification", "--subject", "p1", "--case", a.case_id(LEROY),
                 "--received", "2026-11-02", user="dpo")
        a.ok("request", "verify-identity", r["id"], "--method", "guichet", user="dpo")
        a.ok("request", "decide", r["id"], "--grant", "--ground", "RGPD art. 16", "--credential-file", cred(a, DPO_CRED),
             user="dpo")
        a.ok("request", "fulfil", r["id"], "--credential-file", cred(a, DPO_CRED), *how, user="dpo")
        return r["id"]

    def test_rectifications_survive_a_routine_reingest(self):
        a = Archive(self)
        a.add_user("dpo", "dpo", credential=DPO_CRED)
        a.ok("ingest", os.path.join(BUNDLES, "leroy"))
        cid = a.case_id(LEROY)
        docs = {d["title"]: d["id"] for d in a.js("case", "show", cid)["documents"]}
        rapport = [v for k, v in docs.items() if k.startswith("Rapport")][0]
        original = a.ok("doc", "cat", cid, rapport).out
        fixed = original.replace("janvier 2018".encode(), "février 2018".encode())
        self.assertNotEqual(fixed, original)
        f = os.path.join(a.work, "rect.txt")
        open(f, "wb").write(fixed)
        r_doc = self.rectify(a, "--doc", rapport, "--file", f)
        r_born = self.rectify(a, "--field", "born", "--value", "2009-03-13")

        def born():
            return [p for p in a.js("case", "show", cid)["persons"] if p["id"] == "p1"][0]["born"]

        # the identical bundle again: nothing changes, nothing is reverted
        self.assertIn("unchanged", a.ok("ingest", os.path.join(BUNDLES, "leroy")).text)
        self.assertEqual((born(), a.ok("doc", "cat", cid, rapport).out), ("2009-03-13", fixed))
        # a routine re-export of the source with another document changed: both rectifications are kept and said
        src = copy_bundle(self, "leroy")
        with open(os.path.join(src, "docs", "signalement-2016.txt"), "a", encoding="utf-8") as fh:
            fh.write("Complément du service.\n")
        r = a.ok("ingest", src)
        self.assertIn("2 rectifications kept", r.text)
        self.assertIn(r_doc, r.text)
        self.assertIn(r_born, r.text)
        self.assertEqual(born(), "2009-03-13")
        self.assertEqual(a.ok("doc", "cat", cid, rapport).out, fixed)
        self.assertEqual(a.js("find", "--last", "Leroy", "--born", "2009-03-13"), [cid])
        self.assertEqual(a.js("find", "--last", "Leroy", "--born", "2009-03-12"), [])
        # the source of the rectified report itself changes: stored as evidence, the rectification stays current
        with open(os.path.join(src, "docs", "rapport-2019.txt"), "a", encoding="utf-8") as fh:
            fh.write("Mise à jour du service.\n")
        a.ok("ingest", src)
        log = a.js("doc", "log", cid, rapport)
        self.assertEqual(len(log), 4)  # source, rectified, new source (evidence), rectified again
        self.assertIn("Mise à jour du service", a.ok("doc", "cat", cid, rapport, "--rev", str(log[2]["rev"])).text)
        self.assertEqual(a.ok("doc", "cat", cid, rapport).out, fixed)
        self.assertIn(r_doc, log[3]["note"])
        out = os.path.join(a.work, "copie.zip")
        a.ok("export", cid, "--for", "p1", "--out", out)
        import zipfile
        with zipfile.ZipFile(out) as z:
            body = z.read([n for n in z.namelist() if n.endswith("rapport-2019.txt")][0]).decode()
        self.assertIn("février 2018", body)
        self.assertEqual(a.cv("verify").rc, 0)


if __name__ == "__main__":
    main()
