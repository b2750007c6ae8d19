#!/usr/bin/env python3
"""Review and correction of a communication copy before it is final
(issue 18): the MAFT officer gets every mention in an editable decision
file, decides, and the copy is made from those decisions; every correction
is journaled with its actor; a mention to check without a decision stops
the copy; a file made on another state of the case is refused. Also the
redaction policy that decides whether agents' names are communicated."""
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
import unittest
import zipfile

from cvtest import Archive, main, simple_manifest, write_bundle

PERSONS = [
    {"id": "p1", "role": "child", "last": "Dupont", "first": ["Jean-Pierre"], "born": "2008-04-01", "sex": "M"},
    {"id": "p2", "role": "mother", "last": "Durand", "first": ["Élodie"], "born": "1985-02-03", "sex": "F",
     "phone": "06 98 76 54 32"},
    {"id": "p3", "role": "professional", "last": "Garnier", "first": ["Paul"], "function": "référent ASE", "sex": "M"},
    {"id": "p4", "role": "father", "last": "Bernard", "first": ["Marc"], "born": "1980-05-06", "sex": "M"},
]
TEXT = ("Mme Durand a accompagné Jean-Pierre au service. Kevin Duchamp, son camarade, était présent.\n"
        "Paul Garnier, référent ASE, a rédigé la note. Mme Durand peut être jointe au 06 98 76 54 32.\n"
        "M. Bernard ne s'est pas présenté. Jean-Pierre a parlé de Nina Roussel et de la boulangère du quartier.\n")


def copy_text(zpath):
    with zipfile.ZipFile(zpath) as z:
        return "".join(z.read(n).decode() for n in z.namelist() if n.endswith("/data/docs/a.txt"))


class Review(unittest.TestCase):
    def setUp(self):
        self.a = Archive(self)
        self.a.add_user("maft", "maft")
        self.work = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.work)
        self.ingest(TEXT)
        self.cid = self.a.case_id("ASE-31-2020-00009")

    def ingest(self, text):
        m = simple_manifest(ref="ASE-31-2020-00009", persons=PERSONS)
        self.a.ok("ingest", write_bundle(os.path.join(self.work, "b"), m, {"docs/a.txt": text}))

    def path(self, name):
        return os.path.join(self.work, name)

    def review_out(self, name="r.json", *extra):
        r = self.a.js("export", self.cid, "--for", "p1", "--review-out", self.path(name), *extra, user="maft")
        with open(self.path(name), encoding="utf-8") as f:
            return r, json.load(f)

    def save(self, doc, name="d.json"):
        with open(self.path(name), "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False)
        return self.path(name)

    def final(self, decisions, out="copie.zip", user="maft"):
        return self.a.cv("--json", "export", self.cid, "--for", "p1", "--decisions", decisions, "--out", self.path(out),
                         user=user)

    @staticmethod
    def mention(doc, text):
        found = [m for m in doc["mentions"] if m["text"] == text]
        assert found, (text, [m["text"] for m in doc["mentions"]])
        return found[0]

    def test_decision_file_lists_every_mention_with_reason_and_person(self):
        r, doc = self.review_out()
        self.assertEqual(stat.S_IMODE(os.stat(self.path("r.json")).st_mode), 0o600)
        self.assertFalse(os.path.exists(self.path("copie.zip")))
        self.assertEqual(r["mentions"], len(doc["mentions"]))
        self.assertEqual((doc["case"], doc["requester"], doc["requester_name"]), (self.cid, "p1", "Jean-Pierre Dupont"))
        self.assertIn("ne pas le communiquer", doc["notice"])
        durand = self.mention(doc, "Durand")
        self.assertEqual((durand["kind"], durand["person"], durand["role"], durand["proposed"]),
                         ("person", "p2", "mère", "masqué"))
        self.assertTrue(durand["reason"])
        kevin = self.mention(doc, "Kevin Duchamp")
        self.assertEqual((kevin["kind"], kevin["person"], kevin["to_check"]), ("name", None, True))
        self.assertEqual(r["to_check"], sum(m["to_check"] for m in doc["mentions"]))
        # the legend gives each number its role, never a name
        legend = {e["number"]: e for e in doc["legend"]}
        num = int(durand["replacement"].strip("[]").split()[1])
        self.assertEqual((legend[num]["person"], legend[num]["role"]), ("p2", "mère"))
        self.assertNotIn("Durand", json.dumps(doc["legend"], ensure_ascii=False))
        journal = self.a.ok("journal", "show").text
        self.assertIn("case.export.review", journal)
        self.assertNotIn("Duchamp", journal)
        # a decision file is written instead of the copy, never with it
        self.assertEqual(self.a.cv("export", self.cid, "--for", "p1", "--review-out", self.path("x.json"), "--out",
                                   self.path("x.zip"), user="maft").rc, 2)

    def test_round_trip_unmask_mask_reassign_merge_add(self):
        _, doc = self.review_out()
        # undecided mentions to check stop the copy, and nothing is written
        r = self.final(self.path("r.json"))
        self.assertEqual(r.rc, 1, r)
        self.assertIn("to check", r.err)
        self.assertIn(self.mention(doc, "Kevin Duchamp")["id"], r.err)
        self.assertFalse(os.path.exists(self.path("copie.zip")))

        for m in doc["mentions"]:
            if m["to_check"]:
                m["decision"] = "accept"
        self.mention(doc, "Paul Garnier")["decision"] = "unmask"
        father = self.mention(doc, "Bernard")
        father["decision"] = "reassign:p2"  # the officer knows it is the mother's name misread
        kevin, nina = self.mention(doc, "Kevin Duchamp"), self.mention(doc, "Nina Roussel")
        kn, nn = (int(m["replacement"].strip("[]").split()[1]) for m in (kevin, nina))
        self.assertNotEqual(kn, nn)
        for e in doc["legend"]:
            if e["number"] == nn:
                e["same_as"] = kn  # one person, one number
        doc["add"].append({"doc": "d1", "text": "la boulangère du quartier", "person": None})
        r = self.final(self.save(doc))
        self.assertEqual(r.rc, 0, r)
        res = r.json()
        self.assertEqual((res["to_check"], res["final"]), (0, True))
        self.assertEqual(res["corrections"], 4)
        text = copy_text(self.path("copie.zip"))
        mother = self.mention(doc, "Durand")["replacement"]
        self.assertIn("Paul Garnier, référent ASE", text)          # unmasked
        self.assertIn(f"M. {mother} ne s'est pas présenté", text)   # reassigned: the mother's number
        self.assertIn(f"parlé de [tiers {kn}] et de [tiers", text)  # merged, and the passage masked
        for name in ("Bernard", "boulangère", "Nina", "Kevin", "Durand", "06 98"):
            self.assertNotIn(name, text)
        self.assertIn("Jean-Pierre a parlé", text)
        # each correction journaled with its actor, without the mention's text
        entries = [l for l in self.a.ok("journal", "show").text.splitlines() if "case.export.correct" in l]
        self.assertEqual(len(entries), 4, entries)
        self.assertTrue(all(" maft " in l for l in entries), entries)
        joined = "\n".join(entries)
        for part in ("decision:unmask", "decision:reassign:p2", f"merge:{nn} into:{kn}", "add:1"):
            self.assertIn(part, joined)
        for name in ("Garnier", "boulangère", "Bernard", "Roussel"):
            self.assertNotIn(name, joined)
        final = [l for l in self.a.ok("journal", "show").text.splitlines() if "case.export " in l][-1]
        self.assertIn(" final", final)
        self.assertEqual(self.a.cv("journal", "verify").rc, 0)

    def test_file_for_another_state_is_refused(self):
        _, doc = self.review_out()
        for m in doc["mentions"]:
            m["decision"] = "accept"
        good = self.save(doc, "good.json")
        bad = json.loads(json.dumps(doc))
        bad["mentions"][0]["start"] += 1
        r = self.final(self.save(bad, "moved.json"))
        self.assertEqual(r.rc, 1)
        self.assertIn("another state of the case", r.err)
        bad = json.loads(json.dumps(doc))
        bad["mentions"][0]["decision"] = "hide"
        r = self.final(self.save(bad, "word.json"))
        self.assertEqual(r.rc, 1)
        self.assertIn('"hide" is not one of', r.err)
        bad = json.loads(json.dumps(doc))
        bad["mentions"][0]["decision"] = "reassign:p1"
        r = self.final(self.save(bad, "req.json"))
        self.assertEqual(r.rc, 1)
        self.assertIn("not a third party", r.err)
        r = self.a.cv("export", self.cid, "--for", "p2", "--decisions", good, "--out", self.path("p2.zip"), user="maft")
        self.assertEqual(r.rc, 1)
        self.assertIn("another requester", r.err)
        # a new revision of the document: the decisions were made on another text
        self.ingest(TEXT + "Une phrase ajoutée.\n")
        r = self.final(good)
        self.assertEqual(r.rc, 1)
        self.assertIn("document d1 has another text", r.err)
        for name in ("moved", "word", "req", "p2", "copie"):
            self.assertFalse(os.path.exists(self.path(name + ".zip")))

    def test_copy_without_review_is_provisional(self):
        r = self.a.cv("--json", "export", self.cid, "--for", "p1", "--out", self.path("c.zip"), user="maft")
        self.assertEqual(r.rc, 0, r)
        self.assertGreater(r.json()["to_check"], 0)
        self.assertFalse(r.json()["final"])
        self.assertIn("provisional copy", r.err)
        last = [l for l in self.a.ok("journal", "show").text.splitlines() if "case.export " in l][-1]
        self.assertIn("provisional:", last)

    def test_policy_decides_whether_agents_names_are_communicated(self):
        text = copy_text_of(self, [])
        self.assertNotIn("Garnier", text)  # the default hides every name
        pol = self.path("communique.yaml")
        with open(pol, "w", encoding="utf-8") as f:
            f.write("redaction: cd31-agents\nversion: 2\nprofessionals:\n  professional: show\n")
        text = copy_text_of(self, ["--redaction-policy", pol, "--review", self.path("rev.html")], "c2.zip")
        self.assertIn("Paul Garnier, référent ASE", text)
        self.assertNotIn("Durand", text)
        with open(self.path("rev.html"), encoding="utf-8") as f:
            page = f.read()
        self.assertIn("« cd31-agents » (version 2)", page)
        # the policy each copy was made under is journaled with the file's hash
        with open(pol, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        self.assertIn(f"redaction-policy:cd31-agents-v2:{digest}", self.a.ok("journal", "show").text)
        self.assertIn("communiqué", page)
        # the officer may still hide a name the policy communicates: it takes a number of its own
        r = self.a.js("export", self.cid, "--for", "p1", "--review-out", self.path("p.json"), "--redaction-policy", pol,
                      user="maft")
        with open(self.path("p.json"), encoding="utf-8") as f:
            doc = json.load(f)
        garnier = self.mention(doc, "Paul Garnier")
        self.assertEqual((garnier["proposed"], garnier["person"], garnier["replacement"]), ("communiqué", "p3", ""))
        taken = {int(m["replacement"].strip("[]").split()[1]) for m in doc["mentions"] if m["replacement"].startswith("[tiers")}
        for m in doc["mentions"]:
            m["decision"] = "accept" if m["to_check"] else ""
        garnier["decision"] = "mask"
        r = self.a.cv("--json", "export", self.cid, "--for", "p1", "--decisions", self.save(doc, "p2.json"), "--out",
                      self.path("c5.zip"), "--redaction-policy", pol, user="maft")
        self.assertEqual(r.rc, 0, r)
        masked = copy_text(self.path("c5.zip"))
        self.assertNotIn("Garnier", masked)
        num = re.search(r"\[tiers (\d+)\], référent ASE", masked)
        self.assertTrue(num and int(num.group(1)) not in taken, masked)
        self.assertIn("decision:mask", self.a.ok("journal", "show").text)
        # by function, the longest matching beginning wins over the role
        with open(pol, "w", encoding="utf-8") as f:
            f.write("redaction: cd31\nversion: 3\nprofessionals:\n  professional: show\nfunctions:\n  référent: hide\n")
        self.assertNotIn("Garnier", copy_text_of(self, ["--redaction-policy", pol], "c3.zip"))
        # family members can never be shown: the file is refused with its line
        with open(pol, "w", encoding="utf-8") as f:
            f.write("redaction: x\nversion: 1\nprofessionals:\n  mother: show\n")
        r = self.a.cv("export", self.cid, "--for", "p1", "--out", self.path("c4.zip"), "--redaction-policy", pol,
                      user="maft")
        self.assertEqual(r.rc, 1)
        self.assertRegex(r.err, r"communique\.yaml, line 4: only professional and foster_carer can be shown")
        with open(pol, "w", encoding="utf-8") as f:
            f.write("redaction: deux mots\nversion: 1\n")
        r = self.a.cv("export", self.cid, "--for", "p1", "--out", self.path("c4.zip"), "--redaction-policy", pol,
                      user="maft")
        self.assertEqual(r.rc, 1)
        self.assertIn("the policy's name is one word", r.err)
        self.assertFalse(os.path.exists(self.path("c4.zip")))


def copy_text_of(t, extra, name="c.zip"):
    t.a.ok("export", t.cid, "--for", "p1", "--out", t.path(name), *extra, user="maft")
    return copy_text(t.path(name))


if __name__ == "__main__":
    main()
