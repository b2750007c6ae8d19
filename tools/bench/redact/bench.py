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
import bisect
import json
import os
import platform
import re
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
        self.form = {}      # (tier, class, form) -> [hit, total]; class: redact, keep, ambiguous, trap
        self.keep = [0, 0]
        self.keep_tier = {}
        self.amb = [0, 0, 0]  # kept+flagged, kept not flagged, redacted
        self.tp = 0
        self.fp = 0
        self.tier_pr = {}   # tier -> [tp, fp]
        self.fps = []
        self.misses = []
        self.attrib = [0, 0]
        self.numbering = {}  # tier -> dict (see numbering())
        self.num_examples = []

    def add(self, key, table, hit):
        e = table.setdefault(key, [0, 0])
        e[0] += hit
        e[1] += 1


TIERS_RE = re.compile(r"\[tiers (\d+)\]")


def score(cases, preds, only_present=False):
    """only_present: score only the documents that have predictions (the npm
    packages are given the first megabytes of a corpus)."""
    sc = Score()
    for ci, c in enumerate(cases):
        tier = c["tier"]
        pr = sc.tier_pr.setdefault(tier, [0, 0])
        g2n, n2g = {}, {}   # numbering within the case (one session)
        seq = {}            # person -> [(number, full name?)] in document order
        # An unregistered person whose first name and surname never appear
        # together in the case cannot be linked by any reader: the mentions
        # of the first name and those of the surname are then scored as two
        # persons.
        unreg = c.get("unregistered", [])
        linked = set()
        for d in c["docs"]:
            tb = d["text"].encode("utf-8")
            for g in d["gold"]:
                if g[2] == "name" and g[3] and len(tb[g[0]:g[1]].split()) > 1:
                    linked.add(g[3])

        def identity(person, mention):
            if not person.startswith("u") or person in linked:
                return person
            try:
                first = unreg[int(person[1:])][0]
            except (ValueError, IndexError):
                return person
            return person + (":first" if gen_corpus.fold(mention) == gen_corpus.fold(first) else ":last")
        for di, d in enumerate(c["docs"]):
            if only_present and (ci, di) not in preds:
                continue
            text = d["text"].encode("utf-8")
            spans = preds.get((ci, di), [])
            red = sorted((s for s in spans if not (len(s) > 3 and s[3] & KEEP_FLAG)), key=lambda x: x[0])
            kept = sorted((s for s in spans if len(s) > 3 and s[3] & KEEP_FLAG), key=lambda x: x[0])
            cov = bytearray(len(text) + 1)
            for s in red:
                a0, a1 = max(0, s[0]), min(len(text), s[1])
                if a1 > a0:
                    cov[a0:a1] = b"\x01" * (a1 - a0)
            gold_red = [g for g in d["gold"] if g[2] in REDACT_KINDS]
            gcov = bytearray(len(text) + 1)
            for g in gold_red:
                gcov[g[0]:g[1]] = b"\x01" * (g[1] - g[0])
            red_starts = [x[0] for x in red]
            red_max = max([x[1] - x[0] for x in red] or [0])
            kept_starts = [x[0] for x in kept]
            kept_max = max([x[1] - x[0] for x in kept] or [0])

            def overlapping(lst, starts, maxlen, s, e):
                out = []
                j = bisect.bisect_left(starts, e) - 1
                while j >= 0 and starts[j] >= s - maxlen:
                    if lst[j][1] > s:
                        out.append(lst[j])
                    j -= 1
                return out
            for g in d["gold"]:
                s, e, kind, person, form = g
                if kind in REDACT_KINDS:
                    hit = all(cov[i] or text[i:i + 1].isspace() for i in range(s, e))
                    sc.add((tier, kind), sc.kind, hit)
                    sc.add((tier, "redact", form), sc.form, hit)
                    if not hit and len(sc.misses) < 600:
                        sc.misses.append((c["case"], tier, kind, form, text[s:e].decode("utf-8", "replace"),
                                          text[max(0, s - 40):min(len(text), e + 30)].decode("utf-8", "replace")))
                    over = overlapping(red, red_starts, red_max, s, e)
                    if hit and kind == "person":
                        same = [x for x in over if x[0] <= s and x[1] >= e]
                        sc.attrib[0] += bool(same and len(same[0]) > 5 and same[0][5] == person)
                        sc.attrib[1] += 1
                    if kind in ("person", "name") and person:
                        mtext = text[s:e].decode("utf-8", "replace")
                        person = identity(person, mtext)
                        for x in over:
                            if len(x) > 4:
                                m = TIERS_RE.fullmatch(x[4] or "")
                                if m:
                                    g2n.setdefault(person, set()).add(int(m.group(1)))
                                    n2g.setdefault(int(m.group(1)), set()).add(person)
                                    seq.setdefault(person, []).append((int(m.group(1)), len(mtext.split()) > 1))
                elif kind == "keep":
                    ok = cov.find(b"\x01", s, e) < 0
                    sc.keep[0] += ok
                    sc.keep[1] += 1
                    sc.add(tier, sc.keep_tier, ok)
                    sc.add((tier, "keep", form), sc.form, ok)
                    if not ok and len(sc.misses) < 600:
                        sc.misses.append((c["case"], tier, "KEEP-LOST", form, text[s:e].decode("utf-8", "replace"),
                                          text[max(0, s - 40):min(len(text), e + 30)].decode("utf-8", "replace")))
                elif kind == "ambiguous":
                    redacted = cov.find(b"\x01", s, e) >= 0
                    flagged = bool(overlapping(kept, kept_starts, kept_max, s, e))
                    sc.add((tier, "ambiguous", form), sc.form, not redacted)
                    if redacted:
                        sc.amb[2] += 1
                    elif flagged:
                        sc.amb[0] += 1
                    else:
                        sc.amb[1] += 1
                elif kind == "trap":
                    ok = cov.find(b"\x01", s, e) < 0
                    sc.add((tier, "trap", form), sc.form, ok)
            for s in red:
                if s[1] > s[0] and gcov.find(b"\x01", max(0, s[0]), s[1]) >= 0:
                    sc.tp += 1
                    pr[0] += 1
                else:
                    sc.fp += 1
                    pr[1] += 1
                    if len(sc.fps) < 600:
                        sc.fps.append((c["case"], tier, s[2], text[s[0]:s[1]].decode("utf-8", "replace"),
                                       text[max(0, s[0] - 40):min(len(text), s[1] + 30)].decode("utf-8", "replace")))
        nb = sc.numbering.setdefault(tier, {"persons": 0, "split": 0, "split_known": 0, "numbers": 0, "shared": 0,
                                            "cases": 0})
        nb["cases"] += 1
        nb["persons"] += len(g2n)
        nb["split"] += sum(1 for v in g2n.values() if len(v) > 1)
        for p, v in g2n.items():
            if len(v) < 2:
                continue
            if not p.startswith("u"):
                nb["split_known"] += 1  # the register links every mention
                continue
            lst = seq[p]
            k = next((i for i, x in enumerate(lst) if x[1]), None)
            if k is not None and any(x[0] != lst[k][0] for x in lst[k + 1:]):
                nb["split_known"] += 1  # a mention after the full name got another number
        nb["numbers"] += len(n2g)
        nb["shared"] += sum(1 for v in n2g.values() if len(v) > 1)
        for p, v in g2n.items():
            if len(v) > 1 and len(sc.num_examples) < 60:
                sc.num_examples.append((c["case"], tier, "person %s split over numbers %s" % (p, sorted(v))))
        for n, v in n2g.items():
            if len(v) > 1 and len(sc.num_examples) < 60:
                sc.num_examples.append((c["case"], tier, "[tiers %d] shared by %s" % (n, sorted(v))))
    return sc


def ratio(a):
    return a[0] / a[1] if a[1] else float("nan")


def tier_total(sc, tier):
    return [sum(v[0] for k, v in sc.kind.items() if k[0] == tier), sum(v[1] for k, v in sc.kind.items() if k[0] == tier)]


CLASS_TITLE = {"redact": "recall", "keep": "kept", "ambiguous": "not redacted", "trap": "left intact"}


def report(sc, title):
    lines = ["", "== %s ==" % title, "", "| tier | kind | recall | found/total |", "|---|---|---|---|"]
    for tier in ("standard", "hard"):
        for kind in REDACT_KINDS:
            e = sc.kind.get((tier, kind))
            if e:
                lines.append("| %s | %s | %.4f | %d/%d |" % (tier, kind, ratio(e), e[0], e[1]))
        tot = tier_total(sc, tier)
        if tot[1]:
            lines.append("| %s | **all** | %.4f | %d/%d |" % (tier, ratio(tot), tot[0], tot[1]))
    lines += ["", "Per category (gold form; '+noaccent': accents dropped). redact: recall of the mentions to "
              "hide; keep: the requester's own mentions kept; ambiguous: kept (flagging not required); "
              "trap: capitalised words that are nobody's name, left intact.", "",
              "| tier | class | category | score | n/total |", "|---|---|---|---|---|"]
    for tier in ("standard", "hard"):
        for cls in ("redact", "keep", "ambiguous", "trap"):
            for (t, c, form), e in sorted(sc.form.items()):
                if t == tier and c == cls:
                    lines.append("| %s | %s | %s | %.4f | %d/%d |" % (tier, cls, form, ratio(e), e[0], e[1]))
    un = [sum(v[0] for k, v in sc.kind.items() if k[1] == "name"), sum(v[1] for k, v in sc.kind.items() if k[1] == "name")]
    prec = sc.tp / (sc.tp + sc.fp) if sc.tp + sc.fp else float("nan")
    lines += ["", "precision (redaction spans touching a gold span): %.4f (%d/%d)" % (prec, sc.tp, sc.tp + sc.fp)]
    for tier in ("standard", "hard"):
        e = sc.tier_pr.get(tier)
        if e and sum(e):
            lines.append("  %s tier: %.4f (%d/%d)" % (tier, e[0] / sum(e), e[0], sum(e)))
    lines.append("requester's own mentions kept: %.4f (%d/%d)" % (ratio(sc.keep), sc.keep[0], sc.keep[1]))
    for tier in ("standard", "hard"):
        e = sc.keep_tier.get(tier)
        if e:
            lines.append("  %s tier: %.4f (%d/%d)" % (tier, ratio(e), e[0], e[1]))
    lines.append("unregistered names recall (both tiers): %.4f (%d/%d)" % (ratio(un), un[0], un[1]))
    if sum(sc.amb):
        lines.append("ambiguous mentions (could be the requester): kept+flagged %d, kept unflagged %d, redacted %d"
                     % tuple(sc.amb))
    if sc.attrib[1]:
        lines.append("registered third parties attributed to the right register id: %.4f (%d/%d)"
                     % (sc.attrib[0] / sc.attrib[1], sc.attrib[0], sc.attrib[1]))
    lines += ["", "Numbering consistency (within a case, over the redaction spans touching a gold person or "
              "unregistered name; an unregistered person whose first name and surname never appear together "
              "counts as two):", "",
              "| tier | cases | gold persons numbered | persons split over several numbers | of which linkable "
              "(registered, or an unregistered mention after the full name) | numbers | "
              "numbers shared by several persons | consistent persons |", "|---|---|---|---|---|---|---|---|"]
    for tier in ("standard", "hard"):
        nb = sc.numbering.get(tier)
        if nb:
            lines.append("| %s | %d | %d | %d | %d | %d | %d | %.4f |" % (
                tier, nb["cases"], nb["persons"], nb["split"], nb["split_known"], nb["numbers"], nb["shared"],
                (nb["persons"] - nb["split"]) / nb["persons"] if nb["persons"] else float("nan")))
    return "\n".join(lines), prec, un


def check(sc, prec, un):
    failures = []
    for (tier, kind), e in sorted(sc.kind.items()):
        target = TARGETS["name"] if kind == "name" else TARGETS[tier]
        if ratio(e) < target:
            failures.append("%s/%s recall %.4f < %.3f" % (tier, kind, ratio(e), target))
    for tier in ("standard", "hard"):
        tot = tier_total(sc, tier)
        if tot[1] and ratio(tot) < TARGETS[tier]:
            failures.append("%s recall (all kinds) %.4f < %.3f" % (tier, ratio(tot), TARGETS[tier]))
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


def run_node(corpus, out, max_mb, extra=()):
    """The npm packages on `corpus` (node/bench.js, installed on first use):
    (lib figures, {(case, doc): spans}) for each package timed."""
    nodedir = os.path.join(HERE, "node")
    if not os.path.isdir(os.path.join(nodedir, "node_modules")):
        subprocess.check_call(["npm", "ci", "--no-audit", "--no-fund"], cwd=nodedir, stdout=subprocess.DEVNULL)
    res = subprocess.run(["node", os.path.join(nodedir, "bench.js"), "--corpus", corpus, "--out", out,
                          "--max-mb", str(max_mb), *extra], check=True, stdout=subprocess.PIPE, text=True)
    nres = json.loads(res.stdout.strip().splitlines()[-1])
    for lib in nres["libs"]:
        preds = {}
        with open(out) as f:
            for line in f:
                r = json.loads(line)
                if r["lib"] == lib["name"]:
                    preds[(r["case"], r["doc"])] = r["spans"]
        yield lib, preds


def main():
    ap = argparse.ArgumentParser(description="redact-fr quality and throughput benchmark")
    ap.add_argument("--cases", type=int, default=400, help="cases in the quality corpus")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--speed-cases", type=int, default=1500, help="cases in the throughput corpus")
    ap.add_argument("--node-mb", type=float, default=2.0, help="MB of text given to each npm package")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--dense-mib", type=int, default=64, help="size of the dense throughput file (MiB)")
    ap.add_argument("--dense-distinct-mib", type=int, default=8,
                    help="distinct generated text in the dense file, repeated up to --dense-mib")
    ap.add_argument("--dense-rounds", type=int, default=5, help="timed rounds on the dense file")
    ap.add_argument("--node-dense-mb", type=float, default=4.0,
                    help="prefix of the dense file (MiB, cut at a line end) given to redact-pii")
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
        print("\n-- numbering inconsistencies --")
        for m in sc.num_examples:
            print(m)
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
        npath = os.path.join(work, "node-spans.jsonl")
        for lib, preds in run_node(spath, npath, a.node_mb):
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

    dense_file(a, binpath, work)
    print("\ncommand: python3 tools/bench/redact/bench.py %s" % " ".join(sys.argv[1:]))
    return 1 if (a.check and failures) else 0


def dense_file(a, binpath, work):
    """The dense 64 MiB file: redact-fr and redact-pii in the same run."""
    print("\n== dense %d MiB file: redact-fr and redact-pii side by side ==" % a.dense_mib)
    print("machine: %s" % machine())
    print("command: %s" % " ".join([sys.executable] + sys.argv))
    big, pre, info = gen_corpus.dense_file(a.seed + 2, a.dense_mib << 20, a.dense_distinct_mib << 20,
                                           int(a.node_dense_mb * (1 << 20)))
    bpath = os.path.join(work, "dense-%dMiB.jsonl" % a.dense_mib)
    write_corpus(bpath, [big])
    ppath = os.path.join(work, "dense-prefix.jsonl")
    write_corpus(ppath, [pre])
    print("file: ONE case (one hard-tier register, one session) with ONE document of %d bytes (%.0f MiB), redacted "
          "in one call; its text is %d generated dense documents of that case (%d distinct bytes, one name or "
          "identifier every %.1f bytes) joined by blank lines and repeated %.2f times to reach the size"
          % (info["bytes"], info["bytes"] / (1 << 20), info["distinct_docs"], info["distinct_bytes"],
             info["bytes_per_mention"], info["repeats"]))
    c = run_c(binpath, bpath, None, a.dense_rounds, 0)
    print("redact-fr: %d rounds, best %.3f s, mean %.3f s, one thread, session setup included, %d spans"
          % (c["rounds"], c["best_s"], c["mean_s"], c["spans"]))
    rows = [("redact-fr (C, one thread)", "whole %d MiB file" % a.dense_mib, c["bytes"], c["mb_per_s_best"],
             c["mb_per_s_mean"], None)]
    sp_path = os.path.join(work, "dense-prefix-spans.jsonl")
    cp = run_c(binpath, ppath, sp_path, a.rounds, 1.0)
    psc = score([pre], load_preds(sp_path))
    rows.append(("redact-fr (C, one thread)", "first %.2f MB of it" % (cp["bytes"] / 1e6), cp["bytes"],
                 cp["mb_per_s_best"], cp["mb_per_s_mean"], psc))
    if not a.no_node:
        npath = os.path.join(work, "dense-node-spans.jsonl")
        node_v = subprocess.run(["node", "--version"], stdout=subprocess.PIPE, text=True).stdout.strip()
        for lib, preds in run_node(ppath, npath, a.node_dense_mb * 2, ["--libs", "redact-pii"]):
            nsc = score([pre], preds)
            rows.append(("%s %s (Node %s)" % (lib["name"], lib["version"], node_v),
                         "first %.2f MB of it (one string, one redact() call; %.1f MB/s would take %.0f s on the "
                         "whole file)" % (lib["bytes"] / 1e6, lib["mb_per_s"], c["bytes"] / 1e6 / lib["mb_per_s"]),
                         lib["bytes"], lib["mb_per_s"], lib["mb_per_s"], nsc))
    print("\nMB = 10^6 bytes. Quality columns are scored on the prefix (the same text for both engines).\n")
    print("| engine | text timed | bytes | MB/s (best) | MB/s (mean) | recall (all kinds, prefix) | precision (prefix) "
          "| requester kept (prefix) | redact-fr (whole file) is |")
    print("|---|---|---|---|---|---|---|---|---|")
    base = rows[0][3]
    for name, what, nbytes, best, mean, sc2 in rows:
        if sc2 is not None:
            allk = [sum(v[0] for v in sc2.kind.values()), sum(v[1] for v in sc2.kind.values())]
            q = "%.4f | %.4f | %.4f" % (ratio(allk), sc2.tp / max(1, sc2.tp + sc2.fp), ratio(sc2.keep))
        else:
            q = "- | - | -"
        print("| %s | %s | %d | %.2f | %.2f | %s | %s |" % (name, what, nbytes, best, mean, q,
              "%.0fx faster" % (base / best) if name.startswith("redact-pii") and best else "-"))
    target = 100.0
    print("\nspeed target >= %.0f MB/s on one core on the dense %d MiB file: %s (best %.1f MB/s, mean %.1f MB/s)"
          % (target, a.dense_mib, "met" if c["mb_per_s_best"] >= target else "NOT met", c["mb_per_s_best"],
             c["mb_per_s_mean"]))


if __name__ == "__main__":
    sys.exit(main())
