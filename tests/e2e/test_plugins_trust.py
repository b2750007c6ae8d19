#!/usr/bin/env python3
"""Plugin loading trusts only what nobody else can swap: the file and the
directories that lead to it. A plugin in a group-writable or sticky
world-writable directory, under a group-writable parent, or behind a
symbolic link is refused with the reason; the same file reached through two
search paths is loaded once; a trusted copy loads."""
import os
import shutil
import tempfile
import unittest

from cvtest import Archive, SRC, main

BUILD = os.environ.get("CV_BUILD", os.path.join(SRC, "build"))
EXAMPLE = os.path.join(BUILD, "examples", "example_email.so")


class PluginTrust(unittest.TestCase):
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
        shutil.copy(EXAMPLE, os.path.join(d, "example_email.so"))
        os.chmod(os.path.join(d, "example_email.so"), 0o644)
        os.chmod(d, mode)
        return d

    def names(self, *dirs):
        r = self.a.cv("--plugin-path", ":".join(dirs), "--json", "plugin", "list")
        self.assertEqual(r.rc, 0, r)
        return [x["name"] for x in r.json()], r.err

    def test_trusted_copy_loads_once(self):
        d = self.plugin_dir("ok")
        names, err = self.names(d, d + "/.")
        self.assertEqual(names.count("example-email"), 1, err)
        self.assertNotIn("refused", err)

    def test_group_writable_directory_refused(self):
        d = self.plugin_dir("gw", 0o775)
        names, err = self.names(d)
        self.assertNotIn("example-email", names)
        self.assertIn("writable by group or others", err)

    def test_sticky_world_writable_directory_refused(self):
        d = self.plugin_dir("sticky", 0o1777)
        names, err = self.names(d)
        self.assertNotIn("example-email", names)
        self.assertIn("mode 1777", err)

    def test_group_writable_parent_refused(self):
        parent = os.path.join(self.top, "shared")
        os.makedirs(parent)
        os.chmod(parent, 0o775)
        d = os.path.join(parent, "plugins")
        os.makedirs(d)
        shutil.copy(EXAMPLE, os.path.join(d, "example_email.so"))
        names, err = self.names(d)
        self.assertNotIn("example-email", names)
        self.assertIn(parent, err)

    def test_symbolic_link_refused(self):
        d = self.plugin_dir("link")
        os.rename(os.path.join(d, "example_email.so"), os.path.join(self.top, "real.so"))
        os.symlink(os.path.join(self.top, "real.so"), os.path.join(d, "example_email.so"))
        names, err = self.names(d)
        self.assertNotIn("example-email", names)
        self.assertIn("symbolic link", err)


if __name__ == "__main__":
    main()
