#!/usr/bin/env python3
"""Sweep benchmark (issue 8): an archive of N cases (default 100,000, small
documents) of which 10% are due, then `sweep plan`, `sweep approve` and
`sweep run`; prints plan time, run time, cases/s and peak RSS.

  tools/bench/sweep_bench.py --bin build/stage/bin/casevault [--cases 100000] [--due 10000] [--keep DIR]

Building the archive goes through `casevault ingest` (one commit per case,
durability on), which dominates the total time (about 9 ms a case here).
Timed commands run as separate processes; peak RSS from GNU time."""
import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time


def timed(cmd, env):
    fd, out = tempfile.mkstemp()
    os.close(fd)
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out, *cmd], env=env, capture_output=True)
    wall = time.perf_counter() - t0
    rss = int(open(out).read().split()[-1])
    os.unlink(out)
    if p.returncode:
        raise RuntimeError(f"{' '.join(cmd)}: {p.stderr.decode()[:500]}")
    return wall, rss, p.stdout


def build_archive(bin_, root, cases, due, env, cred):
    """An archive of `cases` cases through `casevault ingest` (500 bundles per
    command), `due` of them closed long enough ago to be due. Reused when
    `root` holds one already; a build that was interrupted goes on from the
    last case stored (the same cases: the generator is replayed)."""
    arch, key = env["CASEVAULT_ARCHIVE"], env["CASEVAULT_KEY_FILE"]
    have = 0
    if os.path.exists(os.path.join(arch, "archive.json")):
        import sqlite3
        db = sqlite3.connect(f"file:{os.path.join(arch, 'catalog.db')}?mode=ro", uri=True)
        have = db.execute("SELECT count(*) FROM cases").fetchone()[0]
        db.close()
        if have >= cases:
            return
        print(f"  going on from {have} cases", flush=True)
    else:
        subprocess.run([bin_, "keygen", key], check=True, capture_output=True)
        subprocess.run([bin_, "init"], env=env, check=True, capture_output=True)
        open(cred, "w").write("phrase du directeur\n")
        subprocess.run([bin_, "user", "add", "dir", "--role", "director", "--credential-file", cred], env=env,
                       check=True, capture_output=True)
    rnd = random.Random(1)
    t0 = time.time()
    batch = 500
    for start in range(0, cases, batch):
        bdir = os.path.join(root, "bundles")
        shutil.rmtree(bdir, ignore_errors=True)
        paths = []
        for i in range(start, min(cases, start + batch)):
            d = os.path.join(bdir, f"b{i}")
            if i >= have:
                os.makedirs(os.path.join(d, "docs"))
                open(os.path.join(d, "docs", "a.txt"), "w").write(f"Rapport {i}\n" * 20)
            if i < due:
                closed = f"{rnd.randrange(2015, 2021)}-{rnd.randrange(1, 13):02d}-15"
            elif i % 3:
                closed = f"{rnd.randrange(2022, 2026)}-{rnd.randrange(1, 13):02d}-15"
            else:
                closed = None
            m = {"bundle_version": 1,
                 "case": {"ref": f"ASE-B-{i:07d}", "category": rnd.choice(["placement", "aide_educative", "prevention"]),
                          "opened": "2014-01-01", "closed": closed, "territory": str(rnd.randrange(1, 96))},
                 "persons": [{"id": "p1", "role": "child", "last": f"Nom{i}", "first": ["Prénom"], "born": "2008-05-05",
                              "sex": "F"},
                             {"id": "p2", "role": "mother", "last": f"Mere{i}", "first": ["Anne"]}],
                 "measures": [{"type": "placement", "start": "2014-01-01", "end": closed}],
                 "documents": [{"path": "docs/a.txt", "title": "Rapport", "type": "report", "concerns": ["p1"]}]}
            if i < have:
                continue  # stored before the interruption; its draws are replayed
            json.dump(m, open(os.path.join(d, "case.json"), "w"), ensure_ascii=False)
            paths.append(d)
        if not paths:
            continue
        subprocess.run([bin_, "ingest", *paths], env=env, check=True, capture_output=True)
        done = min(cases, start + batch)
        if done % 10000 == 0 or done == cases:
            print(f"  built {done} cases ({time.time() - t0:.0f} s)", flush=True)
    shutil.rmtree(os.path.join(root, "bundles"), ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--cases", type=int, default=100000)
    ap.add_argument("--due", type=int, default=10000)
    ap.add_argument("--keep", help="build (or reuse) the archive in this directory")
    args = ap.parse_args()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"# casevault sweep benchmark\nmachine: {os.cpu_count()} cores, {cpu}, {platform.platform()}")
    print("command: " + " ".join(sys.argv), flush=True)
    root = args.keep or tempfile.mkdtemp(prefix="cv-sweep-bench-")
    os.makedirs(root, exist_ok=True)
    arch, key, cred = os.path.join(root, "archive"), os.path.join(root, "key"), os.path.join(root, "cred")
    env = dict(os.environ, CASEVAULT_ARCHIVE=arch, CASEVAULT_KEY_FILE=key, CASEVAULT_USER="bench")
    bin_ = os.path.abspath(args.bin)
    build_archive(bin_, root, args.cases, args.due, env, cred)
    t_plan, rss_plan, out = timed([bin_, "--json", "sweep", "plan", "--as-of", "2026-11-23"], env)
    plan = json.loads(out)
    due = plan["totals"]["anonymise"] + plan["totals"]["destroy"] + plan["totals"]["archive"]
    t_plan2, _, out2 = timed([bin_, "--json", "sweep", "plan", "--as-of", "2026-11-23"], env)
    same = json.loads(out2)["sha256"] == plan["sha256"]
    t_text, rss_text, _ = timed([bin_, "sweep", "plan", "--as-of", "2026-11-23"], env)
    subprocess.run([bin_, "--as", "dir", "sweep", "approve", plan["id"], "--credential-file", cred], env=env, check=True,
                   capture_output=True)
    t_run, rss_run, out = timed([bin_, "--json", "sweep", "run", plan["id"]], env)
    run = json.loads(out)["run"]
    print(f"\ncases in the archive: {len(plan['items'])}; due: {due}")
    print(f"sweep plan --json: {t_plan:.2f} s (again: {t_plan2:.2f} s, same plan: {same}), peak RSS {rss_plan / 1024:.1f} MiB  "
          f"[target < 2 s]; every case is an item of the JSON")
    print(f"sweep plan (text summary): {t_text:.2f} s, peak RSS {rss_text / 1024:.1f} MiB  [target < 2 s]")
    print(f"sweep run:  {t_run:.2f} s for {run['done']} cases = {run['done'] / t_run:.0f} cases/s, "
          f"peak RSS {rss_run / 1024:.1f} MiB  [target >= 500 cases/s]")
    t_v, _, _ = timed([bin_, "verify", "--quick"], env)
    print(f"verify --quick afterwards: {t_v:.1f} s")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
