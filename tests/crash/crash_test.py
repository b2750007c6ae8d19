#!/usr/bin/env python3
"""Crash test: kill write commands with SIGKILL at random moments and check
that the archive always opens, `verify`, `journal verify` and
`git fsck --strict` pass, and every acknowledged operation is whole.

  crash_test.py --bin PATH/TO/casevault [--kills 50] [--seed 1] [--keep DIR]
                [--check-every 5] [--mix ingest=40,sweep=20,fulfil=20,mirror=5,other=5]

The kills are spread over the kinds of the mix (data-driven: one `Kind`
class per kind, registered in KINDS; a kind the binary lacks is left out and
said so):

  ingest  `ingest BUNDLE` of three cases, 64 KiB to 30 MiB (packs written in
          the background; 9 MiB at most when the mirror is in the mix);
  sweep   `sweep run PLAN`: the script keeps closing cases in the past
          (bundles closed in 2015 under the shipped policy or
          policies/examples/mixed-destroy.yaml), plans, has a director other
          than the planner approve with her credential file, then runs;
  fulfil  `request fulfil ID`: the script opens a rights request (access,
          erasure, rectification of a document or of a field) on a case of
          its own, checks the identity, has the DPO decide with his
          credential, then fulfils;
  mirror  `mirror push NAME` to a bare git repository (only when the binary
          has `casevault mirror`);
  other   user add, hold/release, doc cat, key case.

An operation is acknowledged when the command exited 0 before the kill.
Checked after every kill (the archive opens) and every --check-every kills
and at the end (the rest):
  - `verify`, `journal verify`, `git fsck --strict`;
  - every acknowledged ingest is readable exactly as ingested (some revision
    of the document holds its bytes);
  - every acknowledged sweep run: plan done, each of its cases destroyed or
    anonymised as planned (no person left, no document or revision holding
    the case's text, the shredded key gone), its certificate written by
    `sweep certificate` and naming the shredded keys;
  - every acknowledged fulfilment: request fulfilled and its effect there
    (the copy is a sound zip; erased case shredded with a certificate; the
    rectified document or field changed, the original kept);
  - an operation killed midway is absent or whole: a killed sweep run leaves
    each case either untouched (its text readable) or shredded with its
    result recorded, and a re-run finishes the plan; a killed fulfilment
    leaves the request decided-and-not-fulfilled with nothing done, or
    fulfilled with everything done, and a re-run succeeds;
  - mirror: after a killed push the mirror's refs are their previous or
    their new values and `git fsck --strict` passes on it; the next push
    succeeds; at the end a last push, then `restore --from MIRROR --to NEW`,
    `verify` of NEW (same key) and its case list equals the source's.
Prints the kills per kind (and where they fell: before or after the
command's commit, partway through a sweep), the timing, the findings and
the damage found; exits 1 on any damage. Every command, its kill delay and
its outcome go to WORK/ops.log (kept with --keep, with the archive).
--seed fixes the sequence of random choices (kinds, bundles, delays); the
moment a kill lands still depends on the machine's speed, so a replay can
take another path: keep the archive (--keep) of the failing run.

A library defect found and not fixed yet goes into KNOWN below: it is
printed as FINDING, its workaround applied, and the run stays green;
removing the entry makes it damage again."""
import argparse
import datetime
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile

SRC = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
POLICIES = [None, os.path.join(SRC, "policies", "examples", "mixed-destroy.yaml")]
DIR_CRED = {"dir1": "phrase de la directrice une", "dir2": "phrase du directeur deux"}
DPO_CRED = "phrase personnelle du DPO"
# Library defects this test found, reported and not fixed yet. Each one is
# printed as FINDING (the run stays green) and the operator's workaround is
# applied; delete the entry once the fix lands and the same situation
# becomes damage again.
KNOWN = {
    # (fixed: a fulfilment killed before its commit left a whole copy at
    # --out that the next attempt refused to overwrite; the copy is now
    # written as OUT.pending and named only after the commit -- reproduced
    # by tests/crash/pending_fulfil_copy.py, which now passes)
}
DEFAULT_MIX = "ingest=40,sweep=20,fulfil=20,mirror=5,other=5"


class Op:
    """One command to run (and maybe kill). `user` acts as that user."""

    def __init__(self, argv, user=None, rerun=False, cls=""):
        self.argv, self.user, self.rerun, self.cls = argv, user, rerun, cls


class Harness:
    def __init__(self, args):
        self.args = args
        self.rnd = random.Random(args.seed)          # the commands and their kill delays
        self.crnd = random.Random(args.seed + 10007)  # which cases the checks read in depth
        self.work = args.keep or tempfile.mkdtemp(prefix="cv-crash-")
        os.makedirs(self.work, exist_ok=True)
        self.arch = os.path.join(self.work, "archive")
        self.key = os.path.join(self.work, "key")
        self.env = dict(os.environ, CASEVAULT_ARCHIVE=self.arch, CASEVAULT_KEY_FILE=self.key,
                        CASEVAULT_USER="archiviste")
        self.env.pop("CASEVAULT_PASSPHRASE_FILE", None)
        self.damage = []
        self.notes = []
        self.findings = []
        self.kills = 0
        self.n = 0
        self.today = datetime.date.today()
        self.t_check = 0.0
        self.t_setup = 0.0
        self.log = open(os.path.join(self.work, "ops.log"), "w")

    # -- running the command ------------------------------------------------
    def cv(self, *a, user=None, timeout=600, env=None):
        e = dict(self.env)
        if user:
            e["CASEVAULT_USER"] = user
        if env:
            e.update(env)
        return subprocess.run([self.args.bin, *a], env=e, capture_output=True, timeout=timeout)

    def ok(self, *a, what=None, **kw):
        """A setup command, never killed: it must succeed."""
        t0 = time.monotonic()
        r = self.cv(*a, **kw)
        self.t_setup += time.monotonic() - t0
        if r.returncode != 0:
            raise SetupFailed(f"{what or ' '.join(a)} failed (rc {r.returncode}): {r.stderr.decode()[:500]}")
        return r

    def js(self, *a, **kw):
        return json.loads(self.ok("--json", *a, **kw).stdout)

    def hurt(self, msg):
        self.damage.append(f"[after kill {self.kills}, command #{self.n}, seed {self.args.seed}] {msg}")
        print(f"DAMAGE: {msg}", file=self.log, flush=True)

    def cred_file(self, name, text):
        p = os.path.join(self.work, f"cred-{name}")
        if not os.path.exists(p):
            with open(p, "w") as f:
                f.write(text + "\n")
        return p

    def cases(self):
        r = self.cv("--json", "case", "list")
        return {c["ref"]: c for c in json.loads(r.stdout)} if r.returncode == 0 else {}

    def git(self, gitdir, *a):
        return subprocess.run(["git", "--git-dir", gitdir, *a], capture_output=True)

    def refs(self, gitdir):
        r = self.git(gitdir, "for-each-ref", "--format=%(refname) %(objectname)")
        return dict(line.split(" ", 1) for line in r.stdout.decode().splitlines() if line)


class SetupFailed(Exception):
    pass


def write_bundle(d, ref, category="placement", opened="2015-01-01", closed=None, born="2008-04-01", docs=None,
                 judgment=False):
    """A bundle directory: one child, `docs` = {path: bytes}."""
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "docs"))
    entries = []
    for i, (path, data) in enumerate(docs.items()):
        with open(os.path.join(d, path), "wb") as f:
            f.write(data)
        e = {"path": path, "title": f"Document {i + 1}", "concerns": ["p1"]}
        if judgment and path.endswith("j.txt"):
            e.update(type="judgment", date="2014-01-01")
        entries.append(e)
    m = {"bundle_version": 1,
         "case": {"ref": ref, "category": category, "opened": opened, "closed": closed, "territory": "31"},
         "persons": [{"id": "p1", "role": "child", "last": "Test", "first": ["Crash"], "born": born}],
         "measures": [{"type": "placement", "basis": "judicial", "start": opened, "end": closed}],
         "documents": entries, "sealed": None}
    with open(os.path.join(d, "case.json"), "w") as f:
        json.dump(m, f)
    return d


# ---------------------------------------------------------------------------
# Kinds. Each one: available(h) (the binary has it), next_op(h) -> Op (after
# any setup, never killed), done(h, op, rc, err) when the command ended by
# itself, killed(h, op) after a SIGKILL (checks what must hold at once),
# check(h, final) for the periodic checks, finish(h) at the end.
# ---------------------------------------------------------------------------
class Kind:
    name = "?"
    est0 = 0.4         # first guess of a command's duration (s)

    def __init__(self):
        self.ests = {}
        self.kind_est = None    # over all classes: the guess for a class not seen yet

    def available(self, h):
        return True

    def est(self, cls):
        return self.ests.get(cls, self.kind_est or self.est0)

    def delay(self, h, op):
        # uniform over [0, 1.4 x the duration seen for commands of this
        # class]: about two in three commands are killed, anywhere along
        # their whole run
        return h.rnd.uniform(0, 1.4 * self.est(op.cls))

    def learn(self, op, dt, killed):
        e = self.est(op.cls)
        if killed:
            # it runs longer than that (or about as long): aim a little later
            self.ests[op.cls] = max(e, dt) * 1.25
        else:
            self.ests[op.cls] = 0.5 * e + 0.5 * dt
            self.kind_est = dt if self.kind_est is None else 0.7 * self.kind_est + 0.3 * dt

    def done(self, h, op, rc, err):
        pass

    def killed(self, h, op):
        pass

    def check(self, h, final):
        pass

    def finish(self, h):
        pass

    def summary(self):
        return ""


class Ingest(Kind):
    """ingest BUNDLE on three cases, a new random document each time. An
    acknowledged ingest is found once in its case's history (newest
    revision first) and its revision number kept; later checks see that
    revision is still listed, the final check reads it again. Contents are
    kept as SHA-256 digests."""
    name = "ingest"
    est0 = 0.15

    def __init__(self):
        super().__init__()
        self.refs = [f"ASE-CRASH-{i}" for i in range(3)]
        # 9 and 30 MiB span packs (flushed every 8 MiB, two in flight): a
        # kill can land while one is written in the background
        self.sizes = [64 << 10, 3 << 20, 9 << 20, 30 << 20]
        self.acknowledged = []     # [ref, sha256 of the content, revision found at or None]
        self.phase = {"before its commit": 0, "after its commit": 0}

    def next_op(self, h):
        ref = h.rnd.choice(self.refs)
        size = h.rnd.choice(self.sizes)
        content = f"{ref} revision {h.n}\n".encode() + h.rnd.randbytes(size)
        d = write_bundle(os.path.join(h.work, f"b-{ref}"), ref,
                         docs={"docs/a.bin": content, "docs/b.txt": f"note {h.n}\n".encode()})
        op = Op(["ingest", d], cls=size)
        op.ref, op.digest = ref, hashlib.sha256(content).hexdigest()
        op.version = h.cases().get(ref, {}).get("version", 0)
        return op

    def killed(self, h, op):
        v = h.cases().get(op.ref, {}).get("version", 0)
        self.phase["after its commit" if v > op.version else "before its commit"] += 1

    def done(self, h, op, rc, err):
        if rc == 0:
            self.acknowledged.append([op.ref, op.digest, None])
        else:
            h.hurt(f"ingest {op.ref} (not killed) failed rc {rc}: {err[:300]}")

    def check(self, h, final):
        cases = h.cases()
        docs = {}
        for ref in self.refs:
            if ref in cases:
                listed = json.loads(h.cv("--json", "doc", "list", cases[ref]["id"]).stdout or b"[]")
                docs[ref] = [d for d in listed if d["path"] == "docs/a.bin"]
        read = {}

        def rev_digest(ref, rev):
            if (ref, rev) not in read:
                out = h.cv("doc", "cat", cases[ref]["id"], docs[ref][0]["id"], "--rev", str(rev))
                if out.returncode != 0:
                    h.hurt(f"{ref} revision {rev} unreadable: {out.stderr.decode()[:300]}")
                read[ref, rev] = hashlib.sha256(out.stdout).hexdigest()
            return read[ref, rev]

        for i, ack in enumerate(self.acknowledged):
            ref, digest, rev = ack
            if ref not in cases:
                h.hurt(f"acknowledged case {ref} is missing")
                continue
            if not docs.get(ref):
                h.hurt(f"{ref}: docs/a.bin missing from doc list")
                continue
            n = docs[ref][0]["revisions"]
            if rev is None:
                ack[2] = next((r for r in range(n, 0, -1) if rev_digest(ref, r) == digest), None)
                if ack[2] is None:
                    h.hurt(f"acknowledged ingest #{i} of {ref} is not in its history ({n} revisions)")
            elif rev > n:
                h.hurt(f"acknowledged ingest #{i} of {ref} was revision {rev}; the document now has {n}")
            elif final and rev_digest(ref, rev) != digest:
                h.hurt(f"acknowledged ingest #{i} of {ref}: revision {rev} no longer holds its content")

    def summary(self):
        return (f"{len(self.acknowledged)} acknowledged ingests; killed "
                + ", ".join(f"{v} {k}" for k, v in self.phase.items()))


def bag_problem(path, must):
    """None if the zip at path is a whole BagIt copy holding `must`."""
    try:
        with zipfile.ZipFile(path) as z:
            if z.testzip():
                return f"bad CRC in {z.testzip()}"
            names = set(z.namelist())
            if must not in names:
                return f"{must} is not in it"
            root = must.split("/")[0]
            for line in z.read(f"{root}/manifest-sha256.txt").decode().splitlines():
                digest, name = line.split(None, 1)
                if hashlib.sha256(z.read(f"{root}/{name}")).hexdigest() != digest:
                    return f"{name} does not match the bag's manifest"
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as e:
        return f"missing or torn: {e}"
    return None


def marker(ref):
    return f"TEXTE-CONFIDENTIEL-{ref}".encode()


class Sweep(Kind):
    """sweep run PLAN, on plans the script keeps making: a batch of cases
    closed in 2015 is ingested, planned (the shipped policy or the
    mixed-destroy example, so both anonymise and destroy), approved by a
    director with her credential, then run. A killed run stays pending: the
    next sweep command is its re-run, which must finish it."""
    name = "sweep"
    est0 = 0.1

    def __init__(self):
        super().__init__()
        self.batch = 0
        self.pending = None        # plan dict being run (killed at least once)
        self.acknowledged = []     # plans whose run exited 0 (or finished by a killed run)
        self.unchecked = []        # acknowledged, not deep-checked yet
        self.reruns = 0
        self.reruns_ok = 0
        self.finished_by_killed = 0
        self.users_made = False
        self.phase = {"before any case": 0, "partway": 0, "after every case, plan not closed": 0, "after the end": 0}

    def users(self, h):
        if not self.users_made:
            for u, c in DIR_CRED.items():
                h.ok("user", "add", u, "--role", "director", "--credential-file", h.cred_file(u, c))
            self.users_made = True

    def new_plan(self, h):
        self.users(h)
        self.batch += 1
        # one plan in five passes SWEEP_BATCH (256 cases a transaction): a
        # kill can then fall between two committed batches
        n = h.rnd.randint(257, 400) if h.rnd.random() < 0.2 else h.rnd.randint(5, 30)
        dirs = []
        for i in range(n):
            ref = f"ASE-SWEEP-{self.batch:03d}-{i:02d}"
            cat = h.rnd.choice(["placement", "information_preoccupante", "prevention", "aide_educative"])
            text = marker(ref) + b" rapport sur Crash Test\n" + h.rnd.randbytes(h.rnd.choice([200, 4 << 10, 300 << 10]))
            dirs.append(write_bundle(os.path.join(h.work, "sweep-b", f"{i}"), ref, category=cat, opened="2010-01-01",
                                     closed="2015-03-31", born="1995-04-01", judgment=True,
                                     docs={"docs/a.txt": text,
                                           "docs/j.txt": b"TRIBUNAL POUR ENFANTS. Jugement concernant Crash TEST.\n"}))
        h.ok("ingest", *dirs)
        shutil.rmtree(os.path.join(h.work, "sweep-b"), ignore_errors=True)
        pol = h.rnd.choice(POLICIES)
        p = h.js("sweep", "plan", *(["--policy", pol] if pol else []))
        acting = [i for i in p["items"] if i["action"] != "keep"]
        if not acting or any(i["blocked"] for i in acting):
            raise SetupFailed(f"plan {p['id']} acts on nothing or is blocked: {[(i['ref'], i['blocked']) for i in acting]}")
        approver = h.rnd.choice(sorted(DIR_CRED))
        h.ok("sweep", "approve", p["id"], "--credential-file", h.cred_file(approver, DIR_CRED[approver]),
             user=approver)
        return {"id": p["id"], "items": {i["case"]: i for i in acting}, "kills": 0}

    def next_op(self, h):
        if self.pending:
            st = h.js("sweep", "show", self.pending["id"])
            if st["state"] == "done":       # the killed run had finished: whole
                self.finished_by_killed += 1
                self.ack(self.pending)
                self.pending = None
            else:
                left = sum(1 for i in st["items"] if i["action"] != "keep" and not i["result"])
                op = Op(["sweep", "run", self.pending["id"]], rerun=True, cls=left.bit_length())
                op.plan = self.pending
                return op
        plan = self.new_plan(h)
        op = Op(["sweep", "run", plan["id"]], cls=len(plan["items"]).bit_length())
        op.plan = plan
        return op

    def ack(self, plan):
        self.acknowledged.append(plan)
        self.unchecked.append(plan)

    def done(self, h, op, rc, err):
        if op.rerun:
            self.reruns += 1
        if rc == 0:
            if op.rerun:
                self.reruns_ok += 1
            self.pending = None
            self.ack(op.plan)
        else:
            h.hurt(f"sweep run {op.plan['id']} ({'re-run after ' + str(op.plan['kills']) + ' kill(s)' if op.rerun else 'first run'}, "
                   f"not killed) failed rc {rc}: {err[:400]}")
            self.pending = None

    def killed(self, h, op):
        op.plan["kills"] += 1
        self.pending = op.plan
        self.check_partial(h, op.plan)

    def case_shredded(self, h, item, cases_by_id, what):
        cid, ref = item["case"], item["ref"]
        c = cases_by_id.get(cid)
        want = "destroyed" if item["action"] == "destroy" else "anonymised" if item["action"] == "anonymise" else "archived"
        if not c:
            h.hurt(f"{what}: case {ref} is missing from the case list")
            return
        if c["state"] != want:
            h.hurt(f"{what}: case {ref} is {c['state']}, should be {want}")
            return
        if want == "archived":
            return
        shown = h.cv("--json", "case", "show", cid)
        if shown.returncode == 0:
            s = json.loads(shown.stdout)
            if s.get("persons"):
                h.hurt(f"{what}: shredded case {ref} still lists persons")
            for d in s.get("documents", []):
                for rev in range(1, d.get("revisions", 1) + 1):
                    out = h.cv("doc", "cat", cid, d["id"], "--rev", str(rev))
                    if marker(ref) in out.stdout:
                        h.hurt(f"{what}: shredded case {ref}: document {d['id']} rev {rev} still holds the case's text")
        for doc in ("d1", "d2"):
            out = h.cv("doc", "cat", cid, doc, "--rev", "1")
            if marker(ref) in out.stdout:
                h.hurt(f"{what}: shredded case {ref}: doc cat {doc} --rev 1 still gives the case's text")
        k = h.cv("--json", "key", "case", cid)
        if k.returncode == 0 and item.get("key_id") and json.loads(k.stdout).get("key_id") == item["key_id"]:
            h.hurt(f"{what}: shredded case {ref}: key case still gives the shredded key {item['key_id']}")

    def case_untouched(self, h, item, cases_by_id, what):
        cid, ref = item["case"], item["ref"]
        c = cases_by_id.get(cid)
        if not c or c["state"] != "archived":
            h.hurt(f"{what}: case {ref} has no result recorded but is {c and c['state']}")
            return
        out = h.cv("doc", "cat", cid, "d1")
        if out.returncode != 0 or marker(ref) not in out.stdout:
            h.hurt(f"{what}: case {ref} has no result recorded but its document is not readable: "
                   f"{out.stderr.decode()[:200]}")

    def check_partial(self, h, plan):
        """After a kill: each case done with its result recorded, or untouched."""
        show = h.cv("--json", "sweep", "show", plan["id"])
        if show.returncode != 0:
            h.hurt(f"sweep show {plan['id']} fails after a killed run: {show.stderr.decode()[:300]}")
            return
        p = json.loads(show.stdout)
        by_id = {c["id"]: c for c in h.cases().values()}
        items = {i["case"]: i for i in p["items"]}
        what = f"plan {plan['id']} killed in run"
        # the cheap part for every case, the reads for a sample
        sample = set(h.crnd.sample(sorted(plan["items"]), min(4, len(plan["items"]))))
        for cid, it in plan["items"].items():
            cur = items.get(cid, {})
            c = by_id.get(cid, {})
            if cur.get("result") == "done":
                want = {"destroy": "destroyed", "anonymise": "anonymised", "archive": "archived"}[it["action"]]
                if c.get("state") != want:
                    h.hurt(f"{what}: {it['ref']} recorded done but is {c.get('state')}")
                elif cid in sample:
                    self.case_shredded(h, dict(it, key_id=cur.get("key_id")), by_id, what)
            elif cur.get("result"):
                h.hurt(f"{what}: {it['ref']} result {cur.get('result')} (nothing blocks these cases)")
            else:
                if c.get("state") != "archived":
                    h.hurt(f"{what}: {it['ref']} has no result recorded but is {c.get('state')}")
                elif cid in sample:
                    self.case_untouched(h, it, by_id, what)
        ndone = sum(1 for c in plan["items"] if items.get(c, {}).get("result"))
        if p["state"] == "done" and ndone < len(plan["items"]):
            h.hurt(f"{what}: plan says done with cases left")
        self.phase["after the end" if p["state"] == "done" else "before any case" if not ndone
                   else "partway" if ndone < len(plan["items"]) else "after every case, plan not closed"] += 1

    def check_plan(self, h, plan, by_id, deep):
        what = f"acknowledged sweep run {plan['id']}"
        r = h.cv("--json", "sweep", "show", plan["id"])
        if r.returncode != 0:
            h.hurt(f"{what}: sweep show fails: {r.stderr.decode()[:300]}")
            return
        p = json.loads(r.stdout)
        if p["state"] != "done":
            h.hurt(f"{what}: plan state is {p['state']}, not done")
        items = {i["case"]: i for i in p["items"]}
        cert = os.path.join(h.work, "cert.json")
        c = h.cv("sweep", "certificate", plan["id"], "--out", cert)
        certified = {}
        if c.returncode != 0:
            h.hurt(f"{what}: no certificate: {c.stderr.decode()[:300]}")
        else:
            certified = {x["case"]: x for x in json.load(open(cert))["cases"]}
            os.unlink(cert)
        for cid, it in plan["items"].items():
            cur = items.get(cid, {})
            if cur.get("result") != "done":
                h.hurt(f"{what}: case {it['ref']} result is {cur.get('result')}")
            x = certified.get(cid)
            if certified and (not x or x["result"] != "done" or x["action"] != it["action"]
                              or (it["action"] != "archive" and not x["key_id"])):
                h.hurt(f"{what}: certificate entry for {it['ref']} is {x}")
            if cid in deep:
                self.case_shredded(h, dict(it, key_id=cur.get("key_id")), by_id, what)
            else:
                want = {"destroy": "destroyed", "anonymise": "anonymised", "archive": "archived"}[it["action"]]
                if by_id.get(cid, {}).get("state") != want:
                    h.hurt(f"{what}: case {it['ref']} is {by_id.get(cid, {}).get('state')}, should be {want}")

    def check(self, h, final):
        by_id = {c["id"]: c for c in h.cases().values()}
        # each acknowledged plan read deeply once, the states of all of them at the end
        for plan in (self.acknowledged if final else self.unchecked):
            # every case's state; the reads (documents, revisions, key) for a sample
            deep = set(h.crnd.sample(sorted(plan["items"]), min(3, len(plan["items"])))) if plan in self.unchecked else ()
            self.check_plan(h, plan, by_id, deep)
        self.unchecked = []

    def finish(self, h):
        """A plan left killed: its re-run must finish it."""
        if self.pending and h.js("sweep", "show", self.pending["id"])["state"] == "done":
            self.finished_by_killed += 1          # the killed run had finished: whole
            self.ack(self.pending)
            self.pending = None
        if self.pending:
            plan = self.pending
            r = h.cv("sweep", "run", plan["id"])
            self.reruns += 1
            st = h.js("sweep", "show", plan["id"])["state"]
            if r.returncode != 0 or st != "done":
                h.hurt(f"re-run of killed sweep run {plan['id']} failed rc {r.returncode}: {r.stderr.decode()[:300]}")
            else:
                self.reruns_ok += 1
                self.ack(plan)
            self.pending = None

    def summary(self):
        n = sum(len(p["items"]) for p in self.acknowledged)
        return (f"{len(self.acknowledged)} plans run to completion ({n} cases shredded), {self.reruns_ok}/{self.reruns} "
                f"re-runs after a kill finished their plan; killed " + ", ".join(f"{v} {k}" for k, v in self.phase.items()))


class Fulfil(Kind):
    """request fulfil ID on requests the script opens on cases of their own
    (active, so the erasure needs no director): access (--out a zip),
    erasure (crypto-shredding), rectification of a document (--doc --file)
    or of a field (--field born --value). Identity checked and decision by
    the DPO with his credential first; a decision is sometimes a refusal."""
    name = "fulfil"
    est0 = 0.15

    def __init__(self):
        super().__init__()
        self.k = 0
        self.pending = None
        self.acknowledged = []
        self.unchecked = []
        self.reruns = 0
        self.reruns_ok = 0
        self.finished_by_killed = 0
        self.types = {}
        self.user_made = False
        self.phase = {"before its commit": 0, "after its commit": 0}

    def next_op(self, h):
        if self.pending:
            st = h.js("request", "show", self.pending["id"], user="dpo")
            if st["state"] == "fulfilled":
                self.finished_by_killed += 1
                self.ack(self.pending)
                self.pending = None
            else:
                op = Op(self.pending["argv"], user="dpo", rerun=True, cls=self.pending["cls"])
                op.req = self.pending
                return op
        req = self.new_request(h)
        op = Op(req["argv"], user="dpo", cls=req["cls"])
        op.req = req
        return op

    def new_request(self, h):
        if not self.user_made:
            h.ok("user", "add", "dpo", "--role", "dpo", "--credential-file", h.cred_file("dpo", DPO_CRED))
            self.user_made = True
        self.k += 1
        ref = f"ASE-RIGHTS-{self.k:03d}"
        typ = h.rnd.choice(["access", "access", "erasure", "erasure", "rectification-doc", "rectification-field"])
        # sizes up to 6 MiB: the access copy reads and redacts them all
        size = h.rnd.choice([2 << 10, 512 << 10, 6 << 20])
        text = marker(ref) + b"\n" + (b"Crash Test est suivi par le service. " * (size // 37 + 1))[:size]
        d = write_bundle(os.path.join(h.work, "rights-b"), ref, docs={"docs/a.txt": text,
                                                                       "docs/b.txt": b"Note du service.\n"})
        h.ok("ingest", d)
        cid = h.cases()[ref]["id"]
        received = (h.today - datetime.timedelta(days=h.rnd.randint(0, 20))).isoformat()
        rq = h.js("request", "open", "--type", typ.split("-")[0], "--subject", "p1", "--case", cid, "--received",
                  received, user="dpo")
        h.ok("request", "verify-identity", rq["id"], "--method", "pièce d'identité au guichet", user="dpo")
        grant = h.rnd.random() < 0.85
        h.ok("request", "decide", rq["id"], "--grant" if grant else "--refuse", "--ground", "RGPD (crash test)",
             "--credential-file", h.cred_file("dpo", DPO_CRED), user="dpo")
        argv = ["request", "fulfil", rq["id"], "--credential-file", h.cred_file("dpo", DPO_CRED)]
        req = {"id": rq["id"], "type": typ, "grant": grant, "case": cid, "ref": ref, "text": text, "kills": 0}
        if typ == "access" and grant:
            req["out"] = os.path.join(h.work, "copies", f"acces-{rq['id']}.zip")
            os.makedirs(os.path.dirname(req["out"]), exist_ok=True)
            argv += ["--out", req["out"]]
        elif typ == "access":
            pass
        elif typ == "rectification-doc":
            req["new"] = text.replace(b"suivi", b"SUIVI", 3)
            f = os.path.join(h.work, f"rect-{rq['id']}.txt")
            with open(f, "wb") as fh:
                fh.write(req["new"])
            argv += ["--doc", "d1", "--file", f]
        elif typ == "rectification-field":
            argv += ["--field", "born", "--value", "2008-04-02"]
        req["argv"] = argv
        req["cls"] = (typ if grant else "refused", size)
        self.types[typ] = self.types.get(typ, 0) + 1
        return req

    def ack(self, req):
        self.acknowledged.append(req)
        self.unchecked.append(req)

    def copy_left_behind(self, h, req, rc, err):
        """The known finding: a re-run refused because the killed run left
        its copy. Reported; the copy is moved aside and the command run
        again, which must succeed."""
        if rc == 0 or "fulfil-copy-exists" not in KNOWN or KNOWN["fulfil-copy-exists"] not in err \
                or not req.get("out") or not os.path.exists(req["out"]):
            return rc, err
        h.findings.append(f"fulfil-copy-exists: request {req['id']}: after a kill, `casevault {' '.join(req['argv'])}` "
                          f"exits {rc}: {err.strip()[:200]}")
        os.rename(req["out"], req["out"] + ".left-by-killed-run")
        r = h.cv(*req["argv"], user="dpo")
        return r.returncode, r.stderr.decode("utf-8", "replace")

    def done(self, h, op, rc, err):
        if op.rerun:
            self.reruns += 1
            rc, err = self.copy_left_behind(h, op.req, rc, err)
        if rc == 0:
            if op.rerun:
                self.reruns_ok += 1
            self.ack(op.req)
        else:
            h.hurt(f"request fulfil {op.req['id']} ({op.req['type']}, "
                   f"{'re-run after ' + str(op.req['kills']) + ' kill(s)' if op.rerun else 'first run'}, not killed) "
                   f"failed rc {rc}: {err[:400]}")
        self.pending = None

    def killed(self, h, op):
        op.req["kills"] += 1
        self.pending = op.req
        r = h.cv("--json", "request", "show", op.req["id"], user="dpo")
        if r.returncode != 0:
            h.hurt(f"request show {op.req['id']} fails after a killed fulfil: {r.stderr.decode()[:300]}")
            return
        st = json.loads(r.stdout)
        self.phase["after its commit" if st["state"] == "fulfilled" else "before its commit"] += 1
        if st["state"] == "fulfilled":
            self.check_req(h, op.req, "killed fulfil that committed")
        else:
            if st.get("fulfilled"):
                h.hurt(f"killed fulfil of {op.req['id']}: state {st['state']} but fulfilment recorded {st['fulfilled']}")
            if not st.get("decision") or not st.get("identity"):
                h.hurt(f"killed fulfil of {op.req['id']}: decision or identity lost: {st['state']}")
            self.check_absent(h, op.req)

    def check_absent(self, h, req):
        """Killed before its commit: nothing of the fulfilment is there."""
        what = f"fulfil {req['id']} ({req['type']}) killed before its commit"
        cid = req["case"]
        c = h.cases().get(req["ref"])
        if not c or c["state"] != "active":
            h.hurt(f"{what}: case {req['ref']} is {c and c['state']}")
            return
        out = h.cv("doc", "cat", cid, "d1")
        if out.returncode != 0 or out.stdout != req["text"]:
            h.hurt(f"{what}: the case's document is no longer its original: rc {out.returncode} "
                   f"{out.stderr.decode()[:200]}")
        docs = json.loads(h.cv("--json", "doc", "list", cid).stdout or b"[]")
        if any(d["id"] == "d1" and d["revisions"] != 1 for d in docs):
            h.hurt(f"{what}: d1 has a new revision")
        s = h.cv("--json", "case", "show", cid)
        born = [p.get("born") for p in json.loads(s.stdout or b"{}").get("persons", []) if p.get("id") == "p1"]
        if born != ["2008-04-01"]:
            h.hurt(f"{what}: p1's birth date is {born}, not the original 2008-04-01")
        if req.get("out") and os.path.exists(req["out"]):
            # the copy is written before the request's transaction (rights.c): a
            # whole copy may exist; it must be a sound zip, never a torn one
            bad = bag_problem(req["out"], f"acces-{req['id']}/data/docs/a.txt")
            if bad:
                h.hurt(f"{what}: a torn copy is at {req['out']}: {bad}")
            else:
                h.notes.append(f"killed access fulfil {req['id']}: a whole copy was left at --out before the "
                               f"request was marked fulfilled (the re-run rewrites it)")

    def check_req(self, h, req, what):
        what = f"{what} {req['id']} ({req['type']}, {'grant' if req['grant'] else 'refuse'})"
        r = h.cv("--json", "request", "show", req["id"], user="dpo")
        if r.returncode != 0:
            h.hurt(f"{what}: request show fails: {r.stderr.decode()[:300]}")
            return
        st = json.loads(r.stdout)
        if st["state"] != "fulfilled" or not st.get("fulfilled"):
            h.hurt(f"{what}: request state {st['state']}, fulfilment {st.get('fulfilled')}")
            return
        cid, ref, typ = req["case"], req["ref"], req["type"]
        c = h.cases().get(ref)
        if not req["grant"] or typ == "access":
            if not c or c["state"] != "active":
                h.hurt(f"{what}: case {ref} is {c and c['state']}")
            if req.get("out"):
                bad = bag_problem(req["out"], f"acces-{req['id']}/data/docs/a.txt")
                if bad:
                    h.hurt(f"{what}: the copy {req['out']}: {bad}")
            return
        if typ == "erasure":
            cert = st.get("certificate") or {}
            keys = [x.get("key_id") for x in cert.get("destroyed", []) if x.get("case") == cid]
            if not keys or not keys[0]:
                h.hurt(f"{what}: no erasure certificate naming the case's key: {cert}")
            if not c or c["state"] not in ("anonymised", "destroyed"):
                h.hurt(f"{what}: erased case {ref} is {c and c['state']}")
            for args in (["doc", "cat", cid, "d1"], ["doc", "cat", cid, "d1", "--rev", "1"]):
                out = h.cv(*args)
                if out.returncode == 0 or marker(ref) in out.stdout:
                    h.hurt(f"{what}: {' '.join(args)} still reads the erased case")
            k = h.cv("--json", "key", "case", cid)
            if k.returncode == 0 and keys and json.loads(k.stdout).get("key_id") == keys[0]:
                h.hurt(f"{what}: key case still gives the erased key")
        elif typ == "rectification-doc":
            new = h.cv("doc", "cat", cid, "d1")
            old = h.cv("doc", "cat", cid, "d1", "--rev", "1")
            if new.stdout != req["new"] or old.stdout != req["text"]:
                h.hurt(f"{what}: d1 is not rectified with the original kept (rc {new.returncode}/{old.returncode})")
        elif typ == "rectification-field":
            s = h.cv("--json", "case", "show", cid)
            born = [p.get("born") for p in json.loads(s.stdout or b"{}").get("persons", []) if p.get("id") == "p1"]
            if born != ["2008-04-02"]:
                h.hurt(f"{what}: p1's birth date is {born}, not the rectified 2008-04-02")

    def check(self, h, final):
        for req in (self.acknowledged if final else self.unchecked):
            self.check_req(h, req, "acknowledged fulfilment")
        self.unchecked = []

    def finish(self, h):
        self.finish_notes(h)
        if self.pending and h.js("request", "show", self.pending["id"], user="dpo")["state"] == "fulfilled":
            self.finished_by_killed += 1          # the killed command had committed: whole
            self.ack(self.pending)
            self.pending = None
        if self.pending:
            req = self.pending
            r = h.cv(*req["argv"], user="dpo")
            self.reruns += 1
            rc, err = self.copy_left_behind(h, req, r.returncode, r.stderr.decode("utf-8", "replace"))
            if rc != 0:
                h.hurt(f"re-run of killed fulfil {req['id']} failed rc {rc}: {err[:300]}")
            else:
                self.reruns_ok += 1
                self.ack(req)
            self.pending = None

    def finish_notes(self, h):
        d = os.path.join(h.work, "copies")
        tmp = [f for f in os.listdir(d) if ".tmp-" in f] if os.path.isdir(d) else []
        if tmp:
            h.notes.append(f"killed access fulfils left {len(tmp)} partial copies (FILE.zip.tmp-XXXXXX, personal data in "
                           f"clear) next to --out, e.g. {tmp[0]}: debris outside the archive, not removed by the re-run")

    def summary(self):
        t = ", ".join(f"{k} {v}" for k, v in sorted(self.types.items()))
        return (f"{len(self.acknowledged)} requests fulfilled ({t} opened), {self.reruns_ok}/{self.reruns} re-runs "
                f"after a kill succeeded; killed " + ", ".join(f"{v} {k}" for k, v in self.phase.items()))


MIRROR_REF = "refs/casevault/mirror"


class Mirror(Kind):
    """mirror push NAME to a bare git repository (a local directory), when
    the binary has `casevault mirror`. The mirror holds one ref,
    refs/casevault/mirror: a commit whose first parent is the archive commit
    its newest catalog snapshot describes (core/mirror/mirror.h). After a
    killed push:
      - `git fsck --strict` passes on the mirror;
      - its refs are their previous values, or a whole new push: only the
        mirror ref, a new commit whose parent is the archive's head (the new
        commit cannot be known in advance: it carries the time);
      - whenever the refs moved, and after the first killed push, `restore
        --from MIRROR` into a new directory, then `verify`, `journal verify`
        and `git fsck --strict` of it, pass;
      - the next push (run at once, not killed) succeeds.
    At the end: a last push, then `restore --from MIRROR --to NEW`, `verify`
    and `journal verify` of NEW with the same key, and NEW's case list equal
    to the source's (nothing written since the push)."""
    name = "mirror"
    est0 = 0.2
    NAME = "secours"

    def __init__(self):
        super().__init__()
        self.have = None
        self.added = False
        self.acknowledged = 0
        self.states = {"previous": 0, "new": 0, "mixed": 0}
        self.reruns = 0
        self.reruns_ok = 0
        self.nkilled = 0
        self.restores = 0

    def available(self, h):
        if self.have is None:
            r = h.cv("mirror", "list")
            err = r.stderr.decode()
            self.have = r.returncode in (0, 1) and "unknown command" not in err and "usage:" not in err
            self.why = f"`casevault mirror list` exits {r.returncode}: {err.strip().splitlines()[0][:100] if err.strip() else ''}"
        return self.have

    def next_op(self, h):
        self.dir = os.path.join(h.work, "mirror.git")
        if not self.added:
            h.ok("mirror", "add", self.NAME, self.dir)
            self.added = True
        self.before = self.refs(h)
        return Op(["mirror", "push", self.NAME])

    def refs(self, h):
        return h.refs(self.dir) if os.path.isdir(self.dir) else {}

    def parent(self, h, commit):
        r = h.git(self.dir, "rev-parse", "--verify", "-q", f"{commit}^1")
        return r.stdout.decode().strip() if r.returncode == 0 else None

    def whole_new(self, h, refs, head):
        """refs are a complete push of the archive at `head`."""
        m = refs.get(MIRROR_REF)
        return set(refs) == {MIRROR_REF} and m and m != self.before.get(MIRROR_REF) \
            and self.parent(h, m) == head

    def done(self, h, op, rc, err):
        if rc == 0:
            self.acknowledged += 1
            self.check_pushed(h, "acknowledged push")
        else:
            h.hurt(f"mirror push (not killed) failed rc {rc}: {err[:400]}")

    def fsck(self, h, what):
        if os.path.isdir(self.dir):
            g = h.git(self.dir, "fsck", "--strict")
            if g.returncode != 0:
                h.hurt(f"{what}: git fsck --strict on the mirror failed: {g.stderr.decode()[:400]}")

    def check_pushed(self, h, what):
        """After a push that exited 0: the mirror's one ref is a mirror
        commit on top of the archive's head."""
        after = self.refs(h)
        head = h.refs(os.path.join(h.arch, "git")).get("refs/heads/main")
        if not self.whole_new(h, after, head):
            h.hurt(f"{what}: the mirror's refs {after} are not a push of the archive at {head} "
                   f"(before: {self.before})")
        self.fsck(h, what)

    def restore_check(self, h, what, cases=None):
        """restore --from the mirror into a new directory, verify it; the
        restored case list is returned."""
        new = os.path.join(h.work, "restored")
        shutil.rmtree(new, ignore_errors=True)
        self.restores += 1
        r = h.cv("restore", "--from", self.dir, "--to", new)
        if r.returncode != 0:
            h.hurt(f"{what}: restore --from {self.dir} failed rc {r.returncode}: {r.stderr.decode()[:300]}")
            return None
        env = {"CASEVAULT_ARCHIVE": new}
        for cmd in (["verify"], ["journal", "verify"]):
            v = h.cv(*cmd, env=env)
            if v.returncode != 0:
                h.hurt(f"{what}: {' '.join(cmd)} of the restored archive failed rc {v.returncode}: "
                       f"{v.stderr.decode()[:400]}")
        g = h.git(os.path.join(new, "git"), "fsck", "--strict")
        if g.returncode != 0:
            h.hurt(f"{what}: git fsck --strict of the restored archive failed: {g.stderr.decode()[:300]}")
        listed = h.cv("--json", "case", "list", env=env)
        shutil.rmtree(new, ignore_errors=True)
        if listed.returncode != 0:
            h.hurt(f"{what}: the restored archive does not list its cases: {listed.stderr.decode()[:300]}")
            return None
        return json.loads(listed.stdout)

    def killed(self, h, op):
        what = "killed mirror push"
        self.nkilled += 1
        at_kill = self.refs(h)
        head = h.refs(os.path.join(h.arch, "git")).get("refs/heads/main")
        self.fsck(h, what)
        if at_kill == self.before:
            state = "previous"
        elif self.whole_new(h, at_kill, head):
            state = "new"
        else:
            state = "mixed"
            h.hurt(f"{what}: the mirror's refs are neither their previous values nor a whole new push: "
                   f"before {self.before}, at the kill {at_kill}, archive head {head}")
        self.states[state] += 1
        # restore (slow: it fetches the whole branch) when the refs moved,
        # and after the first killed push that left a mirror behind
        if MIRROR_REF in at_kill and (state != "previous" or not self.restores):
            self.restore_check(h, f"{what} ({state} refs)")
        t0 = time.monotonic()
        r = h.cv("mirror", "push", self.NAME)
        self.learn(op, time.monotonic() - t0, False)   # how long a whole push takes now
        self.reruns += 1
        if r.returncode != 0:
            h.hurt(f"{what}: the next push failed rc {r.returncode}: {r.stderr.decode()[:400]}")
            return
        self.reruns_ok += 1
        self.acknowledged += 1
        self.before = at_kill
        self.check_pushed(h, "push after a killed push")

    def finish(self, h):
        """The last operation is a push: restore from it and compare."""
        if not self.added:
            return
        self.before = self.refs(h)
        r = h.cv("mirror", "push", self.NAME)
        if r.returncode != 0:
            h.hurt(f"final mirror push failed rc {r.returncode}: {r.stderr.decode()[:300]}")
            return
        self.acknowledged += 1
        self.check_pushed(h, "final push")
        source_cases = json.loads(h.cv("--json", "case", "list").stdout)
        restored = self.restore_check(h, "final push")
        self.final_equal = restored == source_cases
        if restored is not None and not self.final_equal:
            diff = [c["ref"] for c in source_cases if c not in restored][:5]
            h.hurt(f"the restored archive's case list differs from the source's at the last push "
                   f"({len(restored)} vs {len(source_cases)} cases; differing: {diff})")

    def summary(self):
        if not self.have:
            return f"not in this binary ({getattr(self, 'why', '?')}): left out of the mix"
        return (f"{self.acknowledged} pushes acknowledged; at a kill the mirror held its previous refs "
                f"{self.states['previous']} times, a whole new push {self.states['new']} times, a mix "
                f"{self.states['mixed']} times; {self.reruns_ok}/{self.reruns} next pushes succeeded; "
                f"{self.restores} restores verified; final restore equal to the source: "
                f"{getattr(self, 'final_equal', 'not reached')}")


class Other(Kind):
    """Small writes and journaled reads on the ingest cases only (a hold on
    a sweep or rights case would block them). Acknowledged: an added user
    is listed; a case's hold is what its last acknowledged hold or release
    set, unless a later one was killed (then either)."""
    name = "other"
    est0 = 0.05

    def __init__(self):
        super().__init__()
        self.users = []
        self.hold = {}     # case id -> True/False, or None when a kill left it open

    def next_op(self, h):
        cases = [c for r, c in h.cases().items() if r.startswith("ASE-CRASH-")]
        if not cases or h.rnd.random() < 0.3:
            op = Op(["user", "add", f"u{h.n}", "--role", "archivist"], cls="user")
            op.user_name = f"u{h.n}"
            return op
        c = h.rnd.choice(cases)["id"]
        argv = h.rnd.choice([["case", "hold", c, "--reason", "crash test"], ["case", "release", c],
                             ["doc", "cat", c, "d1"], ["key", "case", c]])
        return Op(argv, cls=argv[1])

    def done(self, h, op, rc, err):
        if rc == 0 and op.argv[:2] == ["user", "add"]:
            self.users.append(op.user_name)
        elif rc == 0 and op.argv[1] in ("hold", "release"):
            self.hold[op.argv[2]] = op.argv[1] == "hold"

    def killed(self, h, op):
        if op.argv[1] in ("hold", "release"):
            self.hold[op.argv[2]] = None

    def check(self, h, final):
        r = h.cv("--json", "user", "list")
        names = {u["name"] for u in json.loads(r.stdout or b"[]")}
        for u in self.users:
            if u not in names:
                h.hurt(f"acknowledged user add {u}: not in user list")
        by_id = {c["id"]: c for c in h.cases().values()}
        for cid, want in self.hold.items():
            if want is not None and by_id.get(cid, {}).get("on_hold") != want:
                h.hurt(f"case {cid}: on_hold is {by_id.get(cid, {}).get('on_hold')} after an acknowledged "
                       f"{'hold' if want else 'release'}")

    def summary(self):
        return f"{len(self.users)} acknowledged user adds, {sum(v is not None for v in self.hold.values())} holds checked"


KINDS = {k.name: k for k in (Ingest, Sweep, Fulfil, Mirror, Other)}


def run(h, kinds, weights):
    names = list(weights)
    per = {n: {"ops": 0, "kills": 0, "acks": 0, "time": 0.0, "at": []} for n in names}
    out, err = os.path.join(h.work, "op.out"), os.path.join(h.work, "op.err")
    while h.kills < h.args.kills:
        h.n += 1
        name = h.rnd.choices(names, [weights[n] for n in names])[0]
        kind = kinds[name]
        try:
            op = kind.next_op(h)
        except SetupFailed as e:
            h.hurt(f"{name}: setup failed: {e}")
            break
        if op is None:
            continue
        env = dict(h.env)
        if op.user:
            env["CASEVAULT_USER"] = op.user
        delay = kind.delay(h, op)
        t0 = time.monotonic()
        with open(out, "wb") as fo, open(err, "wb") as fe:
            p = subprocess.Popen([h.args.bin, *op.argv], env=env, stdout=fo, stderr=fe)
            try:
                p.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                p.send_signal(signal.SIGKILL)
                p.wait()
        dt = time.monotonic() - t0
        print(f"{h.n} {name} kill#{h.kills + 1 if p.returncode == -signal.SIGKILL else '-'} delay {delay:.3f} "
              f"ran {dt:.3f} rc {p.returncode} user {op.user or 'archiviste'}: {' '.join(op.argv)}", file=h.log, flush=True)
        st = per[name]
        st["ops"] += 1
        st["time"] += dt
        if p.returncode == -signal.SIGKILL:
            h.kills += 1
            st["kills"] += 1
            st["at"].append(dt)
            kind.learn(op, dt, True)
            r = h.cv("case", "list")
            if r.returncode != 0:
                h.hurt(f"archive does not open after a kill in {' '.join(op.argv)}: {r.stderr.decode()[:300]}")
            kind.killed(h, op)
            if h.kills % h.args.check_every == 0:
                check(h, kinds, final=False)
        else:
            kind.learn(op, dt, False)
            st["acks"] += p.returncode == 0
            kind.done(h, op, p.returncode, open(err, "rb").read().decode("utf-8", "replace"))
        if len(h.damage) > 50:
            break
    return per


def check(h, kinds, final):
    t0 = time.monotonic()
    for cmd in (["verify"], ["journal", "verify"]):
        r = h.cv(*cmd)
        if r.returncode != 0:
            h.hurt(f"{' '.join(cmd)} failed: {r.stderr.decode()[:500]}")
    g = h.git(os.path.join(h.arch, "git"), "fsck", "--strict")
    if g.returncode != 0:
        h.hurt(f"git fsck failed: {g.stderr.decode()[:500]}")
    for k in kinds.values():
        k.check(h, final)
    h.t_check += time.monotonic() - t0


def parse_mix(text):
    w = {}
    for part in text.split(","):
        name, _, val = part.partition("=")
        if name not in KINDS:
            sys.exit(f"crash_test.py: unknown kind {name!r} in --mix (known: {', '.join(KINDS)})")
        w[name] = float(val or 1)
    return w


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--kills", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep")
    ap.add_argument("--check-every", type=int, default=5)
    ap.add_argument("--mix", default=DEFAULT_MIX, help=f"kinds and weights (default {DEFAULT_MIX})")
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin)
    h = Harness(args)
    shutil.rmtree(h.arch, ignore_errors=True)
    for leftover in ("mirror.git", "restored", "copies"):
        shutil.rmtree(os.path.join(h.work, leftover), ignore_errors=True)
    if os.path.exists(h.key):
        os.unlink(h.key)
    assert h.cv("keygen", h.key).returncode == 0
    assert h.cv("init").returncode == 0

    weights = parse_mix(args.mix)
    kinds = {}
    for name in weights:
        k = KINDS[name]()
        if k.available(h):
            kinds[name] = k
        else:
            print(f"crash test: {name}: {k.summary()}")
    weights = {n: w for n, w in weights.items() if n in kinds and w > 0}
    if "mirror" in weights and "ingest" in kinds:
        # A restore costs CPU in proportion to the whole archive (about 3
        # MB/s: libgit2's local fetch deflates every object again,
        # core/mirror/restore.c fetch): with the mirror in the mix the
        # ingests stay at 9 MiB at most (still two packs) to keep the run
        # bounded.
        kinds["ingest"].sizes = [64 << 10, 1 << 20, 9 << 20]
        print("crash test: mirror in the mix: ingests of 64 KiB, 1 MiB and 9 MiB (no 30 MiB): a restore costs "
              "the whole archive")

    t_start = time.time()
    per = run(h, kinds, weights)
    # the mirror last: its final push must see everything
    for k in sorted(kinds.values(), key=lambda k: k.name == "mirror"):
        try:
            k.finish(h)
        except SetupFailed as e:
            h.hurt(f"{k.name}: {e}")
    check(h, kinds, final=True)
    dt = time.time() - t_start

    ops = sum(s["ops"] for s in per.values())
    t_cmd = sum(s["time"] for s in per.values())
    print(f"crash test: seed {args.seed}, {ops} commands run, {h.kills} killed with SIGKILL, "
          f"{len(h.damage)} damage found ({dt:.0f} s: killable commands {t_cmd:.0f} s, setup commands {h.t_setup:.0f} s, "
          f"periodic and final checks {h.t_check:.0f} s, the rest (bundles, checks after each kill, the push and restore "
          f"after a killed push) "
          f"{dt - t_cmd - h.t_setup - h.t_check:.0f} s)")
    print(f"  {'kind':8} {'commands':>8} {'killed':>6} {'exit 0':>6} {'time s':>7}  killed after (s): median, max")
    for n, s in per.items():
        at = sorted(s["at"]) or [0]
        print(f"  {n:8} {s['ops']:8} {s['kills']:6} {s['acks']:6} {s['time']:7.1f}  {at[len(at) // 2]:.3f}, {at[-1]:.3f}")
    for k in kinds.values():
        if k.summary():
            print(f"  {k.name}: {k.summary()}")
    seen = set()
    for note in h.notes:
        key = note.split(":")[0].split(" ")[0:3]
        if tuple(key) not in seen:
            seen.add(tuple(key))
            print(f"  note ({sum(1 for x in h.notes if x.split(':')[0].split(' ')[0:3] == key)}x): {note}")
    for f in h.findings:
        print("  FINDING (known, see KNOWN in this script):", f)
    for d in h.damage:
        print("  DAMAGE:", d)
    if not args.keep:
        shutil.rmtree(h.work, ignore_errors=True)
    sys.exit(1 if h.damage else 0)


if __name__ == "__main__":
    main()
