#!/usr/bin/env python3
"""Plugin loading (core/plugin/loader.c), the refusals test_plugins_trust.py
does not reach: a plugin file or directory owned by another user, a plugin
file writable by its group, a directory named like a plugin, and a file that
is not a shared object are each refused with the path and the reason, and
never stop the command nor the trusted plugin beside them from loading."""
import os
import shutil
import tempfile
import unittest

from cvtest import Archive, SRC, main

BUILD = os.environ.get("CV_BUILD", os.path.join(SRC, "build"))
EXAMPLE = os.path.join(BUILD, "examples", "example_email.so")
NOBODY = 65534


class PluginRefusals(unittest.TestCase):
    def setUp(self):
        if not os.path.exists(EXAMPLE):
            self.skipTest("example plugin not built")
        self.a = Archive(self)
        self.top = tempfile.mkdtemp(prefix="cv-plugins-")
        self.addCleanup(shutil.rmtree, self.top, True)
        os.chmod(self.top, 0o755)

    def plugin_dir(self, name, mode=0o755):
        d = os.path.join(self.top, name)
        os.makedirs(d)
        os.chmod(d, mode)
        return d

    def put(self, d, name, mode=0o644, data=None):
        p = os.path.join(d, name)
        if data is None:
            shutil.copy(EXAMPLE, p)
        else:
            with open(p, "wb") as f:
                f.write(data)
        os.chmod(p, mode)
        return p

    def load(self, *dirs):
        r = self.a.cv("--plugin-path", ":".join(dirs), "--json", "plugin", "list")
        self.assertEqual(r.rc, 0, r)
        return [x["name"] for x in r.json()], r.err

    def test_group_writable_file(self):
        d = self.plugin_dir("gwfile")
        p = self.put(d, "example_email.so", 0o664)
        names, err = self.load(d)
        self.assertNotIn("example-email", names)
        self.assertIn(f"plugin {p} refused: it is writable by group or others (mode 0664)", err)

    def test_directory_named_like_a_plugin(self):
        d = self.plugin_dir("dirso")
        os.mkdir(os.path.join(d, "a_dir.so"))
        self.put(d, "example_email.so")
        names, err = self.load(d)
        self.assertIn("example-email", names)
        self.assertIn(f"plugin {d}/a_dir.so refused: not a regular file", err)

    def test_not_a_shared_object(self):
        d = self.plugin_dir("garbage")
        self.put(d, "broken.so", data=b"\x7fELF but not really a shared object\n" * 10)
        self.put(d, "example_email.so")
        names, err = self.load(d)
        self.assertIn("example-email", names)
        self.assertIn(f"plugin {d}/broken.so refused: cannot load it: ", err)

    @unittest.skipUnless(os.geteuid() == 0, "needs root to give a file to another user")
    def test_file_owned_by_another_user(self):
        d = self.plugin_dir("theirs")
        p = self.put(d, "example_email.so")
        os.chown(p, NOBODY, NOBODY)
        names, err = self.load(d)
        self.assertNotIn("example-email", names)
        self.assertIn(f"plugin {p} refused: owned by uid {NOBODY}, neither you nor root", err)

    @unittest.skipUnless(os.geteuid() == 0, "needs root to give a directory to another user")
    def test_directory_owned_by_another_user(self):
        d = self.plugin_dir("theirdir")
        self.put(d, "example_email.so")
        os.chown(d, NOBODY, NOBODY)
        names, err = self.load(d)
        self.assertNotIn("example-email", names)
        self.assertIn(f"plugin directory {d} refused: {os.path.realpath(d)} is owned by uid {NOBODY}, "
                      "neither you nor root", err)


if __name__ == "__main__":
    main()
