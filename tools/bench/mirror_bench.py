#!/usr/bin/env python3
"""Mirrors side by side with the backup tools the issue names.

  tools/bench/mirror_bench.py --bin build/stage/bin/casevault [--cases 40] [--mb 5] [--keep DIR]

One archive of --cases cases, each with one --mb MiB incompressible document
(a scan), then, in one run, on the same machine and disk:
  - casevault mirror push (first, then after one more case), restore,
    mirror rotate --retention 0 (new epoch, old keys destroyed, the local
    mirror's packs rewritten);
  - git push --mirror of the archive's git/ to a bare repository (git's own
    transport: what the mirror costs over it);
  - borg create (repokey-blake2) of the archive directory, first and after
    one more case;
  - restic backup of the archive directory, first and after one more case.
Prints a markdown table: wall time, throughput, size on the target. Only
casevault's copy lets a later crypto-shredding reach what was copied (epoch
keys); the others keep the shredded keys for as long as they keep the
backup. borg and restic are skipped when not installed (scripts/deps.sh bench)."""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time


def du(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except FileNotFoundError:
                pass
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--cases", type=int, default=40)
    ap.add_argument("--mb", type=int, default=5)
    ap.add_argument("--keep")
    args = ap.parse_args()
    work = args.keep or tempfile.mkdtemp(prefix="cv-mirror-bench-")
    os.makedirs(work, exist_ok=True)
    arch, key = os.path.join(work, "archive"), os.path.join(work, "key")
    env = dict(os.environ, CASEVAULT_ARCHIVE=arch, CASEVAULT_KEY_FILE=key, CASEVAULT_USER="bench",
               BORG_PASSPHRASE="bench", RESTIC_PASSWORD="bench", BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK="yes")
    for p in (arch, key):
        shutil.rmtree(p, ignore_errors=True) if os.path.isdir(p) else (os.path.exists(p) and os.unlink(p))

    def run(*a, **kw):
        t = time.perf_counter()
        r = subprocess.run(list(a), env=env, capture_output=True, **kw)
        if r.returncode != 0:
            sys.exit(f"{' '.join(a)} failed: {r.stderr.decode()[-800:]}")
        return time.perf_counter() - t

    def bundle(i):
        d = os.path.join(work, "bundles", f"b{i}")
        os.makedirs(os.path.join(d, "docs"), exist_ok=True)
        with open(os.path.join(d, "docs", "scan.bin"), "wb") as f:
            f.write(os.urandom(args.mb << 20))
        m = {"bundle_version": 1, "case": {"ref": f"ASE-BENCH-{i:05d}", "category": "placement",
                                           "opened": "2015-01-01", "closed": None},
             "persons": [{"id": "p1", "role": "child", "last": "Bench", "first": ["Mirror"]}],
             "documents": [{"path": "docs/scan.bin", "title": "Scan", "concerns": ["p1"]}], "sealed": None}
        with open(os.path.join(d, "case.json"), "w") as f:
            json.dump(m, f)
        return d

    run(args.bin, "keygen", key)
    run(args.bin, "init")
    t0 = time.perf_counter()
    for i in range(args.cases):
        run(args.bin, "ingest", bundle(i))
    t_ingest = time.perf_counter() - t0
    size = du(arch)
    extra = bundle(args.cases)
    rows = []

    def row(tool, step, secs, target, note=""):
        mb = (size / (1 << 20)) if step == "first copy" else float(args.mb)
        rows.append((tool, step, secs, mb / secs if secs > 0 else 0.0, du(target) / (1 << 20) if target else 0.0, note))

    # casevault
    mir = os.path.join(work, "mirror.git")
    shutil.rmtree(mir, ignore_errors=True)
    run(args.bin, "mirror", "add", "bench", mir)
    row("casevault mirror push", "first copy", run(args.bin, "mirror", "push"), mir)
    run(args.bin, "ingest", extra)
    row("casevault mirror push", "one more case", run(args.bin, "mirror", "push"), mir)
    dest = os.path.join(work, "restored")
    shutil.rmtree(dest, ignore_errors=True)
    row("casevault restore", "whole archive", run(args.bin, "restore", "--from", mir, "--to", dest), dest,
        "then verify passes" if subprocess.run([args.bin, "-A", dest, "verify", "--quick"], env=env,
                                                capture_output=True).returncode == 0 else "VERIFY FAILED")
    rows[-1] = rows[-1][:3] + (size / (1 << 20) / rows[-1][2],) + rows[-1][4:]
    row("casevault mirror rotate --retention 0", "keys destroyed, mirror rewritten",
        run(args.bin, "mirror", "rotate", "--retention", "0"), mir, "pack rewrite included")
    rows[-1] = rows[-1][:3] + (size / (1 << 20) / rows[-1][2],) + rows[-1][4:]
    # git itself, for what the mirror costs over the transport
    g = os.path.join(work, "plain.git")
    shutil.rmtree(g, ignore_errors=True)
    run("git", "init", "-q", "--bare", g)
    shutil.rmtree(os.path.join(work, "bundles", f"b{args.cases + 1}"), ignore_errors=True)
    # (the archive already holds the extra case: measure git on the whole, then on one more)
    row("git push --mirror", "first copy", run("git", "--git-dir", os.path.join(arch, "git"), "push", "-q", "--mirror", g),
        g, "no catalog, no keys")
    run(args.bin, "ingest", bundle(args.cases + 1))
    row("git push --mirror", "one more case", run("git", "--git-dir", os.path.join(arch, "git"), "push", "-q",
                                                   "--mirror", g), g)
    extra2 = bundle(args.cases + 2)
    if shutil.which("borg"):
        b = os.path.join(work, "borg")
        shutil.rmtree(b, ignore_errors=True)
        run("borg", "init", "--encryption=repokey-blake2", b)
        row("borg create", "first copy", run("borg", "create", f"{b}::one", arch), b, "shredding cannot reach it")
        run(args.bin, "ingest", extra2)
        row("borg create", "one more case", run("borg", "create", f"{b}::two", arch), b)
    if shutil.which("restic"):
        r = os.path.join(work, "restic")
        shutil.rmtree(r, ignore_errors=True)
        run("restic", "-q", "init", "--repo", r)
        row("restic backup", "first copy", run("restic", "-q", "--repo", r, "backup", arch), r,
            "shredding cannot reach it")
        run(args.bin, "ingest", bundle(args.cases + 3))
        row("restic backup", "one more case", run("restic", "-q", "--repo", r, "backup", arch), r)
    print(f"## Mirror benchmark ({args.cases} cases of {args.mb} MiB, archive {size / (1 << 20):.0f} MiB; "
          f"ingest {t_ingest:.1f} s)\n")
    print(f"machine: {platform.node()}, {os.cpu_count()} cores, {platform.platform()}; command: "
          f"tools/bench/mirror_bench.py --bin {args.bin} --cases {args.cases} --mb {args.mb}\n")
    print("| tool | step | wall (s) | MiB/s | size of the copy (MiB) | note |")
    print("|---|---|---:|---:|---:|---|")
    for t, s, secs, rate, sz, note in rows:
        print(f"| {t} | {s} | {secs:.2f} | {rate:.0f} | {sz:.0f} | {note} |")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
