#!/usr/bin/env python3
"""Export benchmark (issue 7): one case of about 100 MB of French text
documents naming the child, the parents, professionals and others, with
phones, e-mails and addresses; time and peak RSS of `casevault export`
(decrypt, redact, BagIt zip), and of `casevault redact` on the same text.

  tools/bench/export_bench.py --bin build/stage/bin/casevault [--mb 100] [--docs 100]
"""
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

SENTENCES = [
    "François a rencontré sa mère, Mme Martin, lors d'une visite médiatisée au service.",
    "Sophie Martin indique qu'elle peut être jointe au 06 12 34 56 78 ou à sophie.martin@orange.fr.",
    "La référente ASE, Anne Garnier, note des progrès à l'école et une meilleure humeur.",
    "M. Da Silva, assistant familial, signale que François dort mieux depuis la rentrée.",
    "Le juge des enfants a renouvelé la mesure de placement pour une durée d'un an.",
    "François parle de son camarade Théo Vasseur avec qui il joue au football le mercredi.",
    "Mme Martin réside désormais 3 impasse du Moulin, 31000 Toulouse, et travaille à mi-temps.",
    "Le rapport souligne l'importance de maintenir le lien avec la fratrie et la famille élargie.",
    "Loïc Faure, voisin, avait signalé en 2016 que l'enfant restait souvent seul le soir.",
    "L'équipe propose un accompagnement renforcé vers l'autonomie pour la prochaine année scolaire.",
]


def timed(cmd, env):
    fd, out = tempfile.mkstemp()
    os.close(fd)
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out, *cmd], env=env, capture_output=True)
    wall = time.perf_counter() - t0
    rss = int(open(out).read().split()[-1])
    os.unlink(out)
    if p.returncode:
        raise RuntimeError(f"{' '.join(cmd)}: {p.stderr.decode()[:400]}")
    return wall, rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--mb", type=int, default=100)
    ap.add_argument("--docs", type=int, default=100)
    args = ap.parse_args()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"# casevault export benchmark\nmachine: {os.cpu_count()} cores, {cpu}, {platform.platform()}")
    print("command: " + " ".join(sys.argv), flush=True)
    root = tempfile.mkdtemp(prefix="cv-export-bench-")
    try:
        b = os.path.join(root, "bundle")
        os.makedirs(os.path.join(b, "docs"))
        rnd = random.Random(1)
        size = args.mb * 1_000_000 // args.docs
        docs = []
        for i in range(args.docs):
            parts, n = [], 0
            while n < size:
                s = rnd.choice(SENTENCES) + (" " if rnd.random() < 0.8 else "\n")
                parts.append(s)
                n += len(s.encode())
            p = f"docs/rapport-{i:04d}.txt"
            open(os.path.join(b, p), "w", encoding="utf-8").write("".join(parts))
            docs.append({"path": p, "title": f"Rapport {i}", "date": "2019-05-02", "type": "report", "concerns": ["p1"]})
        m = json.load(open(os.path.join(os.path.dirname(__file__), "..", "..", "tests", "data", "bundles", "leroy",
                                        "case.json"), encoding="utf-8"))
        m["documents"] = docs
        json.dump(m, open(os.path.join(b, "case.json"), "w", encoding="utf-8"), ensure_ascii=False)
        total = sum(os.path.getsize(os.path.join(b, d["path"])) for d in docs)
        env = dict(os.environ, CASEVAULT_ARCHIVE=os.path.join(root, "a"), CASEVAULT_KEY_FILE=os.path.join(root, "k"),
                   CASEVAULT_USER="bench")
        subprocess.run([args.bin, "keygen", env["CASEVAULT_KEY_FILE"]], check=True, capture_output=True)
        subprocess.run([args.bin, "init"], env=env, check=True, capture_output=True)
        subprocess.run([args.bin, "ingest", b], env=env, check=True, capture_output=True)
        cid = json.loads(subprocess.run([args.bin, "--json", "case", "list"], env=env, capture_output=True).stdout)[0]["id"]
        results = []
        for run in range(3):
            out = os.path.join(root, f"copie{run}.zip")
            results.append(timed([args.bin, "export", cid, "--for", "p1", "--out", out], env))
        results.sort()
        t, rss = results[1]
        print(f"\ncase of {args.docs} text documents, {total / 1e6:.1f} MB")
        print(f"export --for p1: {t:.2f} s = {total / 1e6 / t:.1f} MB/s, peak RSS {rss / 1024:.1f} MiB (median of 3)"
              f"  [target >= 50 MB/s]")
        one = os.path.join(b, docs[0]["path"])
        files = [os.path.join(b, d["path"]) for d in docs[:20]]
        mb = sum(os.path.getsize(f) for f in files) / 1e6
        t2, rss2 = timed([args.bin, "redact", "--case", cid, "--for", "p1", *files], env)
        print(f"redact --for p1 on {len(files)} files ({mb:.1f} MB, process start included): {t2:.2f} s = "
              f"{mb / t2:.1f} MB/s, peak RSS {rss2 / 1024:.1f} MiB")
        sample = subprocess.run([args.bin, "redact", "--case", cid, "--for", "p1", one], env=env,
                                capture_output=True).stdout.decode()[:300]
        print("sample of the redacted text:\n  " + sample.replace("\n", "\n  "))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
