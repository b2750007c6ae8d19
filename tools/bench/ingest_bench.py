#!/usr/bin/env python3
"""Ingest benchmark (issue 4): casevault against the alternatives, side by
side in one run, figures in the output.

  tools/bench/ingest_bench.py --bin build/stage/bin/casevault [--runs 3] [--quick]

1. 2,000 documents of 64 KiB (a third random bytes, two thirds French text)
   as one bundle: casevault ingest (durability on), git + git-crypt
   (git add + git commit), plain git with and without core.fsync=all,
   cp -r + sync. MB/s, peak RSS and the ratios.
2. 100 bundles of 20 small documents in one command (per-commit overhead).
3. Peak RSS ingesting one 1 GiB document, and reading it back.
4. `find` latency on an archive of 100,000 persons.
Each timed command runs as its own process; wall time and peak RSS come from
the kernel (wait4). Medians of --runs runs are printed. --quick shrinks every
size for a smoke run (figures then mean nothing)."""
import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

FRENCH = ("Le Conseil départemental est responsable de la protection de l'enfance. Il met en œuvre une politique "
          "d'Aide sociale à l'enfance axée sur la prévention, l'accueil et la protection. L'enfant est accueilli "
          "en famille d'accueil depuis le mois de janvier ; la référente ASE rencontre la mère tous les quinze "
          "jours lors de visites médiatisées. Le juge des enfants a renouvelé la mesure de placement pour un an. ")


def run(cmd, env=None, cwd=None):
    """Run a command; return (wall seconds, peak RSS KiB). The peak RSS comes
    from GNU time, which forks from a tiny process: a child forked from this
    Python process would inherit its high-water mark."""
    fd, out = tempfile.mkstemp(prefix="cv-time-")
    os.close(fd)
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out, *cmd], env=env, cwd=cwd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    rss = int(open(out).read().split()[-1])
    os.unlink(out)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.decode(errors='replace')[:400]}")
    return wall, rss


def sh(cmd, **kw):
    subprocess.run(cmd, shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)


def make_docs(d, n, size, seed=1):
    rnd = random.Random(seed)
    os.makedirs(os.path.join(d, "docs"), exist_ok=True)
    text = (FRENCH * (size // len(FRENCH) + 2)).encode()
    docs = []
    for i in range(n):
        if i % 3 == 0:
            data = rnd.randbytes(size)
        else:
            off = rnd.randrange(0, len(FRENCH))
            data = text[off:off + size - 16] + f" [{i:08d}]\n".encode()[:16]
            data = data.ljust(size, b" ")
        p = f"docs/doc-{i:05d}.txt"
        with open(os.path.join(d, p), "wb") as f:
            f.write(data)
        docs.append({"path": p, "title": f"Document {i}", "date": "2020-01-01", "type": "report", "concerns": ["p1"]})
    return docs


def write_manifest(d, ref, docs, persons=None):
    m = {"bundle_version": 1,
         "case": {"ref": ref, "category": "placement", "opened": "2015-01-01", "closed": "2020-12-31", "territory": "31"},
         "persons": persons or [{"id": "p1", "role": "child", "last": "Bench", "first": ["Mark"], "born": "2010-01-01"}],
         "measures": [], "documents": docs, "sealed": None}
    with open(os.path.join(d, "case.json"), "w", encoding="utf-8") as f:
        json.dump(m, f, ensure_ascii=False)


class Bench:
    def __init__(self, args):
        self.args = args
        self.bin = os.path.abspath(args.bin)
        self.root = tempfile.mkdtemp(prefix="cv-bench-", dir=args.dir)
        self.key = os.path.join(self.root, "key")
        subprocess.run([self.bin, "keygen", self.key], check=True, capture_output=True)

    def env(self, archive):
        return dict(os.environ, CASEVAULT_ARCHIVE=archive, CASEVAULT_KEY_FILE=self.key, CASEVAULT_USER="bench")

    def new_archive(self, name):
        a = os.path.join(self.root, name)
        shutil.rmtree(a, ignore_errors=True)
        subprocess.run([self.bin, "init"], env=self.env(a), check=True, capture_output=True)
        return a

    def median(self, fn, runs):
        res = [fn() for _ in range(runs)]
        return statistics.median(r[0] for r in res), max(r[1] for r in res)

    def bulk(self):
        n = 60 if self.args.quick else 2000
        size = 64 << 10
        b = os.path.join(self.root, "bundle")
        docs = make_docs(b, n, size)
        write_manifest(b, "ASE-BENCH-BULK", docs)
        mb = n * size / 1e6
        sh("sync")
        variants = {}

        def casevault():
            a = self.new_archive("bulk")
            sh("sync")
            return run([self.bin, "ingest", b], env=self.env(a))
        variants["casevault ingest"] = casevault

        def git_variant(fsync, crypt):
            def one():
                w = os.path.join(self.root, "gitw")
                shutil.rmtree(w, ignore_errors=True)
                os.makedirs(w)
                sh("git init -q . && git config user.email b@b && git config user.name b", cwd=w)
                if fsync:
                    sh("git config core.fsync all && git config core.fsyncMethod fsync", cwd=w)
                if crypt:
                    sh("git-crypt init && printf '* filter=git-crypt diff=git-crypt\\n.gitattributes !filter !diff\\n'"
                       " > .gitattributes && git add .gitattributes && git commit -qm attrs", cwd=w)
                shutil.copytree(os.path.join(b, "docs"), os.path.join(w, "docs"))
                sh("sync")
                t0 = time.perf_counter()
                r1 = run(["git", "add", "-A"], cwd=w)
                r2 = run(["git", "commit", "-qm", "bench"], cwd=w)
                return time.perf_counter() - t0, max(r1[1], r2[1])
            return one
        if shutil.which("git-crypt"):
            variants["git + git-crypt"] = git_variant(False, True)
        variants["plain git"] = git_variant(False, False)
        variants["plain git, core.fsync=all"] = git_variant(True, False)

        def cp_sync():
            dst = os.path.join(self.root, "cp")
            shutil.rmtree(dst, ignore_errors=True)
            sh("sync")
            t0 = time.perf_counter()
            r = run(["cp", "-r", b, dst])
            run(["sync"])
            return time.perf_counter() - t0, r[1]
        variants["cp -r + sync"] = cp_sync
        # Round-robin: each round runs every variant once, so that a slow
        # spell of the disk (this VM's fsync latency moves by 2-4x over
        # minutes) falls on all of them rather than on whichever ran then.
        # One untimed round first: the bundle was just written, and the
        # disk is still busy with it; without this the first timed run of
        # whichever variant comes first is up to twice as slow.
        for fn in variants.values():
            fn()
        runs = {k: [] for k in variants}
        for _ in range(self.args.runs):
            for k, fn in variants.items():
                runs[k].append(fn())
        results = {k: (statistics.median(r[0] for r in v), max(r[1] for r in v)) for k, v in runs.items()}
        print(f"\n## 1. {n} documents of 64 KiB ({mb:.1f} MB) in one bundle, median of {self.args.runs} runs")
        print(f"{'command':<28} {'seconds':>8} {'MB/s':>8} {'peak RSS MiB':>13}")
        for k, (t, rss) in results.items():
            print(f"{k:<28} {t:8.2f} {mb / t:8.1f} {rss / 1024:13.1f}")
        cv = mb / results["casevault ingest"][0]
        print("\nratios (casevault MB/s ÷ other MB/s), targets in brackets:")
        for k, target in (("plain git", 2.0), ("git + git-crypt", 20.0), ("cp -r + sync", 0.6),
                          ("plain git, core.fsync=all", None)):
            if k in results:
                other = mb / results[k][0]
                flag = "" if target is None else ("  [>= %.1f: %s]" % (target, "met" if cv / other >= target else "NOT MET"))
                print(f"  vs {k:<26} {cv / other:6.2f}{flag}")
        print("\nevery run, seconds (round by round):")
        for k, v in runs.items():
            print(f"  {k:<28} " + " ".join(f"{t:6.2f}" for t, _ in v))
        if "cp -r + sync" in runs:
            paired = sorted(c[0] / v[0] for c, v in zip(runs["cp -r + sync"], runs["casevault ingest"]))
            print("  casevault ÷ cp -r + sync, per round: " + " ".join(f"{x:.2f}" for x in paired))
        self.figures = {"bulk": {k: {"seconds": t, "mb_s": mb / t, "rss_mib": r / 1024,
                                     "runs": [x[0] for x in runs[k]]} for k, (t, r) in results.items()}}

    def many_bundles(self):
        nb = 10 if self.args.quick else 100
        bundles = []
        for i in range(nb):
            d = os.path.join(self.root, "many", f"b{i:03d}")
            docs = make_docs(d, 20, 4096, seed=i)
            write_manifest(d, f"ASE-BENCH-{i:04d}", docs)
            bundles.append(d)
        a = self.new_archive("many-archive")
        sh("sync")
        t, rss = run([self.bin, "ingest", *bundles], env=self.env(a))
        print(f"\n## 2. {nb} bundles of 20 documents of 4 KiB in one command")
        print(f"  {t:.2f} s: {nb / t:.1f} bundles/s, {t / nb * 1000:.1f} ms per bundle (one commit each), "
              f"peak RSS {rss / 1024:.1f} MiB")
        self.figures["many"] = {"seconds": t, "bundles_s": nb / t, "rss_mib": rss / 1024}

    def big_document(self):
        size = (64 << 20) if self.args.quick else (1 << 30)
        d = os.path.join(self.root, "big")
        os.makedirs(os.path.join(d, "docs"), exist_ok=True)
        with open(os.path.join(d, "docs", "big.bin"), "wb") as f:
            rnd = random.Random(3)
            left = size
            while left:
                k = min(left, 16 << 20)
                f.write(rnd.randbytes(k))
                left -= k
        write_manifest(d, "ASE-BENCH-BIG", [{"path": "docs/big.bin", "title": "Gros document", "concerns": ["p1"]}])
        a = self.new_archive("bigarch")
        sh("sync")
        t, rss = run([self.bin, "ingest", d], env=self.env(a))
        cid = json.loads(subprocess.run([self.bin, "--json", "case", "list"], env=self.env(a), capture_output=True).stdout)[0]["id"]
        t2, rss2 = run([self.bin, "doc", "cat", cid, "d1"], env=self.env(a))
        print(f"\n## 3. one document of {size >> 20} MiB")
        print(f"  ingest: {t:.1f} s ({size / 1e6 / t:.0f} MB/s), peak RSS {rss / 1024:.1f} MiB  [target < 64 MiB]")
        print(f"  doc cat: {t2:.1f} s ({size / 1e6 / t2:.0f} MB/s), peak RSS {rss2 / 1024:.1f} MiB  [target < 64 MiB]")
        shutil.rmtree(d)
        shutil.rmtree(a)
        self.figures["big"] = {"mib": size >> 20, "ingest_rss_mib": rss / 1024, "cat_rss_mib": rss2 / 1024,
                               "ingest_mb_s": size / 1e6 / t, "cat_mb_s": size / 1e6 / t2}

    def find_latency(self):
        nb, per = (20, 50) if self.args.quick else (1000, 100)
        rnd = random.Random(5)
        lasts = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
                 "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier"]
        firsts = ["Jean", "Marie", "Pierre", "Sophie", "Lucas", "Léa", "Hugo", "Chloé", "Louis", "Emma", "Nathan",
                  "Inès", "Jules", "Camille", "Gabriel", "Manon", "Arthur", "Zoé", "Noah", "Alice"]
        bundles = []
        for i in range(nb):
            d = os.path.join(self.root, "people", f"b{i:04d}")
            os.makedirs(os.path.join(d, "docs"), exist_ok=True)
            open(os.path.join(d, "docs", "a.txt"), "w").write("x")
            persons = []
            for j in range(per):
                persons.append({"id": f"p{j}", "role": "child" if j == 0 else "other",
                                "last": f"{rnd.choice(lasts)}-{rnd.randrange(10000)}", "first": [rnd.choice(firsts)],
                                "born": f"{rnd.randrange(1950, 2020)}-{rnd.randrange(1, 13):02d}-{rnd.randrange(1, 29):02d}"})
            write_manifest(d, f"ASE-P-{i:05d}", [{"path": "docs/a.txt", "title": "a", "concerns": []}], persons)
            bundles.append(d)
        target = persons[7]
        a = self.new_archive("people-archive")
        t, _ = run([self.bin, "ingest", *bundles], env=self.env(a))
        times = []
        for _ in range(11):
            tt, _ = run([self.bin, "find", "--last", target["last"].upper(), "--first", target["first"][0].lower(),
                         "--born", target["born"]], env=self.env(a))
            times.append(tt)
        empty = os.path.join(self.root, "empty")
        self.new_archive("empty")
        base = [run([self.bin, "find", "--last", "x"], env=self.env(empty))[0] for _ in range(11)]
        print(f"\n## 4. find on {nb * per} persons ({nb} cases; ingest took {t:.0f} s)")
        print(f"  find command: median {statistics.median(times) * 1000:.1f} ms "
              f"(the same command on an empty archive: {statistics.median(base) * 1000:.1f} ms)")
        self.figures["find"] = {"persons": nb * per, "ms": statistics.median(times) * 1000,
                                "empty_ms": statistics.median(base) * 1000}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--dir", help="scratch directory (same filesystem as the archive)")
    ap.add_argument("--only", help="comma list: bulk,many,big,find")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"# casevault ingest benchmark\nmachine: {os.cpu_count()} cores, {cpu}, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, {platform.platform()}")
    print("command: " + " ".join(sys.argv))
    b = Bench(args)
    b.figures = {}
    parts = (args.only or "bulk,many,big,find").split(",")
    try:
        if "bulk" in parts:
            b.bulk()
        if "many" in parts:
            b.many_bundles()
        if "big" in parts:
            b.big_document()
        if "find" in parts:
            b.find_latency()
    finally:
        shutil.rmtree(b.root, ignore_errors=True)
    if args.json:
        json.dump(b.figures, open(args.json, "w"), indent=2)


if __name__ == "__main__":
    main()
