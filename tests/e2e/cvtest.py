"""Shared helpers for the end-to-end tests: they drive the casevault binary
(CV_BIN, the installed one in CI) exactly as a user would, from a fresh
scratch directory, and look at the archive directory from the outside."""
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import unittest
import zipfile

SRC = os.environ.get("CV_SRC", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BIN = os.environ.get("CV_BIN", os.path.join(SRC, "build", "bin", "casevault"))
DATA = os.path.join(SRC, "tests", "data")
BUNDLES = os.path.join(DATA, "bundles")


class Result:
    def __init__(self, p):
        self.rc = p.returncode
        self.out = p.stdout
        self.err = p.stderr.decode("utf-8", "replace")

    @property
    def text(self):
        return self.out.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return f"<rc={self.rc} err={self.err[:300]!r}>"


class Archive:
    """A scratch archive with its own key and admin user."""

    def __init__(self, test, name="a", user="archiviste", passphrase=None):
        self.work = tempfile.mkdtemp(prefix="cv-e2e-")
        test.addCleanup(shutil.rmtree, self.work, True)
        self.dir = os.path.join(self.work, name)
        self.key = os.path.join(self.work, "master.key")
        self.env = dict(os.environ, CASEVAULT_ARCHIVE=self.dir, CASEVAULT_USER=user)
        self.env.pop("CASEVAULT_PASSPHRASE_FILE", None)
        self.env.pop("CASEVAULT_KEY_FILE", None)
        if passphrase:
            self.pass_file = os.path.join(self.work, "pass")
            with open(self.pass_file, "w") as f:
                f.write(passphrase + "\n")
            self.env["CASEVAULT_PASSPHRASE_FILE"] = self.pass_file
        else:
            r = self.cv("keygen", self.key)
            assert r.rc == 0, r
            self.env["CASEVAULT_KEY_FILE"] = self.key
        r = self.cv("init")
        assert r.rc == 0, r

    def cv(self, *args, user=None, env=None, stdin=None, timeout=600):
        e = dict(self.env)
        if user:
            e["CASEVAULT_USER"] = user
        if env:
            e.update(env)
        p = subprocess.run([BIN, *args], env=e, capture_output=True, timeout=timeout, input=stdin)
        return Result(p)

    def ok(self, *args, **kw):
        r = self.cv(*args, **kw)
        if r.rc != 0:
            raise AssertionError(f"casevault {' '.join(args)} failed: {r}")
        return r

    def js(self, *args, **kw):
        return self.ok("--json", *args, **kw).json()

    def add_user(self, name, *roles, credential=None):
        args = ["user", "add", name]
        for r in roles:
            args += ["--role", r]
        if credential:
            f = os.path.join(self.work, f"cred-{name}")
            with open(f, "w") as fh:
                fh.write(credential + "\n")
            args += ["--credential-file", f]
        self.ok(*args)

    def case_id(self, ref):
        for c in self.js("case", "list"):
            if c["ref"] == ref:
                return c["id"]
        raise KeyError(ref)

    def state_fingerprint(self):
        """What must not change when an operation is refused: the branch
        head and the catalog's logical content."""
        head = subprocess.run(["git", "-C", os.path.join(self.dir, "git"), "rev-parse", "refs/heads/main"],
                              capture_output=True, text=True).stdout.strip()
        db = sqlite3.connect(f"file:{os.path.join(self.dir, 'catalog.db')}?mode=ro", uri=True)
        rows = []
        for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT IN ('journal') ORDER BY name"):
            rows.append((t, sorted(map(repr, db.execute(f"SELECT * FROM {t}").fetchall()))))
        db.close()
        return head, hashlib.sha256(repr(rows).encode()).hexdigest()

    def all_bytes(self):
        """Every byte of every file in the archive directory."""
        for root, _, files in os.walk(self.dir):
            for f in files:
                p = os.path.join(root, f)
                with open(p, "rb") as fh:
                    yield p, fh.read()

    def git(self, *args):
        return subprocess.run(["git", "-C", os.path.join(self.dir, "git"), *args], capture_output=True, text=True)


def copy_bundle(test, name, dest=None):
    """A private copy of a sample bundle directory."""
    d = dest or tempfile.mkdtemp(prefix="cv-bundle-")
    test.addCleanup(shutil.rmtree, d, True)
    out = os.path.join(d, name)
    shutil.copytree(os.path.join(BUNDLES, name), out)
    return out


def make_tar(src_dir, out, gz=False, wrap=None):
    mode = "w:gz" if gz else "w"
    with tarfile.open(out, mode) as t:
        for root, _, files in os.walk(src_dir):
            for f in sorted(files):
                full = os.path.join(root, f)
                rel = os.path.relpath(full, src_dir)
                t.add(full, arcname=os.path.join(wrap, rel) if wrap else rel)
    return out


def make_zip(src_dir, out):
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for root, _, files in os.walk(src_dir):
            for f in sorted(files):
                full = os.path.join(root, f)
                z.write(full, os.path.relpath(full, src_dir))
    return out


def write_bundle(d, manifest, files):
    """A bundle directory from a manifest dict and {path: bytes|str}."""
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "case.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False)
    for p, data in files.items():
        full = os.path.join(d, p)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
    return d


def simple_manifest(ref="ASE-31-2020-00001", docs=("docs/a.txt",), category="placement", closed="2021-06-30",
                    persons=None):
    return {
        "bundle_version": 1,
        "case": {"ref": ref, "category": category, "opened": "2018-01-01", "closed": closed, "territory": "31"},
        "persons": persons or [
            {"id": "p1", "role": "child", "last": "Dupont", "first": ["Jean-Pierre"], "born": "2008-04-01", "sex": "M"},
            {"id": "p2", "role": "mother", "last": "Durand", "first": ["Élodie"], "born": "1985-02-03", "sex": "F",
             "phone": "06 98 76 54 32", "email": "elodie.durand@example.fr"}],
        "measures": [{"type": "placement", "basis": "judicial", "start": "2018-01-01", "end": closed}],
        "documents": [{"path": p, "title": f"Document {i + 1}", "date": "2019-01-01", "type": "report",
                       "concerns": ["p1"]} for i, p in enumerate(docs)],
        "sealed": None,
    }


def main():
    unittest.main(verbosity=2)
