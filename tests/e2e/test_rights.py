#!/usr/bin/env python3
"""The DPO's register end to end: every request type from open to
fulfilled, deadlines, identity checks, decisions, restriction, erasure."""
import datetime
import json
import os
import re
import shutil
import tempfile
import unittest
import zipfile

import pages
from cvtest import Archive, BUNDLES, main, simple_manifest, write_bundle

DPO_CRED = "phrase personnelle du DPO"


def setup(test):
    a = Archive(test)
    a.add_user("dpo", "dpo", credential=DPO_CRED)
    a.add_user("directrice", "director", credential="phrase de la directrice")
    a.ok("ingest", *(os.path.join(BUNDLES, b) for b in ("leroy", "petit", "moreau")))
    return a


def cred(a, text=DPO_CRED):
    p = os.path.join(a.work, f"cred{abs(hash(text))}")
    open(p, "w").write(text + "\n")
    return p


def open_req(a, typ, received="2026-11-02", ref="ASE-31-2016-00042", person="p1", **kw):
    return a.js("request", "open", "--type", typ, "--subject", person, "--case", a.case_id(ref), "--received", received,
                user="dpo", **kw)


def add_months(d, n):
    """The deadline rule of GDPR art. 12(3): same day n months later, or that month's last day."""
    import calendar
    y, m = divmod(d.month - 1 + n, 12)
    y += d.year
    return datetime.date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def decide(a, rid, how="--grant", ground="RGPD"):
    return a.js("request", "decide", rid, how, "--ground", ground, "--credential-file", cred(a), user="dpo")


class Deadlines(unittest.TestCase):
    def test_month_arithmetic_and_extension(self):
        a = setup(self)
        for received, due in (("2026-01-31", "2026-02-28"), ("2024-01-31", "2024-02-29"), ("2026-03-10", "2026-04-10"),
                              ("2025-12-31", "2026-01-31")):
            r = open_req(a, "access", received)
            self.assertEqual((r["received"], r["due"]), (received, due))
            self.assertTrue(all(k in r for k in ("id", "type", "received", "due")))
        # an extension is dated by the clock: too late for a request whose first month has passed
        r = open_req(a, "access", "2026-01-31")
        late = a.cv("request", "extend", r["id"], "--reason", "dossier volumineux", user="dpo")
        self.assertEqual(late.rc, 1)
        self.assertIn("too late", late.err)
        # ... and it cannot be backdated into the first month
        backdated = a.cv("request", "extend", r["id"], "--reason", "dossier volumineux", "--as-of", "2026-02-27", user="dpo")
        self.assertEqual(backdated.rc, 2, backdated)
        self.assertIn("recorded at the time it is made", backdated.err)
        self.assertIsNone(a.js("request", "show", r["id"], user="dpo")["extended_due"])
        # a request received today can be extended, once; who and when are recorded
        today = datetime.date.today()
        r = open_req(a, "access", today.isoformat())
        before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        ok = a.js("request", "extend", r["id"], "--reason", "dossier volumineux, plusieurs services", user="dpo")
        self.assertEqual(ok["due"], add_months(today, 3).isoformat())
        self.assertEqual(ok["extension_reason"], "dossier volumineux, plusieurs services")
        self.assertEqual(ok["extended_by"], "dpo")
        at = datetime.datetime.strptime(ok["extended_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
        self.assertLessEqual(abs((at - before).total_seconds()), 120)
        again = a.cv("request", "extend", r["id"], "--reason", "encore", user="dpo")
        self.assertEqual(again.rc, 1)
        self.assertIn("already extended", again.err)

    def test_received_in_the_future_refused(self):
        a = setup(self)
        tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
        r = a.cv("request", "open", "--type", "access", "--subject", "p1", "--case", a.case_id("ASE-31-2016-00042"),
                 "--received", tomorrow, user="dpo")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("in the future", r.err)
        self.assertEqual(a.js("request", "list", user="dpo"), [])

    def test_overdue_and_due_within(self):
        a = setup(self)
        r1 = open_req(a, "access", "2026-01-10")   # due 2026-02-10
        r2 = open_req(a, "rectification", "2026-02-01")  # due 2026-03-01
        rows = a.js("request", "list", "--overdue", "--as-of", "2026-02-20", user="dpo")
        self.assertEqual([x["id"] for x in rows], [r1["id"]])
        self.assertTrue(all(k in rows[0] for k in ("id", "type", "subject", "case", "received", "due", "state")))
        soon = a.js("request", "list", "--due-within", "10", "--as-of", "2026-02-20", user="dpo")
        self.assertEqual([x["id"] for x in soon], [r2["id"]])
        self.assertEqual(len(a.js("request", "list", user="dpo")), 2)


class Lifecycle(unittest.TestCase):
    def test_access_across_cases(self):
        a = setup(self)
        work = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, work)
        # the same child in a second case
        m = simple_manifest(ref="ASE-31-2010-00001", persons=[
            {"id": "e1", "role": "child", "last": "LEROY", "first": ["Francois"], "born": "2009-03-12"},
            {"id": "e2", "role": "father", "last": "Bonnet", "first": ["Paul"], "phone": "06 55 44 33 22"}])
        m["documents"][0]["concerns"] = ["e1"]
        a.ok("ingest", write_bundle(os.path.join(work, "b"), m, {"docs/a.txt": "Francois vit chez son père, Paul Bonnet (06 55 44 33 22).\n"}))
        r = a.js("request", "open", "--type", "access", "--last", "Leroy", "--first", "François", "--born", "2009-03-12",
                 "--received", "2026-11-02", "--channel", "courrier", user="dpo")
        full = a.js("request", "show", r["id"], user="dpo")
        self.assertEqual(len(full["subjects"]), 2)
        self.assertEqual(full["proposal"]["decision"], "grant")
        self.assertIn("art. 15", full["proposal"]["ground"])
        out = os.path.join(work, "acces.zip")
        refused = a.cv("request", "fulfil", r["id"], "--credential-file", cred(a), "--out", out, user="dpo")
        self.assertEqual(refused.rc, 1)
        self.assertIn("identity", refused.err)
        self.assertFalse(os.path.exists(out))
        a.ok("request", "verify-identity", r["id"], "--method", "pièce d'identité présentée au guichet", user="dpo")
        self.assertEqual(a.cv("request", "fulfil", r["id"], "--credential-file", cred(a), "--out", out, user="dpo").rc, 1)  # not decided
        decide(a, r["id"], "--grant", "RGPD art. 15")
        done = a.js("request", "fulfil", r["id"], "--credential-file", cred(a), "--out", out, user="dpo")
        self.assertEqual(done["state"], "fulfilled")
        with zipfile.ZipFile(out) as z:
            names = z.namelist()
            text = "".join(z.read(n).decode() for n in names if n.endswith((".txt", ".md", ".html", ".json")))
        self.assertTrue(any(n.endswith("data/traitement.html") for n in names))
        self.assertTrue(any("ASE-31-2010-00001/" in n for n in names))
        self.assertTrue(any("ASE-31-2016-00042/" in n for n in names))
        for t in ("Bonnet", "06 55 44 33 22", "Martin", "sophie.martin"):
            self.assertNotIn(t, text)
        self.assertIn("CNIL", text)
        j = [e for e in a.js("journal", "show") if e["action"] == "request.fulfil"][-1]
        self.assertIn(f"request:{r['id']}", j["object"])
        self.assertIn("decision:grant", j["object"])
        self.assertIn("export:", j["object"])

    def test_a_person_the_archive_does_not_know(self):
        """Someone with no file still asks and must be answered (art. 15(1)):
        registered without subjects, the identity sealed, no copy made."""
        a = setup(self)
        r = a.js("request", "open", "--type", "access", "--last", "Inconnue", "--first", "Zoé", "--born", "1990-01-01",
                 "--received", "2026-11-02", "--channel", "courriel", user="dpo")
        full = a.js("request", "show", r["id"], user="dpo")
        self.assertEqual(full["subjects"], [])
        self.assertIsNone(full["case"])
        self.assertEqual(full["proposal"]["decision"], "grant")
        self.assertIn("aucune donnée", full["proposal"]["ground"])
        self.assertIn(r["id"], [x["id"] for x in a.js("request", "list", user="dpo")])
        a.ok("request", "verify-identity", r["id"], "--method", "copie de la pièce d'identité", user="dpo")
        decide(a, r["id"], "--grant", "RGPD art. 15(1)")
        done = a.js("request", "fulfil", r["id"], "--credential-file", cred(a), user="dpo")
        self.assertEqual(done["state"], "fulfilled")
        self.assertIn("no data", done["fulfilled"]["outcome"])
        j = [e for e in a.js("journal", "show") if e["action"] in ("request.open", "request.fulfil")]
        self.assertIn("subjects:0", j[-2]["object"])
        self.assertIn("action:notify-no-data", j[-1]["object"])
        for e in a.js("journal", "show"):
            self.assertNotIn("Inconnue", e["object"])
        self.assertNotIn(b"Inconnue", open(os.path.join(a.dir, "catalog.db"), "rb").read())
        a.ok("verify")

    def test_decisions_need_a_dpo_and_the_credential(self):
        a = setup(self)
        r = open_req(a, "erasure")
        full = a.js("request", "show", r["id"], user="dpo")
        self.assertEqual(full["proposal"]["decision"], "refuse")
        self.assertIn("17(3)(b)", full["proposal"]["ground"])
        self.assertEqual(a.cv("request", "decide", r["id"], "--refuse", "--ground", "x", "--credential-file",
                              cred(a, DPO_CRED)).rc, 4)  # admin, not dpo
        bad = a.cv("request", "decide", r["id"], "--refuse", "--ground", "x", "--credential-file", cred(a, "faux"), user="dpo")
        self.assertEqual(bad.rc, 4)
        d = decide(a, r["id"], "--refuse", "RGPD art. 17(3)(b) : obligation légale de conservation")
        self.assertEqual((d["decision"]["decision"], d["decision"]["by"]), ("refuse", "dpo"))
        a.ok("request", "verify-identity", r["id"], "--method", "courrier avec copie de pièce", user="dpo")
        done = a.js("request", "fulfil", r["id"], "--credential-file", cred(a), user="dpo")
        self.assertIn("refusal notified", done["fulfilled"]["outcome"])
        for typ, prop in (("portability", "refuse"), ("objection", "weigh"), ("restriction", "grant"),
                          ("rectification", "grant")):
            x = open_req(a, typ)
            self.assertEqual(a.js("request", "show", x["id"], user="dpo")["proposal"]["decision"], prop, typ)
        denied = [e["action"] for e in a.js("journal", "show") if e["outcome"] == "denied"]
        self.assertEqual(denied.count("request.decide"), 2)

    def test_portability_and_objection_to_the_end(self):
        a = setup(self)
        # portability: proposed not applicable, refused, the answer recorded
        r = open_req(a, "portability")
        a.ok("request", "verify-identity", r["id"], "--method", "courriel avec pièce jointe", user="dpo")
        decide(a, r["id"], "--refuse", "RGPD art. 20(3)")
        done = a.js("request", "fulfil", r["id"], "--credential-file", cred(a), user="dpo")
        self.assertEqual(done["state"], "fulfilled")
        self.assertIn("art. 20(3)", done["fulfilled"]["outcome"])
        # portability granted anyway: a structured export (JSON and files)
        r = open_req(a, "portability")
        a.ok("request", "verify-identity", r["id"], "--method", "guichet", user="dpo")
        decide(a, r["id"], "--grant", "décision du DPO malgré l'art. 20(3)")
        out = os.path.join(a.work, "portabilite.zip")
        a.ok("request", "fulfil", r["id"], "--credential-file", cred(a), "--out", out, user="dpo")
        with zipfile.ZipFile(out) as z:
            names = z.namelist()
            doc = json.loads(z.read([n for n in names if n.endswith("data/dossier.json")][0]))
        self.assertEqual(doc["format"], "casevault-communication-copy")
        self.assertTrue(any(n.endswith(".txt") for n in names))
        # objection: to be weighed; granted, it restricts processing
        r = open_req(a, "objection", person="p2")
        self.assertEqual(a.js("request", "show", r["id"], user="dpo")["proposal"]["decision"], "weigh")
        a.ok("request", "verify-identity", r["id"], "--method", "guichet", user="dpo")
        decide(a, r["id"], "--partial", "RGPD art. 21(1) : motifs légitimes pour partie")
        done = a.js("request", "fulfil", r["id"], "--credential-file", cred(a), user="dpo")
        self.assertIn("restricted", done["fulfilled"]["outcome"])
        self.assertEqual(a.cv("doc", "cat", a.case_id("ASE-31-2016-00042"), "d1").rc, 1)
        self.assertEqual([x["state"] for x in a.js("request", "list", user="dpo")], ["fulfilled"] * 3)

    def test_rectification_keeps_the_original(self):
        a = setup(self)
        cid = a.case_id("ASE-31-2016-00042")
        r = open_req(a, "rectification")
        a.ok("request", "verify-identity", r["id"], "--method", "guichet", user="dpo")
        decide(a, r["id"], "--grant", "RGPD art. 16")
        old = a.ok("doc", "cat", cid, "d1").out
        f = os.path.join(a.work, "rect.txt")
        open(f, "wb").write(old.replace("janvier 2018".encode(), "février 2018".encode()))
        a.ok("request", "fulfil", r["id"], "--credential-file", cred(a), "--doc", "d1", "--file", f, user="dpo")
        log = a.js("doc", "log", cid, "d1")
        self.assertEqual([x["rev"] for x in log], [1, 2])
        self.assertIn(r["id"], log[1]["note"])
        self.assertEqual(a.ok("doc", "cat", cid, "d1", "--rev", "1").out, old)
        self.assertIn("février 2018".encode(), a.ok("doc", "cat", cid, "d1").out)
        out = os.path.join(a.work, "c.zip")
        a.ok("export", cid, "--for", "p1", "--out", out)
        with zipfile.ZipFile(out) as z:
            body = z.read([n for n in z.namelist() if n.endswith("rapport-2019.txt")][0]).decode()
        self.assertIn("février 2018", body)
        # a field: the birth date
        r2 = open_req(a, "rectification")
        a.ok("request", "verify-identity", r2["id"], "--method", "guichet", user="dpo")
        decide(a, r2["id"])
        a.ok("request", "fulfil", r2["id"], "--credential-file", cred(a), "--field", "born", "--value", "2009-03-13", user="dpo")
        self.assertEqual(a.js("find", "--last", "Leroy", "--born", "2009-03-13"), [cid])
        self.assertEqual(a.cv("verify").rc, 0)

    def test_restriction_blocks_other_uses_and_the_sweep(self):
        a = setup(self)
        cid = a.case_id("ASE-31-2016-00042")
        r = open_req(a, "restriction", person="p2")
        # an open request already blocks the sweep
        p = a.js("sweep", "plan", "--as-of", "2026-07-01")
        it = [i for i in p["items"] if i["ref"] == "ASE-31-2016-00042"][0]
        self.assertIn("open rights request", it["blocked"])
        a.ok("request", "verify-identity", r["id"], "--method", "guichet", user="dpo")
        decide(a, r["id"], "--grant", "RGPD art. 18")
        a.ok("request", "fulfil", r["id"], "--credential-file", cred(a), user="dpo")
        self.assertTrue([c for c in a.js("case", "list") if c["id"] == cid][0]["restricted"])
        for args in (["doc", "cat", cid, "d1"], ["case", "show", cid],
                     ["export", cid, "--for", "p1", "--out", os.path.join(a.work, "x.zip")]):
            rr = a.cv(*args)
            self.assertEqual(rr.rc, 1, args)
            self.assertIn("restricted", rr.err)
        self.assertFalse(os.path.exists(os.path.join(a.work, "x.zip")))
        # the subject's own access is allowed
        self.assertEqual(a.cv("export", cid, "--for", "p2", "--out", os.path.join(a.work, "own.zip")).rc, 0)
        p = a.js("sweep", "plan", "--as-of", "2026-07-02")
        it = [i for i in p["items"] if i["ref"] == "ASE-31-2016-00042"][0]
        self.assertIn("restriction", it["blocked"])
        refusals = [e for e in a.js("journal", "show") if e["outcome"] == "refused" and "restricted" in e["object"]]
        self.assertGreaterEqual(len(refusals), 2)
        a.ok("request", "lift", r["id"], "--reason", "fin du contentieux", user="dpo")
        self.assertEqual(a.cv("doc", "cat", cid, "d1").rc, 0)

    def test_granted_erasure_shreds_with_a_certificate(self):
        a = setup(self)
        cid = a.case_id("ASE-31-2019-00117")
        k = a.js("key", "case", cid)
        r = open_req(a, "erasure", ref="ASE-31-2019-00117")
        a.ok("request", "verify-identity", r["id"], "--method", "guichet", user="dpo")
        decide(a, r["id"], "--grant", "RGPD art. 17(1)(a) : données plus nécessaires (décision du DPO)")
        done = a.js("request", "fulfil", r["id"], "--credential-file", cred(a), user="dpo")
        cert = done["certificate"]
        self.assertEqual(cert["request"], r["id"])
        self.assertEqual(cert["destroyed"][0]["key_id"], k["key_id"])
        self.assertNotEqual(a.cv("doc", "cat", cid, "d1").rc, 0)
        self.assertNotEqual(a.cv("key", "case", cid).rc, 0)
        raw = bytes.fromhex(k["key"])
        for path, data in a.all_bytes():
            self.assertNotIn(raw, data, path)
        html = os.path.join(a.work, "registre.html")
        a.ok("request", "register", "--out", html, user="dpo")
        text = open(html, encoding="utf-8").read()
        self.assertIn(r["id"], text)
        self.assertIn(k["key_id"], text)
        self.assertIn("Certificat d'effacement", text)
        csv = os.path.join(a.work, "registre.csv")
        a.ok("request", "register", "--out", csv, user="dpo")
        self.assertIn(r["id"], open(csv, encoding="utf-8").read())
        if pages.chromium():
            self.assertGreaterEqual(pages.render_pdf(html, os.path.join(a.work, "registre.pdf")), 1)
            self.assertIn("Registre des demandes", pages.dump_dom(html))
        self.assertEqual(a.cv("verify").rc, 0)
        self.assertEqual(a.cv("journal", "verify").rc, 0)


if __name__ == "__main__":
    main()
