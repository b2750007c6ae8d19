#!/usr/bin/env python3
"""Ingestion end to end: every container kind, every refusal, versions,
deduplication and person search, through the casevault command."""
import gzip
import io
import json
import os
import random
import shutil
import tarfile
import tempfile
import unittest
import zipfile

from cvtest import Archive, BUNDLES, copy_bundle, make_tar, make_zip, main, simple_manifest, write_bundle


def doc_bytes(bundle_dir):
    with open(os.path.join(bundle_dir, "case.json"), encoding="utf-8") as f:
        m = json.load(f)
    return {d["path"]: open(os.path.join(bundle_dir, d["path"]), "rb").read() for d in m["documents"]}


class ContainerKinds(unittest.TestCase):
    def test_all_kinds_read_back_identical(self):
        a = Archive(self)
        work = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, work)
        leroy = os.path.join(BUNDLES, "leroy")
        inputs = {
            "ASE-31-2016-00042": leroy,
            "ASE-31-2019-00117": make_tar(os.path.join(BUNDLES, "petit"), os.path.join(work, "petit.tar")),
            "ASE-31-2012-00008": make_tar(os.path.join(BUNDLES, "moreau"), os.path.join(work, "moreau.tar.gz"), gz=True),
        }
        z = copy_bundle(self, "moreau")
        m = json.load(open(os.path.join(z, "case.json"), encoding="utf-8"))
        m["case"]["ref"] = "ASE-31-2012-00009"
        json.dump(m, open(os.path.join(z, "case.json"), "w", encoding="utf-8"), ensure_ascii=False)
        inputs["ASE-31-2012-00009"] = make_zip(z, os.path.join(work, "moreau2.zip"))
        r = a.ok("ingest", *inputs.values())
        self.assertIn("4 bundles ingested, 0 failed", r.err)
        sources = {"ASE-31-2016-00042": leroy, "ASE-31-2019-00117": os.path.join(BUNDLES, "petit"),
                   "ASE-31-2012-00008": os.path.join(BUNDLES, "moreau"), "ASE-31-2012-00009": z}
        for ref, src in sources.items():
            cid = a.case_id(ref)
            want = doc_bytes(src)
            docs = a.js("doc", "list", cid)
            self.assertEqual(len(docs), len(want))
            for d in docs:
                got = a.ok("doc", "cat", cid, d["id"]).out
                self.assertEqual(got, want[d["path"]], f"{ref} {d['path']}")
        self.assertEqual(a.git("fsck", "--strict").returncode, 0)
        self.assertEqual(a.cv("verify").rc, 0)

    def test_wrapped_archive_and_nfd_names(self):
        a = Archive(self)
        work = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, work)
        out = make_tar(os.path.join(BUNDLES, "petit"), os.path.join(work, "w.tar.gz"), gz=True, wrap="export-2024")
        a.ok("ingest", out)
        # A document whose file name is NFD on disk and NFC in case.json.
        m = simple_manifest(ref="ASE-NFD-1", docs=["docs/d\u00e9cision.txt"])
        d = write_bundle(os.path.join(work, "nfd"), m, {})
        os.makedirs(os.path.join(d, "docs"), exist_ok=True)
        with open(os.path.join(d, "docs", "de\u0301cision.txt"), "w") as f:
            f.write("texte")
        a.ok("ingest", d)
        cid = a.case_id("ASE-NFD-1")
        self.assertEqual(a.ok("doc", "cat", cid, "d1").out, b"texte")


class Refusals(unittest.TestCase):
    """Each bad input: a clear message naming bundle and field, a non-zero
    exit, and the archive exactly as it was."""

    def setUp(self):
        self.a = Archive(self)
        self.a.ok("ingest", os.path.join(BUNDLES, "moreau"))
        self.work = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.work)
        self.n = 0

    def bundle(self, manifest, files=None):
        self.n += 1
        files = {"docs/a.txt": "contenu"} if files is None else files
        return write_bundle(os.path.join(self.work, f"b{self.n}"), manifest, files)

    def refuse(self, path, *needles, args=()):
        before = self.a.state_fingerprint()
        r = self.a.cv("ingest", *args, path)
        self.assertNotEqual(r.rc, 0, r)
        self.assertIn(path, r.err)
        for n in needles:
            self.assertIn(n, r.err)
        self.assertEqual(before, self.a.state_fingerprint(), "archive changed by a refused bundle")
        self.assertIn("0 bundles ingested, 1 failed", r.err)
        return r

    def test_missing_case_json(self):
        d = os.path.join(self.work, "empty")
        os.makedirs(d)
        self.refuse(d, "case.json")

    def test_malformed_case_json(self):
        d = os.path.join(self.work, "bad")
        os.makedirs(d)
        open(os.path.join(d, "case.json"), "w").write('{"bundle_version": 1, "case": {')
        self.refuse(d, "case.json", "line")

    def test_unknown_category(self):
        m = simple_manifest()
        m["case"]["category"] = "garde"
        self.refuse(self.bundle(m), "case.category", "'garde'")

    def test_unknown_role(self):
        m = simple_manifest()
        m["persons"][1]["role"] = "aunt"
        self.refuse(self.bundle(m), "persons[1].role", "'aunt'")

    def test_invalid_date(self):
        m = simple_manifest()
        m["documents"][0]["date"] = "2019-02-30"
        self.refuse(self.bundle(m), "documents[0].date", "2019-02-30")
        m = simple_manifest()
        m["persons"][0]["born"] = "12/03/2009"
        self.refuse(self.bundle(m), "persons[0].born")

    def test_absolute_and_dotdot_paths(self):
        m = simple_manifest(docs=["/etc/passwd"])
        self.refuse(self.bundle(m, {}), "documents[0].path", "absolute")
        m = simple_manifest(docs=["docs/../../secret.txt"])
        self.refuse(self.bundle(m, {}), "documents[0].path", "..")

    def test_link_out_of_bundle(self):
        outside = os.path.join(self.work, "outside.txt")
        open(outside, "w").write("hors du dossier")
        d = self.bundle(simple_manifest(), {})
        os.makedirs(os.path.join(d, "docs"), exist_ok=True)
        os.symlink(outside, os.path.join(d, "docs", "a.txt"))
        self.refuse(d, "documents[0].path", "outside the bundle")
        # the same in a tar: a symlink entry pointing out
        t = os.path.join(self.work, "link.tar")
        with tarfile.open(t, "w") as tf:
            data = json.dumps(simple_manifest()).encode()
            ti = tarfile.TarInfo("case.json")
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
            li = tarfile.TarInfo("docs/a.txt")
            li.type = tarfile.SYMTYPE
            li.linkname = "../../etc/passwd"
            tf.addfile(li)
        self.refuse(t, "documents[0].path", "outside the bundle")

    def test_dangling_link_fifo_and_directory(self):
        # A link to nothing, a FIFO (checked without being opened: the
        # command must not hang) and a directory, each named as such.
        d = self.bundle(simple_manifest(), {})
        os.makedirs(os.path.join(d, "docs"), exist_ok=True)
        os.symlink(os.path.join(d, "docs", "gone.txt"), os.path.join(d, "docs", "a.txt"))
        self.refuse(d, "documents[0].path", "link to nothing")
        d = self.bundle(simple_manifest(), {})
        os.makedirs(os.path.join(d, "docs"), exist_ok=True)
        os.mkfifo(os.path.join(d, "docs", "a.txt"))
        self.refuse(d, "documents[0].path", "not a regular file")
        d = self.bundle(simple_manifest(), {})
        os.makedirs(os.path.join(d, "docs", "a.txt"))
        self.refuse(d, "documents[0].path", "not a regular file")

    def test_link_inside_bundle_is_read(self):
        d = self.bundle(simple_manifest(ref="ASE-LINK-1"), {"docs/vrai.txt": "le contenu lié"})
        os.symlink("vrai.txt", os.path.join(d, "docs", "a.txt"))
        self.a.ok("ingest", d)
        cid = self.a.case_id("ASE-LINK-1")
        self.assertEqual(self.a.ok("doc", "cat", cid, "d1").out, "le contenu lié".encode())

    def test_missing_document(self):
        self.refuse(self.bundle(simple_manifest(docs=["docs/a.txt", "docs/b.txt"])), "documents[1].path", "missing")

    def test_limits(self):
        big = self.bundle(simple_manifest(), {"docs/a.txt": b"x" * 300_000})
        self.refuse(big, "over the limit", args=("--max-entry-size", "100K"))
        two = self.bundle(simple_manifest(docs=["docs/a.txt", "docs/b.txt"]),
                          {"docs/a.txt": b"x" * 80_000, "docs/b.txt": b"y" * 80_000})
        self.refuse(two, "limit", args=("--max-total-size", "100K"))

    def test_archive_bomb(self):
        t = os.path.join(self.work, "bomb.tar.gz")
        m = json.dumps(simple_manifest()).encode()
        with tarfile.open(t, "w:gz") as tf:
            ti = tarfile.TarInfo("case.json")
            ti.size = len(m)
            tf.addfile(ti, io.BytesIO(m))
            ti = tarfile.TarInfo("docs/a.txt")
            ti.size = 300 << 20

            class Zeros(io.RawIOBase):
                def __init__(self, n):
                    self.left = n

                def readable(self):
                    return True

                def readinto(self, b):
                    k = min(len(b), self.left)
                    b[:k] = bytes(k)
                    self.left -= k
                    return k
            tf.addfile(ti, io.BufferedReader(Zeros(ti.size), 1 << 20))
        self.assertLess(os.path.getsize(t), 1 << 20)
        self.refuse(t, "bomb")

    def test_unknown_field_and_wrong_type(self):
        m = simple_manifest()
        m["persons"][1]["telephone"] = "01 02 03 04 05"
        self.refuse(self.bundle(m), "persons[1]", "unknown field 'telephone'")
        m = simple_manifest()
        m["persons"][0]["first"] = "Jean"
        self.refuse(self.bundle(m), "persons[0].first")

    def test_concerns_unknown_person(self):
        m = simple_manifest()
        m["documents"][0]["concerns"] = ["p9"]
        self.refuse(self.bundle(m), "documents[0].concerns", "p9")

    def test_not_a_bundle(self):
        f = os.path.join(self.work, "notes.txt")
        open(f, "w").write("rien")
        before = self.a.state_fingerprint()
        r = self.a.cv("ingest", f)
        self.assertEqual(r.rc, 1)
        self.assertIn("no ingestion plugin accepts", r.err)
        self.assertEqual(before, self.a.state_fingerprint())

    def test_mixed_run_stores_exactly_the_good_ones(self):
        good1 = copy_bundle(self, "leroy")
        bad = self.bundle(simple_manifest(ref="ASE-BAD", docs=["docs/missing.txt"]), {})
        good2 = copy_bundle(self, "petit")
        r = self.a.cv("ingest", good1, bad, good2)
        self.assertEqual(r.rc, 1)
        self.assertIn("2 bundles ingested, 1 failed", r.err)
        refs = sorted(c["ref"] for c in self.a.js("case", "list"))
        self.assertEqual(refs, ["ASE-31-2012-00008", "ASE-31-2016-00042", "ASE-31-2019-00117"])
        self.assertEqual(self.a.cv("verify").rc, 0)


class Versions(unittest.TestCase):
    def test_reingest_adds_a_version(self):
        a = Archive(self)
        b = copy_bundle(self, "leroy")
        a.ok("ingest", b)
        cid = a.case_id("ASE-31-2016-00042")
        old = open(os.path.join(b, "docs/rapport-2019.txt"), "rb").read()
        open(os.path.join(b, "docs/rapport-2019.txt"), "ab").write("\nComplément du 3 mai 2019.\n".encode())
        m = json.load(open(os.path.join(b, "case.json"), encoding="utf-8"))
        m["documents"] = [d for d in m["documents"] if d["path"] != "docs/note-famille-accueil.md"]
        m["documents"].append({"path": "docs/nouveau.txt", "title": "Nouvelle note", "date": "2021-01-05",
                               "type": "note", "concerns": ["p1"]})
        open(os.path.join(b, "docs/nouveau.txt"), "w").write("nouvelle note")
        json.dump(m, open(os.path.join(b, "case.json"), "w", encoding="utf-8"), ensure_ascii=False)
        r = a.js("ingest", b)["bundles"][0]
        self.assertEqual((r["version"], r["new"], r["changed"], r["unchanged"], r["removed"]), (2, 1, 1, 2, 1))
        docs = {d["path"]: d for d in a.js("doc", "list", cid)}
        rap = docs["docs/rapport-2019.txt"]
        self.assertEqual(rap["revisions"], 2)
        log = a.js("doc", "log", cid, rap["id"])
        self.assertEqual([x["rev"] for x in log], [1, 2])
        self.assertTrue(all(k in log[0] for k in ("rev", "date", "size")))
        self.assertEqual(a.ok("doc", "cat", cid, rap["id"], "--rev", "1").out, old)
        self.assertTrue(a.ok("doc", "cat", cid, rap["id"]).out.endswith(b"2019.\n"))
        removed = docs["docs/note-famille-accueil.md"]
        self.assertTrue(removed["removed"])
        self.assertIn(b"Da Silva", a.ok("doc", "cat", cid, removed["id"], "--rev", "1").out)
        self.assertEqual(docs["docs/jugement-2018.txt"]["revisions"], 1)
        # identical again: nothing new stored
        r = a.js("ingest", b)["bundles"][0]
        self.assertEqual((r["new"], r["changed"], r["unchanged"], r["bytes_stored"]), (0, 0, 4, 0))
        self.assertNotEqual(a.cv("doc", "cat", cid, rap["id"], "--rev", "9").rc, 0)
        self.assertEqual(a.cv("verify").rc, 0)

    def test_large_document_edit_shares_chunks(self):
        a = Archive(self)
        rnd = random.Random(7)
        data = bytearray(rnd.getrandbits(8) for _ in range(12 << 20))
        work = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, work)
        d = write_bundle(os.path.join(work, "big"), simple_manifest(ref="ASE-BIG"), {"docs/a.txt": bytes(data)})
        first = a.js("ingest", d)["bundles"][0]
        data[6 << 20:6 << 20] = b"INSERTION AU MILIEU"
        open(os.path.join(d, "docs/a.txt"), "wb").write(data)
        second = a.js("ingest", d)["bundles"][0]
        self.assertGreater(first["bytes_stored"], 12 << 20 - 1)
        self.assertLess(second["bytes_stored"], 6 << 20, "an edit in the middle re-stored most of the document")
        cid = a.case_id("ASE-BIG")
        self.assertEqual(a.ok("doc", "cat", cid, "d1").out, bytes(data))


class Find(unittest.TestCase):
    def test_folding(self):
        a = Archive(self)
        a.ok("ingest", os.path.join(BUNDLES, "leroy"), os.path.join(BUNDLES, "petit"), os.path.join(BUNDLES, "moreau"))
        leroy = a.case_id("ASE-31-2016-00042")
        petit = a.case_id("ASE-31-2019-00117")
        self.assertEqual(a.js("find", "--last", "LEROY", "--first", "francois", "--born", "2009-03-12"), [leroy])
        self.assertEqual(a.js("find", "--last", "leroy", "--first", "Franc\u0327ois"), [leroy])  # NFD
        self.assertEqual(a.js("find", "--last", "Leroy", "--first", "MARIE"), [leroy])  # second first name
        self.assertEqual(a.js("find", "--last", "da-silva"), [leroy])
        self.assertEqual(a.js("find", "--last", "DASILVA", "--first", "manuel"), [leroy])
        self.assertEqual(a.js("find", "--last", "petit", "--first", "LEA"), [petit])
        self.assertEqual(a.js("find", "--last", "Leroy", "--born", "2009-03-13"), [])
        self.assertEqual(a.js("find", "--last", "Dupond"), [])
        r = a.cv("find", "--last", "Leroy", "--born", "2009-02-30")
        self.assertEqual(r.rc, 1)
        # the journal records the search, not the name
        j = json.dumps(a.js("journal", "show"))
        self.assertIn("person.find", j)
        self.assertNotIn("eroy", j)


if __name__ == "__main__":
    main()
