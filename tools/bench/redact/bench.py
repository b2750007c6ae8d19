#!/usr/bin/env python3
"""Quality and throughput benchmark of the redact-fr engine.

  python3 tools/bench/redact/bench.py                 # quality + speed + npm comparison
  python3 tools/bench/redact/bench.py --quality-only --check   # what CTest runs

Steps: generate an annotated corpus (gen_corpus.py, deterministic), run the C
engine on it through its bench driver (redact_fr_bench, built by
plugins/redact-fr/CMakeLists.txt), score the spans against the gold, then
time the engine on a larger corpus and, unless --no-node, the npm packages
redact-pii and @openredaction/openredaction on the same texts
(tools/bench/redact/node/bench.js). Python 3 standard library only.
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, HERE)
import gen_corpus  # noqa: E402

REDACT_KINDS = ("person", "name", "phone", "email", "nir", "iban", "address", "birthdate")
KEEP_FLAG = 0x100
TARGETS = {"standard": 0.995, "hard": 0.99, "name": 0.90, "precision": 0.98, "keep": 1.0}


def write_corpus(path, cases):
    with open(path, "w", encoding="utf-8") as f:
        for c in cases:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")


def build_bench(builddir):
    if not os.path.exists(os.path.join(builddir, "CMakeCache.txt")):
        subprocess.check_call(["cmake", "-S", ROOT, "-B", builddir, "-DCMAKE_BUILD_TYPE=Release"],
                              stdout=subprocess.DEVNULL)
    subprocess.check_call(["cmake", "--build", builddir, "--target", "redact_fr_bench"], stdout=subprocess.DEVNULL)
    return os.path.join(builddir, "plugins", "redact-fr", "redact_fr_bench")


def run_c(binpath, corpus, out, rounds, min_seconds):
    cmd = [binpath, "--corpus", corpus, "--rounds", str(rounds), "--min-seconds", str(min_seconds)]
    if out:
        cmd += ["--out", out]
    res = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def load_preds(path):
    preds = {}
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            preds[(r["case"], r["doc"])] = r["spans"]
    return preds


class Score:
    def __init__(self):
        self.kind = {}      # (tier, kind) -> [hit, total]
        self.form = {}      # form -> [hit, total]
        self.keep = [0, 0]
        self.amb = [0, 0, 0]  # kept+flagged, kept not flagged, redacted
        self.tp = 0
        self.fp = 0
        self.fps = []
        self.misses = []
        self.attrib = [0, 0]

    def add(self, key, table, hit):
        e = table.setdefault(key, [0, 0])
        e[0] += hit
        e[1] += 1


def score(cases, preds, only_present=False):
    """only_present: score only the documents that have predictions (the npm
    packages are given the first megabytes of a corpus)."""
    sc = Score()
    for ci, c in enumerate(cases):
        for di, d in enumerate(c["docs"]):
            if only_present and (ci, di) not in preds:
                continue
            text = d["text"].encode("utf-8")
            spans = preds.get((ci, di), [])
            red = [s for s in spans if not (len(s) > 3 and s[3] & KEEP_FLAG)]
            kept = [s for s in spans if len(s) > 3 and s[3] & KEEP_FLAG]
            cov = bytearray(len(text) + 1)
            for s in red:
                for i in range(max(0, s[0]), min(len(text), s[1])):
                    cov[i] = 1
            gold_red = [g for g in d["gold"] if g[2] in REDACT_KINDS]
            for g in d["gold"]:
                s, e, kind, person, form = g
                if kind in REDACT_KINDS:
                    hit = all(cov[i] or text[i:i + 1].isspace() for i in range(s, e))
                    sc.add((c["tier"], kind), sc.kind, hit)
                    sc.add(form, sc.form, hit)
                    if not hit and len(sc.misses) < 400:
                        sc.misses.append((c["case"], c["tier"], kind, form, text[s:e].decode("utf-8", "replace"),
                                          text[max(0, s - 40):min(len(text), e + 30)].decode("utf-8", "replace")))
                    if hit and kind == "person":
                        same = [x for x in red if x[0] <= s and x[1] >= e]
                        sc.attrib[0] += bool(same and len(same[0]) > 5 and same[0][5] == person)
                        sc.attrib[1] += 1
                elif kind == "keep":
                    ok = not any(cov[i] for i in range(s, e))
                    sc.keep[0] += ok
                    sc.keep[1] += 1
                    if not ok and len(sc.misses) < 400:
                        sc.misses.append((c["case"], c["tier"], "KEEP-LOST", form, text[s:e].decode("utf-8", "replace"),
                                          text[max(0, s - 40):min(len(text), e + 30)].decode("utf-8", "replace")))
                elif kind == "ambiguous":
                    redacted = any(cov[i] for i in range(s, e))
                    flagged = any(k[0] < e and k[1] > s for k in kept)
                    if redacted:
                        sc.amb[2] += 1
                    elif flagged:
                        sc.amb[0] += 1
                    else:
                        sc.amb[1] += 1
            for s in red:
                if any(g[0] < s[1] and g[1] > s[0] for g in gold_red):
                    sc.tp += 1
                else:
                    sc.fp += 1
                    if len(sc.fps) < 400:
                        sc.fps.append((c["case"], c["tier"], s[2], text[s[0]:s[1]].decode("utf-8", "replace"),
                                       text[max(0, s[0] - 40):min(len(text), s[1] + 30)].decode("utf-8", "replace")))
    return sc


def ratio(a):
    return a[0] / a[1] if a[1] else float("nan")


def report(sc, title):
    lines = ["", "== %s ==" % title, "", "| tier | kind | recall | found/total |", "|---|---|---|---|"]
    for tier in ("standard", "hard"):
        for kind in REDACT_KINDS:
            e = sc.kind.get((tier, kind))
            if e:
                lines.append("| %s | %s | %.4f | %d/%d |" % (tier, kind, ratio(e), e[0], e[1]))
        tot = [sum(v[0] for k, v in sc.kind.items() if k[0] == tier), sum(v[1] for k, v in sc.kind.items() if k[0] == tier)]
        if tot[1]:
            lines.append("| %s | **all** | %.4f | %d/%d |" % (tier, ratio(tot), tot[0], tot[1]))
    un = [sum(v[0] for k, v in sc.kind.items() if k[1] == "name"), sum(v[1] for k, v in sc.kind.items() if k[1] == "name")]
    prec = sc.tp / (sc.tp + sc.fp) if sc.tp + sc.fp else float("nan")
    lines += ["", "precision (redaction spans touching a gold span): %.4f (%d/%d)" % (prec, sc.tp, sc.tp + sc.fp),
              "requester's own mentions kept: %.4f (%d/%d)" % (ratio(sc.keep), sc.keep[0], sc.keep[1]),
              "unregistered names recall (both tiers): %.4f (%d/%d)" % (ratio(un), un[0], un[1])]
    if sum(sc.amb):
        lines.append("ambiguous mentions (could be the requester): kept+flagged %d, kept unflagged %d, redacted %d"
                     % tuple(sc.amb))
    if sc.attrib[1]:
        lines.append("registered third parties attributed to the right register id: %.4f (%d/%d)"
                     % (sc.attrib[0] / sc.attrib[1], sc.attrib[0], sc.attrib[1]))
    return "\n".join(lines), prec, un


def check(sc, prec, un):
    failures = []
    for (tier, kind), e in sorted(sc.kind.items()):
        target = TARGETS["name"] if kind == "name" else TARGETS[tier]
        if ratio(e) < target:
            failures.append("%s/%s recall %.4f < %.3f" % (tier, kind, ratio(e), target))
    if prec < TARGETS["precision"]:
        failures.append("precision %.4f < %.2f" % (prec, TARGETS["precision"]))
    if sc.keep[1] and ratio(sc.keep) < TARGETS["keep"]:
        failures.append("requester's mentions kept %.4f < 1.0" % ratio(sc.keep))
    return failures


def machine():
    model = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return "%s, %d cores (nproc), %s %s" % (model, os.cpu_count() or 0, platform.system(), platform.release())


def main():
    ap = argparse.ArgumentParser(description="redact-fr quality and throughput benchmark")
    ap.add_argument("--cases", type=int, default=400, help="cases in the quality corpus")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--speed-cases", type=int, default=1500, help="cases in the throughput corpus")
    ap.add_argument("--node-mb", type=float, default=2.0, help="MB of text given to each npm package")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--builddir", default=os.path.join(ROOT, "build-redact"))
    ap.add_argument("--bench-bin", help="redact_fr_bench to use (default: build it in --builddir)")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--quality-only", action="store_true")
    ap.add_argument("--no-node", action="store_true")
    ap.add_argument("--check", action="store_true", help="exit 1 when a quality target is missed")
    ap.add_argument("--verbose", "-v", action="store_true", help="list misses and false positives")
    a = ap.parse_args()

    work = a.workdir or os.path.join(a.builddir, "redact-bench")
    os.makedirs(work, exist_ok=True)
    binpath = a.bench_bin or build_bench(a.builddir)

    cases = gen_corpus.generate(a.cases, a.seed, 0.5)
    qpath = os.path.join(work, "quality.jsonl")
    write_corpus(qpath, cases)
    spans_path = os.path.join(work, "quality-spans.jsonl")
    run_c(binpath, qpath, spans_path, 1, 0)
    sc = score(cases, load_preds(spans_path))
    text, prec, un = report(sc, "redact-fr quality (%d cases, seed %d)" % (a.cases, a.seed))
    print(text)
    if a.verbose:
        print("\n-- misses --")
        for m in sc.misses:
            print(m)
        print("\n-- false positives --")
        for m in sc.fps:
            print(m)
        print("\n-- recall by form --")
        for f, e in sorted(sc.form.items()):
            print("%-28s %.4f %d/%d" % (f, ratio(e), e[0], e[1]))
    failures = check(sc, prec, un)
    if failures:
        print("\nquality targets missed:\n  " + "\n  ".join(failures))
    else:
        print("\nquality targets met (recall >= %.3f standard, >= %.2f hard, names >= %.2f, precision >= %.2f, "
              "requester kept 100%%)" % (TARGETS["standard"], TARGETS["hard"], TARGETS["name"], TARGETS["precision"]))
    if a.quality_only:
        print("%d passed, %d failed" % (0 if failures else 1, 1 if failures else 0))
        return 1 if (a.check and failures) else 0

    # ---- throughput
    print("\n== throughput ==\nmachine: %s" % machine())
    rows = []
    corpora = [("narrative", 2, a.speed_cases), ("dense", 0, a.speed_cases)]
    node_corpus = None
    for name, narrative, ncases in corpora:
        scases = gen_corpus.generate(ncases, a.seed + 1, 0.5, narrative)
        spath = os.path.join(work, "speed-%s.jsonl" % name)
        write_corpus(spath, scases)
        sp_path = os.path.join(work, "speed-%s-spans.jsonl" % name)
        c = run_c(binpath, spath, sp_path, a.rounds, 3.0)
        ssc = score(scases, load_preds(sp_path))
        allk = [sum(v[0] for v in ssc.kind.values()), sum(v[1] for v in ssc.kind.values())]
        gold = sum(len(d["gold"]) for cs in scases for d in cs["docs"])
        print("%s corpus: %d cases, %d documents, %.2f MB, one gold span per %.0f bytes; redact-fr best of %d rounds "
              "%.3f s (mean %.3f s), sessions included" % (name, c["cases"], c["docs"], c["bytes"] / 1e6,
                                                          c["bytes"] / max(1, gold), c["rounds"], c["best_s"], c["mean_s"]))
        rows.append(("redact-fr (C, this plugin), %s corpus" % name, c["mb_per_s_best"], c["mb_per_s_mean"],
                     ratio(allk), ssc.tp / max(1, ssc.tp + ssc.fp), c["bytes"], ratio(ssc.keep), ssc))
        if node_corpus is None:
            node_corpus = (name, scases, spath)
    if not a.no_node:
        name, scases, spath = node_corpus
        nodedir = os.path.join(HERE, "node")
        if not os.path.isdir(os.path.join(nodedir, "node_modules")):
            subprocess.check_call(["npm", "ci", "--no-audit", "--no-fund"], cwd=nodedir, stdout=subprocess.DEVNULL)
        npath = os.path.join(work, "node-spans.jsonl")
        res = subprocess.run(["node", os.path.join(nodedir, "bench.js"), "--corpus", spath, "--out", npath,
                              "--max-mb", str(a.node_mb)], check=True, stdout=subprocess.PIPE, text=True)
        nres = json.loads(res.stdout.strip().splitlines()[-1])
        for lib in nres["libs"]:
            preds = {}
            for line in open(npath):
                r = json.loads(line)
                if r["lib"] == lib["name"]:
                    preds[(r["case"], r["doc"])] = r["spans"]
            nsc = score(scases, preds, only_present=True)
            nk = [sum(v[0] for v in nsc.kind.values()), sum(v[1] for v in nsc.kind.values())]
            node_v = subprocess.run(["node", "--version"], stdout=subprocess.PIPE, text=True).stdout.strip()
            rows.append(("%s %s (Node %s), %s corpus, first %.1f MB" % (lib["name"], lib["version"], node_v, name,
                         lib["bytes"] / 1e6), lib["mb_per_s"], lib["mb_per_s"], ratio(nk),
                         nsc.tp / max(1, nsc.tp + nsc.fp), lib["bytes"], ratio(nsc.keep), nsc))
    print("\n| engine | MB/s (best) | MB/s (mean) | recall (all kinds) | precision | requester kept | bytes timed | "
          "redact-fr (same corpus) is |")
    print("|---|---|---|---|---|---|---|---|")
    base = rows[0][1]
    for r in rows:
        same = r is not rows[0] and "dense" not in r[0]
        print("| %s | %.2f | %.2f | %.4f | %.4f | %.4f | %d | %s |" % (r[0], r[1], r[2], r[3], r[4], r[6], r[5],
              "%.0fx faster" % (base / r[1]) if same and r[1] else "-"))
    print("\nrecall by kind, %s corpus (both tiers):\n" % node_corpus[0])
    names = [r[0].split(",")[0].split(" (")[0] for r in rows if "dense" not in r[0]]
    scs = [r[7] for r in rows if "dense" not in r[0]]
    print("| kind | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for kind in REDACT_KINDS:
        cells = []
        for sc2 in scs:
            e = [sum(v[0] for k, v in sc2.kind.items() if k[1] == kind), sum(v[1] for k, v in sc2.kind.items() if k[1] == kind)]
            cells.append("%.4f (%d/%d)" % (ratio(e), e[0], e[1]) if e[1] else "-")
        print("| %s | %s |" % (kind, " | ".join(cells)))
    print("\ncommand: python3 tools/bench/redact/bench.py %s" % " ".join(sys.argv[1:]))
    return 1 if (a.check and failures) else 0


if __name__ == "__main__":
    sys.exit(main())
