#!/usr/bin/env python3
"""PDFs, scans and office documents in the communication copy (issue 19):
a bundle with a born-digital PDF, a scanned PDF, a JPEG scan and a DOCX
ingests; the copy for the child holds a PDF rebuilt from pixels for each,
with the third parties' names, address and phone gone by every means
(text extraction, the decompressed PDF streams, OCR of the output pages)
and the child's own story readable; hostile files fail alone with a
reason; `redact --out` gives the same on one file; the review file lists
the mentions found in these documents."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
import unittest
import zipfile

try:
    import reportlab  # noqa: F401  (Debian's python3-reportlab, PIL, docx)
except ImportError:  # a python3 other than Debian's: use Debian's packages all the same
    sys.path.append("/usr/lib/python3/dist-packages")
import pagedocs  # noqa: E402
from cvtest import Archive, main, simple_manifest, write_bundle

PERSONS = [
    {"id": "p1", "role": "child", "last": "Moreau", "first": ["Lucas"], "born": "2010-03-14", "sex": "M"},
    {"id": "p2", "role": "mother", "last": "Lefebvre", "first": ["Sandrine"], "born": "1984-06-02", "sex": "F",
     "phone": "06 12 34 56 78", "address": "12 rue des Lilas, 31000 Toulouse"},
    {"id": "p3", "role": "father", "last": "Moreau", "first": ["Thierry"], "born": "1980-01-09", "sex": "M"},
    {"id": "p4", "role": "other", "last": "Castagnet", "first": ["Bernadette"], "sex": "F"},
]
PAGE1 = ["Lucas est arrivé au foyer le lundi matin. Il a parlé de son école et de ses amis.",
         "Sa mère, Mme Sandrine Lefebvre, a téléphoné depuis le 06 12 34 56 78 pour prendre des nouvelles.",
         "Mme Lefebvre habite 12 rue des Lilas, 31000 Toulouse."]
PAGE2 = ["La voisine, Mme Bernadette Castagnet, a signalé que Lucas restait seul le soir.",
         "Lucas souhaite poursuivre le football et voir son grand-père pendant les vacances."]
SECRETS = ["Lefebvre", "Sandrine", "Castagnet", "Bernadette", "Lilas", "56 78"]
HAVE_TOOLS = all(shutil.which(t) for t in ("pdftotext", "qpdf", "tesseract", "pdftoppm", "bwrap"))


def fold(s):
    s = unicodedata.normalize("NFKD", s)
    return re.sub(r"\s+", " ", "".join(c for c in s if not unicodedata.combining(c))).lower()


def found(secret, text):
    """Exact, or one edit away for a long word (OCR may misread a letter)."""
    secret, text = fold(secret), fold(text)
    if secret in text:
        return True
    if len(secret) < 5 or " " in secret:
        return False
    for w in re.findall(r"[\w-]+", text):
        if abs(len(w) - len(secret)) <= 1 and lev(w, secret) <= 1:
            return True
    return False


def lev(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, timeout=300, **kw)


def every_view(pdf, work):
    """What a reader could get out of a PDF: its text, its decompressed
    streams, and OCR of its pages."""
    text = run("pdftotext", pdf, "-").stdout.decode("utf-8", "replace")
    qdf = os.path.join(work, "x.qdf")
    run("qpdf", "--qdf", "--object-streams=disable", pdf, qdf)
    with open(qdf, "rb") as f:
        raw = f.read()
    streams = raw.decode("latin-1") + raw.decode("utf-16-be", "replace")
    prefix = os.path.join(work, "ocr")
    run("pdftoppm", "-r", "300", "-gray", "-png", pdf, prefix)
    ocr = ""
    for png in sorted(p for p in os.listdir(work) if p.startswith("ocr") and p.endswith(".png")):
        ocr += run("tesseract", os.path.join(work, png), "-", "-l", "fra").stdout.decode("utf-8", "replace")
        os.unlink(os.path.join(work, png))
    return {"pdftotext": text, "streams": streams, "ocr": ocr}


@unittest.skipUnless(HAVE_TOOLS, "poppler-utils, qpdf, tesseract or bubblewrap missing")
class PageDocs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="cv-pages-")
        d = os.path.join(cls.work, "bundle")
        os.makedirs(os.path.join(d, "docs"))
        cls.files = {
            "docs/rapport.pdf": pagedocs.born_digital_pdf,
            "docs/jugement-scan.pdf": pagedocs.scanned_pdf,
        }
        pagedocs.born_digital_pdf(os.path.join(d, "docs/rapport.pdf"), [PAGE1, PAGE2])
        pagedocs.scanned_pdf(os.path.join(d, "docs/jugement-scan.pdf"), [PAGE1])
        pagedocs.jpeg_scan(os.path.join(d, "docs/courrier.jpg"), PAGE2)
        pagedocs.docx(os.path.join(d, "docs/note.docx"), PAGE1 + PAGE2, title="Note de situation")
        pagedocs.pdf_bomb(os.path.join(d, "docs/bombe.pdf"))
        pagedocs.malformed_png(os.path.join(d, "docs/abime.png"))
        pagedocs.docx_external_links(os.path.join(d, "docs/liens.docx"))
        cls.docs = ["docs/rapport.pdf", "docs/jugement-scan.pdf", "docs/courrier.jpg", "docs/note.docx",
                    "docs/bombe.pdf", "docs/abime.png", "docs/liens.docx"]
        m = simple_manifest(ref="ASE-31-2019-00042", docs=cls.docs, persons=PERSONS)
        write_bundle(d, m, {})
        cls.bundle = d

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, True)

    def setUp(self):
        self.a = Archive(self)
        self.a.add_user("maft", "maft")
        self.a.ok("ingest", self.bundle)
        self.cid = self.a.case_id("ASE-31-2019-00042")
        self.tmp = tempfile.mkdtemp(prefix="cv-pages-t-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def test_copy_holds_redacted_pdfs_and_hostile_files_fail_alone(self):
        out = os.path.join(self.tmp, "copie.zip")
        r = self.a.cv("--json", "export", self.cid, "--for", "p1", "--out", out, user="maft", timeout=900)
        self.assertEqual(r.rc, 0, r)
        res = r.json()
        self.assertEqual(res["documents"], 4, res)
        self.assertEqual(res["manual_review"], 3, res)
        with zipfile.ZipFile(out) as z:
            names = z.namelist()
            pdfs = {n.split("/data/")[1]: z.read(n) for n in names if n.endswith(".pdf") and "/data/" in n}
            index = next(z.read(n).decode() for n in names if n.endswith("/data/index.html"))
        self.assertEqual(sorted(pdfs), ["docs/courrier.jpg.pdf", "docs/jugement-scan.pdf", "docs/note.docx.pdf",
                                        "docs/rapport.pdf"])
        for name in ("bombe.pdf", "abime.png", "liens.docx"):
            self.assertNotIn(f"docs/{name}", " ".join(names))
        self.assertIn("à examiner par le service (", index)
        self.assertIn("fichier endommagé ou illisible", index)
        kept_somewhere = False
        for name, data in pdfs.items():
            path = os.path.join(self.tmp, os.path.basename(name))
            with open(path, "wb") as f:
                f.write(data)
            self.assertTrue(data.startswith(b"%PDF-1.7"), name)
            for marker in (b"/JavaScript", b"/Annots", b"/EmbeddedFile", b"/Font", b"/AcroForm"):
                self.assertNotIn(marker, data, name)
            self.assertEqual(run("qpdf", "--check", path).returncode, 0, name)
            views = every_view(path, self.tmp)
            self.assertEqual(views["pdftotext"].strip(), "", f"{name}: a text layer survived")
            for how, text in views.items():
                for s in SECRETS:
                    self.assertFalse(found(s, text), f"{name}: '{s}' recoverable by {how}")
            kept_somewhere |= found("football", views["ocr"]) or found("foyer", views["ocr"])
            self.assertTrue(found("Lucas", views["ocr"]), f"{name}: the child's own name should stay readable")
        self.assertTrue(kept_somewhere, "the child's own story should stay readable")
        # the pages keep their count: two pages for the two-page report
        info = run("pdfinfo", os.path.join(self.tmp, "rapport.pdf")).stdout.decode()
        self.assertRegex(info, r"Pages:\s+2")

    def test_redact_command_writes_a_pdf_with_boxes(self):
        src = os.path.join(self.bundle, "docs/rapport.pdf")
        out = os.path.join(self.tmp, "r.pdf")
        res = self.a.js("redact", "--case", self.cid, "--for", "p1", "--out", out, src, user="maft")
        self.assertEqual(len(res), 1)
        doc = res[0]
        self.assertEqual((doc["pages"], doc["out"]), (2, out))
        self.assertIn("Lucas", doc["text"])
        for s in ("Lefebvre", "Castagnet", "06 12 34 56 78"):
            self.assertNotIn(s, doc["text"])
        hidden = [s for s in doc["spans"] if not s["kept"]]
        self.assertTrue(hidden and all(s["boxes"] and s["page"] in (0, 1) for s in hidden), hidden)
        self.assertTrue(any(s["page"] == 1 for s in hidden), "the neighbour on page 2 is hidden")
        self.assertTrue(os.path.exists(out))
        # never over an existing file; a page document needs --out
        again = self.a.cv("redact", "--case", self.cid, "--for", "p1", "--out", out, src, user="maft")
        self.assertEqual(again.rc, 1, again)
        no_out = self.a.cv("redact", "--case", self.cid, "--for", "p1", src, user="maft")
        self.assertEqual(no_out.rc, 2, no_out)
        self.assertIn("--out", no_out.err)

    def test_hostile_file_fails_with_a_clear_error(self):
        for name, needle in (("bombe.pdf", "pages"), ("abime.png", ""), ("liens.docx", "external content")):
            out = os.path.join(self.tmp, name + ".pdf")
            r = self.a.cv("redact", "--case", self.cid, "--for", "p1", "--out", out,
                          os.path.join(self.bundle, "docs", name), user="maft", timeout=400)
            self.assertEqual(r.rc, 1, (name, r))
            self.assertIn(needle, r.err)
            self.assertTrue(r.err.startswith("casevault: "), r.err)
            self.assertNotIn("Traceback", r.err)
            self.assertFalse(os.path.exists(out), name)
        self.a.ok("verify")

    def test_review_file_lists_mentions_of_page_documents(self):
        path = os.path.join(self.tmp, "r.json")
        self.a.js("export", self.cid, "--for", "p1", "--review-out", path, user="maft", timeout=900)
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        texts = {m["text"] for m in doc["mentions"]}
        self.assertIn("Castagnet", " ".join(texts))
        self.assertTrue(any("Lefebvre" in t for t in texts), texts)

    def test_officer_decisions_move_the_boxes(self):
        """The same review and correction flow as for text: a mention
        unmasked by the officer is readable in the PDF, a passage the
        officer adds is boxed."""
        path = os.path.join(self.tmp, "r.json")
        self.a.js("export", self.cid, "--for", "p1", "--review-out", path, user="maft", timeout=900)
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        for m in doc["mentions"]:
            if m["to_check"]:
                m["decision"] = "accept"
            if m["text"] == "Bernadette Castagnet" and m["doc"] == "d1":
                m["decision"] = "unmask"
        doc["add"].append({"doc": "d1", "text": "grand-père", "person": None})
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False)
        out = os.path.join(self.tmp, "copie.zip")
        r = self.a.cv("--json", "export", self.cid, "--for", "p1", "--decisions", path, "--out", out, user="maft",
                      timeout=900)
        self.assertEqual(r.rc, 0, r)
        self.assertGreaterEqual(r.json()["corrections"], 2, r.json())
        with zipfile.ZipFile(out) as z:
            pdf = next(z.read(n) for n in z.namelist() if n.endswith("/data/docs/rapport.pdf"))
        path = os.path.join(self.tmp, "rapport.pdf")
        with open(path, "wb") as f:
            f.write(pdf)
        ocr = every_view(path, self.tmp)["ocr"]
        self.assertTrue(found("Castagnet", ocr), ocr)      # unmasked by the officer
        self.assertFalse(found("grand-père", ocr), ocr)    # the passage added is boxed
        self.assertFalse(found("Lefebvre", ocr), ocr)
        self.assertTrue(found("football", ocr), ocr)


if __name__ == "__main__":
    main()
