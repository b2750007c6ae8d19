#!/usr/bin/env python3
"""Page-document redaction benchmark: PDFs, scans, JPEG, DOCX (see README.md).

  python3 tools/bench/pages/bench.py --bin PREFIX/bin/casevault [--cases 8] [--workdir DIR]
      [--scan-pages-rss 200] [--no-ocrmypdf] [--no-export] [--check] [-v]
  python3 tools/bench/pages/bench.py --self-test

Generates the cases (gen_docs.py), creates an archive, ingests the bundles,
runs `casevault redact --case C --for p1 --json --out OUT.pdf FILE` on each
document (pinned to core 0 with taskset), then prints per document type:
recall of third-party mentions in the JSON "text", requester's mentions
kept, leak checks on every output PDF (pdftotext, qpdf --qdf dump, OCR of
the rendered pages), pages/s, the peak RSS of one run on a long scanned PDF,
and OCRmyPDF's pages/s on the same scanned PDFs. Figures also go to
WORKDIR/results.json. A failing casevault command is reported per document;
the script goes on.
"""
import argparse
import concurrent.futures as cf
import glob
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time


def _ensure_python():
    """The system python has python3-reportlab, -pil, -docx; a pyenv shim may not."""
    try:
        import reportlab  # noqa: F401
        import PIL  # noqa: F401
        import docx  # noqa: F401
    except ImportError:
        sysp = "/usr/bin/python3"
        if os.path.exists(sysp) and os.path.realpath(sys.executable) != os.path.realpath(sysp) \
                and not os.environ.get("CV_PAGES_BENCH_REEXEC"):
            os.environ["CV_PAGES_BENCH_REEXEC"] = "1"
            os.execv(sysp, [sysp, os.path.abspath(__file__), *sys.argv[1:]])
        raise


if "--rss-worker" not in sys.argv:
    _ensure_python()

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "tests", "e2e"))
import matcher  # noqa: E402

TYPES = ["born-digital", "scanned-pdf", "jpeg", "docx"]
TYPE_LABEL = {"born-digital": "PDF natif", "scanned-pdf": "PDF scanné", "jpeg": "JPEG scanné", "docx": "DOCX"}
TARGET_RECALL = {"born-digital": 0.99, "scanned-pdf": 0.97, "jpeg": 0.97, "docx": 0.99}
TARGET_KEEP = 0.99
CHECKS = ["pdftotext", "qpdf-dump", "ocr"]
HELPER_PIN = []   # taskset prefix for the leak checkers' programs (keeps them off the long-scan run's core)


def nproc():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def pin(core):
    if shutil.which("taskset") and core is not None and core < (os.cpu_count() or 1):
        return ["taskset", "-c", str(core)]
    return []


def first_line(b, n=300):
    s = b.decode("utf-8", "replace") if isinstance(b, bytes) else str(b)
    s = " | ".join(l.strip() for l in s.strip().splitlines() if l.strip())
    return s[:n]


# --- the RSS worker (a fresh python: RUSAGE_CHILDREN only sees this run) -----

def _children(pid):
    out = []
    for f in glob.glob(f"/proc/{pid}/task/*/children"):
        try:
            out += [int(x) for x in open(f).read().split()]
        except OSError:
            pass
    return out


def _status(pid):
    d = {}
    try:
        for line in open(f"/proc/{pid}/status"):
            k, _, v = line.partition(":")
            if k in ("Name", "VmHWM", "VmRSS"):
                d[k] = v.strip()
    except OSError:
        return None
    return d


def rss_worker(cmd, result_path, timeout):
    """Runs cmd, polls its process tree (peak VmHWM per program name, peak
    sum of VmRSS), and writes {"rc","wall","ru_maxrss_kib","per_program_kib",
    "tree_peak_kib","stderr"} to result_path."""
    t0 = time.perf_counter()
    err = tempfile.TemporaryFile()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
    per, tree_peak = {}, 0
    while True:
        try:
            rc = p.wait(timeout=0.02)
            break
        except subprocess.TimeoutExpired:
            pass
        if time.perf_counter() - t0 > timeout:
            p.kill()
            rc = p.wait()
            rc = f"timeout after {timeout} s"
            break
        todo, seen, total = [p.pid], set(), 0
        while todo:
            q = todo.pop()
            if q in seen:
                continue
            seen.add(q)
            st = _status(q)
            if st:
                name = st.get("Name", "?")
                hwm = int(st.get("VmHWM", "0 kB").split()[0]) if "VmHWM" in st else 0
                total += int(st.get("VmRSS", "0 kB").split()[0]) if "VmRSS" in st else 0
                if name in ("taskset",):
                    pass
                per[name] = max(per.get(name, 0), hwm)
            todo += _children(q)
        tree_peak = max(tree_peak, total)
    wall = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    err.seek(0)
    res = {"rc": rc, "wall": wall, "ru_maxrss_kib": ru, "per_program_kib": per, "tree_peak_kib": tree_peak,
           "stderr": first_line(err.read(4000))}
    with open(result_path, "w") as f:
        json.dump(res, f)
    return res


# --- leak checks -----------------------------------------------------------------

def _strip_image_streams(data):
    """The qdf dump without the bytes of image streams (pixels are the OCR
    check's business; their raw bytes would only give noise)."""
    out, pos, dropped = bytearray(), 0, 0
    rx = re.compile(rb"(?<!end)stream\r?\n")
    while True:
        m = rx.search(data, pos)
        if not m:
            out += data[pos:]
            break
        end = data.find(b"endstream", m.end())
        if end < 0:
            out += data[pos:]
            break
        objstart = data.rfind(b" obj", 0, m.start())
        head = data[objstart if objstart >= 0 else pos:m.start()]
        if re.search(rb"/Subtype\s*/Image", head):
            out += data[pos:m.end()]
            dropped += end - m.end()
        else:
            out += data[pos:end]
        out += b"endstream"
        pos = end + len(b"endstream")
    return bytes(out), dropped


def _pdf_strings_text(data):
    """Latin-1 and UTF-16BE readings of a qdf dump, with literal-string octal
    escapes and hex strings decoded."""
    lat = data.decode("latin-1")
    lat_unesc = re.sub(r"\\([0-7]{1,3})", lambda m: chr(int(m.group(1), 8) & 0xff), lat)
    parts = [lat, lat_unesc]
    raw = lat_unesc.encode("latin-1")
    for off in (0, 1):
        parts.append(raw[off:].decode("utf-16-be", errors="ignore"))
    for hx in re.findall(rb"<([0-9A-Fa-f\s]{4,})>", data):
        try:
            b = bytes.fromhex(re.sub(rb"\s", b"", hx).decode())
        except ValueError:
            continue
        parts.append(b.decode("latin-1"))
        parts.append(b.decode("utf-16-be", errors="ignore"))
    return "\n".join(parts)


def check_pdftotext(pdf, needles, tmp):
    p = subprocess.run([*HELPER_PIN, "pdftotext", "-enc", "UTF-8", pdf, "-"], capture_output=True, timeout=300)
    if p.returncode:
        return None, f"pdftotext failed: {first_line(p.stderr)}", {}
    text = p.stdout.decode("utf-8", "replace")
    return matcher.leaks(text, needles), None, {"chars": len(text.strip())}


def check_qdf(pdf, needles, tmp):
    q = os.path.join(tmp, "x.qdf")
    p = subprocess.run([*HELPER_PIN, "qpdf", "--qdf", "--object-streams=disable", pdf, q], capture_output=True, timeout=600)
    if p.returncode not in (0, 3) or not os.path.exists(q):
        return None, f"qpdf failed: {first_line(p.stderr)}", {}
    data = open(q, "rb").read()
    os.unlink(q)
    stripped, dropped = _strip_image_streams(data)
    return matcher.leaks(_pdf_strings_text(stripped), needles), None, {"bytes": len(data),
                                                                          "image_bytes_skipped": dropped}


def ocr_pdf(pdf, tmp, dpi=300):
    """Text of each page: pdftoppm -r 300 -gray, then tesseract -l fra."""
    pre = os.path.join(tmp, "pg")
    p = subprocess.run([*HELPER_PIN, "pdftoppm", "-r", str(dpi), "-gray", pdf, pre], capture_output=True, timeout=1800)
    if p.returncode:
        raise RuntimeError(f"pdftoppm failed: {first_line(p.stderr)}")
    texts = []
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    for img in sorted(glob.glob(pre + "*.pgm")):
        t = subprocess.run([*HELPER_PIN, "tesseract", img, "-", "-l", "fra"], capture_output=True, timeout=600, env=env)
        os.unlink(img)
        if t.returncode:
            raise RuntimeError(f"tesseract failed: {first_line(t.stderr)}")
        texts.append(t.stdout.decode("utf-8", "replace"))
    return texts


def check_ocr(pdf, needles, tmp):
    try:
        texts = ocr_pdf(pdf, tmp)
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        return None, str(e), {}
    found = {}
    for t in texts:
        for n, c in matcher.leaks(t, needles):
            found[n] = found.get(n, 0) + c
    return sorted(found.items()), None, {"pages": len(texts), "chars": sum(len(t.strip()) for t in texts)}


def leak_checks(pdf, needles, checks=CHECKS):
    """{check: {"leaks": [(needle, n)], "error": str|None, ...}} for one PDF."""
    tmp = tempfile.mkdtemp(prefix="cv-leak-")
    out = {}
    try:
        for c in checks:
            fn = {"pdftotext": check_pdftotext, "qpdf-dump": check_qdf, "ocr": check_ocr}[c]
            try:
                lk, err, info = fn(pdf, needles, tmp)
            except Exception as e:  # never crash the run over one check
                lk, err, info = None, f"{type(e).__name__}: {e}", {}
            out[c] = {"leaks": lk, "error": err, **info}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


# --- the casevault side ------------------------------------------------------------

class CV:
    def __init__(self, binary, root):
        self.bin = binary
        self.env = dict(os.environ, CASEVAULT_ARCHIVE=os.path.join(root, "archive"),
                        CASEVAULT_KEY_FILE=os.path.join(root, "master.key"), CASEVAULT_USER="bench")
        for k in ("CASEVAULT_PASSPHRASE_FILE",):
            self.env.pop(k, None)

    def run(self, *args, timeout=600, prefix=()):
        return subprocess.run([*prefix, self.bin, *args], env=self.env, capture_output=True, timeout=timeout)


def contract_problems(js, doc, out):
    """Deviations of one `redact --json` answer from the contract."""
    pr = []
    if not isinstance(js, list) or len(js) != 1 or not isinstance(js[0], dict):
        return ["answer is not a one-element array of objects"]
    o = js[0]
    for k in ("file", "out", "pages", "text", "spans"):
        if k not in o:
            pr.append(f"key {k!r} missing")
    if "out" in o and os.path.abspath(str(o["out"])) != os.path.abspath(out):
        pr.append(f"out is {o['out']!r}, expected {out!r}")
    if "pages" in o and not isinstance(o["pages"], int):
        pr.append("pages is not an integer")
    spans = o.get("spans") or []
    need = ("start", "end", "kind", "replacement", "person", "review", "kept", "page", "boxes")
    miss = sorted({k for s in spans for k in need if k not in s})
    if miss:
        pr.append("span keys missing: " + ", ".join(miss))
    bad_boxes = 0
    for s in spans:
        for b in s.get("boxes") or []:
            if not (isinstance(b, list) and len(b) == 4 and b[0] < b[2] and b[1] < b[3]):
                bad_boxes += 1
    if bad_boxes:
        pr.append(f"{bad_boxes} malformed boxes")
    hidden_no_box = sum(1 for s in spans if not s.get("kept") and "boxes" in s and not s["boxes"])
    if hidden_no_box:
        pr.append(f"{hidden_no_box} hidden spans without any box")
    return pr


def redact_doc(cv, cid, doc, outdir, timeout, core):
    out = os.path.join(outdir, doc["name"] + ".redacted.pdf")
    if os.path.exists(out):
        os.unlink(out)
    args = ["redact", "--case", cid, "--for", "p1", "--json", "--out", out, doc["path"]]
    t0 = time.perf_counter()
    try:
        p = cv.run(*args, timeout=timeout, prefix=pin(core))
        wall = time.perf_counter() - t0
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timeout after {timeout} s", "wall": timeout, "out": None}
    r = {"wall": wall, "rc": p.returncode, "stderr": first_line(p.stderr, 500), "out": out}
    with open(os.path.join(outdir, doc["name"] + ".json"), "wb") as f:
        f.write(p.stdout)
    if p.returncode != 0:
        r.update(ok=False, error=f"exit {p.returncode}: {first_line(p.stderr) or '(no message on stderr)'}")
        return r
    try:
        js = json.loads(p.stdout)
    except ValueError as e:
        r.update(ok=False, error=f"exit 0 but stdout is not JSON ({e})")
        return r
    r["contract"] = contract_problems(js, doc, out)
    o = js[0] if isinstance(js, list) and js and isinstance(js[0], dict) else {}
    r["pages"] = o.get("pages") if isinstance(o.get("pages"), int) else doc.get("pages")
    r["text"] = o.get("text") if isinstance(o.get("text"), str) else None
    r["spans"] = len(o.get("spans") or [])
    if not os.path.exists(out) or os.path.getsize(out) == 0:
        r.update(ok=False, error="exit 0 but no output PDF")
        return r
    if r["text"] is None:
        r.update(ok=False, error="exit 0 but no \"text\" in the JSON answer")
        return r
    r["ok"] = True
    return r


def pdf_pages(pdf):
    p = subprocess.run(["pdfinfo", pdf], capture_output=True)
    m = re.search(rb"Pages:\s+(\d+)", p.stdout)
    return int(m.group(1)) if m else None


def pdf_fonts(pdf):
    p = subprocess.run(["pdffonts", pdf], capture_output=True)
    lines = p.stdout.decode("utf-8", "replace").splitlines()
    return max(0, len(lines) - 2) if p.returncode == 0 else None


def third_needles(case, doc):
    """Third-party strings searched in the outputs: the document's gold
    needles, and every third party's full name, phone, NIR and street address
    from the register."""
    s = {m["needle"] for m in doc["mentions"] if m["third_party"]}
    man = json.load(open(os.path.join(case["bundle"], "case.json"), encoding="utf-8"))
    for p in man["persons"]:
        if p["id"] == case["requester"]:
            continue
        for f in p["first"]:
            s.add(f"{f} {p['last']}")
            s.add(f"{p['last']} {f}")
        for k in ("phone", "nir"):
            if p.get(k):
                s.add(p[k])
        if p.get("address"):
            s.add(p["address"].split(",")[0])
    by_key = {}
    for n in sorted(s, key=lambda x: (-len(x), x)):   # one needle per folded form ("2 90 11…" = "29011…")
        by_key.setdefault(matcher.key(n), n)
    return sorted(by_key.values())


def run_tesseract_ref(src, core, tmp, timeout):
    """Reference floor: pdftoppm -r 300 -gray then tesseract -l fra on each
    page, OMP_THREAD_LIMIT=1, pinned like the others (OCR only: no layout of
    boxes, no rendering of a new PDF)."""
    pre = os.path.join(tmp, "ref")
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    t0 = time.perf_counter()
    try:
        p = subprocess.run([*pin(core), "pdftoppm", "-r", "300", "-gray", src, pre], capture_output=True,
                           timeout=timeout)
        if p.returncode:
            return {"ok": False, "error": f"pdftoppm: {first_line(p.stderr)}"}
        for img in sorted(glob.glob(pre + "*.pgm")):
            t = subprocess.run([*pin(core), "tesseract", img, "-", "-l", "fra"], capture_output=True,
                               timeout=timeout, env=env)
            os.unlink(img)
            if t.returncode:
                return {"ok": False, "error": f"tesseract: {first_line(t.stderr)}"}
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": "timeout"}
    return {"ok": True, "wall": time.perf_counter() - t0}


def run_ocrmypdf(src, dst, core, timeout):
    cmd = [*pin(core), "ocrmypdf", "-l", "fra", "--jobs", "1", "--output-type", "pdf", "--optimize", "0", src, dst]
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timeout after {timeout} s"}
    wall = time.perf_counter() - t0
    if p.returncode:
        return {"ok": False, "wall": wall, "error": f"exit {p.returncode}: {first_line(p.stderr)}"}
    return {"ok": True, "wall": wall}


# --- printing ---------------------------------------------------------------------

def fmt_ratio(a, b):
    return f"{a / b:.3f} ({a}/{b})" if b else "n/a"


def table(rows, head):
    w = [max(len(str(r[i])) for r in [head] + rows) for i in range(len(head))]
    line = lambda r: "  ".join(str(c).ljust(w[i]) if i == 0 else str(c).rjust(w[i]) for i, c in enumerate(r))
    print(line(head))
    print("  ".join("-" * x for x in w))
    for r in rows:
        print(line(r))


# --- self-test ------------------------------------------------------------------

def self_test(keep_dir=None):
    import pagedocs
    ok = True

    def check(cond, what):
        nonlocal ok
        print(("  ok    " if cond else "  FAIL  ") + what)
        ok &= bool(cond)

    print("matcher:")
    check(matcher.lev1("lefebvre", "lefebre") and matcher.lev1("lefebvre", "lefebvrc")
          and not matcher.lev1("lefebvre", "lefbre"), "Levenshtein <= 1")
    check(matcher.count("Mme Sandrine LEFÈBVRE est là", "Sandrine Lefebvre") == 1, "case and accents folded")
    check(matcher.count("Mme Sandrlne Lefebvre", "Sandrine Lefebvre") == 1, "one OCR error in a long word found")
    check(matcher.count("M. Roux et M. Raux", "M. Roux") == 1, "short words exact")
    check(matcher.count("Mme Lefebvre", "Mme Lefeb") == 0 and matcher.count("Mme [tiers 1]", "Mme Lefebvre") == 0,
          "no partial word match; label does not match")
    check(matcher.count("tél. 06.12.34.56.78 ou 0612345678 ou 06 12 34 56 79", "06 12 34 56 78") == 3,
          "phones however spaced, one digit off still found")
    check(matcher.count("MmeSandrineLefebvre", "Mme Sandrine Lefebvre", squeeze=True) == 1
          and matcher.count("MmeSandrineLefebvre", "Mme Sandrine Lefebvre") == 0, "squeezed search (leak checks)")
    gold = [{"needle": "Sandrine Lefebvre", "third_party": True, "kind": "person"},
            {"needle": "Sandrine", "third_party": True, "kind": "person"},
            {"needle": "Lucas Moreau", "third_party": False, "kind": "person"},
            {"needle": "M. Moreau", "third_party": True, "kind": "person"}]
    src = "Sandrine Lefebvre et Sandrine. Lucas Moreau voit M. Moreau."
    s0 = matcher.score(src, gold)
    s1 = matcher.score("[tiers 1] et Sandrine. Lucas Moreau voit [tiers 2].", gold)
    s2 = matcher.score("[tiers 1] et [tiers 1]. [tiers 3] voit [tiers 2].", gold)
    check(s0["third"] == [0, 3] and s0["keep"] == [1, 1], f"score of the source: {s0['third']} {s0['keep']}")
    check(s1["third"] == [2, 3] and s1["keep"] == [1, 1], f"score, a lone first name left: {s1['third']}")
    check(s2["third"] == [3, 3] and s2["keep"] == [0, 1], f"score, requester over-redacted: {s2['keep']}")

    tmp = keep_dir or tempfile.mkdtemp(prefix="cv-pages-selftest-")
    os.makedirs(tmp, exist_ok=True)
    try:
        from reportlab.pdfgen import canvas

        def one_page(path, lines):
            c = canvas.Canvas(path)
            c.setFont("Helvetica", 12)
            for i, line in enumerate(lines):
                c.drawString(72, 700 - 20 * i, line)
            c.showPage()
            c.save()
            return path

        needles = ["Sandrine Lefebvre", "06 12 34 56 78", "12 rue des Lilas"]
        leak = one_page(os.path.join(tmp, "leak.pdf"), ["Rapport : Mme Sandrine Lefebvre, 12 rue des Lilas, 69003 Lyon.",
                                                        "Téléphone : 06 12 34 56 78."])
        clean = one_page(os.path.join(tmp, "clean.pdf"),
                         ["Rapport : Mme [tiers 1], [adresse]. Le rapport a été transmis au service.",
                          "Téléphone : [téléphone]. Lucas Moreau va bien."])
        # metadata only, UTF-16BE (hex and escaped literal): only the qpdf dump can see it
        meta = os.path.join(tmp, "meta.pdf")
        u16 = "\ufeffMme Sandrine Lefebvre".encode("utf-16-be")
        lit = "".join("\\%03o" % b for b in "\ufeff06 12 34 56 78".encode("utf-16-be")).encode()
        cont = b"BT /F1 12 Tf 72 720 Td (Rapport) Tj ET"
        pagedocs._write_pdf(meta, [
            b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Count 1 /Kids [3 0 R] >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
            b"/Contents 5 0 R >>", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Length %d >>\nstream\n" % len(cont) + cont + b"\nendstream",
            b"<< /Title <" + u16.hex().encode() + b"> /Subject (" + lit + b") >>"], trailer_extra=b"/Info 6 0 R ")
        # a pixel-only page with the text (as a redaction output would be): OCR only
        pix = os.path.join(tmp, "pixels.pdf")
        pagedocs.scanned_pdf(pix, [["Rapport : Mme Sandrine Lefebvre, 12 rue des Lilas, 69003 Lyon.",
                                    "Téléphone : 06 12 34 56 78."]], angle=0.8, noise=6)
        print("leak scanners:")
        r = leak_checks(leak, needles)
        for ch in CHECKS:
            check(r[ch]["error"] is None and len(r[ch]["leaks"] or []) == 3,
                  f"{ch} finds the 3 strings in a text PDF: {r[ch]['leaks']} {r[ch]['error'] or ''}")
        r = leak_checks(clean, needles)
        for ch in CHECKS:
            check(r[ch]["error"] is None and r[ch]["leaks"] == [], f"{ch} finds nothing in a clean PDF: "
                  f"{r[ch]['leaks']} {r[ch]['error'] or ''}")
        r = leak_checks(meta, needles, ["pdftotext", "qpdf-dump"])
        check(r["qpdf-dump"]["leaks"] is not None and len(r["qpdf-dump"]["leaks"]) == 2,
              f"qpdf-dump finds UTF-16BE metadata (hex and escaped): {r['qpdf-dump']['leaks']}")
        check(r["pdftotext"]["leaks"] == [], "pdftotext does not see metadata (expected)")
        r = leak_checks(pix, needles)
        check(r["pdftotext"]["leaks"] == [] and r["qpdf-dump"]["leaks"] == [],
              f"text checks blind on a pixel-only page (expected); image bytes skipped: "
              f"{r['qpdf-dump'].get('image_bytes_skipped')}")
        check(r["ocr"]["leaks"] is not None and len(r["ocr"]["leaks"]) == 3,
              f"ocr finds the 3 strings in a pixel-only (scanned) page: {r['ocr']['leaks']}")
        print("hostile files (tests/e2e/pagedocs.py):")
        import zipfile
        import zlib
        t0 = time.perf_counter()
        bomb = os.path.join(tmp, "bomb.pdf")
        pagedocs.pdf_bomb(bomb)
        raw = open(bomb, "rb").read()
        m = re.search(rb"/Length (\d+) /Filter /FlateDecode >>\nstream\n", raw)
        d = zlib.decompressobj()
        head = d.decompress(raw[m.end():m.end() + 65536], 1 << 20) if m else b""
        check(len(raw) < 5_000_000 and m and head[:1 << 10] == b" " * 1024 and b"/Count 100000" in raw
              and b"14400 14400" in raw, f"pdf_bomb: {len(raw) / 1e6:.1f} MB on disk, flate stream of 2 GiB, "
              f"100,000 pages, 14400 pt MediaBox, in {time.perf_counter() - t0:.2f} s")
        png = os.path.join(tmp, "bad.png")
        pagedocs.malformed_png(png)
        pb = open(png, "rb").read()
        check(pb[:8] == b"\x89PNG\r\n\x1a\n" and zlib.crc32(pb[12:29]) != int.from_bytes(pb[29:33], "big"),
              "malformed_png: PNG signature, IHDR CRC wrong")
        ext = os.path.join(tmp, "ext.docx")
        pagedocs.docx_external_links(ext)
        with zipfile.ZipFile(ext) as z:
            rels = z.read("word/_rels/document.xml.rels").decode()
            doc = z.read("word/document.xml").decode()
        check('TargetMode="External"' in rels and pagedocs.EXT_IMAGE_URL in rels and "INCLUDETEXT" in doc,
              "docx_external_links: external image relationship and INCLUDETEXT field")
        print("gold generation:")
        import gen_docs
        t0 = time.perf_counter()
        g = gen_docs.generate(os.path.join(tmp, "gen"), cases=1, seed=7, report_pages=2, log=lambda *a: None)
        docs = g[0]["documents"]
        check(len(docs) == 4 and all(os.path.getsize(d["path"]) > 1000 for d in docs),
              f"one case, 4 documents in {time.perf_counter() - t0:.1f} s")
        bd = next(d for d in docs if d["type"] == "born-digital")
        text = subprocess.run(["pdftotext", bd["path"], "-"], capture_output=True).stdout.decode()
        sc = matcher.score(text, bd["mentions"])
        check(sc["third"][0] == 0 and sc["keep"][0] == sc["keep"][1],
              f"pdftotext of the born-digital source: every gold mention found ({sc['third'][1]} third, "
              f"{sc['keep'][1]} requester)")
        sp = next(d for d in docs if d["type"] == "jpeg")
        ot = subprocess.run(["tesseract", sp["path"], "-", "-l", "fra"], capture_output=True,
                            env=dict(os.environ, OMP_THREAD_LIMIT="1")).stdout.decode()
        sc = matcher.score(ot, sp["mentions"])
        check(sc["third"][1] - sc["third"][0] >= 0.9 * sc["third"][1],
              f"tesseract reads the JPEG scan: {sc['third'][1] - sc['third'][0]}/{sc['third'][1]} third-party "
              f"mentions found before redaction")
        print("OCRmyPDF timing path:")
        if shutil.which("ocrmypdf"):
            r = run_ocrmypdf(pix, os.path.join(tmp, "ocrmypdf.pdf"), 0, 300)
            check(r["ok"], f"ocrmypdf on 1 page: {r.get('wall', 0):.1f} s {r.get('error') or ''}")
        else:
            print("  skip  ocrmypdf not installed")
        print("RSS worker:")
        res = os.path.join(tmp, "rss.json")
        subprocess.run([sys.executable, os.path.abspath(__file__), "--rss-worker", res, "60", "--",
                        sys.executable, "-c", "import time; b = bytearray(200 << 20); b[::4096] = b'x' * len(b[::4096]);"
                        " time.sleep(0.5)"], check=True)
        rr = json.load(open(res))
        check(180_000 < rr["ru_maxrss_kib"] < 400_000 and max(rr["per_program_kib"].values()) > 180_000,
              f"a 200 MiB child measured: ru_maxrss {rr['ru_maxrss_kib'] // 1024} MiB, per program "
              f"{ {k: v // 1024 for k, v in rr['per_program_kib'].items()} } MiB")
    finally:
        if not keep_dir:
            shutil.rmtree(tmp, ignore_errors=True)
    print("self-test " + ("passed" if ok else "FAILED"))
    return ok


# --- main ---------------------------------------------------------------------------

def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--rss-worker":
        # bench.py --rss-worker RESULT TIMEOUT -- CMD...
        res, tmo = sys.argv[2], float(sys.argv[3])
        rss_worker(sys.argv[5:], res, tmo)
        return 0
    ap = argparse.ArgumentParser(description="casevault page-document redaction benchmark")
    ap.add_argument("--bin", help="the casevault binary (PREFIX/bin/casevault)")
    ap.add_argument("--cases", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--report-pages", type=int, default=3, help="pages of each report (born-digital and scanned)")
    ap.add_argument("--scan-angle", type=float, default=1.5, help="max rotation of scanned pages, degrees")
    ap.add_argument("--scan-noise", type=float, default=8, help="gaussian noise sigma of scanned pages")
    ap.add_argument("--scan-quality", type=int, default=60, help="JPEG quality of scanned pages")
    ap.add_argument("--workdir", help="where everything goes (kept); default a new temp dir")
    ap.add_argument("--scan-pages-rss", type=int, default=200, help="pages of the long scanned PDF (0: skip)")
    ap.add_argument("--long-pages", type=int, default=60,
                    help="pages of a long born-digital report, for the speed once per-document set-up is paid (0: skip)")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per casevault redact run")
    ap.add_argument("--no-ocrmypdf", action="store_true")
    ap.add_argument("--no-export", action="store_true", help="skip the export check on the first case")
    ap.add_argument("--no-ocr-leak", action="store_true", help="skip the OCR leak check (the slowest)")
    ap.add_argument("--jobs", type=int, default=0, help="parallel leak checks (default: cores)")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed or a leak found")
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        return 0 if self_test(a.workdir) else 1
    if not a.bin:
        ap.error("--bin is required (or --self-test)")
    a.bin = os.path.abspath(a.bin)
    T0 = time.perf_counter()
    ncores = nproc()
    machine = {"nproc": ncores, "cpu": cpu_model(), "platform": platform.platform()}
    command = " ".join([os.path.relpath(sys.argv[0]) if not sys.argv[0].startswith("/") else sys.argv[0],
                        *sys.argv[1:]])
    print(f"# casevault page-document redaction benchmark\nmachine: {ncores} cores, {machine['cpu']}, "
          f"{machine['platform']}\ncommand: python3 {command}", flush=True)
    work = os.path.abspath(a.workdir or tempfile.mkdtemp(prefix="cv-pages-bench-"))
    os.makedirs(work, exist_ok=True)
    for d in ("archive", "out", "ocrmypdf", "rss", "export", "bundles", "gold"):
        shutil.rmtree(os.path.join(work, d), ignore_errors=True)
    for f in ("master.key",):
        if os.path.exists(os.path.join(work, f)):
            os.unlink(os.path.join(work, f))
    print(f"workdir: {work}")
    results = {"machine": machine, "command": "python3 " + command, "workdir": work, "notes": []}
    notes = results["notes"]
    tools = {t: bool(shutil.which(t)) for t in ("pdftotext", "qpdf", "pdftoppm", "tesseract", "ocrmypdf",
                                                 "taskset", "pdfinfo", "pdffonts")}
    for t, ok in tools.items():
        if not ok:
            notes.append(f"{t} not found: the checks that need it are skipped")
    checks = [c for c in CHECKS if (c != "ocr" or (tools["pdftoppm"] and tools["tesseract"] and not a.no_ocr_leak))
              and (c != "qpdf-dump" or tools["qpdf"]) and (c != "pdftotext" or tools["pdftotext"])]
    core0 = 0 if tools["taskset"] else None
    if core0 is None:
        notes.append("taskset not found: runs not pinned to one core")

    # 1. generation
    import gen_docs
    import pagedocs
    t0 = time.perf_counter()
    scan = {"angle": a.scan_angle, "noise": a.scan_noise, "jpeg_quality": a.scan_quality}
    gold = gen_docs.generate(work, a.cases, a.seed, a.report_pages, log=lambda *x: None, scan=scan)
    ndocs = sum(len(c["documents"]) for c in gold)
    print(f"\n1. generated {len(gold)} cases, {ndocs} documents, "
          f"{sum(len(d['mentions']) for c in gold for d in c['documents'])} gold mentions "
          f"in {time.perf_counter() - t0:.1f} s", flush=True)
    rss_pdf = None
    if a.scan_pages_rss > 0:
        rss_pdf = os.path.join(work, "rss", f"long-scan-{a.scan_pages_rss}p.pdf")
        os.makedirs(os.path.dirname(rss_pdf), exist_ok=True)
        c0 = gold[0]
        src = next(d for d in c0["documents"] if d["type"] == "scanned-pdf")
        texts = [[t for t, _ in paras] for paras in _pages_of(c0, src)]
        pagedocs.scanned_pdf_repeat(rss_pdf, texts, a.scan_pages_rss, seed=a.seed, **scan)
        print(f"   long scanned PDF for RSS: {a.scan_pages_rss} pages, "
              f"{os.path.getsize(rss_pdf) / 1e6:.1f} MB", flush=True)

    # 2. archive and ingestion
    cv = CV(a.bin, work)
    cids, ingest_errors = {}, {}
    try:
        r = cv.run("keygen", cv.env["CASEVAULT_KEY_FILE"])
        r2 = cv.run("init")
        if r.returncode or r2.returncode:
            raise RuntimeError(f"keygen/init failed: {first_line(r.stderr + r2.stderr)}")
        for c in gold:
            p = cv.run("ingest", c["bundle"], timeout=1800)
            if p.returncode:
                ingest_errors[c["case"]] = first_line(p.stderr)
                # fall back on the register alone, so that redact --case can still be tried
                fb = os.path.join(work, "bundles", c["case"] + "-register-only")
                shutil.rmtree(fb, ignore_errors=True)
                os.makedirs(os.path.join(fb, "docs"))
                man = json.load(open(os.path.join(c["bundle"], "case.json"), encoding="utf-8"))
                man["documents"] = [{"path": "docs/vide.txt", "title": "Vide", "date": "2024-05-02",
                                     "type": "note", "concerns": ["p1"]}]
                json.dump(man, open(os.path.join(fb, "case.json"), "w", encoding="utf-8"), ensure_ascii=False)
                open(os.path.join(fb, "docs", "vide.txt"), "w").write("Note.\n")
                p2 = cv.run("ingest", fb)
                if p2.returncode:
                    ingest_errors[c["case"]] += f" ; register-only bundle also failed: {first_line(p2.stderr)}"
        lst = cv.run("--json", "case", "list")
        for e in json.loads(lst.stdout or b"[]"):
            cids[e["ref"]] = e["id"]
    except Exception as e:
        notes.append(f"archive setup failed: {e}")
        print(f"   archive setup FAILED: {e}")
    print(f"\n2. archive: {len(cids)} cases ingested, {len(ingest_errors)} bundles refused", flush=True)
    for k, v in ingest_errors.items():
        print(f"   {k}: ingest FAILED: {v}")
    results["ingest_errors"] = ingest_errors

    # 3. the long scanned PDF, on the last core in the background (fresh python)
    rss_proc = rss_res = None
    rss_core = ncores - 1 if ncores > 1 and tools["taskset"] else None

    def start_rss():
        c0 = gold[0]
        cid = cids.get(c0["ref"])
        out = os.path.join(work, "rss", "long-scan.redacted.pdf")
        res = os.path.join(work, "rss", "result.json")
        cmd = [*pin(rss_core), a.bin, "redact", "--case", str(cid), "--for", "p1", "--json", "--out", out, rss_pdf]
        return subprocess.Popen([sys.executable, os.path.abspath(__file__), "--rss-worker", res,
                                 str(max(a.timeout, 4 * a.scan_pages_rss * 10)), "--", *cmd], env=cv.env), res, cmd

    if rss_pdf and cids and rss_core is not None:
        rss_proc, rss_res, rss_cmd = start_rss()
        print(f"   long-scan RSS run started on core {rss_core} in the background", flush=True)

    # 4. redact every document, pinned to core 0
    print(f"\n3. casevault redact --json --out, one document at a time"
          f"{' on core 0 (taskset -c 0)' if core0 is not None else ''}:", flush=True)
    runs = []
    for c in gold:
        outdir = os.path.join(work, "out", c["case"])
        os.makedirs(outdir, exist_ok=True)
        cid = cids.get(c["ref"])
        for d in c["documents"]:
            if not cid:
                r = {"ok": False, "error": "case not in the archive (ingest failed)", "wall": None, "out": None}
            else:
                r = redact_doc(cv, cid, d, outdir, a.timeout, core0)
            r.update(case=c["case"], doc=d["name"], type=d["type"])
            runs.append(r)
            state = (f"ok {r['wall']:.2f} s, {r['pages']} p, {r['spans']} spans"
                     + (f"; contract: {'; '.join(r['contract'])}" if r.get("contract") else "")
                     if r["ok"] else f"FAILED: {r['error']}")
            print(f"   {c['case']}/{d['name']:<28} {state}", flush=True)

    # 4b. a long born-digital report: the pages' own speed, the session set-up
    # (register, dictionaries, two sandbox starts: ~0.15 s a document) paid once
    results["long_born_digital"] = None
    if a.long_pages > 0 and gold and cids.get(gold[0]["ref"]):
        c0 = gold[0]
        src = next(d for d in c0["documents"] if d["type"] == "born-digital")
        texts = [[t for t, _ in paras] for paras in _pages_of(c0, src)]
        lpath = os.path.join(work, "rss", f"long-report-{a.long_pages}p.pdf")
        os.makedirs(os.path.dirname(lpath), exist_ok=True)
        pagedocs.born_digital_pdf(lpath, (texts * (a.long_pages // len(texts) + 1))[:a.long_pages])
        ldoc = dict(src, path=lpath, name=os.path.basename(lpath), pages=a.long_pages)
        lr = redact_doc(cv, cids[c0["ref"]], ldoc, os.path.join(work, "out"), a.timeout, core0)
        results["long_born_digital"] = {"pages": a.long_pages, "wall": lr.get("wall"), "ok": lr["ok"],
                                        "error": lr.get("error")}
        print(f"   long born-digital report, {a.long_pages} pages: " +
              (f"{lr['wall']:.2f} s = {a.long_pages / lr['wall']:.1f} pages/s" if lr["ok"] else f"FAILED: {lr['error']}"),
              flush=True)

    # 5. OCRmyPDF on the same scanned PDFs, core 0
    ocrm, tref = [], []
    if not a.no_ocrmypdf and tools["ocrmypdf"]:
        print("\n4. OCRmyPDF on the same scanned PDFs (ocrmypdf -l fra --jobs 1 --output-type pdf --optimize 0):",
              flush=True)
        os.makedirs(os.path.join(work, "ocrmypdf"), exist_ok=True)
        for c in gold:
            for d in c["documents"]:
                if d["type"] != "scanned-pdf":
                    continue
                r = run_ocrmypdf(d["path"], os.path.join(work, "ocrmypdf", c["case"] + ".pdf"), core0, a.timeout)
                r.update(case=c["case"], pages=d["pages"])
                ocrm.append(r)
                t = run_tesseract_ref(d["path"], core0, os.path.join(work, "ocrmypdf"), a.timeout)
                t.update(case=c["case"], pages=d["pages"])
                tref.append(t)
                print(f"   {c['case']}: " + (f"{r['wall']:.1f} s, {d['pages'] / r['wall']:.2f} pages/s" if r["ok"]
                                             else f"FAILED: {r['error']}")
                      + "   (pdftoppm + tesseract alone: " + (f"{d['pages'] / t['wall']:.2f} pages/s)" if t["ok"]
                                                               else f"FAILED: {t['error']})"), flush=True)
    else:
        notes.append("OCRmyPDF comparison skipped (" + ("--no-ocrmypdf" if a.no_ocrmypdf else "ocrmypdf not installed")
                     + ")")
        print("\n4. OCRmyPDF comparison skipped")

    # 6. export of the first case
    export = None
    if not a.no_export and gold and cids.get(gold[0]["ref"]):
        export = check_export(cv, gold[0], cids[gold[0]["ref"]], os.path.join(work, "export"), a.timeout,
                              pin(core0))
        print(f"\n5. export of {gold[0]['case']} --for p1: " + (export["summary"] if export["ok"]
                                                               else f"FAILED: {export['error']}"), flush=True)

    # 7. leak checks on every output PDF (parallel)
    global HELPER_PIN
    jobs = a.jobs or ncores
    if rss_proc is not None and rss_proc.poll() is None and rss_core is not None:
        # the long-scan run is still going on its core: keep the checkers off it
        others = [str(i) for i in sorted(os.sched_getaffinity(0)) if i != rss_core]
        if others:
            HELPER_PIN = ["taskset", "-c", ",".join(others)]
            jobs = a.jobs or len(others)
    outs = [r for r in runs if r.get("out") and os.path.exists(r["out"]) and os.path.getsize(r["out"]) > 0]
    print(f"\n6. leak checks ({', '.join(checks)}) on {len(outs)} output PDFs, {jobs} in parallel...", flush=True)
    bycase = {c["case"]: c for c in gold}
    t0 = time.perf_counter()

    def one(r):
        c = bycase[r["case"]]
        d = next(x for x in c["documents"] if x["name"] == r["doc"])
        res = leak_checks(r["out"], third_needles(c, d), checks)
        return r, res, pdf_pages(r["out"]), pdf_fonts(r["out"])

    with cf.ThreadPoolExecutor(max_workers=jobs) as ex:
        for r, res, npg, nf in ex.map(one, outs):
            r["leak"], r["out_pages"], r["out_fonts"] = res, npg, nf
    print(f"   done in {time.perf_counter() - t0:.0f} s", flush=True)

    # 8. the long-scan run (after everything else when there is a single core)
    rss = None
    if rss_pdf and cids:
        if rss_proc is None:
            print("\n   long-scan RSS run (single core: after the rest)...", flush=True)
            rss_proc, rss_res, rss_cmd = start_rss()
        rss_proc.wait()
        try:
            rss = json.load(open(rss_res))
            rss["pages"] = a.scan_pages_rss
            rss["command"] = " ".join(rss_cmd)
            rss["per_program_kib"] = {k: v for k, v in rss["per_program_kib"].items() if v >= 1024}
        except (OSError, ValueError) as e:
            rss = {"rc": f"worker failed: {e}", "pages": a.scan_pages_rss}
        rout = os.path.join(work, "rss", "long-scan.redacted.pdf")
        if rss.get("rc") == 0 and os.path.exists(rout):
            HELPER_PIN = []
            c0 = gold[0]
            d0 = next(d for d in c0["documents"] if d["type"] == "scanned-pdf")
            lk = leak_checks(rout, third_needles(c0, d0), [c for c in checks if c != "ocr"])
            rss["out_pages"] = pdf_pages(rout)
            rss["leaks"] = {ch: v["leaks"] if v["error"] is None else v["error"] for ch, v in lk.items()}

    summarize(a, gold, runs, ocrm, rss, export, checks, results, time.perf_counter() - T0, tref)
    with open(os.path.join(work, "results.json"), "w", encoding="utf-8") as f:
        json.dump(results, f, ensure_ascii=False, indent=1, default=str)
    print(f"\nresults: {os.path.join(work, 'results.json')}")
    return 1 if a.check and not results.get("targets_met") else 0


def _pages_of(case, doc):
    """The source text of a document's pages, rebuilt from the bundle is not
    possible for scans: regenerate it from the gold seed? The generator keeps
    the texts in gold/CASE.texts.json."""
    p = os.path.join(os.path.dirname(os.path.dirname(case["bundle"])), "gold", case["case"] + ".texts.json")
    texts = json.load(open(p, encoding="utf-8"))[doc["name"]]
    return [[(t, []) for t in pg] for pg in texts]


def check_export(cv, case, cid, outdir, timeout, prefix=()):
    import zipfile
    os.makedirs(outdir, exist_ok=True)
    z = os.path.join(outdir, "copie.zip")
    t0 = time.perf_counter()
    try:
        p = cv.run("export", cid, "--for", case["requester"], "--out", z, timeout=timeout * 4, prefix=prefix)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": "timeout"}
    wall = time.perf_counter() - t0
    if p.returncode:
        return {"ok": False, "error": f"exit {p.returncode}: {first_line(p.stderr)}", "wall": wall}
    names = zipfile.ZipFile(z).namelist()
    found, missing, leaks, originals = {}, [], [], []
    for d in case["documents"]:
        stem = os.path.splitext(d["name"])[0]
        # the bag may sit in a top folder (copie-REF/data/...); documents keep their bundle path
        cands = [n for n in names if "data" in n.split("/")[:-1] and n.lower().endswith(".pdf")
                 and os.path.basename(n).startswith(stem)]
        exact = [n for n in cands if os.path.basename(n) in (d["name"] + ".pdf", stem + ".pdf")]
        if not cands:
            missing.append(d["name"])
            continue
        found[d["name"]] = (exact or cands)[0]
        if any(os.path.basename(n) == d["name"] for n in names if not d["name"].endswith(".pdf")):
            originals.append(d["name"])
    with zipfile.ZipFile(z) as zf:
        for doc, n in found.items():
            f = os.path.join(outdir, os.path.basename(n))
            open(f, "wb").write(zf.read(n))
            dd = next(x for x in case["documents"] if x["name"] == doc)
            r = leak_checks(f, third_needles(case, dd), ["pdftotext", "qpdf-dump"])
            for ch, v in r.items():
                for needle, cnt in v["leaks"] or []:
                    leaks.append((doc, needle, ch))
    ok = not missing and not leaks and not originals
    summary = (f"{wall:.1f} s; redacted PDFs found for {len(found)}/{len(case['documents'])} documents "
               f"({', '.join(os.path.basename(v) for v in found.values())})"
               + (f"; MISSING: {', '.join(missing)}" if missing else "")
               + (f"; ORIGINAL FILES IN THE COPY: {', '.join(originals)}" if originals else "")
               + (f"; LEAKS (pdftotext/qpdf): {leaks}" if leaks else "; no leak (pdftotext, qpdf dump)"))
    return {"ok": ok, "wall": wall, "found": found, "missing": missing, "leaks": leaks, "originals": originals,
            "summary": summary, "error": None if ok else summary}


def summarize(a, gold, runs, ocrm, rss, export, checks, results, total_wall, tref=()):
    print("\n" + "=" * 100 + "\nRESULTS\n")
    golds = {(c["case"], d["name"]): d for c in gold for d in c["documents"]}
    per = {t: {"docs": 0, "ok": 0, "third": [0, 0], "keep": [0, 0], "pages": 0, "wall": 0.0,
               "leaks": {ch: 0 for ch in checks}, "checked": {ch: 0 for ch in checks}, "kinds": {},
               "failures": []} for t in TYPES}
    leak_list, missed = [], []
    for r in runs:
        P = per[r["type"]]
        P["docs"] += 1
        d = golds[(r["case"], r["doc"])]
        if not r["ok"]:
            P["failures"].append(f"{r['case']}/{r['doc']}: {r['error']}")
        else:
            P["ok"] += 1
            sc = matcher.score(r["text"], d["mentions"])
            for k in ("third", "keep"):
                P[k][0] += sc[k][0]
                P[k][1] += sc[k][1]
            for kk, (x, y) in sc["kinds"].items():
                v = P["kinds"].setdefault("/".join(kk), [0, 0])
                v[0] += x
                v[1] += y
            for n, cnt in sc["missed"]:
                missed.append((r["case"], r["doc"], n, cnt, "third party still in text"))
            for n, cnt in sc["lost"]:
                missed.append((r["case"], r["doc"], n, cnt, "requester's mention lost"))
            pg = r.get("pages") or d.get("pages") or 0
            P["pages"] += pg
            P["wall"] += r["wall"]
        for ch, v in (r.get("leak") or {}).items():
            if v["error"]:
                P["failures"].append(f"{r['case']}/{r['doc']}: {ch} check failed: {v['error']}")
                continue
            P["checked"][ch] += 1
            for n, cnt in v["leaks"]:
                P["leaks"][ch] += 1
                leak_list.append((r["case"], r["doc"], n, ch, cnt))

    rows = []
    rows.append(["documents redacted"] + [f"{per[t]['ok']}/{per[t]['docs']}" for t in TYPES])
    rows.append(["third-party mentions hidden (recall)"] + [fmt_ratio(*per[t]["third"]) for t in TYPES])
    rows.append(["  target"] + [f">= {TARGET_RECALL[t]}" for t in TYPES])
    rows.append(["requester's mentions kept"] + [fmt_ratio(*per[t]["keep"]) for t in TYPES])
    rows.append(["  target"] + [f">= {TARGET_KEEP}" for t in TYPES])
    for ch in checks:
        rows.append([f"leaks: {ch} (PDFs checked)"] + [f"{per[t]['leaks'][ch]} ({per[t]['checked'][ch]})"
                                                        for t in TYPES])
    rows.append(["pages"] + [per[t]["pages"] for t in TYPES])
    rows.append(["pages/s (one core, process incl.)"] + [f"{per[t]['pages'] / per[t]['wall']:.2f}"
                                                          if per[t]["wall"] else "n/a" for t in TYPES])
    om_pages = sum(r["pages"] for r in ocrm if r["ok"])
    om_wall = sum(r["wall"] for r in ocrm if r["ok"])
    om_pps = om_pages / om_wall if om_wall else None
    rows.append(["OCRmyPDF pages/s (same scans)"] + ["", f"{om_pps:.2f}" if om_pps else "n/a", "", ""])
    tr_pages = sum(r["pages"] for r in tref if r["ok"])
    tr_wall = sum(r["wall"] for r in tref if r["ok"])
    tr_pps = tr_pages / tr_wall if tr_wall else None
    rows.append(["pdftoppm+tesseract alone pages/s"] + ["", f"{tr_pps:.2f}" if tr_pps else "n/a", "", ""])
    table(rows, ["per document type"] + [TYPE_LABEL[t] + f" [{t}]" for t in TYPES])

    print("\nrecall / kept per kind (all types):")
    kinds = {}
    for t in TYPES:
        for k, (x, y) in per[t]["kinds"].items():
            v = kinds.setdefault(k, {})
            v[t] = (x, y)
    krows = [[k] + [fmt_ratio(*kinds[k][t]) if t in kinds[k] else "" for t in TYPES] for k in sorted(kinds)]
    if krows:
        table(krows, ["kind"] + TYPES)
    else:
        print("   (no successful run)")

    print("\nleaks found (document, string, check):")
    if leak_list:
        for c, d, n, ch, cnt in leak_list:
            print(f"   LEAK {c}/{d}: {n!r} ({ch}, {cnt}x)")
    else:
        print("   none" + ("" if any(r.get("leak") for r in runs) else " (no output PDF was checked)"))
    if a.verbose and missed:
        print("\nmentions not hidden / requester's mentions lost in the JSON text:")
        for m in missed:
            print(f"   {m[0]}/{m[1]}: {m[2]!r} x{m[3]}: {m[4]}")
    elif missed:
        print(f"\n{len(missed)} needles not hidden or lost in the JSON text (-v lists them)")

    fails = [f for t in TYPES for f in per[t]["failures"]]
    if fails:
        print(f"\nfailures ({len(fails)}):")
        seen = {}
        for f in fails:
            msg = f.split(": ", 1)[1] if ": " in f else f
            seen.setdefault(msg, []).append(f.split(": ", 1)[0])
        for msg, where in seen.items():
            print(f"   {len(where)}x {msg}   [{', '.join(where[:4])}{' ...' if len(where) > 4 else ''}]")
    contract = sorted({p for r in runs for p in r.get("contract") or []})
    if contract:
        print("\ncontract deviations in the JSON answers: " + "; ".join(contract))

    print("\nspeed (one core):")
    bd, sp, jp = per["born-digital"], per["scanned-pdf"], per["jpeg"]
    sc_pages, sc_wall = sp["pages"] + jp["pages"], sp["wall"] + jp["wall"]
    print("   born-digital : " + (f"{bd['pages'] / bd['wall']:.2f} pages/s ({bd['pages']} pages, {bd['wall']:.1f} s)"
                                    if bd["wall"] else "n/a"))
    print("   scanned (PDF + JPEG): " + (f"{sc_pages / sc_wall:.2f} pages/s ({sc_pages} pages, {sc_wall:.1f} s)"
                                          if sc_wall else "n/a"))
    print("   scanned PDF only: casevault " + (f"{sp['pages'] / sp['wall']:.2f}" if sp["wall"] else "n/a")
          + " pages/s   |   OCRmyPDF " + (f"{om_pps:.2f} pages/s ({om_pages} pages, {om_wall:.1f} s)" if om_pps
                                         else "n/a" + (f" ({ocrm[0]['error']})" if ocrm and not ocrm[0]['ok'] else ""))
          + "   |   pdftoppm + tesseract alone " + (f"{tr_pps:.2f} pages/s" if tr_pps else "n/a"))
    if rss:
        if rss.get("rc") == 0:
            per_prog = ", ".join(f"{k} {v / 1024:.0f} MiB" for k, v in sorted(rss["per_program_kib"].items(),
                                                                                key=lambda x: -x[1]))
            print(f"   {rss['pages']}-page scanned PDF: {rss['wall']:.0f} s = {rss['pages'] / rss['wall']:.2f} pages/s; "
                  f"peak RSS per program (VmHWM, polled every 20 ms): {per_prog}; whole tree at once "
                  f"{rss['tree_peak_kib'] / 1024:.0f} MiB; getrusage(RUSAGE_CHILDREN).ru_maxrss "
                  f"{rss['ru_maxrss_kib'] / 1024:.0f} MiB"
                  + (" (it does not see the sandboxed parser: processes bwrap reaps in its PID namespace are not "
                     "counted)" if max(rss["per_program_kib"].values() or [0]) > rss["ru_maxrss_kib"] * 1.1 else ""))
            print(f"     output: {rss.get('out_pages')} pages; leaks without OCR (pdftotext, qpdf dump): "
                  f"{rss.get('leaks')}")
        else:
            print(f"   {rss['pages']}-page scanned PDF: FAILED ({rss.get('rc')}: {rss.get('stderr', '')}); "
                  f"peak RSS {rss.get('ru_maxrss_kib', 0) / 1024:.0f} MiB")
    if export:
        print(f"\nexport: {export['summary'] if export.get('summary') else export.get('error')}")

    # targets
    met = []
    for t in TYPES:
        if per[t]["third"][1]:
            met.append(per[t]["third"][0] / per[t]["third"][1] >= TARGET_RECALL[t])
            met.append(per[t]["keep"][0] / per[t]["keep"][1] >= TARGET_KEEP if per[t]["keep"][1] else True)
        else:
            met.append(False)
    met.append(not leak_list)
    met.append(all(r["ok"] for r in runs))
    # speed, one core: >= 20 born-digital pages/s (on the long report when measured) and >= 1 scanned page/s
    lb = results.get("long_born_digital")
    bd = per["born-digital"]
    bd_pps = (lb["pages"] / lb["wall"] if lb and lb.get("ok") and lb.get("wall") else
              bd["pages"] / bd["wall"] if bd["wall"] else 0)
    sc_pps = sc_pages / sc_wall if sc_wall else 0
    results["speed_targets"] = {"born_digital_pages_per_s": bd_pps, "target_born_digital": 20,
                                "scanned_pages_per_s": sc_pps, "target_scanned": 1}
    print(f"\nspeed targets (one core): born-digital {bd_pps:.1f} pages/s "
          f"({'long report' if lb and lb.get('ok') else 'short documents'}; >= 20: {'met' if bd_pps >= 20 else 'NOT met'}), "
          f"scanned {sc_pps:.2f} pages/s (>= 1: {'met' if sc_pps >= 1 else 'NOT met'})")
    met.append(bd_pps >= 20)
    met.append(sc_pps >= 1)
    if export is not None:
        met.append(bool(export.get("ok")))
    results["targets_met"] = all(met)

    print("\nSUMMARY")
    srow = [["docs ok"] + [f"{per[t]['ok']}/{per[t]['docs']}" for t in TYPES],
            ["recall third parties"] + [f"{per[t]['third'][0] / per[t]['third'][1]:.3f}" if per[t]["third"][1]
                                        else "n/a" for t in TYPES],
            ["requester kept"] + [f"{per[t]['keep'][0] / per[t]['keep'][1]:.3f}" if per[t]["keep"][1] else "n/a"
                                  for t in TYPES],
            ["leaks (all checks)"] + [sum(per[t]["leaks"].values()) for t in TYPES],
            ["pages/s casevault"] + [f"{per[t]['pages'] / per[t]['wall']:.2f}" if per[t]["wall"] else "n/a"
                                     for t in TYPES],
            ["pages/s OCRmyPDF"] + ["", f"{om_pps:.2f}" if om_pps else "n/a", "", ""],
            ["pages/s tesseract alone"] + ["", f"{tr_pps:.2f}" if tr_pps else "n/a", "", ""]]
    table(srow, [""] + TYPES)
    if rss:
        print(f"peak RSS on {rss['pages']} scanned pages: " + (
            ", ".join(f"{k} {v / 1024:.0f} MiB" for k, v in sorted(rss["per_program_kib"].items(), key=lambda x: -x[1]))
            + f"; tree {rss['tree_peak_kib'] / 1024:.0f} MiB; getrusage children {rss['ru_maxrss_kib'] / 1024:.0f} MiB"
            + f"; {rss['pages'] / rss['wall']:.2f} pages/s"
            if rss.get("rc") == 0 else f"run failed ({rss.get('rc')})"))
    print(f"targets met: {'yes' if results['targets_met'] else 'NO'}; total wall {total_wall:.0f} s")
    print(f"machine: {results['machine']['nproc']} cores, {results['machine']['cpu']}")
    print(f"command: {results['command']}")
    for n in results["notes"]:
        print(f"note: {n}")
    results.update({
        "per_type": {t: {"docs": per[t]["docs"], "ok": per[t]["ok"], "third_hidden": per[t]["third"],
                         "requester_kept": per[t]["keep"],
                         "recall": per[t]["third"][0] / per[t]["third"][1] if per[t]["third"][1] else None,
                         "kept": per[t]["keep"][0] / per[t]["keep"][1] if per[t]["keep"][1] else None,
                         "leaks": per[t]["leaks"], "pdfs_checked": per[t]["checked"], "pages": per[t]["pages"],
                         "wall_s": per[t]["wall"],
                         "pages_per_s": per[t]["pages"] / per[t]["wall"] if per[t]["wall"] else None,
                         "kinds": per[t]["kinds"], "failures": per[t]["failures"]} for t in TYPES},
        "leaks": [{"case": c, "document": d, "string": n, "check": ch, "count": cnt} for c, d, n, ch, cnt in leak_list],
        "not_hidden_or_lost": [{"case": m[0], "document": m[1], "needle": m[2], "count": m[3], "what": m[4]}
                               for m in missed],
        "scanned_pages_per_s": sc_pages / sc_wall if sc_wall else None,
        "ocrmypdf": {"pages": om_pages, "wall_s": om_wall, "pages_per_s": om_pps, "runs": ocrm},
        "tesseract_alone": {"pages": tr_pages, "wall_s": tr_wall, "pages_per_s": tr_pps, "runs": list(tref)},
        "long_scan": rss, "export": export, "contract_deviations": contract,
        "runs": [{k: v for k, v in r.items() if k != "text"} for r in runs],
        "total_wall_s": total_wall,
    })


if __name__ == "__main__":
    sys.exit(main())
