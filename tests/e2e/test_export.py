#!/usr/bin/env python3
"""The communication copy end to end: find the person, export their copy,
check the bag, open the index in Chromium, make sure third parties are gone
and the requester is still there."""
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import zipfile

import pages
from cvtest import Archive, BUNDLES, main, simple_manifest, write_bundle

THIRD = ["Martin", "MARTIN", "Sophie", "Faure", "Loïc", "Garnier", "Anne Garnier", "Da Silva", "Manuel", "Vasseur",
         "Théo", "06 12 34 56 78", "05 61 22 33 44", "sophie.martin@orange.fr", "impasse du Moulin", "31000 Toulouse"]


def unzip(zpath, dest):
    with zipfile.ZipFile(zpath) as z:
        z.extractall(dest)
    roots = os.listdir(dest)
    assert len(roots) == 1, roots
    return os.path.join(dest, roots[0])


class Copy(unittest.TestCase):
    def setUp(self):
        self.a = Archive(self)
        self.a.add_user("maft", "maft")
        work = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, work)
        self.work = work
        b = os.path.join(work, "leroy")
        shutil.copytree(os.path.join(BUNDLES, "leroy"), b)
        m = json.load(open(os.path.join(b, "case.json"), encoding="utf-8"))
        m["documents"].append({"path": "docs/scan-jugement.pdf", "title": "Jugement (scan)", "date": "2018-01-15",
                               "type": "judgment", "concerns": ["p1"]})
        open(os.path.join(b, "docs", "scan-jugement.pdf"), "wb").write(b"%PDF-1.4\n% Martin Sophie\n%%EOF\n")
        json.dump(m, open(os.path.join(b, "case.json"), "w", encoding="utf-8"), ensure_ascii=False)
        self.a.ok("ingest", b, os.path.join(BUNDLES, "petit"))

    def test_export_for_the_former_placed_child(self):
        a = self.a
        found = a.js("find", "--last", "LEROY", "--first", "francois", "--born", "2009-03-12", user="maft")
        self.assertEqual(len(found), 1)
        cid = found[0]
        out = os.path.join(self.work, "copie.zip")
        review = os.path.join(self.work, "relecture.html")
        r = a.js("export", cid, "--for", "p1", "--out", out, "--review", review, "--note", "consultation au siège",
                 user="maft")
        self.assertEqual((r["documents"], r["manual_review"]), (4, 1))
        self.assertGreater(r["redactions"], 10)
        self.assertEqual(hashlib.sha256(open(out, "rb").read()).hexdigest(), r["zip_sha256"])
        self.assertEqual(os.stat(review).st_mode & 0o777, 0o600)
        self.assertEqual(a.cv("export", cid, "--for", "p1", "--out", out, user="maft").rc, 1)  # no overwrite
        bag = unzip(out, os.path.join(self.work, "x"))
        for f in ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt", "data/index.html",
                  "data/dossier.json"):
            self.assertTrue(os.path.exists(os.path.join(bag, f)), f)
        for man in ("manifest-sha256.txt", "tagmanifest-sha256.txt"):
            p = subprocess.run(["sha256sum", "-c", man], cwd=bag, capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        info = open(os.path.join(bag, "bag-info.txt"), encoding="utf-8").read()
        oxum = re.search(r"Payload-Oxum: (\d+)\.(\d+)", info)
        files = [os.path.join(r_, f) for r_, _, fs in os.walk(os.path.join(bag, "data")) for f in fs]
        self.assertEqual((int(oxum.group(1)), int(oxum.group(2))), (sum(os.path.getsize(f) for f in files), len(files)))
        self.assertRegex(info, r"Bagging-Date: \d{4}-\d{2}-\d{2}")
        # no third party, the requester kept
        payload = "".join(open(f, encoding="utf-8").read() for f in files)
        for t in THIRD:
            self.assertNotIn(t, payload, f"third party data '{t}' left in the copy")
        self.assertIn("François", payload)
        self.assertIn("LEROY", payload)
        self.assertIn("[tiers", payload)
        self.assertIn("[téléphone]", payload)
        self.assertNotIn("scan-jugement.pdf", [os.path.basename(f) for f in files])
        index = open(os.path.join(bag, "data", "index.html"), encoding="utf-8").read()
        self.assertIn('lang="fr"', index)
        self.assertIn("L. 311-6", index)
        self.assertIn("Jugement (scan)", index)
        self.assertNotRegex(index, r"https?://")
        if not pages.chromium():
            self.skipTest("chromium is not installed")
        dom = pages.dump_dom(os.path.join(bag, "data", "index.html"))
        links = re.findall(r'<a href="([^"]+)"', dom)
        self.assertEqual(len(links), 4)
        for href in links:
            self.assertTrue(os.path.isfile(os.path.join(bag, "data", href)), href)
        self.assertGreaterEqual(pages.render_pdf(os.path.join(bag, "data", "index.html"), os.path.join(self.work, "i.pdf")), 1)
        # journaled with the hash, who and for whom
        j = [e for e in a.js("journal", "show") if e["action"] == "case.export"][-1]
        self.assertEqual(j["actor"], "maft")
        self.assertIn(r["zip_sha256"], j["object"])
        self.assertIn("for:p1", j["object"])
        self.assertNotIn("siège", json.dumps(a.js("journal", "show")))

    def test_copy_for_the_mother_hides_the_child(self):
        a = self.a
        cid = a.case_id("ASE-31-2016-00042")
        out = os.path.join(self.work, "mere.zip")
        a.ok("export", cid, "--for", "p2", "--out", out)
        bag = unzip(out, os.path.join(self.work, "m"))
        text = open(os.path.join(bag, "data", "docs", "rapport-2019.txt"), encoding="utf-8").read()
        self.assertNotIn("François", text)
        self.assertIn("Martin", text)
        self.assertIn("06 12 34 56 78", text)  # her own phone

    def test_encrypted_zip(self):
        a = self.a
        cid = a.case_id("ASE-31-2016-00042")
        pw = os.path.join(self.work, "pw")
        open(pw, "w").write("mot de passe de la copie\n")
        out = os.path.join(self.work, "enc.zip")
        a.ok("export", cid, "--for", "p1", "--out", out, "--password-file", pw)
        with zipfile.ZipFile(out) as z:
            infos = z.infolist()
            self.assertTrue(all(i.flag_bits & 1 for i in infos), "every entry is encrypted")
            self.assertTrue(all(i.compress_type == 99 for i in infos), "AES (WinZip method 99)")
        raw = open(out, "rb").read()
        self.assertNotIn("François".encode(), raw)
        if shutil.which("bsdtar"):
            d = os.path.join(self.work, "dec")
            os.makedirs(d)
            p = subprocess.run(["bsdtar", "-xf", out, "--passphrase", "mot de passe de la copie", "-C", d],
                               capture_output=True)
            self.assertEqual(p.returncode, 0, p.stderr)

    def test_roles_and_refusals(self):
        a = self.a
        a.add_user("audit", "auditor")
        cid = a.case_id("ASE-31-2016-00042")
        out = os.path.join(self.work, "no.zip")
        r = a.cv("export", cid, "--for", "p1", "--out", out, user="audit")
        self.assertEqual(r.rc, 4)
        self.assertFalse(os.path.exists(out))
        r = a.cv("export", cid, "--for", "p9", "--out", out)
        self.assertEqual(r.rc, 1)
        self.assertIn("p9", r.err)
        self.assertFalse(os.path.exists(out))
        self.assertEqual(a.cv("export", cid, "--for", "p1").rc, 2)

    def test_redact_command(self):
        a = self.a
        cid = a.case_id("ASE-31-2016-00042")
        f = os.path.join(self.work, "note.txt")
        open(f, "w", encoding="utf-8").write("Rencontre avec Mme Martin (06.12.34.56.78) et François le 3 mars.\n")
        r = a.ok("redact", "--case", cid, "--for", "p1", f)
        self.assertEqual(r.text, "Rencontre avec Mme [tiers 1] ([téléphone]) et François le 3 mars.\n")
        spans = a.js("redact", "--case", cid, "--for", "p1", f)[0]["spans"]
        data = open(f, "rb").read()
        self.assertEqual([data[s["start"]:s["end"]].decode() for s in spans if not s["kept"]], ["Martin", "06.12.34.56.78"])
        self.assertEqual({s["kind"] for s in spans}, {"person", "phone"})


if __name__ == "__main__":
    main()
