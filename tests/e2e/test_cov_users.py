#!/usr/bin/env python3
"""Users as an admin adds them (core/engine/users.c) and sweep plans as a
director names them (core/retention/sweep_store.c): bad user names, a
duplicate, a credential too short and a missing role are refused with the
rule in the message and change nothing; the limits themselves are accepted;
a role given twice is kept once. A plan is found by any unique prefix of its
id from 4 hexadecimal digits; a prefix too short or too long, or one that
names no plan, is refused and writes no file."""
import hashlib
import os
import unittest

from cvtest import BUNDLES, Archive, main


class Users(unittest.TestCase):
    def setUp(self):
        self.a = Archive(self)

    def users(self):
        return {u["name"]: u for u in self.a.js("user", "list")}

    def refused(self, args, rc, *fragments):
        before = self.a.state_fingerprint()
        r = self.a.cv(*args)
        self.assertEqual(r.rc, rc, (args, r))
        for f in fragments:
            self.assertIn(f, r.err)
        self.assertEqual(self.a.state_fingerprint(), before, args)
        return r

    def cred(self, text):
        p = os.path.join(self.a.work, f"cred{len(text)}")
        with open(p, "w") as f:
            f.write(text + "\n")
        return p

    def test_user_names(self):
        rule = "is not a valid user name (letters, digits, . _ - @; at most 48)"
        for bad in ("claire dupont", "claire!", "é", "u" * 49):
            with self.subTest(name=bad):
                self.refused(["user", "add", bad, "--role", "dpo"], 1, f"'{bad}' {rule}")
        ok = "Claire.Dupont_31-b@ase" + "x" * 26
        self.assertEqual(len(ok), 48)
        self.a.ok("user", "add", ok, "--role", "dpo")
        self.assertIn(ok, self.users())

    def test_duplicate_user(self):
        self.a.ok("user", "add", "claire", "--role", "dpo")
        self.refused(["user", "add", "claire", "--role", "auditor"], 1, "user 'claire' already exists")
        self.assertEqual(self.users()["claire"]["roles"], ["dpo"])
        # the first admin too
        self.refused(["user", "add", "archiviste", "--role", "dpo"], 1, "user 'archiviste' already exists")

    def test_roles(self):
        self.a.ok("user", "add", "marc", "--role", "dpo", "--role", "auditor", "--role", "dpo")
        self.assertEqual(self.users()["marc"]["roles"], ["dpo", "auditor"])
        r = self.refused(["user", "add", "sans-role"], 2, "user add needs at least one --role")
        self.assertIn("usage: casevault user add", r.err)
        self.assertNotIn("sans-role", self.users())

    def test_credential_length(self):
        self.refused(["user", "add", "court", "--role", "dpo", "--credential-file", self.cred("7 chars")], 1,
                     "a personal credential needs at least 8 characters")
        self.assertNotIn("court", self.users())
        self.a.ok("user", "add", "juste", "--role", "dpo", "--credential-file", self.cred("8 chars!"))
        self.assertTrue(self.users()["juste"]["credential"])


class PlanIds(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import types
        cls.a = Archive(types.SimpleNamespace(addCleanup=cls.addClassCleanup))
        cls.a.ok("ingest", os.path.join(BUNDLES, "leroy"))
        cls.plan = cls.a.js("sweep", "plan", "--as-of", "2026-11-23")

    def slip(self, prefix):
        out = os.path.join(self.a.work, f"slip-{prefix}.json")
        return self.a.cv("sweep", "slip", prefix, "--out", out), out

    def test_unique_prefixes_name_the_plan(self):
        pid = self.plan["id"]
        self.assertEqual(len(pid), 16)
        for n in (4, 9, 16):
            with self.subTest(digits=n):
                r, out = self.slip(pid[:n])
                self.assertEqual(r.rc, 0, r)
                with open(out, "rb") as f:
                    self.assertEqual(hashlib.sha256(f.read()).hexdigest(), self.plan["sha256"])

    def test_bad_prefixes(self):
        pid = self.plan["id"]
        for bad in (pid[:3], pid + "0", ""):
            with self.subTest(prefix=bad):
                r, out = self.slip(bad)
                self.assertEqual(r.rc, 1, r)
                self.assertIn("a plan id has 4 to 16 hexadecimal digits", r.err)
                self.assertIn("casevault sweep plan", r.err)  # the hint
                self.assertFalse(os.path.exists(out))
        other = "0000" if not pid.startswith("0000") else "ffff"
        r, out = self.slip(other)
        self.assertEqual(r.rc, 1, r)
        self.assertIn(f"no sweep plan '{other}'", r.err)
        self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    main()
