#!/usr/bin/env python3
"""The hard cases of redaction (issue 18), through the installed binary's
`redact` and `export`: third parties at the start of a sentence, one person
one number (the mother and the young sister sharing a surname, a compound
surname written two ways), the mother sharing the requester's surname, and
the requester's own mentions kept."""
import json
import os
import re
import shutil
import tempfile
import unittest
import zipfile

from cvtest import Archive, main, simple_manifest, write_bundle

LEROY = [
    {"id": "p1", "role": "child", "last": "Leroy", "first": ["François"], "born": "2009-03-12", "sex": "M"},
    {"id": "p2", "role": "mother", "last": "Leroy", "first": ["Sophie"], "born": "1984-11-02", "sex": "F"},
    {"id": "p3", "role": "sibling", "last": "Leroy", "first": ["Louis"], "born": "2009-03-12", "sex": "M"},
    {"id": "p4", "role": "professional", "last": "Rousseau", "first": ["Claire"], "function": "référente ASE", "sex": "F"},
]
DURAND = [
    {"id": "p1", "role": "child", "last": "Durand", "first": ["Lucas"], "born": "2010-05-04", "sex": "M"},
    {"id": "p2", "role": "sibling", "last": "Durand", "first": ["Jade"], "born": "2015-09-01", "sex": "F"},
    {"id": "p3", "role": "mother", "last": "Durand", "first": ["Nathalie"], "born": "1982-01-20", "sex": "F"},
    {"id": "p4", "role": "foster_carer", "last": "Da Silva", "first": ["Manuel"], "sex": "M"},
]


class Hard(unittest.TestCase):
    def setUp(self):
        self.a = Archive(self)
        self.work = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.work)

    def case(self, ref, persons):
        m = simple_manifest(ref=ref, persons=persons)
        self.a.ok("ingest", write_bundle(os.path.join(self.work, ref), m, {"docs/a.txt": "Note.\n"}))
        return self.a.case_id(ref)

    def redact(self, cid, text):
        f = os.path.join(self.work, "t.txt")
        with open(f, "w", encoding="utf-8") as fh:
            fh.write(text)
        spans = self.a.js("redact", "--case", cid, "--for", "p1", f)[0]["spans"]
        out = self.a.ok("redact", "--case", cid, "--for", "p1", f).text
        raw = text.encode()
        return out, {raw[s["start"]:s["end"]].decode(): s for s in spans}

    def test_sentence_initial_third_parties_are_hidden(self):
        cid = self.case("ASE-31-2021-00001", LEROY)
        out, spans = self.redact(cid, "Rousseau a noté des progrès.\nLouis, lui, refuse de parler.\n"
                                      "Petit à petit, François reprend confiance.\n")
        self.assertNotIn("Rousseau", out)
        self.assertNotIn("Louis", out)
        self.assertEqual(spans["Rousseau"]["person"], "p4")
        self.assertEqual(spans["Louis"]["person"], "p3")
        self.assertFalse(spans["Rousseau"]["kept"] or spans["Louis"]["kept"])
        # a common word at the start of a sentence, and the requester, stay
        self.assertIn("Petit à petit, François reprend confiance.", out)

    def test_mother_sharing_the_requesters_surname(self):
        cid = self.case("ASE-31-2021-00002", LEROY)
        out, spans = self.redact(cid, "Mme Leroy est venue seule. Sa mère, Mme LEROY, a appelé le service.\n"
                                      "François Leroy va bien ; François a fêté ses douze ans.\n")
        self.assertNotIn("Mme Leroy", out)
        self.assertNotIn("LEROY", out)
        self.assertIn("François Leroy va bien ; François a fêté ses douze ans.", out)
        mother = [s for t, s in spans.items() if t.lower().endswith("leroy") and not s["kept"]]
        self.assertTrue(mother and all(s["person"] == "p2" for s in mother), spans)
        self.assertEqual(len({s["replacement"] for s in mother}), 1)

    def test_one_person_one_number(self):
        cid = self.case("ASE-31-2021-00003", DURAND)
        text = ("Mme Durand et son fils Lucas sont arrivés à 10 h. Jade Durand, sa petite sœur, est restée à l'école.\n"
                "M. Manuel DaSilva accueille Lucas depuis 2019. La famille Da Silva habite Muret.\n"
                "Nathalie Durand a rappelé le lendemain.\n")
        out, spans = self.redact(cid, text)
        mother = re.search(r"Mme (\[tiers \d+\]) et son fils Lucas", out)
        self.assertTrue(mother, out)
        self.assertIn(f"{mother.group(1)} a rappelé", out)          # the mother keeps her number
        sister = re.search(r"(\[tiers \d+\]), sa petite sœur", out)
        self.assertTrue(sister and sister.group(1) != mother.group(1), out)
        carer = re.search(r"M\. (\[tiers \d+\]) accueille Lucas", out)
        self.assertTrue(carer, out)
        self.assertIn(f"La famille {carer.group(1)} habite", out)    # DaSilva = Da Silva
        self.assertEqual(len({mother.group(1), sister.group(1), carer.group(1)}), 3)

    def test_the_copy_keeps_the_requesters_story(self):
        cid = self.case("ASE-31-2021-00004", LEROY)
        m = simple_manifest(ref="ASE-31-2021-00004", persons=LEROY)
        text = ("Rousseau a reçu François le 3 mars. Louis, son jumeau, n'est pas venu.\n"
                "Sa mère, Mme LEROY, a téléphoné. François Leroy souhaite revoir Louis.\n")
        self.a.ok("ingest", write_bundle(os.path.join(self.work, "again"), m, {"docs/a.txt": text}))
        out = os.path.join(self.work, "copie.zip")
        self.a.ok("export", cid, "--for", "p1", "--out", out)
        with zipfile.ZipFile(out) as z:
            copy = "".join(z.read(n).decode() for n in z.namelist() if n.endswith("data/docs/a.txt"))
        for third in ("Rousseau", "Louis", "LEROY", "Sophie"):
            self.assertNotIn(third, copy)
        self.assertIn("a reçu François le 3 mars", copy)
        self.assertIn("François Leroy souhaite revoir", copy)


if __name__ == "__main__":
    main()
