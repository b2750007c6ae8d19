#!/usr/bin/env python3
"""Hostile archive bundles: bombs (zip, tar.gz, sizes that lie, many small
entries) and the limits must name the entry and say by how much; an entry
present twice (tar, tar.gz, zip, spelt differently but equal once
normalised, case.json itself) is refused, since `tar x` would keep the last
copy and a reader the first. Each refusal: exit 1, the bundle named, the
archive exactly as it was."""
import io
import json
import os
import re
import shutil
import struct
import tarfile
import tempfile
import unittest
import zipfile

from cvtest import Archive, BUNDLES, main, simple_manifest, write_bundle

MiB = 1 << 20
NFC = "docs/d\u00e9cision.txt"
NFD = "docs/de\u0301cision.txt"


class Zeros(io.RawIOBase):
    """n zero bytes, produced lazily (a bomb is not built in memory)."""

    def __init__(self, n):
        self.left = n

    def readable(self):
        return True

    def readinto(self, b):
        k = min(len(b), self.left)
        b[:k] = bytes(k)
        self.left -= k
        return k


def manifest_bytes(docs=("docs/a.txt",), ref="ASE-HOSTILE-1"):
    return json.dumps(simple_manifest(ref=ref, docs=docs), ensure_ascii=False).encode()


def tar_of(out, entries, gz=False, fmt=tarfile.PAX_FORMAT):
    """entries: (name, bytes | int for that many zeros | None for a directory)."""
    with tarfile.open(out, "w:gz" if gz else "w", format=fmt) as t:
        for name, data in entries:
            ti = tarfile.TarInfo(name)
            if data is None:
                ti.type = tarfile.DIRTYPE
                ti.mode = 0o755
                t.addfile(ti)
            elif isinstance(data, int):
                ti.size = data
                t.addfile(ti, io.BufferedReader(Zeros(data), MiB))
            else:
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
    return out


def zip_of(out, entries):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name": that is the point
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in entries:
                zi = zipfile.ZipInfo(name)
                zi.compress_type = zipfile.ZIP_DEFLATED
                if isinstance(data, int):
                    with z.open(zi, "w") as w:
                        left = data
                        while left:
                            k = min(left, 4 * MiB)
                            w.write(bytes(k))
                            left -= k
                else:
                    z.writestr(zi, data)
    return out


def lie_about_size(path, name, size):
    """Make a zip declare `size` uncompressed bytes for `name` in both its
    local header and its central directory."""
    with open(path, "rb") as f:
        buf = bytearray(f.read())
    raw = name.encode()
    for sig, size_at, name_len_at, name_at in ((b"PK\x03\x04", 22, 26, 30), (b"PK\x01\x02", 24, 28, 46)):
        i = buf.find(sig)
        while i >= 0:
            n = struct.unpack_from("<H", buf, i + name_len_at)[0]
            if buf[i + name_at:i + name_at + n] == raw:
                struct.pack_into("<I", buf, i + size_at, size)
            i = buf.find(sig, i + 4)
    with open(path, "wb") as f:
        f.write(buf)


class Hostile(unittest.TestCase):
    def setUp(self):
        self.a = Archive(self)
        self.a.ok("ingest", os.path.join(BUNDLES, "moreau"))
        self.work = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.work)

    def path(self, name):
        return os.path.join(self.work, name)

    def refuse(self, path, *needles, args=()):
        before = self.a.state_fingerprint()
        r = self.a.cv("ingest", *args, path)
        self.assertEqual(r.rc, 1, r)
        self.assertIn(path + ": ", r.err)
        for n in needles:
            self.assertIn(n, r.err)
        self.assertEqual(before, self.a.state_fingerprint(), "archive changed by a refused bundle")
        self.assertIn("0 bundles ingested, 1 failed", r.err)
        return r.err

    def ratio(self, err, entry, limit):
        m = re.search(re.escape(f"entry {entry} expands ") + r"(\d+)" +
                      re.escape(f" times its compressed size (limit {limit}); refused as an archive bomb"), err)
        self.assertTrue(m, err)
        return int(m.group(1))


class Bombs(Hostile):
    def test_zip_bomb_names_entry_and_ratio(self):
        z = zip_of(self.path("bomb.zip"), [("case.json", manifest_bytes(("docs/a.txt", "docs/x.txt"))),
                                           ("docs/a.txt", b"contenu"), ("docs/x.txt", 300 * MiB)])
        self.assertLess(os.path.getsize(z), MiB)
        self.assertGreater(self.ratio(self.refuse(z), "docs/x.txt", 200), 200)

    def test_tar_gz_bomb_names_entry_and_ratio(self):
        t = tar_of(self.path("bomb.tar.gz"), [("case.json", manifest_bytes(("docs/a.txt", "docs/x.txt"))),
                                              ("docs/a.txt", b"contenu"), ("docs/x.txt", 300 * MiB)], gz=True)
        self.assertGreater(self.ratio(self.refuse(t), "docs/x.txt", 200), 200)

    def test_bomb_outside_the_manifest_in_a_wrapper_directory(self):
        # not a document, but still read by the scan: named by its path in the archive
        t = tar_of(self.path("wrapped.tar.gz"), [("export/case.json", manifest_bytes()),
                                                 ("export/docs/a.txt", b"contenu"),
                                                 ("export/annexes/vide.bin", 40 * MiB)], gz=True)
        self.ratio(self.refuse(t, args=("--max-ratio", "20")), "export/annexes/vide.bin", 20)

    def test_zip_whose_sizes_lie(self):
        # declared 1 KB, expands to 300 MiB: caught on the bytes produced
        z = zip_of(self.path("liar.zip"), [("case.json", manifest_bytes(("docs/a.txt", "docs/x.txt"))),
                                           ("docs/a.txt", b"contenu"), ("docs/x.txt", 300 * MiB)])
        lie_about_size(z, "docs/x.txt", 1000)
        self.assertGreater(self.ratio(self.refuse(z), "docs/x.txt", 200), 200)

    def test_many_entries_each_under_the_ratio(self):
        # each 4 MiB entry alone is within 5 times 1 MiB; together they are not
        names = [f"docs/{c}.txt" for c in "abcd"]
        z = zip_of(self.path("many.zip"), [("case.json", manifest_bytes(names))] + [(n, 4 * MiB) for n in names])
        err = self.refuse(z, "entry docs/b.txt takes the archive to ", "(limit 5); refused as an archive bomb",
                          args=("--max-ratio", "5"))
        self.assertNotIn("docs/c.txt", err)

    def test_limits_name_the_entry(self):
        files = [("case.json", manifest_bytes(("docs/a.txt", "docs/b.txt"))),
                 ("docs/a.txt", b"x" * 80_000), ("docs/b.txt", b"y" * 80_000)]
        for kind, build in (("tar", lambda p: tar_of(p, files)), ("tar.gz", lambda p: tar_of(p, files, gz=True)),
                            ("zip", lambda p: zip_of(p, files))):
            with self.subTest(kind=kind):
                b = build(self.path(f"limits.{kind}"))
                self.refuse(b, "entry 'docs/a.txt'", "over the limit", args=("--max-entry-size", "50K"))
                self.refuse(b, "docs/b.txt", "over the limit of 102400 bytes", args=("--max-total-size", "100K"))
        d = write_bundle(self.path("limits-dir"), simple_manifest(docs=["docs/a.txt", "docs/b.txt"]),
                         {"docs/a.txt": b"x" * 80_000, "docs/b.txt": b"y" * 80_000})
        self.refuse(d, "docs/b.txt", "over the limit of 102400 bytes", args=("--max-total-size", "100K"))

    def test_compressible_document_under_the_floor_is_accepted(self):
        # 50 MiB of zeros is 1000 times smaller compressed, but under 200 times 1 MiB: a blank scan, not a bomb
        z = zip_of(self.path("blank.zip"), [("case.json", manifest_bytes(("docs/a.txt",), ref="ASE-BLANK-1")),
                                            ("docs/a.txt", 50 * MiB)])
        self.a.ok("ingest", z)
        self.assertEqual(len(self.a.ok("doc", "cat", self.a.case_id("ASE-BLANK-1"), "d1").out), 50 * MiB)


class Names(Hostile):
    def test_accented_names_are_read_whatever_the_locale(self):
        # pax headers and zips hold names in UTF-8; the command runs in the C locale, where libarchive refused
        # (tar) or lost (zip) them. Here the file is spelt NFD, as macOS writes it; case.json NFC.
        for i, (kind, build) in enumerate((("tar", lambda p, e: tar_of(p, e)),
                                           ("tar.gz", lambda p, e: tar_of(p, e, gz=True)),
                                           ("zip", lambda p, e: zip_of(p, e)))):
            with self.subTest(kind=kind):
                ref = f"ASE-ACCENT-{i}"
                entries = [("case.json", manifest_bytes((NFC,), ref=ref)), (NFD, b"texte")]
                b = build(self.path(f"accent.{kind}"), entries)
                self.a.ok("ingest", b)
                self.assertEqual(self.a.ok("doc", "cat", self.a.case_id(ref), "d1").out, b"texte")


class Duplicates(Hostile):
    def twice(self, path, entry):
        return self.refuse(path, f"entry {entry} appears twice in the archive", "duplicate")

    def test_same_path_twice_in_every_container(self):
        entries = [("case.json", manifest_bytes()), ("docs/a.txt", b"premier"), ("docs/a.txt", b"dernier")]
        self.twice(tar_of(self.path("dup.tar"), entries), "docs/a.txt")
        self.twice(tar_of(self.path("dup.tar.gz"), entries, gz=True), "docs/a.txt")
        self.twice(zip_of(self.path("dup.zip"), entries), "docs/a.txt")

    def test_spellings_equal_after_normalisation(self):
        for i, (first, second) in enumerate((("./docs/a.txt", "docs/a.txt"), ("docs//a.txt", "docs/a.txt"),
                                             ("docs/a.txt", "docs/./a.txt"), ("docs/x/../a.txt", "docs/a.txt"))):
            entries = [("case.json", manifest_bytes()), (first, b"premier"), (second, b"dernier")]
            with self.subTest(first=first, second=second):
                err = self.twice(tar_of(self.path(f"norm{i}.tar"), entries), "docs/a.txt")
                self.assertIn(f"'{first}'", err)
                self.twice(zip_of(self.path(f"norm{i}.zip"), entries), "docs/a.txt")

    def test_nfc_and_nfd_spellings(self):
        entries = [("case.json", manifest_bytes((NFC,))), (NFC, b"premier"), (NFD, b"dernier")]
        self.twice(tar_of(self.path("nfd.tar"), entries), NFC)
        self.twice(tar_of(self.path("nfd.tar.gz"), entries, gz=True), NFC)
        self.twice(zip_of(self.path("nfd.zip"), entries), NFC)
        # GNU headers keep the bytes as they are: the message says why two names that look alike are one
        err = self.twice(tar_of(self.path("nfd-gnu.tar"), entries, fmt=tarfile.GNU_FORMAT), NFC)
        self.assertIn("the same name in another Unicode form", err)

    def test_case_json_twice(self):
        other = manifest_bytes(ref="ASE-HOSTILE-2")
        entries = [("case.json", manifest_bytes()), ("docs/a.txt", b"contenu"), ("./case.json", other)]
        self.twice(tar_of(self.path("cj.tar"), entries), "case.json")
        self.twice(zip_of(self.path("cj.zip"), entries), "case.json")
        wrapped = [("export/" + n.lstrip("./"), d) for n, d in entries]
        self.twice(tar_of(self.path("cj-wrapped.tar.gz"), wrapped, gz=True), "export/case.json")

    def test_duplicate_outside_the_manifest(self):
        entries = [("case.json", manifest_bytes()), ("docs/a.txt", b"contenu"),
                   ("notes.txt", b"1"), ("notes.txt", b"2")]
        self.twice(zip_of(self.path("notes.zip"), entries), "notes.txt")

    def test_link_and_file_of_the_same_name(self):
        path = self.path("link.tar")
        with tarfile.open(path, "w") as t:
            for name, data in (("case.json", manifest_bytes()), ("docs/vrai.txt", b"contenu")):
                ti = tarfile.TarInfo(name)
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
            li = tarfile.TarInfo("docs/a.txt")
            li.type = tarfile.SYMTYPE
            li.linkname = "vrai.txt"
            t.addfile(li)
            ti = tarfile.TarInfo("docs/a.txt")
            ti.size = 5
            t.addfile(ti, io.BytesIO(b"autre"))
        self.twice(path, "docs/a.txt")

    def test_directory_listed_twice_is_accepted(self):
        entries = [("docs", None), ("case.json", manifest_bytes(ref="ASE-DIRS-1")), ("docs/", None),
                   ("docs/a.txt", b"contenu")]
        self.a.ok("ingest", tar_of(self.path("dirs.tar"), entries))
        self.assertEqual(self.a.ok("doc", "cat", self.a.case_id("ASE-DIRS-1"), "d1").out, b"contenu")


if __name__ == "__main__":
    main()
