#!/usr/bin/env python3
"""Verify benchmark (issue 17): `verify --quick` on an archive of N cases
(default 100,000, built as sweep_bench.py builds it), and full `verify` on
the ingest benchmark's archive (2,000 documents of 64 KiB) against the
machine's limit for reading and AES-256-GCM-decrypting the same bytes.

  tools/bench/verify_bench.py --bin build-release/prefix/bin/casevault [--cases 100000] [--keep DIR] [--runs 3]

The limit: the pack files' bytes read and `openssl speed -evp aes-256-gcm`
on 16 KiB blocks, one core; reading then decrypting in one pass costs
1/(1/read + 1/aes) seconds per byte. Read twice: from the page cache (warm,
best of the runs) and, when this user may write /proc/sys/vm/drop_caches
(root), from storage after dropping the caches (cold; full verify is then
timed cold as well). Each verify runs on one thread (--threads 1) and on
the default (one per core), side by side. Timed commands run as separate
processes; the figures are the median of --runs runs and every run is
printed."""
import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sweep_bench import build_archive  # noqa: E402


def drop_caches():
    """True if the page cache could be dropped (root only)."""
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def run(cmd, env, cold=False):
    if cold:
        drop_caches()
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=True)
    wall = time.perf_counter() - t0
    if p.returncode:
        raise RuntimeError(f"{' '.join(cmd)}: {p.stderr.decode()[:500]}")
    return wall, p.stdout.decode() + p.stderr.decode()


def median_of(n, cmd, env, cold=False):
    walls, out = [], ""
    for _ in range(n):
        w, out = run(cmd, env, cold)
        walls.append(w)
    return statistics.median(walls), walls, out


def runs_text(walls):
    return ", ".join(f"{w:.2f}" for w in walls)


def aes_gcm_rate():
    p = subprocess.run(["openssl", "speed", "-evp", "aes-256-gcm", "-bytes", "16384", "-seconds", "3"],
                       capture_output=True, text=True)
    line = [l for l in p.stdout.splitlines() if l.startswith("AES-256-GCM") or l.startswith("aes-256-gcm")][-1]
    kbs = float(re.findall(r"([0-9.]+)k", line)[-1])
    return kbs * 1000  # bytes per second


def read_rate(paths, runs, cold=False):
    total = sum(os.path.getsize(p) for p in paths)
    best = None
    for _ in range(runs):
        if cold:
            drop_caches()
        t0 = time.perf_counter()
        for p in paths:
            with open(p, "rb") as f:
                while f.read(1 << 20):
                    pass
        w = time.perf_counter() - t0
        best = w if best is None else min(best, w)
    return total / best, total


def ingest_archive(bin_, root, env):
    """The ingest benchmark's content: 2,000 documents of 64 KiB in one bundle."""
    if os.path.exists(os.path.join(env["CASEVAULT_ARCHIVE"], "archive.json")):
        return
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import ingest_bench
    src = os.path.join(root, "src")
    ingest_bench.write_manifest(src, "ASE-BENCH-VERIFY", ingest_bench.make_docs(src, 2000, 64 * 1024))
    subprocess.run([bin_, "keygen", env["CASEVAULT_KEY_FILE"]], check=True, capture_output=True)
    subprocess.run([bin_, "init"], env=env, check=True, capture_output=True)
    subprocess.run([bin_, "ingest", src], env=env, check=True, capture_output=True)
    shutil.rmtree(src, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--cases", type=int, default=100000)
    ap.add_argument("--keep", help="build (or reuse) the archives in this directory")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"# casevault verify benchmark\nmachine: {os.cpu_count()} cores, {cpu}, {platform.platform()}")
    print("command: " + " ".join(sys.argv), flush=True)
    root = args.keep or tempfile.mkdtemp(prefix="cv-verify-bench-")
    bin_ = os.path.abspath(args.bin)

    many = os.path.join(root, "many")
    os.makedirs(many, exist_ok=True)
    env = dict(os.environ, CASEVAULT_ARCHIVE=os.path.join(many, "archive"), CASEVAULT_KEY_FILE=os.path.join(many, "key"),
               CASEVAULT_USER="bench")
    build_archive(bin_, many, args.cases, 0, env, os.path.join(many, "cred"))
    for threads in ("1", None):
        cmd = [bin_, "verify", "--quick"] + (["--threads", threads] if threads else [])
        t, walls, out = median_of(args.runs, cmd, env)
        print(f"\nverify --quick, {args.cases} cases, {'one thread' if threads else 'one thread per core'}: "
              f"{t:.2f} s median (runs: {runs_text(walls)})  [target < 5 s]\n  {out.strip().splitlines()[0]}",
              flush=True)

    big = os.path.join(root, "big")
    os.makedirs(big, exist_ok=True)
    env = dict(os.environ, CASEVAULT_ARCHIVE=os.path.join(big, "archive"), CASEVAULT_KEY_FILE=os.path.join(big, "key"),
               CASEVAULT_USER="bench")
    ingest_archive(bin_, big, env)
    packs = []
    for d, _, fs in os.walk(os.path.join(big, "archive", "git", "objects")):
        packs += [os.path.join(d, f) for f in fs]
    arate = aes_gcm_rate()
    cold_ok = drop_caches()
    for cold in ((False, True) if cold_ok else (False,)):
        rrate, total = read_rate(packs, args.runs, cold)
        limit = 1 / (1 / rrate + 1 / arate)
        where = "from storage, caches dropped before each run" if cold else "from the page cache"
        print(f"\nfull verify, 2,000 x 64 KiB, {where}:")
        print(f"  machine: read {rrate / 1e6:.0f} MB/s, AES-256-GCM {arate / 1e6:.0f} MB/s (openssl speed, one core); "
              f"read + decrypt in one pass {limit / 1e6:.0f} MB/s")
        for threads in ("1", None):
            cmd = [bin_, "verify"] + (["--threads", threads] if threads else [])
            t, walls, out = median_of(args.runs, cmd, env, cold)
            m = re.search(r"([0-9.]+) MB authenticated", out)
            plain = float(m.group(1)) * 1e6 if m else total
            rate = plain / t
            print(f"  {'one thread' if threads else 'one thread per core'}: {t:.2f} s median (runs: {runs_text(walls)}) "
                  f"= {rate / 1e6:.0f} MB/s of plaintext ({plain / 1e6:.1f} MB; {total / 1e6:.1f} MB of objects); "
                  f"/ limit = {rate / limit:.2f}  [target >= 0.5]", flush=True)
    if not cold_ok:
        print("  (caches not dropped: run as root to measure from storage)")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
