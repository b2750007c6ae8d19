#!/usr/bin/env python3
"""The layer check itself: the tree passes, and each kind of violation added
to a scratch copy of the tree makes it fail with a message naming it."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SRC = os.environ.get("CV_SRC", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
CHECK = os.path.join(SRC, "tools", "lint", "check_layers.py")


def run(top):
    return subprocess.run([sys.executable, CHECK, top], capture_output=True, text=True)


class Layers(unittest.TestCase):
    def setUp(self):
        self.top = tempfile.mkdtemp(prefix="cv-layers-")
        self.addCleanup(shutil.rmtree, self.top)
        for d in ("core", "plugins", os.path.join("tools", "casevault"), os.path.join("tools", "serve"),
                  os.path.join("tools", "common")):
            shutil.copytree(os.path.join(SRC, d), os.path.join(self.top, d))

    def edit(self, rel, before, after):
        p = os.path.join(self.top, rel)
        s = open(p).read()
        self.assertIn(before, s)
        open(p, "w").write(s.replace(before, after, 1))

    def test_the_tree_passes(self):
        r = run(SRC)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("all pointing down", r.stdout)

    def test_upward_include_fails(self):
        self.edit("core/records/cases.c", '#include "records/cases.h"',
                  '#include "records/cases.h"\n#include "rights/rights_internal.h"')
        r = run(self.top)
        self.assertEqual(r.returncode, 1)
        self.assertIn("records/cases.c: includes rights/rights_internal.h: records (rank 5) may not depend on rights", r.stderr)

    def test_sibling_include_fails(self):
        self.edit("core/rights/rights.c", '#include "records/lifecycle.h"',
                  '#include "records/lifecycle.h"\n#include "retention/retention.h"')
        r = run(self.top)
        self.assertEqual(r.returncode, 1)
        self.assertIn("rights (rank 9) may not depend on retention (rank 9)", r.stderr)

    def test_prototype_in_a_c_file_fails(self):
        self.edit("core/export/export.c", '#include "export/bag.h"',
                  '#include "export/bag.h"\nint cv__docs_load(void);')
        r = run(self.top)
        self.assertEqual(r.returncode, 1)
        self.assertIn("export/export.c: declares cv__docs_load() itself", r.stderr)

    def test_header_smuggling_an_upward_call_fails(self):
        self.edit("core/engine/users.h", "#endif", "int cv__request_fulfil_now(cv_archive *a);\n\n#endif")
        with open(os.path.join(self.top, "core", "rights", "smuggled.c"), "w") as f:
            f.write('#include "engine/internal.h"\nint cv__request_fulfil_now(cv_archive *a)\n{\n\treturn a ? 0 : 1;\n}\n')
        r = run(self.top)
        self.assertEqual(r.returncode, 1)
        self.assertIn("declares cv__request_fulfil_now(), which is defined in layer rights", r.stderr)

    def test_cli_and_plugins_use_the_public_api_only(self):
        self.edit("tools/casevault/cmd_case.c", '#include "cli.h"', '#include "cli.h"\n#include "engine/internal.h"')
        self.edit("plugins/ingest-bundle/bundle.c", '#include "bundle.h"', '#include "bundle.h"\n#include "engine/keys.h"')
        r = run(self.top)
        self.assertEqual(r.returncode, 1)
        self.assertIn("cmd_case.c: includes \"engine/internal.h\": tools/casevault uses only the public API", r.stderr)
        self.assertIn("plugins see only the public API and util/", r.stderr)
        # what the command line may include besides: its own headers, the web service's and tools/common's
        self.assertNotIn("cli.h: includes", r.stderr)
        self.assertNotIn("cmd_serve.c: includes", r.stderr)

    def test_web_service_and_json_use_the_public_api_only(self):
        self.edit("tools/serve/api.c", '#include "serve.h"', '#include "serve.h"\n#include "catalog/catalog.h"')
        self.edit("tools/common/cvjson.c", '#include "cvjson.h"', '#include "cvjson.h"\n#include "cli.h"')
        r = run(self.top)
        self.assertEqual(r.returncode, 1)
        self.assertIn("api.c: includes \"catalog/catalog.h\": tools/serve uses only the public API", r.stderr)
        self.assertIn("cvjson.c: includes \"cli.h\": tools/common uses only the public API", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
