#!/usr/bin/env python3
"""Crash test: kill write commands with SIGKILL at random moments and check
that the archive always opens, `verify`, `journal verify` and
`git fsck --strict` pass, and every acknowledged operation is whole.

  crash_test.py --bin PATH/TO/casevault [--kills 50] [--seed 1] [--keep DIR]

An operation is acknowledged when the command exited 0 before the kill.
Each acknowledged ingest must be readable afterwards exactly as ingested
(some revision of the document holds its bytes); an operation killed midway
may be absent or whole, never half there. Prints the kills and the damage
found; exits 1 on any damage."""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--kills", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep")
    ap.add_argument("--check-every", type=int, default=5)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    work = args.keep or tempfile.mkdtemp(prefix="cv-crash-")
    os.makedirs(work, exist_ok=True)
    arch = os.path.join(work, "archive")
    key = os.path.join(work, "key")
    env = dict(os.environ, CASEVAULT_ARCHIVE=arch, CASEVAULT_KEY_FILE=key, CASEVAULT_USER="archiviste")
    env.pop("CASEVAULT_PASSPHRASE_FILE", None)

    def cv(*a, timeout=300):
        return subprocess.run([args.bin, *a], env=env, capture_output=True, timeout=timeout)

    shutil.rmtree(arch, ignore_errors=True)
    if os.path.exists(key):
        os.unlink(key)
    assert cv("keygen", key).returncode == 0
    assert cv("init").returncode == 0

    refs = [f"ASE-CRASH-{i}" for i in range(3)]
    acknowledged = {r: [] for r in refs}   # contents that must be readable
    damage = []
    kills = 0
    ops = 0

    def bundle(ref, n):
        d = os.path.join(work, f"b-{ref}")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(os.path.join(d, "docs"))
        # 30 MiB spans packs: a kill can land while one is written in the background
        big = rnd.randbytes(rnd.choice([64 << 10, 3 << 20, 9 << 20, 30 << 20]))
        content = f"{ref} revision {n}\n".encode() + big
        open(os.path.join(d, "docs", "a.bin"), "wb").write(content)
        open(os.path.join(d, "docs", "b.txt"), "w").write(f"note {n}\n")
        m = {"bundle_version": 1, "case": {"ref": ref, "category": "placement", "opened": "2015-01-01", "closed": None},
             "persons": [{"id": "p1", "role": "child", "last": "Test", "first": ["Crash"]}],
             "documents": [{"path": "docs/a.bin", "title": "A", "concerns": ["p1"]},
                           {"path": "docs/b.txt", "title": "B"}], "sealed": None}
        json.dump(m, open(os.path.join(d, "case.json"), "w"))
        return d, content

    def check(final=False):
        r = cv("case", "list")
        if r.returncode != 0:
            damage.append(f"archive does not open after kill {kills}: {r.stderr.decode()[:300]}")
            return
        if not final and kills % args.check_every:
            return
        for cmd in (["verify"], ["journal", "verify"]):
            r = cv(*cmd)
            if r.returncode != 0:
                damage.append(f"{' '.join(cmd)} failed after kill {kills}: {r.stderr.decode()[:500]}")
        g = subprocess.run(["git", "--git-dir", os.path.join(arch, "git"), "fsck", "--strict"], capture_output=True)
        if g.returncode != 0:
            damage.append(f"git fsck failed after kill {kills}: {g.stderr.decode()[:500]}")
        cases = {c["ref"]: c["id"] for c in json.loads(cv("--json", "case", "list").stdout)}
        for ref, contents in acknowledged.items():
            if not contents:
                continue
            if ref not in cases:
                damage.append(f"acknowledged case {ref} is missing")
                continue
            cid = cases[ref]
            docs = json.loads(cv("--json", "doc", "list", cid).stdout)
            a = [d for d in docs if d["path"] == "docs/a.bin"][0]
            revs = set()
            for rev in range(1, a["revisions"] + 1):
                out = cv("doc", "cat", cid, a["id"], "--rev", str(rev))
                if out.returncode != 0:
                    damage.append(f"{ref} revision {rev} unreadable: {out.stderr.decode()[:300]}")
                revs.add(out.stdout)
            for i, c in enumerate(contents):
                if c not in revs:
                    damage.append(f"acknowledged ingest #{i} of {ref} is not in its history")

    t_start = time.time()
    n = 0
    while kills < args.kills:
        n += 1
        ref = rnd.choice(refs)
        kind = rnd.random()
        content = None
        if kind < 0.75:
            d, content = bundle(ref, n)
            argv = ["ingest", d]
        elif kind < 0.85:
            argv = ["user", "add", f"u{n}", "--role", "archivist"]
        else:
            cases = json.loads(cv("--json", "case", "list").stdout or b"[]")
            if not cases:
                continue
            c = rnd.choice(cases)["id"]
            argv = rnd.choice([["case", "hold", c, "--reason", "crash test"], ["case", "release", c],
                               ["doc", "cat", c, "d1"], ["key", "case", c]])
        p = subprocess.Popen([args.bin, *argv], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        delay = rnd.uniform(0, 0.4)
        time.sleep(delay)
        ops += 1
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            p.wait()
            kills += 1
            check()
        else:
            if p.returncode == 0 and content is not None:
                acknowledged[ref].append(content)
    check(final=True)
    dt = time.time() - t_start
    print(f"crash test: {ops} write commands, {kills} killed with SIGKILL, "
          f"{sum(len(v) for v in acknowledged.values())} acknowledged ingests checked, "
          f"{len(damage)} damage found ({dt:.0f} s)")
    for d in damage:
        print("  DAMAGE:", d)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if damage else 0)


if __name__ == "__main__":
    main()
