#!/usr/bin/env python3
"""Fault-injection countdown (in the manner of SQLite's): for each write
command, fail its Nth write / fsync / rename / malloc (N = 1, 2, ... until the
command runs without meeting the fault), once (transient) or from then on
(persistent), through the LD_PRELOAD shim tests/fault/cvfault.c, and check:

  - the command exits 0 (the fault was absorbed) or non-zero with a clear
    one-line message (no raw SQLite/libgit2 text, no signal, no sanitizer
    dump), and leaves no output file behind when it failed;
  - the archive equals its state BEFORE or AFTER the command exactly (a
    logical comparison: catalog rows, journal, git history and tree names,
    the JSON of case/doc/user/request/sweep/origins commands and the digests
    of every readable document; values that differ between two fault-free
    runs -- nonces, key ids, new ids, times -- are compared by kind only);
  - `verify`, `journal verify` and `git fsck --strict` pass, the catalog's
    head is the branch;
  - the command run again without faults succeeds (or, when the archive is
    already AFTER, refuses cleanly / is a no-op, as the command table says)
    and the archive then equals AFTER.

  fault_test.py --bin PATH/casevault --shim PATH/libcvfault.so
      [--ops write,fsync,rename,malloc] [--commands ingest,sweep-run,...]
      [--modes transient,persistent] [--stride K] [--min-n N] [--max-n M] [--bounded]
      [--keep DIR] [-v]

--bounded is the CI run (< 4 min on 2 cores): every fsync and rename point,
writes with a stride, mallocs sampled. Without it every point of every op is
tried (malloc with --malloc-stride, default 25). Prints, per command and op,
the number of injection points (calls made by a fault-free run), the N
tried and the failures; exits 1 on any failure, 77 if the shim is missing.

A command is one entry of COMMANDS: a setup function building the starting
archive once, the argv, the output files it writes, extra state, and what a
re-run on an AFTER archive must do. Adding one (e.g. `mirror push`) is a few
lines there."""
import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

SRC = os.environ.get("CV_SRC", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUNDLES = os.path.join(SRC, "tests", "data", "bundles")

# Text that must not reach a user as is: the library must say what failed in its own words.
RAW_TEXT = re.compile(r"(SQLITE_|sqlite3_|database disk image|disk I/O error|git_[a-z_]+\(|"
                      r"AddressSanitizer|LeakSanitizer|runtime error:|Segmentation|Aborted|core dumped|"
                      r"free\(\)|malloc\(\)|double free|corrupted|Traceback)", re.I)
# Crashes that are not casevault's: the op and mode, the signal, the library
# the first failed call came from (innermost first, "<"-separated, as the shim
# reports it) and how many calls failed. A crash still has its state checked
# like a SIGKILL (BEFORE or AFTER, verify passes, a re-run finishes).
KNOWN_CRASHES = [
    dict(op="malloc", mode="persistent", sig=signal.SIGSEGV, lib="libgit2", min_injected=1000,
         why="libgit2 1.5 (Debian 12): git_error_set_oom() allocates the thread's error state, whose failure calls "
             "git_error_set_oom() again -- endless recursion, stack overflow, when allocations keep failing inside "
             "git_libgit2_init()"),
    dict(op="malloc", mode=None, sig=signal.SIGSEGV, lib="libgit2", min_injected=1, innermost=True,
         why="libgit2 1.5 (Debian 12): one failed allocation in git_config_snapshot() (git_signature_default() "
             "for the reflog, under git_reference_create_matching() at the ref move) dereferences NULL; the "
             "catalog is committed by then and the next open moves the branch"),
    dict(op="malloc", mode=None, sig=signal.SIGSEGV, lib="libarchive", min_injected=1, innermost=True,
         why="libarchive 3.6 (Debian 12): archive_write_zip_header() does not check cd_alloc() (its source says "
             "\"If (zip->file_header == NULL) XXXX\") and writes through NULL when the central directory cannot "
             "grow, in the middle of writing a copy's zip; the copy is not written, the archive is checked as "
             "after a kill"),
]
# what a message says when memory ran out (the library's words and the CLI's)
MEMORY_WORDS = re.compile(r"out of memory|memory", re.I)
# Dependencies that end the process themselves when memory runs out: the
# archive is then judged like after a SIGKILL (BEFORE or AFTER, verify
# passes, a re-run finishes); only the message is not casevault's.
KNOWN_EXITS = [
    dict(op="malloc", rc=1, text=re.compile(r"Fatal Internal Error in libarchive: (Out of|No) memory"),
         why="libarchive 3.6 (Debian 12) calls exit(1) when one of its strings cannot grow (__archive_errx in "
             "archive_string.c), in the middle of writing a copy's zip"),
]
TIME_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


class Fail(Exception):
    pass


class Ctx:
    """One command's scratch area: archive DIR (always at the same path so
    that messages and paths agree), its key, the pristine copy."""

    def __init__(self, args, name, root):
        self.args = args
        self.name = name
        self.root = os.path.join(root, name)
        os.makedirs(self.root)
        self.dir = os.path.join(self.root, "archive")
        self.key = os.path.join(self.root, "master.key")
        self.pristine = os.path.join(self.root, "pristine")
        self.snap = os.path.join(self.root, "snap")
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("CASEVAULT_", "CVFAULT_", "LD_PRELOAD", "ASAN_", "UBSAN_"))}
        self.env.update(CASEVAULT_ARCHIVE=self.dir, CASEVAULT_KEY_FILE=self.key, CASEVAULT_USER="archiviste",
                        CASEVAULT_LOCK_TIMEOUT="5")
        self.argv = []
        self.user = "archiviste"
        self.outputs = []          # files the command writes outside the archive
        self.reader = "archiviste"  # who reads the state
        self.extra = {}

    def cv(self, *a, user=None, archive=None, env=None, timeout=300):
        e = dict(self.env)
        if user:
            e["CASEVAULT_USER"] = user
        if archive:
            e["CASEVAULT_ARCHIVE"] = archive
        if env:
            e.update(env)
        return subprocess.run([self.args.bin, *a], env=e, capture_output=True, timeout=timeout)

    def ok(self, *a, **kw):
        r = self.cv(*a, **kw)
        if r.returncode != 0:
            raise Fail(f"setup: casevault {' '.join(a)} failed ({r.returncode}): {r.stderr.decode()[:500]}")
        return r

    def js(self, *a, **kw):
        return json.loads(self.ok("--json", *a, **kw).stdout)

    def cred(self, user, text):
        p = os.path.join(self.root, f"cred-{user}")
        with open(p, "w") as f:
            f.write(text + "\n")
        return p

    def add_user(self, name, *roles, credential=None):
        a = ["user", "add", name]
        for r in roles:
            a += ["--role", r]
        if credential:
            a += ["--credential-file", self.cred(name, credential)]
        self.ok(*a)

    def case_id(self, ref, archive=None):
        for c in json.loads(self.ok("--json", "case", "list", archive=archive).stdout):
            if c["ref"] == ref:
                return c["id"]
        raise Fail(f"no case {ref}")

    def base(self):
        self.ok("keygen", self.key)
        self.ok("init")


# ---------------------------------------------------------------- commands

def setup_ingest(c):
    c.base()
    c.ok("ingest", os.path.join(BUNDLES, "petit"), os.path.join(BUNDLES, "moreau"))
    c.argv = ["ingest", os.path.join(BUNDLES, "leroy")]


def setup_sweep_run(c):
    c.base()
    c.add_user("directrice", "director", credential="une phrase de la directrice")
    c.ok("ingest", *(os.path.join(BUNDLES, b) for b in ("leroy", "petit", "moreau")))
    p = c.js("sweep", "plan", "--as-of", "2026-07-01")
    due = [i["ref"] for i in p["items"] if i["action"] != "keep"]
    if len(due) < 2:
        raise Fail(f"setup: the plan should anonymise two cases, not {due}")
    c.ok("sweep", "approve", p["id"], "--credential-file", os.path.join(c.root, "cred-directrice"),
         user="directrice")
    c.argv = ["sweep", "run", p["id"]]
    c.extra["plan"] = p["id"]


def state_sweep(c, d):
    return {"plan": json_or_rc(c, d, "sweep", "show", c.extra["plan"]),
            "plans": json_or_rc(c, d, "sweep", "list")}


DPO_CRED = "phrase personnelle du DPO"


def setup_request_fulfil(c):
    c.base()
    c.add_user("dpo", "dpo", credential=DPO_CRED)
    c.ok("ingest", *(os.path.join(BUNDLES, b) for b in ("leroy", "petit", "moreau")))
    r = c.js("request", "open", "--type", "access", "--subject", "p1", "--case", c.case_id("ASE-31-2016-00042"),
             "--received", "2026-11-02", user="dpo")
    c.ok("request", "verify-identity", r["id"], "--method", "pièce d'identité présentée au guichet", user="dpo")
    c.ok("request", "decide", r["id"], "--grant", "--ground", "RGPD art. 15", "--credential-file",
         os.path.join(c.root, "cred-dpo"), user="dpo")
    out = os.path.join(c.root, "acces.zip")
    c.argv = ["request", "fulfil", r["id"], "--credential-file", os.path.join(c.root, "cred-dpo"), "--out", out]
    c.user = "dpo"
    c.outputs = [out]
    c.extra["request"] = r["id"]


def state_request(c, d):
    return {"list": json_or_rc(c, d, "request", "list", user="dpo"),
            "show": json_or_rc(c, d, "request", "show", c.extra["request"], user="dpo")}


ORIGINS_CRED = {"u1": "phrase secrète de la correspondante un", "u2": "phrase secrète du correspondant deux",
                "u3": "phrase secrète de la correspondante trois"}


def setup_origins_release(c):
    c.base()
    for u, cred in ORIGINS_CRED.items():
        c.add_user(u, "cnaop", credential=cred)
    admin = c.cred("archiviste", "phrase de l'administratrice")
    c.ok("user", "passwd", "archiviste", "--credential-file", admin)
    c.ok("origins", "setup", "--threshold", "2", "--credential-file", admin, "--holder", "u1", "--holder", "u2",
         "--holder", "u3")
    b = os.path.join(c.root, "sb")
    os.makedirs(os.path.join(b, "docs"))
    os.makedirs(os.path.join(b, "sealed"))
    m = {"bundle_version": 1,
         "case": {"ref": "ASE-29-2001-00007", "category": "secret_birth", "opened": "2001-02-01", "closed": None,
                  "territory": "29"},
         "persons": [{"id": "p1", "role": "child", "last": "X", "first": ["Léa"], "born": "2001-02-01", "sex": "F"}],
         "measures": [],
         "documents": [{"path": "docs/informations.txt", "title": "Informations non identifiantes",
                        "date": "2001-02-02", "type": "report", "concerns": ["p1"]}],
         "sealed": {"path": "sealed/identite.txt"}}
    with open(os.path.join(b, "case.json"), "w", encoding="utf-8") as f:
        json.dump(m, f, ensure_ascii=False)
    with open(os.path.join(b, "docs", "informations.txt"), "w") as f:
        f.write("Informations non identifiantes : mère âgée de 24 ans.\n")
    with open(os.path.join(b, "sealed", "identite.txt"), "w") as f:
        f.write("PLI FERMÉ — identité de la mère de naissance (test d'injection de fautes)\n")
    c.ok("ingest", b, os.path.join(BUNDLES, "petit"))
    cid = c.case_id("ASE-29-2001-00007")
    c.ok("origins", "record", cid, "--parent-consent", "--date", "2022-09-01", "--source", "courrier de la mère",
         user="u1")
    c.ok("origins", "approve", cid, "--credential-file", os.path.join(c.root, "cred-u1"), user="u1")
    c.ok("origins", "approve", cid, "--credential-file", os.path.join(c.root, "cred-u2"), user="u2")
    key, crt = os.path.join(c.root, "cnaop.key"), os.path.join(c.root, "cnaop.crt")
    p = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", key, "-out", crt, "-subj", "/CN=CNAOP (test)", "-days", "30"], capture_output=True)
    if p.returncode:
        raise Fail(f"setup: openssl req failed: {p.stderr.decode()[:300]}")
    out = os.path.join(c.root, "cnaop.p7m")
    c.argv = ["origins", "release", cid, "--to-cnaop", "--recipient-cert", crt, "--out", out,
              "--credential-file", os.path.join(c.root, "cred-u1"), "--credential-file", os.path.join(c.root, "cred-u2")]
    c.user = "u1"
    c.outputs = [out]
    c.extra["case"] = cid


def state_origins(c, d):
    return {"status": json_or_rc(c, d, "origins", "status", c.extra["case"], user="u1")}


def setup_mirror_push(c):
    c.base()
    c.ok("ingest", os.path.join(BUNDLES, "petit"), os.path.join(BUNDLES, "moreau"))
    mirror = os.path.join(c.root, "mirror.git")
    c.ok("mirror", "add", "backup", mirror)
    c.ok("mirror", "push", "backup")        # an older state already there
    c.ok("ingest", os.path.join(BUNDLES, "leroy"))
    c.argv = ["mirror", "push", "backup"]
    c.extra["mirror"] = mirror
    c.extra["mirror_pristine"] = mirror + ".pristine"
    shutil.copytree(mirror, c.extra["mirror_pristine"], symlinks=True)


def reset_mirror(c):
    shutil.rmtree(c.extra["mirror"], ignore_errors=True)
    shutil.copytree(c.extra["mirror_pristine"], c.extra["mirror"], symlinks=True)


def state_mirror(c, d):
    """The archive's side of a push (its record: the journal, `mirror list`)
    is compared as BEFORE or AFTER with the rest of the archive. The mirror
    is another store and is judged on its own (the issue: "a push killed at
    any moment leaves the mirror at its previous or its new state"): its one
    ref is the pristine value or a whole new push, a mirror commit whose
    parent is the archive's head; `git fsck --strict` passes. A push whose
    ref moved but whose record failed leaves the archive BEFORE and the
    mirror new: the next push records a newer one."""
    m = c.extra["mirror"]
    refs = dict(l.split(" ")[::-1] for l in subprocess.run(
        ["git", "--git-dir", m, "for-each-ref", "--format=%(objectname) %(refname)"],
        capture_output=True, text=True).stdout.split("\n") if l)
    pristine = dict(l.split(" ")[::-1] for l in subprocess.run(
        ["git", "--git-dir", c.extra["mirror_pristine"], "for-each-ref", "--format=%(objectname) %(refname)"],
        capture_output=True, text=True).stdout.split("\n") if l)
    head = git(d, "rev-parse", "refs/heads/main").stdout.strip()
    mref = refs.get("refs/casevault/mirror")
    parent = subprocess.run(["git", "--git-dir", m, "rev-parse", f"{mref}^1"], capture_output=True,
                            text=True).stdout.strip() if mref else ""
    whole = refs == pristine or (set(refs) == {"refs/casevault/mirror"} and parent == head)
    fsck = subprocess.run(["git", "--git-dir", m, "fsck", "--strict", "--no-dangling"], capture_output=True, text=True)
    return {"mirror_previous_or_whole_push": whole, "fsck": fsck.returncode,
            "list": json_or_rc(c, d, "mirror", "list")}


def normalise_mirror(flat):
    """core/mirror/push.c: "the snapshot's number is spent even if the push
    fails, so numbers are never reused" -- by design a failed push moves the
    counter: the numbers are not compared. Nor is how many snapshots the
    mirror holds: a push whose ref moved before its record failed left one
    more there (the next push keeps it). Everything else is."""
    out = {}
    for k, v in flat.items():
        if re.search(r"/extra/list\[\d+\]/(snapshot|snapshots)$", k):
            continue
        if isinstance(v, str):
            v = re.sub(r"snapshot:\d+", "snapshot:#", v)
            v = re.sub(r"snapshots:\d+ oldest:\d+", "snapshots:# oldest:#", v)
        out[k] = v
    return out


# name: (setup, extra state, expected exit codes of a re-run on an AFTER archive,
#        before each run (reset what lives outside the archive), needs)
COMMANDS = {
    "ingest": dict(setup=setup_ingest, state=None, rerun_after={0}),
    # a run is resumable (batches of cases, then the certificate): between them
    # each case is BEFORE or AFTER and the run again finishes it
    "sweep-run": dict(setup=setup_sweep_run, state=state_sweep, rerun_after={1}, resumable=True),
    "request-fulfil": dict(setup=setup_request_fulfil, state=state_request, rerun_after={1}),
    "origins-release": dict(setup=setup_origins_release, state=state_origins, rerun_after={1, 4}),
    "mirror-push": dict(setup=setup_mirror_push, state=state_mirror, rerun_after={0}, reset=reset_mirror,
                        normalise=normalise_mirror, needs="mirror", stores=["mirror"]),
}


# ------------------------------------------------------------------- state

def json_or_rc(c, d, *a, user=None):
    r = c.cv("--json", *a, archive=d, user=user or c.reader)
    if r.returncode:
        return {"rc": r.returncode, "err": r.stderr.decode("utf-8", "replace").strip()}
    try:
        return json.loads(r.stdout)
    except ValueError:
        return {"rc": 0, "unparsable": hashlib.sha256(r.stdout).hexdigest()}


def cell(v):
    if isinstance(v, bytes):
        return "b:" + hashlib.sha256(v).hexdigest()[:24]
    return v


def catalog_rows(d):
    db = sqlite3.connect(f"file:{os.path.join(d, 'catalog.db')}?mode=ro", uri=True)
    try:
        out = {}
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        for t in tables:
            try:
                rows = db.execute(f'SELECT * FROM "{t}" ORDER BY rowid').fetchall()
            except sqlite3.OperationalError:   # WITHOUT ROWID
                rows = sorted(db.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr)
            out[t] = [[cell(v) for v in r] for r in rows]
        head = db.execute("SELECT v FROM meta WHERE k='head'").fetchone()
        return out, head[0] if head else None
    finally:
        db.close()


def git(d, *a):
    return subprocess.run(["git", "--git-dir", os.path.join(d, "git"), *a], capture_output=True, text=True)


def files_of(d):
    """The archive's file names with hex runs masked (pack names are content hashes)."""
    names = set()
    for root, _, files in os.walk(d):
        for f in files:
            rel = os.path.relpath(os.path.join(root, f), d)
            names.add(re.sub(r"[0-9a-f]{16,}", "<hex>", rel))
    return names


def stores_digest(c):
    """Every file of the archive, and of the other stores the command writes
    (a mirror), with a digest of its bytes."""
    out = {}
    for i, base in enumerate([c.dir] + [c.extra[k] for k in COMMANDS[c.name].get("stores", [])]):
        for root, _, files in os.walk(base):
            for f in files:
                p = os.path.join(root, f)
                with open(p, "rb") as fh:
                    out[(i, os.path.relpath(p, base))] = hashlib.blake2b(fh.read(), digest_size=16).digest()
    return out


def state(c, d):
    """The state of archive d, checked and flattened. Works on a copy (reads
    are journaled, and verify may finish a commit the branch missed)."""
    shutil.rmtree(c.snap, ignore_errors=True)
    shutil.copytree(d, c.snap, symlinks=True)
    s = c.snap
    checks = []
    for a in (["verify"], ["journal", "verify"]):
        r = c.cv(*a, archive=s)
        if r.returncode:
            checks.append(f"{' '.join(a)} exits {r.returncode}: {r.stderr.decode()[:400]}")
    g = git(s, "fsck", "--strict")
    if g.returncode:
        checks.append(f"git fsck --strict exits {g.returncode}: {g.stderr[:400]}")
    rows, head = catalog_rows(s)
    main = git(s, "rev-parse", "refs/heads/main").stdout.strip()
    if head != main:
        checks.append(f"catalog head {head} is not refs/heads/main {main}")
    st = {}
    journal = rows.pop("journal", [])
    # the journal as actor/action/object/outcome; the entries of the checks above are the last ones
    # entries journaling a failure ("failed") may be added by a failed attempt;
    # every other entry (ok, denied, refused) is compared
    st["journal"] = [r[2:6] for r in journal if r[5] != "failed"]
    st["catalog"] = rows
    cases = json_or_rc(c, s, "case", "list")
    ids = {}
    if isinstance(cases, list):
        for x in cases:
            ids[x["id"]] = x["ref"]
    st["refs"] = sorted(git(s, "for-each-ref", "--format=%(refname)").stdout.split())
    log = git(s, "log", "--format=%B%x00", "refs/heads/main").stdout.split("\0")
    st["log"] = [re.sub(r"[0-9a-f]{16,}", "<hex>", m.strip()) for m in log if m.strip()]
    tree = git(s, "ls-tree", "-r", "--name-only", "refs/heads/main").stdout.split()
    names = []
    for p in tree:
        m = re.match(r"cases/[0-9a-f]{2}/[0-9a-f]{2}/([0-9a-f]+)/(.*)", p)
        names.append(f"{ids.get(m.group(1), '?' + m.group(1))}/{m.group(2)}" if m else p)
    st["tree"] = sorted(names)
    st["cases"] = {}
    for cid, ref in sorted(ids.items(), key=lambda x: x[1]):
        e = {"show": json_or_rc(c, s, "case", "show", cid), "docs": json_or_rc(c, s, "doc", "list", cid)}
        if isinstance(e["docs"], list):
            e["cat"] = {}
            for doc in e["docs"]:
                r = c.cv("doc", "cat", cid, doc["id"], archive=s)
                e["cat"][doc["id"]] = hashlib.sha256(r.stdout).hexdigest() if r.returncode == 0 else f"rc={r.returncode}"
        st["cases"][ref] = e
    st["case_list"] = {x["ref"]: x for x in cases} if isinstance(cases, list) else cases
    st["users"] = json_or_rc(c, s, "user", "list")
    extra = COMMANDS[c.name]["state"]
    if extra:
        st["extra"] = extra(c, s)
    flat = {}
    flatten(normalise(st, ids), "", flat)
    hook = COMMANDS[c.name].get("normalise")
    if hook:
        flat = hook(flat)
    return flat, checks


def normalise(x, ids):
    if isinstance(x, dict):
        return {k: normalise(v, ids) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [normalise(v, ids) for v in x]
    if isinstance(x, str):
        x = TIME_RE.sub("<time>", x)
        x = x.replace(TODAY, "<today>")
        return x
    return x


def flatten(x, p, out):
    if isinstance(x, dict):
        if not x:
            out[p] = "{}"
        for k, v in x.items():
            flatten(v, f"{p}/{k}", out)
    elif isinstance(x, list):
        out[p + "#"] = len(x)
        for i, v in enumerate(x):
            flatten(v, f"{p}[{i}]", out)
    else:
        out[p] = x


def kind(v):
    return (type(v).__name__, v is None)


class Ref:
    """A reference state from two independent runs: what differs between
    them is random and compared by kind only."""

    def __init__(self, a, b):
        self.flat = a
        self.mask = {k for k in set(a) | set(b) if a.get(k) != b.get(k)}
        absent = [k for k in self.mask if k not in a or k not in b]
        if any(k.endswith("#") for k in self.mask) or absent:
            raise Fail(f"the state is not deterministic: {sorted(self.mask)[:8]}")

    def diff(self, other, limit=6):
        out = []
        for k in sorted(set(self.flat) | set(other)):
            if k not in other or k not in self.flat:
                out.append(f"{k}: {'missing' if k not in other else 'extra'}")
            elif k in self.mask:
                if kind(self.flat[k]) != kind(other[k]):
                    out.append(f"{k}: kind {kind(other[k])} != {kind(self.flat[k])}")
            elif self.flat[k] != other[k]:
                out.append(f"{k}: {str(other[k])[:120]!r} != {str(self.flat[k])[:120]!r}")
            if len(out) >= limit:
                break
        return out


# --bounded: how many N to try per (op, mode); None = every point
BOUNDED_SAMPLE = {("write", "transient"): 4, ("write", "persistent"): 2,
                  ("fsync", "transient"): 6, ("fsync", "persistent"): 2,
                  ("rename", "transient"): 5, ("rename", "persistent"): 2,
                  ("malloc", "transient"): 6, ("malloc", "persistent"): 2}

TODAY = time.strftime("%Y-%m-%d", time.gmtime())


# ------------------------------------------------------------------ driver

def reset(c):
    shutil.rmtree(c.dir, ignore_errors=True)
    shutil.copytree(c.pristine, c.dir, symlinks=True)
    for o in c.outputs:
        if os.path.exists(o):
            os.unlink(o)
    r = COMMANDS[c.name].get("reset")
    if r:
        r(c)


def run_cmd(c, fault=None):
    # the shim is always there: it stops the wall clock at c.t0, so that
    # every run of the command writes the same bytes (times are in copies)
    env = {"LD_PRELOAD": c.args.shim, "CVFAULT_TIME": str(c.t0)}
    rep = os.path.join(c.root, "report")
    if fault:
        op, n, mode = fault
        env.update({"CVFAULT_OP": op, "CVFAULT_N": str(n), "CVFAULT_MODE": mode,
               "CVFAULT_REPORT": rep})
        if os.environ.get("CVFAULT_BACKTRACE"):  # debugging: where the fault lands (fails the message check)
            env["CVFAULT_BACKTRACE"] = os.environ["CVFAULT_BACKTRACE"]
        if os.path.exists(rep):
            os.unlink(rep)
    t = time.time()
    r = c.cv(*c.argv, user=c.user, env=env, timeout=120)
    dt = time.time() - t
    calls = injected = None
    r.first_fault_in = None
    if fault:
        try:
            txt = open(rep).read()
            calls = int(re.search(r"calls=(\d+)", txt).group(1))
            injected = int(re.search(r"injected=(\d+)", txt).group(1))
            m = re.search(r"first_fault_in=(\S+)", txt)
            r.first_fault_in = m.group(1) if m else None
        except (OSError, AttributeError):
            pass
    return r, calls, injected, dt


def known_crash(r, op, mode, injected):
    """A crash of a dependency we know (KNOWN_CRASHES)."""
    if r.returncode >= 0:
        return None
    chain = (r.first_fault_in or "").split("<")
    for k in KNOWN_CRASHES:
        if k["op"] != op or (k["mode"] and k["mode"] != mode) or -r.returncode != k["sig"]:
            continue
        libs = chain[:1] if k.get("innermost") else chain
        if any(x.startswith(k["lib"]) for x in libs) and (injected or 0) >= k["min_injected"]:
            return k["why"]
    return None


def known_exit(r, op):
    """A dependency that exited the process on its own (KNOWN_EXITS)."""
    err = r.stderr.decode("utf-8", "replace")
    for k in KNOWN_EXITS:
        if k["op"] == op and r.returncode == k["rc"] and k["text"].search(err):
            return k["why"]
    return None


def clear_message(r):
    """None if the failure is reported well, else what is wrong."""
    if r.returncode < 0:
        return f"killed by signal {signal.Signals(-r.returncode).name}"
    err = r.stderr.decode("utf-8", "replace")
    lines = [l for l in err.splitlines() if l.strip()]
    if not lines:
        return "no message on stderr"
    # the library's message lost on the way (cv_error_name of 0, or of the bare code)
    for l in lines:
        if re.fullmatch(r"casevault: (\S+: )?(ok|error|unknown error)", l.strip()):
            return f"no explanation, only {l.strip()!r}"
    m = RAW_TEXT.search(err)
    if m:
        return f"raw text in the message ({m.group(0)!r}): {err.strip()[:300]}"
    if not all(l.startswith("casevault") for l in lines):
        return f"message lines not from casevault: {err.strip()[:300]}"
    return None


def prepare(c):
    spec = COMMANDS[c.name]
    spec["setup"](c)
    c.t0 = int(time.time()) + 2
    shutil.copytree(c.dir, c.pristine, symlinks=True)
    t = time.time()
    b1, ch = state(c, c.pristine)
    if ch:
        raise Fail(f"pristine archive fails its checks: {ch}")
    b2, _ = state(c, c.pristine)
    c.before = Ref(b1, b2)
    afters = []
    for i in range(2):
        reset(c)
        r, _, _, _ = run_cmd(c)
        if r.returncode:
            raise Fail(f"the command fails without faults: {r.stderr.decode()[:400]}")
        for o in c.outputs:
            if not os.path.exists(o):
                raise Fail(f"the command did not write {o}")
        a, ch = state(c, c.dir)
        if ch:
            raise Fail(f"the fault-free AFTER archive fails its checks: {ch}")
        afters.append(a)
        if i == 0:
            # AFTER, then the command again: what a re-run on a finished archive does
            r2, _, _, _ = run_cmd(c)
            if r2.returncode not in spec["rerun_after"]:
                raise Fail(f"a re-run on AFTER exits {r2.returncode} (expected {spec['rerun_after']}): "
                           f"{r2.stderr.decode()[:300]}")
            c.rerun_after = state(c, c.dir)[0]
    c.after = Ref(*afters)
    if not c.after.diff(c.before.flat, 1) and not c.before.diff(c.after.flat, 1):
        raise Fail("BEFORE and AFTER cannot be told apart")
    c.state_time = (time.time() - t) / 4
    # the stores as every trial starts from them, byte for byte
    reset(c)
    c.pristine_digest = stores_digest(c)


def classify(c, flat):
    if not c.before.diff(flat, 1):
        return "before"
    if not c.after.diff(flat, 1):
        return "after"
    if COMMANDS[c.name].get("resumable") and resumable_state(c, flat):
        return "resumable"
    return None


def sub(ref, prefix):
    """The part of a reference under prefix (a case's subtree)."""
    r = Ref.__new__(Ref)
    r.flat = {k: v for k, v in ref.flat.items() if k.startswith(prefix)}
    r.mask = {k for k in ref.mask if k.startswith(prefix)}
    return r


def resumable_state(c, flat):
    """Every case whole: as BEFORE or as AFTER (the state between two
    batches of a resumable command); the rest is checked by the re-run."""
    refs = {k.split("/")[2] for k in c.before.flat if k.startswith("/cases/")}
    for ref in refs:
        for pre in (f"/cases/{ref}/", f"/case_list/{ref}/"):
            part = {k: v for k, v in flat.items() if k.startswith(pre)}
            if sub(c.before, pre).diff(part, 1) and sub(c.after, pre).diff(part, 1):
                return False
    return True


def trial(c, op, n, mode, res):
    reset(c)
    r, calls, injected, dt = run_cmd(c, (op, n, mode))
    tag = f"{c.name} {op} N={n} {mode}"
    if os.environ.get("CVFAULT_BACKTRACE"):
        print(r.stderr.decode(), flush=True)
    known = known_crash(r, op, mode, injected) or known_exit(r, op)
    if known:
        res.known.setdefault(known, []).append(tag)
    elif r.returncode < 0:
        res.fail(tag, f"killed by signal {signal.Signals(-r.returncode).name} ({injected} failed calls, the "
                      f"first from {r.first_fault_in}): {r.stderr.decode()[-300:]}")
    if calls is None:
        res.fail(tag, f"no report from the shim (rc={r.returncode}): {r.stderr.decode()[-300:]}")
        return None
    if not injected:
        if r.returncode:
            res.fail(tag, f"fails without a fault: {r.stderr.decode()[:300]}")
        return calls
    if r.returncode > 1 and not known:
        # 2 usage, 3 damage found, 4 wrong key or not allowed: none is what a failed write or allocation is
        res.fail(tag, f"exit {r.returncode} (a fault is a failure, 1): {r.stderr.decode().strip()[:300]}")
    if r.returncode > 0 and not known:
        bad = clear_message(r)
        if bad:
            res.fail(tag, bad)
        elif op == "malloc" and mode == "transient" and not MEMORY_WORDS.search(r.stderr.decode()):
            # one allocation failed and nothing else: the message must say so,
            # not name a symptom (damage, a wrong key, an unreadable plan)
            res.misnamed.append(f"{tag}: {r.stderr.decode().strip()[:200]}")
            if not c.args.oom_lenient:
                res.fail(tag, f"an allocation failure reported as something else: {r.stderr.decode().strip()[:200]}")
        elif c.args.verbose:
            print(f"    {tag}: exit {r.returncode}: {r.stderr.decode().strip()}", flush=True)
    if r.returncode > 0 and not c.args.no_shortcut and stores_digest(c) == c.pristine_digest:
        # Failed, and every store byte for byte as the trial began: this is the
        # BEFORE archive prepare() checked (verify, journal verify, fsck, the
        # logical state), and the fault-free re-run from it is the run
        # prepare() made twice. What lives outside the stores still counts.
        for o in c.outputs:
            if os.path.exists(o):
                res.fail(tag, f"failed but left {os.path.basename(o)} behind")
        key = (c.name, op, "before (same bytes)", "exit!=0")
        res.seen[key] = res.seen.get(key, 0) + 1
        return calls
    flat, checks = state(c, c.dir)
    for ch in checks:
        res.fail(tag, ch)
    where = classify(c, flat)
    if where is None:
        res.fail(tag, "archive is neither BEFORE nor AFTER: vs BEFORE " + "; ".join(c.before.diff(flat, 3))
                 + " | vs AFTER " + "; ".join(c.after.diff(flat, 3)))
    if r.returncode == 0 and where == "before":
        res.fail(tag, "exit 0 but nothing was done")
    for o in c.outputs:
        if r.returncode and os.path.exists(o) and where != "after":
            res.fail(tag, f"failed but left {os.path.basename(o)} behind")
        if r.returncode == 0 and not os.path.exists(o):
            res.fail(tag, f"exit 0 without writing {os.path.basename(o)}")
    stray = files_of(c.dir) - c.files_ok
    if known or (op == "malloc" and mode == "persistent"):
        # a process that died (a known libgit2 crash), or one that can no
        # longer allocate anything (not even the directory stream to remove
        # a tree), cleans nothing up, as after a SIGKILL: the next push
        # removes its scratch repository
        stray = {f for f in stray if not f.startswith("mirror-stage/")}
    if known:
        # and a process that died in libgit2 while it held a ref's lock
        # leaves the lock file, as a SIGKILL would (the re-run below shows
        # the next command clearing it)
        stray = {f for f in stray if not (f.startswith("git/") and f.endswith(".lock"))}
    if stray:
        res.fail(tag, f"files left in the archive: {sorted(stray)[:5]}")
    res.seen[(c.name, op, where or "neither", "exit0" if r.returncode == 0 else "exit!=0")] = \
        res.seen.get((c.name, op, where or "neither", "exit0" if r.returncode == 0 else "exit!=0"), 0) + 1
    if r.returncode == 0:
        return calls
    # the same command again, without faults
    for o in c.outputs:
        if os.path.exists(o):
            os.unlink(o)
    r2, _, _, _ = run_cmd(c)
    want = {0} if where != "after" else COMMANDS[c.name]["rerun_after"]
    if r2.returncode not in want:
        res.fail(tag, f"re-run after the fault (state {where}) exits {r2.returncode}, expected {sorted(want)}: "
                      f"{r2.stderr.decode()[:300]}")
    else:
        flat2, checks2 = state(c, c.dir)
        for ch in checks2:
            res.fail(tag, "after re-run: " + ch)
        if where != "after":
            d = c.after.diff(flat2)
            if d:
                res.fail(tag, "after re-run the archive is not AFTER: " + "; ".join(d))
        else:
            d = rerun_diff(c, flat2)
            if d:
                res.fail(tag, "re-run on AFTER changed the archive unlike a re-run on a fault-free AFTER: "
                         + "; ".join(d))
    return calls


def rerun_diff(c, flat2):
    """A re-run on an AFTER archive must do what it does on a fault-free one."""
    mask = c.after.mask
    out = []
    ref = c.rerun_after
    for k in sorted(set(ref) | set(flat2)):
        if k not in ref or k not in flat2:
            out.append(f"{k}: {'missing' if k not in flat2 else 'extra'}")
        elif k in mask or re.sub(r"\[\d+\]", "[]", k) in mask:
            continue
        elif ref[k] != flat2[k] and not k.startswith("/journal["):
            out.append(f"{k}: {str(flat2[k])[:100]!r} != {str(ref[k])[:100]!r}")
        if len(out) > 5:
            break
    return out


class Results:
    def __init__(self):
        self.failures = []
        self.rows = []
        self.seen = {}
        self.known = {}
        self.misnamed = []

    def fail(self, tag, msg):
        self.failures.append(f"{tag}: {msg}")
        print(f"  FAIL {tag}: {msg}", flush=True)


def points_of(c, op):
    """How many calls of kind op a fault-free run makes: its injection points."""
    reset(c)
    r, calls, injected, _ = run_cmd(c, (op, 0, "transient"))
    if r.returncode or calls is None:
        raise Fail(f"counting {op} calls: the command failed ({r.returncode}): {r.stderr.decode()[:300]}")
    return calls


def schedule(points, stride=1, sample=None, max_n=0, min_n=1):
    """The N to try: every one, every stride-th, or `sample` spread evenly;
    always the first and the last point, and points+1 (no fault met)."""
    if sample and sample < points:
        ns = {1 + (points - 1) * k // max(1, sample - 1) for k in range(sample)}
    else:
        ns = set(range(1, points + 1, stride))
    if points:
        ns |= {1, points}
    ns.add(points + 1)
    ns = sorted(n for n in ns if n >= 1)
    if max_n:
        ns = [n for n in ns if n <= max_n]
    ns = [n for n in ns if n >= min_n]
    return ns


def countdown(c, op, mode, res, points, stride, max_n, sample=None):
    tried = 0
    t0 = last = time.time()
    ns = schedule(points, stride, sample, max_n, c.args.min_n)
    for n in ns:
        trial(c, op, n, mode, res)
        tried += 1
        if c.args.progress and time.time() - last >= c.args.progress:
            # a long countdown says how far it is: every N below was tried
            last = time.time()
            print(f"    {c.name} {op} {mode}: N={n} done, {tried}/{len(ns)} tried, {len(res.failures)} failures, "
                  f"{last - t0:.0f} s", flush=True)
    return tried


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.environ.get("CV_BIN"))
    ap.add_argument("--shim", required=False)
    ap.add_argument("--ops", default="write,fsync,rename,malloc")
    ap.add_argument("--commands", default=None)
    ap.add_argument("--modes", default="transient,persistent")
    ap.add_argument("--stride", type=int, default=1)
    ap.add_argument("--malloc-stride", type=int, default=25)
    ap.add_argument("--max-n", type=int, default=0)
    ap.add_argument("--min-n", type=int, default=1, help="start the countdown at this N (to resume a long run)")
    ap.add_argument("--progress", type=float, default=0, help="say how far a countdown is every this many seconds")
    ap.add_argument("--n", help="only these N (comma-separated): to reproduce one failure")
    ap.add_argument("--bounded", action="store_true", help="the CI run: strides and samples, < 4 min")
    ap.add_argument("--oom-lenient", action="store_true",
                    help="list, not fail, a command whose message does not say memory ran out after one failed "
                         "allocation")
    ap.add_argument("--keep")
    ap.add_argument("--no-shortcut", action="store_true",
                    help="check the state of every trial in full, even when a failed command left every store "
                         "byte for byte as it was")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if not args.bin or not os.path.exists(args.bin):
        print(f"fault test: no casevault binary ({args.bin})")
        return 77
    if not args.shim or not os.path.exists(args.shim):
        print(f"fault test: no shim ({args.shim}); build the cvfault target")
        return 77
    if subprocess.run(["ldd", args.bin], capture_output=True, text=True).stdout.find("libasan") >= 0:
        print("fault test: skipped for a sanitizer build")
        return 77
    names = args.commands.split(",") if args.commands else [k for k in COMMANDS]
    # tmpfs when there is one: every trial copies archives and runs a dozen
    # commands whose fsyncs cost real disk time elsewhere (the shim counts
    # and fails the calls, whatever the file system does with them)
    shm = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    root = args.keep or tempfile.mkdtemp(prefix="cv-fault-", dir=shm)
    if args.keep:
        shutil.rmtree(root, ignore_errors=True)
        os.makedirs(root)
    res = Results()
    t0 = time.time()
    for name in names:
        spec = COMMANDS[name]
        c = Ctx(args, name, root)
        if spec.get("needs"):
            probe = subprocess.run([args.bin, spec["needs"], "--help"], capture_output=True)
            if probe.returncode not in (0,) or b"push" not in probe.stdout + probe.stderr:
                print(f"{name}: skipped (this casevault has no `{spec['needs']}` command)", flush=True)
                continue
        tc = time.time()
        try:
            prepare(c)
        except Fail as e:
            res.fail(name, str(e))
            continue
        c.points = {}
        c.files_ok = files_of(c.pristine) | files_of(c.dir) | {"catalog.db-wal", "catalog.db-shm"}
        print(f"{name}: {' '.join(c.argv[:2])} (state check {c.state_time:.2f} s)", flush=True)
        for op in args.ops.split(","):
            for mode in args.modes.split(","):
                stride, max_n, sample = args.stride, args.max_n, None
                if op == "malloc":
                    stride = args.malloc_stride
                if args.bounded:
                    # CI: every fsync and rename point once (transient), the
                    # rest sampled evenly (first and last point always)
                    sample = BOUNDED_SAMPLE.get((op, mode))
                tm = time.time()
                before = len(res.failures)
                if op not in c.points:
                    c.points[op] = points_of(c, op)
                points = c.points[op]
                if args.n:
                    for n in map(int, args.n.split(",")):
                        trial(c, op, n, mode, res)
                    tried = len(args.n.split(","))
                else:
                    tried = countdown(c, op, mode, res, points, stride, max_n, sample)
                line = (f"  {name:16} {op:7} {mode:10} points {points:6}  "
                        f"tried {tried:4}  failures {len(res.failures) - before:3}  {time.time() - tm:6.1f} s")
                print(line, flush=True)
                res.rows.append(line)
        print(f"{name}: {time.time() - tc:.0f} s", flush=True)
    print(f"\nfault injection: {len(names)} commands, {len(res.failures)} failures, {time.time() - t0:.0f} s")
    outcomes = {}
    for (name, op, where, ex), k in sorted(res.seen.items()):
        outcomes.setdefault(name, []).append(f"{op}:{where}/{ex}={k}")
    for name, v in outcomes.items():
        print(f"  {name}: {' '.join(v)}")
    for why, tags in res.known.items():
        print(f"  known, not casevault's ({len(tags)}, e.g. {tags[0]}): {why}")
    if res.misnamed:
        print(f"  allocation failures reported as something else: {len(res.misnamed)}")
        for m in res.misnamed:
            print("    ", m)
    for f in res.failures:
        print("  FAIL", f)
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if res.failures else 0


if __name__ == "__main__":
    sys.exit(main())
