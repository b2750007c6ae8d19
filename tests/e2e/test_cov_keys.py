#!/usr/bin/env python3
"""The master key as an administrator gives it (core/engine/archive.c,
core/util/fs.c): every wrong key file and passphrase file is refused with the
exit status of docs/cli.md and a message naming the file and what is wrong
with it, the passphrase's first line is the passphrase (CRLF too), and init
refuses what it cannot create, leaving nothing behind."""
import os
import unittest

from cvtest import BUNDLES, Archive, main


def without(a, drop, *args, env=None):
    """a.cv with the variables in `drop` removed from the archive's environment
    (an empty variable is a file name, not an absent one)."""
    saved = a.env
    a.env = {k: v for k, v in saved.items() if k not in drop}
    try:
        return a.cv(*args, env=env)
    finally:
        a.env = saved


class KeyFile(unittest.TestCase):
    def setUp(self):
        self.a = Archive(self)
        self.a.ok("ingest", os.path.join(BUNDLES, "leroy"))

    def with_key(self, path, *args):
        return self.a.cv(*(args or ("case", "list")), env={"CASEVAULT_KEY_FILE": path})

    def master(self):
        with open(self.a.key, "rb") as f:
            return f.read()

    def file(self, name, data, mode=0o600):
        p = os.path.join(self.a.work, name)
        with open(p, "wb") as f:
            f.write(data)
        os.chmod(p, mode)
        return p

    def test_the_right_key_opens(self):
        r = self.with_key(self.a.key, "--json", "case", "list")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(len(r.json()), 1)

    def test_missing_key_file(self):
        r = self.with_key(os.path.join(self.a.work, "absent.key"))
        self.assertEqual(r.rc, 1, r)
        self.assertIn("cannot read key file", r.err)
        self.assertIn("absent.key: No such file or directory", r.err)
        self.assertEqual(r.out, b"")

    def test_directory_as_key_file(self):
        d = os.path.join(self.a.work, "keydir")
        os.mkdir(d, 0o700)
        r = self.with_key(d)
        self.assertEqual(r.rc, 1, r)
        self.assertIn("keydir is not a regular file", r.err)

    def test_key_file_too_large(self):
        r = self.with_key(self.file("big.key", os.urandom(100)))
        self.assertEqual(r.rc, 1, r)
        self.assertIn("big.key is too large (100 bytes, at most 64)", r.err)

    def test_short_key_file(self):
        r = self.with_key(self.file("short.key", self.master()[:31]))
        self.assertEqual(r.rc, 4, r)
        self.assertIn("holds 31 bytes; a master key is exactly 32 bytes", r.err)
        self.assertIn("casevault keygen FILE", r.err)

    def test_key_file_readable_by_others(self):
        p = self.file("shared.key", self.master(), 0o644)
        r = self.with_key(p)
        self.assertEqual(r.rc, 4, r)
        self.assertIn("accessible to group or others (mode 0644); run chmod 600", r.err)

    def test_passphrase_on_a_key_file_archive(self):
        p = self.file("pass", b"une phrase\n")
        r = without(self.a, {"CASEVAULT_KEY_FILE"}, "case", "list", env={"CASEVAULT_PASSPHRASE_FILE": p})
        self.assertEqual(r.rc, 4, r)
        self.assertIn("is protected by a key file, not a passphrase", r.err)
        self.assertIn("--key-file FILE", r.err)

    def test_both_and_neither(self):
        p = self.file("pass", b"une phrase\n")
        r = self.a.cv("case", "list", env={"CASEVAULT_PASSPHRASE_FILE": p})
        self.assertEqual(r.rc, 1, r)
        self.assertIn("give either a key file or a passphrase file, not both", r.err)
        r = without(self.a, {"CASEVAULT_KEY_FILE"}, "case", "list")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("no master key was given", r.err)
        self.assertIn("CASEVAULT_KEY_FILE", r.err)

    def test_user_name_too_long(self):
        r = self.a.cv("case", "list", user="x" * 300)
        self.assertEqual(r.rc, 1, r)
        self.assertIn("user name 'xxxxxxxxxxxxxxxxxxxx...' is too long", r.err)
        self.assertNotIn("x" * 21, r.err)


class Passphrase(unittest.TestCase):
    def setUp(self):
        self.a = Archive(self, passphrase="le chat dort sur le radiateur")

    def with_pass(self, data, *args):
        p = os.path.join(self.a.work, "p2")
        with open(p, "wb") as f:
            f.write(data)
        return self.a.cv(*(args or ("case", "list")), env={"CASEVAULT_PASSPHRASE_FILE": p})

    def test_first_line_is_the_passphrase(self):
        for data in (b"le chat dort sur le radiateur", b"le chat dort sur le radiateur\r\n",
                     b"le chat dort sur le radiateur\nligne suivante ignoree\n"):
            with self.subTest(data=data):
                self.assertEqual(self.with_pass(data).rc, 0)

    def test_wrong_passphrase(self):
        r = self.with_pass(b"le chat dort sur le radiateur \n")
        self.assertEqual(r.rc, 4, r)
        self.assertIn("wrong key", r.err)

    def test_empty_first_line(self):
        r = self.with_pass(b"\nle chat dort sur le radiateur\n")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("the first line (the passphrase) is empty", r.err)

    def test_passphrase_file_too_large(self):
        r = self.with_pass(b"a" * 5000)
        self.assertEqual(r.rc, 1, r)
        self.assertIn("is too large (5000 bytes, at most 4096)", r.err)

    def test_key_file_on_a_passphrase_archive(self):
        key = os.path.join(self.a.work, "k")
        self.assertEqual(self.a.cv("keygen", key).rc, 0)
        r = without(self.a, {"CASEVAULT_PASSPHRASE_FILE"}, "case", "list", env={"CASEVAULT_KEY_FILE": key})
        self.assertEqual(r.rc, 4, r)
        self.assertIn("is protected by a passphrase, not a key file", r.err)
        self.assertIn("--passphrase-file FILE", r.err)


class Init(unittest.TestCase):
    def setUp(self):
        self.a = Archive(self)

    def init(self, where):
        return self.a.cv("init", env={"CASEVAULT_ARCHIVE": where})

    def test_no_directory(self):
        r = self.init("")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("init: no archive directory (give -A DIR or set CASEVAULT_ARCHIVE)", r.err)

    def test_parent_missing(self):
        where = os.path.join(self.a.work, "nowhere", "archive")
        r = self.init(where)
        self.assertEqual(r.rc, 1, r)
        self.assertIn(f"init: cannot create {where}", r.err)
        self.assertFalse(os.path.exists(os.path.dirname(where)))

    def test_not_empty(self):
        d = os.path.join(self.a.work, "full")
        os.mkdir(d)
        with open(os.path.join(d, "notes.txt"), "w") as f:
            f.write("x")
        r = self.init(d)
        self.assertEqual(r.rc, 1, r)
        self.assertIn("is not empty; an archive is created in a new or empty directory", r.err)
        self.assertEqual(os.listdir(d), ["notes.txt"])

    def test_existing_archive_is_not_reinitialised(self):
        before = self.a.state_fingerprint()
        r = self.init(self.a.dir)
        self.assertEqual(r.rc, 1, r)
        self.assertIn("is not empty", r.err)
        self.assertEqual(self.a.state_fingerprint(), before)


if __name__ == "__main__":
    main()
