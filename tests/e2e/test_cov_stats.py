#!/usr/bin/env python3
"""Statistics for the observatory (`casevault stats`, core/retention/stats.c):
every grouping (category, territory, duration, age, measure) counted from
three cases whose expected bands are worked out by hand, small cells
suppressed under the threshold in JSON, text and CSV, an unknown grouping
and a bad threshold refused, a role outside the access table refused, and
each statistics request journaled with its grouping and threshold."""
import os
import types
import unittest

from cvtest import Archive, main, write_bundle


def person(pid, role, last, first, born, sex):
    return {"id": pid, "role": role, "last": last, "first": [first], "born": born, "sex": sex}


def manifest(ref, category, opened, closed, territory, persons, measures):
    case = {"ref": ref, "category": category, "opened": opened, "closed": closed}
    if territory is not None:
        case["territory"] = territory
    return {
        "bundle_version": 1,
        "case": case,
        "persons": persons,
        "measures": measures,
        "documents": [{"path": "docs/a.txt", "title": "Rapport", "date": opened, "type": "report",
                       "concerns": [persons[0]["id"]]}],
        "sealed": None,
    }


# Opened 2018-01, closed 2021-06: 41 months ("2 à 5 ans"); the child born in
# 2008 was 10 at the opening ("6-10 ans").
C1 = manifest("ASE-31-2020-00001", "placement", "2018-01-01", "2021-06-30", "31",
              [person("p1", "child", "Dupont", "Jean", "2008-04-01", "M"),
               person("p2", "mother", "Durand", "Élodie", "1985-02-03", "F")],
              [{"type": "placement", "basis": "judicial", "start": "2018-01-01", "end": "2021-06-30"}])
# Opened 2018-01, closed 2018-04: 3 months ("moins de 6 mois"); children born
# in 2016 (2: "0-2 ans") and 1999 (19: "18-20 ans"); two kinds of measure.
C2 = manifest("ASE-31-2020-00002", "aide_educative", "2018-01-01", "2018-04-30", "31",
              [person("p1", "child", "Martin", "Léa", "2016-05-05", "F"),
               person("p2", "child", "Martin", "Hugo", "1999-01-01", "M")],
              [{"type": "aemo", "start": "2018-01-01", "end": "2018-04-30"},
               {"type": "placement", "start": "2018-02-01", "end": "2018-04-30"}])
# Still open ("en cours"), no territory ("inconnu"), child born 2005 (13:
# "11-15 ans").
C3 = manifest("ASE-64-2021-00003", "placement", "2018-01-01", None, None,
              [person("p1", "child", "Bernard", "Noé", "2005-09-09", "M")],
              [{"type": "aemo", "start": "2018-01-01"}])

EXPECTED = {
    "category": {"placement": 2, "aide_educative": 1},
    "territory": {"31": 2, "inconnu": 1},
    "duration": {"2 à 5 ans": 1, "moins de 6 mois": 1, "en cours": 1},
    "age": {"6-10 ans": 1, "0-2 ans": 1, "18-20 ans": 1, "11-15 ans": 1},
    "measure": {"placement": 2, "aemo": 2},
}


class Stats(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # one archive for the class: its scratch directory goes with the class
        cls.a = Archive(types.SimpleNamespace(addCleanup=cls.addClassCleanup))
        for i, m in enumerate((C1, C2, C3)):
            d = write_bundle(os.path.join(cls.a.work, f"b{i}"), m, {"docs/a.txt": f"rapport {i}\n"})
            cls.a.ok("ingest", d)
        cls.a.add_user("officier", "maft")
        cls.a.add_user("obs", "auditor")

    def stats(self, by, threshold=None, user=None):
        args = ["stats", "--by", by]
        if threshold is not None:
            args += ["--threshold", str(threshold)]
        return self.a.js(*args, user=user)

    def test_every_grouping_counts_the_hand_computed_bands(self):
        for by, want in EXPECTED.items():
            with self.subTest(by=by):
                s = self.stats(by, 1)
                self.assertEqual((s["by"], s["threshold"]), (by, 1))
                got = {r[by]: r["count"] for r in s["rows"]}
                self.assertEqual(got, want)
                keys = [r[by] for r in s["rows"]]
                self.assertEqual(keys, sorted(keys, key=lambda k: k.encode()), "rows sorted by key")

    def test_states_add_up_and_match_the_case_list(self):
        states = {}
        for c in self.a.js("case", "list"):
            states[c["category"]] = states.get(c["category"], []) + [c["state"]]
        for r in self.stats("category", 1)["rows"]:
            split = {k: r[k] or 0 for k in ("active", "archived", "anonymised")}
            self.assertEqual(sum(split.values()), r["count"], r)
            mine = states[r["category"]]
            self.assertEqual(split["active"], mine.count("active"), r)
            self.assertEqual(split["archived"], mine.count("archived"), r)

    def test_small_cells_are_suppressed(self):
        # default threshold 5: every non-zero cell is under it
        s = self.a.js("stats", "--by", "category")
        self.assertEqual(s["threshold"], 5)
        for r in s["rows"]:
            self.assertIsNone(r["count"], r)
            for k in ("active", "archived", "anonymised"):
                self.assertIn(r[k], (None, 0), r)
        # threshold 2: the cells of 2 are shown, the cells of 1 are not
        rows = {r["measure"]: r for r in self.stats("measure", 2)["rows"]}
        self.assertEqual(rows["aemo"]["count"], 2)
        self.assertEqual(rows["placement"]["count"], 2)
        rows = {r["territory"]: r for r in self.stats("territory", 2)["rows"]}
        self.assertEqual(rows["31"]["count"], 2)
        self.assertIsNone(rows["inconnu"]["count"])

    def test_text_and_csv_show_suppressed_cells(self):
        text = self.a.ok("stats", "--by", "duration", "--threshold", "3").text.splitlines()
        self.assertEqual(text[0].split(), ["duration", "count", "active", "archived", "anonymised"])
        body = {line[:28].strip(): line[28:].split() for line in text[1:]}
        self.assertEqual(set(body), set(EXPECTED["duration"]))
        for cells in body.values():
            self.assertEqual(cells[0], "<3")
        csv = self.a.ok("stats", "--by", "age", "--threshold", "1", "--csv").out.decode()
        self.assertTrue(csv.endswith("\r\n"))
        lines = csv.split("\r\n")[:-1]
        self.assertEqual(lines[0], "age,count,active,archived,anonymised")
        self.assertEqual({ln.split(",")[0]: int(ln.split(",")[1]) for ln in lines[1:]}, EXPECTED["age"])

    def test_refusals(self):
        r = self.a.cv("stats", "--by", "sex")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("grouping 'sex' is not one of category, measure, age, duration, territory", r.err)
        self.assertEqual(r.out, b"")
        for bad in ("0", "1001", "5x", ""):
            r = self.a.cv("stats", "--threshold", bad)
            self.assertEqual(r.rc, 2, (bad, r))
            self.assertIn("--threshold wants a number from 1 to 1000", r.err)
        r = self.a.cv("stats", "category")
        self.assertEqual(r.rc, 2, r)
        r = self.a.cv("stats", "--by", "age", user="officier")
        self.assertEqual(r.rc, 4, r)
        self.assertEqual(r.out, b"")
        self.assertEqual(self.a.cv("stats", "--by", "age", user="obs").rc, 0)

    def test_journaled_with_grouping_and_threshold(self):
        self.stats("territory", 7)
        self.a.cv("stats", "--by", "age", user="officier")
        entries = [e for e in self.a.js("journal", "show") if e["action"] == "stats"]
        self.assertIn(("archiviste", "by:territory threshold:7", "ok"),
                      [(e["actor"], e["object"], e["outcome"]) for e in entries])
        self.assertIn(("officier", "denied"), [(e["actor"], e["outcome"]) for e in entries])


if __name__ == "__main__":
    main()
