#!/usr/bin/env python3
"""Retention end to end: policies, plans, separation of duties, runs with
crypto-shredding, the slip and the certificate in Chromium, statistics."""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest

import pages
from cvtest import Archive, BUNDLES, SRC, copy_bundle, main, simple_manifest, write_bundle

CRED = "une phrase de la directrice"


def setup(test):
    a = Archive(test)
    a.add_user("directrice", "director", credential=CRED)
    a.add_user("autre", "director", credential="autre phrase secrete")
    a.ok("ingest", *(os.path.join(BUNDLES, b) for b in ("leroy", "petit", "moreau")))
    return a


def cred_file(a, text):
    p = os.path.join(a.work, f"c{abs(hash(text))}")
    open(p, "w").write(text + "\n")
    return p


def plan(a, as_of, *extra):
    return a.js("sweep", "plan", "--as-of", as_of, *extra)


def item(p, ref):
    return [i for i in p["items"] if i["ref"] == ref][0]


class Plans(unittest.TestCase):
    def test_due_date_boundary_and_permanent(self):
        a = setup(self)
        work = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, work)
        sb = simple_manifest(ref="ASE-31-2000-00001", category="secret_birth", closed="2001-01-01")
        sb["case"]["opened"] = "2000-05-01"
        sb["measures"] = []
        a.ok("ingest", write_bundle(os.path.join(work, "sb"), sb, {"docs/a.txt": "x"}))
        before = item(plan(a, "2026-06-29"), "ASE-31-2016-00042")
        self.assertEqual((before["action"], before["due"]), ("keep", "2026-06-30"))
        p = plan(a, "2026-06-30")
        on = item(p, "ASE-31-2016-00042")
        self.assertEqual((on["action"], on["due"], on["rule"], on["blocked"]), ("anonymise", "2026-06-30", "ase-standard", None))
        self.assertTrue(all(k in on for k in ("case", "ref", "action", "rule", "due", "blocked")))
        self.assertEqual(item(p, "ASE-31-2019-00117")["action"], "keep")  # services go on
        perm = item(p, "ASE-31-2000-00001")
        self.assertEqual((perm["action"], perm["due"]), ("keep", None))
        self.assertIn("permanente", perm["source"])

    def test_same_archive_and_date_same_plan_byte_for_byte(self):
        a = setup(self)
        p1 = plan(a, "2026-11-23")
        p2 = a.js("sweep", "plan", "--as-of", "2026-11-23", user="directrice" if False else None)
        self.assertEqual((p1["id"], p1["sha256"]), (p2["id"], p2["sha256"]))
        f1, f2 = os.path.join(a.work, "p1.json"), os.path.join(a.work, "p2.json")
        a.ok("sweep", "slip", p1["id"], "--out", f1)
        a.ok("sweep", "slip", p2["id"], "--out", f2)
        self.assertEqual(open(f1, "rb").read(), open(f2, "rb").read())
        import hashlib
        self.assertEqual(hashlib.sha256(open(f1, "rb").read()).hexdigest(), p1["sha256"])
        self.assertNotEqual(plan(a, "2026-11-24")["id"], p1["id"])

    def test_hold_blocks_and_is_reported(self):
        a = setup(self)
        cid = a.case_id("ASE-31-2016-00042")
        a.ok("case", "hold", cid, "--reason", "contentieux")
        p = plan(a, "2026-07-01")
        it = item(p, "ASE-31-2016-00042")
        self.assertEqual(it["action"], "anonymise")
        self.assertIn("legal hold", it["blocked"])
        txt = a.ok("sweep", "plan", "--as-of", "2026-07-01").text
        self.assertIn("legal hold", txt)

    def test_policy_check(self):
        a = setup(self)
        r = a.ok("policy", "check", os.path.join(SRC, "policies", "ase.yaml"))
        self.assertIn("valid", r.text)
        bad = os.path.join(a.work, "bad.yaml")
        src = open(os.path.join(SRC, "policies", "ase.yaml"), encoding="utf-8").read()
        open(bad, "w", encoding="utf-8").write(src.replace("final: anonymise", "final: delete"))
        r = a.cv("policy", "check", bad)
        self.assertEqual(r.rc, 1)
        self.assertRegex(r.err, r"bad\.yaml:\d+: .*delete")
        r = a.cv("sweep", "plan", "--policy", bad)
        self.assertEqual(r.rc, 1)
        self.assertRegex(r.err, r"bad\.yaml:\d+")
        self.assertEqual(a.js("journal", "show")[-1]["action"] != "sweep.plan", True)


class Approval(unittest.TestCase):
    def test_separation_of_duties(self):
        a = setup(self)
        p = plan(a, "2026-07-01")
        r = a.cv("sweep", "run", p["id"])
        self.assertEqual(r.rc, 1)
        self.assertIn("not approved", r.err)
        # the planner is an admin, not a director
        r = a.cv("sweep", "approve", p["id"], "--credential-file", cred_file(a, CRED))
        self.assertEqual(r.rc, 4)
        # a director who planned cannot approve her own plan
        a.ok("user", "add", "dirplan", "--role", "director", "--role", "archivist", "--credential-file",
             cred_file(a, "planificatrice directrice"))
        p2 = a.js("sweep", "plan", "--as-of", "2026-07-02", user="dirplan")
        r = a.cv("sweep", "approve", p2["id"], "--credential-file", cred_file(a, "planificatrice directrice"),
                 user="dirplan")
        self.assertEqual(r.rc, 4)
        self.assertIn("separation of duties", r.err)
        # wrong credential
        r = a.cv("sweep", "approve", p["id"], "--credential-file", cred_file(a, "mauvaise phrase"), user="directrice")
        self.assertEqual(r.rc, 4)
        self.assertIn("wrong credential", r.err)
        j = a.js("journal", "show")
        denied = [(e["actor"], e["action"]) for e in j if e["outcome"] == "denied"]
        self.assertIn(("dirplan", "sweep.approve"), denied)
        self.assertIn(("directrice", "sweep.approve"), denied)
        self.assertIn(("archiviste", "sweep.approve"), denied)
        self.assertEqual(a.js("sweep", "show", p["id"])["state"], "planned")
        ok = a.js("sweep", "approve", p["id"], "--credential-file", cred_file(a, CRED), user="directrice")
        self.assertEqual((ok["state"], ok["approver"]), ("approved", "directrice"))

    def test_refusal_signed_with_its_reason_and_final(self):
        a = setup(self)
        p = plan(a, "2026-07-01")
        reason = "Garder la fratrie Leroy réunie jusqu'au contrôle"
        # no reason, wrong credential, a role that may not decide: nothing refused
        self.assertEqual(a.cv("sweep", "refuse", p["id"], "--credential-file", cred_file(a, CRED),
                              user="directrice").rc, 2)
        r = a.cv("sweep", "refuse", p["id"], "--reason", reason, "--credential-file", cred_file(a, "mauvaise phrase"),
                 user="directrice")
        self.assertEqual(r.rc, 4)
        self.assertEqual(a.cv("sweep", "refuse", p["id"], "--reason", reason, "--credential-file",
                              cred_file(a, CRED)).rc, 4)
        self.assertEqual(a.js("sweep", "show", p["id"])["state"], "planned")
        ok = a.js("sweep", "refuse", p["id"], "--reason", reason, "--credential-file", cred_file(a, CRED),
                  user="directrice")
        self.assertEqual(ok["state"], "refused")
        self.assertEqual((ok["refusal"]["by"], ok["refusal"]["reason"]), ("directrice", reason))
        # final: neither approved nor run afterwards
        r = a.cv("sweep", "approve", p["id"], "--credential-file", cred_file(a, "autre phrase secrete"), user="autre")
        self.assertEqual(r.rc, 1)
        self.assertIn("already refused", r.err)
        self.assertNotEqual(a.cv("sweep", "run", p["id"]).rc, 0)
        listed = {x["id"]: x for x in a.js("sweep", "list")}
        self.assertEqual(listed[p["id"]]["state"], "refused")
        # signed in the journal, the reason nowhere in clear in the catalog
        refusals = [e for e in a.js("journal", "show") if e["action"] == "sweep.refuse" and e["outcome"] == "ok"]
        self.assertEqual(len(refusals), 1)
        self.assertNotIn(b"fratrie", open(os.path.join(a.dir, "catalog.db"), "rb").read())
        a.ok("verify")
        a.ok("journal", "verify")


class Runs(unittest.TestCase):
    def approved(self, a, as_of):
        p = plan(a, as_of)
        a.ok("sweep", "approve", p["id"], "--credential-file", cred_file(a, CRED), user="directrice")
        return p

    def test_run_shreds_and_leaves_no_key(self):
        a = setup(self)
        cid = a.case_id("ASE-31-2016-00042")
        keep = a.case_id("ASE-31-2019-00117")
        k = a.js("key", "case", cid)
        db = sqlite3.connect(os.path.join(a.dir, "catalog.db"))
        wrapped = db.execute("SELECT wrapped FROM case_keys WHERE case_id=?", (cid,)).fetchone()[0]
        db.close()
        old = a.ok("doc", "cat", cid, "d1").out
        stats_before = a.js("stats", "--threshold", "1")["rows"]
        p = self.approved(a, "2026-07-01")
        r = a.js("sweep", "run", p["id"])
        self.assertEqual((r["run"]["done"], r["run"]["remaining"]), (2, 0))
        self.assertTrue(r["run"]["certificate"])
        self.assertEqual(r["state"], "done")
        cases = {c["ref"]: c for c in a.js("case", "list")}
        self.assertEqual(cases["ASE-31-2016-00042"]["state"], "anonymised")
        self.assertEqual(cases["ASE-31-2016-00042"]["category"], "placement")
        self.assertEqual(cases["ASE-31-2019-00117"]["state"], "active")
        # nothing of the case can be read any more, by any command
        for args in (["doc", "cat", cid, "d1"], ["doc", "cat", cid, "d1", "--rev", "1"], ["key", "case", cid],
                     ["doc", "list", cid]):
            rr = a.cv(*args)
            self.assertNotEqual(rr.rc, 0, args)
            self.assertNotIn(old[:40], rr.out)
        shown = a.js("case", "show", cid)
        self.assertEqual((shown["persons"], shown["documents"]), ([], []))
        self.assertEqual(a.ok("doc", "cat", keep, "d1").rc, 0)
        self.assertEqual(a.js("find", "--last", "Leroy"), [])
        # the key, raw or wrapped, is nowhere in the archive directory
        raw = bytes.fromhex(k["key"])
        for path, data in a.all_bytes():
            self.assertNotIn(raw, data, path)
            self.assertNotIn(wrapped, data, path)
            self.assertNotIn(k["key"].encode(), data, path)
        # the old objects are still in git, but no key opens them
        self.assertEqual(a.git("fsck", "--strict").returncode, 0)
        m = subprocess.run(f"git --git-dir={a.dir}/git log --format=%H | tail -n +2 | head -1", shell=True,
                           capture_output=True, text=True).stdout.strip()
        self.assertTrue(m)
        self.assertEqual(a.cv("verify").rc, 0)
        self.assertEqual(a.cv("journal", "verify").rc, 0)
        stats_after = a.js("stats", "--threshold", "1")["rows"]
        self.assertEqual(sum(x["count"] for x in stats_before), sum(x["count"] for x in stats_after))
        self.assertEqual(sum(x["anonymised"] or 0 for x in stats_after), 2)
        j = [e for e in a.js("journal", "show") if e["action"] == "case.anonymise"]
        self.assertEqual(len(j), 2)
        self.assertTrue(all(f"plan:{p['id']}" in e["object"] for e in j))
        # certificate and slip, printable
        for kind in ("slip", "certificate"):
            html = os.path.join(a.work, f"{kind}.html")
            a.ok("sweep", kind, p["id"], "--out", html)
            text = open(html, encoding="utf-8").read()
            self.assertIn('lang="fr"', text)
            self.assertIn("ASE-31-2016-00042", text)
            self.assertNotIn("Leroy", text)
            if kind == "certificate":
                self.assertIn(k["key_id"], text)
            if pages.chromium():
                n = pages.render_pdf(html, os.path.join(a.work, f"{kind}.pdf"))
                self.assertGreaterEqual(n, 1)
                dom = pages.dump_dom(html)
                self.assertIn("ASE-31-2016-00042", dom)
        csv = os.path.join(a.work, "slip.csv")
        a.ok("sweep", "slip", p["id"], "--out", csv)
        self.assertEqual(len(open(csv).read().strip().splitlines()), 1 + 3)
        self.assertNotEqual(a.cv("sweep", "run", p["id"]).rc, 0)

    def test_hold_after_approval_stops_that_case(self):
        a = setup(self)
        p = self.approved(a, "2026-07-01")
        cid = a.case_id("ASE-31-2016-00042")
        a.ok("case", "hold", cid, "--reason", "recours contentieux")
        r = a.js("sweep", "run", p["id"])
        self.assertEqual((r["run"]["done"], r["run"]["blocked"]), (1, 1))
        st = {c["ref"]: c["state"] for c in a.js("case", "list")}
        self.assertEqual(st["ASE-31-2016-00042"], "archived")
        self.assertEqual(st["ASE-31-2012-00008"], "anonymised")
        self.assertEqual(a.ok("doc", "cat", cid, "d1").rc, 0)
        self.assertTrue(any(e["action"] == "sweep.blocked" for e in a.js("journal", "show")))

    def test_stale_plan_refused(self):
        a = setup(self)
        p = self.approved(a, "2026-07-01")
        work = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, work)
        b = os.path.join(work, "leroy")
        shutil.copytree(os.path.join(BUNDLES, "leroy"), b)
        open(os.path.join(b, "docs", "rapport-2019.txt"), "a").write("ajout\n")
        a.ok("ingest", b)
        r = a.cv("sweep", "run", p["id"])
        self.assertEqual(r.rc, 1)
        self.assertIn("stale", r.err)
        self.assertEqual({c["state"] for c in a.js("case", "list")}, {"active", "archived"})

    def test_destroy_policy(self):
        a = setup(self)
        pol = os.path.join(SRC, "policies", "examples", "mixed-destroy.yaml")
        p = plan(a, "2026-07-01", "--policy", pol)
        self.assertEqual(item(p, "ASE-31-2012-00008")["action"], "destroy")
        a.ok("sweep", "approve", p["id"], "--credential-file", cred_file(a, CRED), user="directrice")
        r = a.cv("sweep", "run", p["id"])
        self.assertEqual(r.rc, 0, r)
        st = {c["ref"]: c["state"] for c in a.js("case", "list")}
        self.assertEqual(st["ASE-31-2012-00008"], "destroyed")
        rows = a.js("stats", "--threshold", "1")["rows"]
        self.assertNotIn("information_preoccupante", [x["category"] for x in rows])

    def test_majority_clock_and_redacted_survivors(self):
        # François born on 2003-09-15 in this copy of the leroy bundle: 18 on 2021-09-15, after the
        # closure (2021-06-30), so the majority clock makes the case due on 2026-09-15, not 2026-06-30.
        a = Archive(self)
        a.add_user("directrice", "director", credential=CRED)
        src = copy_bundle(self, "leroy")
        for rel, old, new in (("case.json", "2009-03-12", "2003-09-15"), ("docs/jugement-2018.txt", "12/03/2009", "15/09/2003"),
                              ("docs/rapport-2019.txt", "12 mars 2009", "15 septembre 2003")):
            f = os.path.join(src, rel)
            text = open(f, encoding="utf-8").read()
            self.assertIn(old, text)
            open(f, "w", encoding="utf-8").write(text.replace(old, new))
        a.ok("ingest", src)
        pol = os.path.join(SRC, "policies", "examples", "mixed-destroy.yaml")
        cid = a.case_id("ASE-31-2016-00042")
        early = item(plan(a, "2026-09-14", "--policy", pol), "ASE-31-2016-00042")
        self.assertEqual((early["action"], early["due"]), ("keep", "2026-09-15"))
        closure_clock = item(plan(a, "2026-09-14"), "ASE-31-2016-00042")
        self.assertEqual((closure_clock["action"], closure_clock["due"]), ("anonymise", "2026-06-30"))
        p = plan(a, "2026-09-15", "--policy", pol)
        self.assertEqual(item(p, "ASE-31-2016-00042")["action"], "anonymise")
        a.ok("sweep", "approve", p["id"], "--credential-file", cred_file(a, CRED), user="directrice")
        self.assertEqual(a.cv("sweep", "run", p["id"]).rc, 0)
        shown = a.js("case", "show", cid)
        self.assertEqual(shown["state"], "anonymised")
        self.assertEqual(shown["persons"], [])
        self.assertEqual([d["type"] for d in shown["documents"]], ["judgment"])
        text = a.ok("doc", "cat", cid, shown["documents"][0]["id"]).text
        self.assertIn("TRIBUNAL", text)
        self.assertIn("[tiers", text)
        for name in ("LEROY", "Leroy", "MARTIN", "François", "15/09/2003"):
            self.assertNotIn(name, text)
        self.assertEqual(a.cv("doc", "cat", cid, "d2").rc, 1)
        self.assertEqual(a.cv("verify").rc, 0)

    def test_interrupted_run_resumes(self):
        a = Archive(self)
        a.add_user("directrice", "director", credential=CRED)
        work = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, work)
        bundles = []
        for i in range(300):
            m = simple_manifest(ref=f"ASE-R-{i:03d}", closed="2019-01-31")
            bundles.append(write_bundle(os.path.join(work, f"b{i}"), m, {"docs/a.txt": f"document {i}\n" * 50}))
        a.ok("ingest", *bundles)
        p = self.approved(a, "2026-07-01")
        proc = subprocess.Popen([os.environ.get("CV_BIN", os.path.join(SRC, "build", "bin", "casevault")), "sweep", "run",
                                 p["id"]], env=a.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # kill it as soon as the first batch is committed
        t0 = time.time()
        while proc.poll() is None and time.time() - t0 < 60:
            try:
                c = sqlite3.connect(f"file:{os.path.join(a.dir, 'catalog.db')}?mode=ro", uri=True, timeout=1)
                n = c.execute("SELECT count(*) FROM plan_items WHERE result IS NOT NULL").fetchone()[0]
                c.close()
            except sqlite3.OperationalError:
                n = 0
            if n:
                break
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        partial = a.js("sweep", "show", p["id"])
        done = sum(1 for i in partial["items"] if i["result"])
        print(f"killed after {done} of 300 cases", flush=True)
        db = sqlite3.connect(os.path.join(a.dir, "catalog.db"))
        for cid, state in db.execute("SELECT id, state FROM cases"):
            has_key = db.execute("SELECT count(*) FROM case_keys WHERE case_id=?", (cid,)).fetchone()[0]
            persons = db.execute("SELECT count(*) FROM persons WHERE case_id=?", (cid,)).fetchone()[0]
            self.assertIn((state, has_key, persons > 0), (("archived", 1, True), ("anonymised", 0, False)))
        db.close()
        v = a.cv("verify")
        self.assertEqual(v.rc, 0, v.err)
        if partial["state"] != "done":
            r = a.js("sweep", "run", p["id"])
            self.assertEqual(r["state"], "done")
        self.assertEqual({c["state"] for c in a.js("case", "list")}, {"anonymised"})
        fv = a.cv("verify")
        self.assertEqual(fv.rc, 0, fv.err)
        self.assertEqual(a.cv("journal", "verify").rc, 0)
        self.assertEqual(len([e for e in a.js("journal", "show") if e["action"] == "case.anonymise"]), 300)


if __name__ == "__main__":
    main()
