#!/usr/bin/env python3
"""casevault-docparse, the sandboxed document parser, driven directly as the
library drives it (document on stdin, answer on stdout) and its answer read
by a small reader of docs/pages-protocol.md: born-digital PDF words from the
text layer, a skewed noisy scan OCRed in French (deskewed), a scan turned a
quarter (orientation), a PDF of a scan OCRed, a multi-page TIFF, the pixels
answer in the words answer's geometry, annotations kept out of the pixels, a
huge page drawn at a lower dpi, DOCX and ODT converted (and a DOCX linking
an external image, in time), and the refusals (truncated PDF, random bytes,
encrypted PDF, too many pages, a plan that does not fit) as E records."""
import io
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zipfile

SRC = os.environ.get("CV_SRC", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD = os.environ.get("CV_BUILD", os.path.join(SRC, "build"))
BIN = os.path.join(BUILD, "libexec", "casevault-docparse")

if __name__ == "__main__" and not os.path.exists(BIN):
    print(f"skipped: {BIN} is not built")
    sys.exit(0)

try:
    from PIL import Image, ImageDraw, ImageFont
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas
    import docx
except ImportError:
    # The Debian packages (python3-pil, python3-reportlab, python3-docx) are
    # for the system python; a python from elsewhere re-runs the test there.
    if os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3") and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

LINES = [
    "Le dossier concerne Mme Sandrine Lefebvre, domiciliée à Lyon.",
    "Elle peut être jointe au 06 12 34 56 78 pendant la journée.",
    "La commission a examiné la demande le douze mars dernier.",
    "Le rapport sera transmis au service des archives départementales.",
]

passed = 0
failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


class Answer:
    def __init__(self, rc, out, err):
        self.rc, self.out, self.err = rc, out, err
        self.pages = []      # dicts: idx w h dpi rot skew source words image
        self.error = None    # (code, message)
        self.ended = None    # Z count
        self.problems = []
        self.docs = []
        self._parse()

    def _parse(self):
        b = self.out
        if b[:8] != b"CVDP\x01\x00\x00\x00":
            self.problems.append("bad header")
            return
        i = 8
        while i < len(b):
            if self.ended is not None or self.error is not None:
                self.problems.append("bytes after the end")
                return
            if i + 5 > len(b):
                self.problems.append("truncated record head")
                return
            t = b[i:i + 1]
            n = struct.unpack_from("<I", b, i + 1)[0]
            i += 5
            if i + n > len(b):
                self.problems.append("record does not fit")
                return
            p = b[i:i + n]
            i += n
            if t == b"P":
                if n != 25:
                    self.problems.append("P length")
                    return
                idx, w, h, dpi, rot = struct.unpack_from("<5I", p)
                skew = struct.unpack_from("<i", p, 20)[0]
                src = chr(p[24])
                if idx != len(self.pages):
                    self.problems.append("pages out of order")
                if not (0 < w <= 20000 and 0 < h <= 20000 and w * h <= 50_000_000 and 50 <= dpi <= 1200
                        and rot in (0, 90, 180, 270) and -45000 <= skew <= 45000 and src in "to"):
                    self.problems.append("page geometry")
                self.pages.append(dict(idx=idx, w=w, h=h, dpi=dpi, rot=rot, skew=skew, source=src, words=[],
                                       image=None))
            elif t == b"W":
                page, x0, y0, x1, y1 = struct.unpack_from("<5I", p)
                flags = p[20]
                text = p[21:]
                if not self.pages or page != self.pages[-1]["idx"] or self.pages[-1]["image"] is not None:
                    self.problems.append("word outside its page")
                    return
                pg = self.pages[-1]
                if not (x0 < x1 <= pg["w"] and y0 < y1 <= pg["h"]):
                    self.problems.append(f"word box outside page {x0},{y0},{x1},{y1}")
                if not (1 <= len(text) <= 256) or any(c < 0x20 or c == 0x7f for c in text):
                    self.problems.append("word text")
                try:
                    s = text.decode("utf-8")
                except UnicodeDecodeError:
                    self.problems.append("word utf-8")
                    s = ""
                pg["words"].append((s, (x0, y0, x1, y1), flags))
                if len(pg["words"]) > 20000:
                    self.problems.append("too many words")
            elif t == b"I":
                page, w, h, ch = struct.unpack_from("<3IB", p)
                if not self.pages or page != self.pages[-1]["idx"] or self.pages[-1]["image"] is not None:
                    self.problems.append("image outside its page")
                    return
                pg = self.pages[-1]
                if w != pg["w"] or h != pg["h"] or ch not in (1, 3) or n != 13 + w * h * ch:
                    self.problems.append("image does not fit its page")
                pg["image"] = (w, h, ch, p[13:])
            elif t == b"D":
                self.docs.append(p)
            elif t == b"E":
                self.error = (p[0], p[1:].decode("utf-8", "replace"))
                if len(p) - 1 > 500:
                    self.problems.append("E message too long")
            elif t == b"Z":
                self.ended = struct.unpack_from("<I", p)[0]
                if self.ended != len(self.pages):
                    self.problems.append("Z count")
            else:
                self.problems.append("unknown record")
                return
        if self.ended is None and self.error is None:
            self.problems.append("no Z")

    def plan(self):
        return ",".join(f"{p['source']}:{p['dpi']}:{p['rot']}:{p['skew']}" for p in self.pages)

    def text(self, i=None):
        pages = self.pages if i is None else [self.pages[i]]
        return " ".join(w[0] for p in pages for w in p["words"])

    def __repr__(self):
        return f"<rc={self.rc} E={self.error} problems={self.problems} err={self.err[-400:]!r}>"


def run(args, data, timeout=120):
    p = subprocess.run([BIN] + args, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return Answer(p.returncode, p.stdout, p.stderr.decode("utf-8", "replace"))


def born_digital_pdf(pages=2):
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for n in range(pages):
        y = 780
        c.setFont("Helvetica", 12)
        c.drawString(72, y + 20, f"Page {n + 1}")
        for line in LINES:
            c.drawString(72, y, line)
            y -= 18
        y -= 30
        for line in LINES[2:]:
            c.drawString(72, y, line)
            y -= 18
        c.showPage()
    c.save()
    return buf.getvalue()


def scan_image(angle=2.0, noise=True):
    """The text drawn at 300 dpi on white, turned ANGLE degrees, with noise."""
    font = ImageFont.truetype(FONT, 42)
    img = Image.new("L", (2480, 1100), 255)
    d = ImageDraw.Draw(img)
    y = 150
    for line in LINES:
        d.text((150, y), line, font=font, fill=0)
        y += 80
    img = img.rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=255)
    if noise:
        rnd = random.Random(7)
        px = img.load()
        for _ in range(20000):
            x, yy = rnd.randrange(img.width), rnd.randrange(img.height)
            px[x, yy] = rnd.choice((0, 90, 180))
    return img.convert("RGB")


def jpeg_of(img):
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85, dpi=(300, 300))
    return buf.getvalue()


def png_of(img):
    buf = io.BytesIO()
    img.save(buf, "PNG", dpi=(300, 300))
    return buf.getvalue()


def scan_pdf(work, img):
    path = os.path.join(work, "scan.jpg")
    with open(path, "wb") as f:
        f.write(jpeg_of(img))
    buf = io.BytesIO()
    w_pt, h_pt = img.width * 72 / 300, img.height * 72 / 300
    c = canvas.Canvas(buf, pagesize=(w_pt, h_pt))
    c.drawImage(path, 0, 0, width=w_pt, height=h_pt)
    c.showPage()
    c.save()
    return buf.getvalue()


def docx_of():
    d = docx.Document()
    d.add_paragraph(" ".join(LINES))
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def odt_of():
    """A minimal ODT text document, written by hand."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text",
                   compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml",
                   '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
                   '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                   '<manifest:file-entry manifest:full-path="/" manifest:media-type='
                   '"application/vnd.oasis.opendocument.text"/><manifest:file-entry manifest:full-path="content.xml"'
                   ' manifest:media-type="text/xml"/></manifest:manifest>', compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("content.xml",
                   '<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office='
                   '"urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text='
                   '"urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
                   f'<office:text><text:p>{LINES[0]}</text:p></office:text></office:body></office:document-content>',
                   compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def docx_with_external_image():
    """A DOCX whose picture is a link to an address nothing answers at."""
    src = zipfile.ZipFile(io.BytesIO(docx_of()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                pic = ('<w:p><w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/'
                       'wordprocessingDrawing"><wp:extent cx="914400" cy="914400"/><wp:docPr id="1" name="P"/>'
                       '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:graphicData '
                       'uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic xmlns:pic='
                       '"http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:nvPicPr><pic:cNvPr id="1" '
                       'name="P"/><pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip xmlns:r="http://schemas.'
                       'openxmlformats.org/officeDocument/2006/relationships" r:link="rIdExt"/></pic:blipFill>'
                       '<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="914400" cy="914400"/></a:xfrm>'
                       '<a:prstGeom prst="rect"/></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline>'
                       '</w:drawing></w:r></w:p>')
                data = data.decode().replace("<w:sectPr", pic + "<w:sectPr", 1).encode()
            elif item.filename == "word/_rels/document.xml.rels":
                data = data.decode().replace(
                    "</Relationships>",
                    '<Relationship Id="rIdExt" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    'relationships/image" Target="http://10.255.255.1/x.png" TargetMode="External"/>'
                    '</Relationships>').encode()
            z.writestr(item, data)
    return out.getvalue()


def annotated_pdf(note):
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setFont("Helvetica", 12)
    for i, line in enumerate(LINES):
        c.drawString(72, 700 - 18 * i, line)
    if note:
        c.textAnnotation("Note confidentielle Dupont", Rect=(100, 300, 300, 400), addtopage=1, Open=1)
    c.showPage()
    c.save()
    return buf.getvalue()


def huge_pdf():
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(14400, 2000))
    c.setFont("Helvetica", 100)
    for i, line in enumerate(LINES):
        c.drawString(200, 1800 - 150 * i, line)
    c.showPage()
    c.save()
    return buf.getvalue()


def word_inside(a, needle):
    for p in a.pages:
        for s, (x0, y0, x1, y1), _ in p["words"]:
            if needle in s:
                return 0 <= x0 < x1 <= p["w"] and 0 <= y0 < y1 <= p["h"]
    return False


def check_pixels(name, kind, data, words):
    t0 = time.time()
    px = run(["pixels", "--kind", kind, "--plan", words.plan()], data)
    dt = time.time() - t0
    check(f"{name}: pixels answered", px.rc == 0 and not px.problems and px.ended == len(words.pages), repr(px))
    same = len(px.pages) == len(words.pages) and all(
        (a["w"], a["h"], a["dpi"], a["rot"], a["skew"], a["source"]) ==
        (b["w"], b["h"], b["dpi"], b["rot"], b["skew"], b["source"]) for a, b in zip(px.pages, words.pages))
    check(f"{name}: pixels in the words geometry", same)
    check(f"{name}: one image per page, no word",
          all(p["image"] is not None and not p["words"] for p in px.pages))
    return px, dt


def main():
    if not os.path.exists(BIN):
        print(f"skipped: {BIN} is not built")
        return 0
    work = tempfile.mkdtemp(prefix="cv-docparse-")
    try:
        # Born-digital PDF: words from the text layer.
        pdf = born_digital_pdf(2)
        t0 = time.time()
        a = run(["words", "--kind", "pdf"], pdf)
        print(f"  born-digital words: {time.time() - t0:.2f}s for 2 pages")
        check("pdf words: answered", a.rc == 0 and not a.problems and a.ended == 2, repr(a))
        check("pdf words: text layer at 150 dpi", all(p["source"] == "t" and p["dpi"] == 150 for p in a.pages),
              repr(a.pages[:1]))
        check("pdf words: A4 size", a.pages and (a.pages[0]["w"], a.pages[0]["h"]) == (1240, 1754))
        txt = a.text(0)
        check("pdf words: names and phone", "Sandrine" in txt and "Lefebvre," in txt and "06 12 34 56 78" in txt, txt)
        check("pdf words: box inside the page", word_inside(a, "Lefebvre"))
        ws = a.pages[0]["words"] if a.pages else []
        check("pdf words: line ends flagged", sum(1 for w in ws if w[2] & 1) == 7, [w for w in ws if w[2]])
        check("pdf words: a paragraph end", any(w[2] & 2 for w in ws[:-1]))
        check("pdf words: last word ends the page", ws and ws[-1][2] == 3)
        box = next((w[1] for w in ws if w[0] == "Sandrine"), None)
        # "Sandrine" at x = 72 + width("Le dossier concerne Mme ") pt = 213 pt; its baseline 842 - 780 = 62 pt
        # from the top; at 150 dpi.
        check("pdf words: box where it was drawn",
              box and 430 < box[0] < 460 and 100 < box[1] < 125 < box[3] < 150 and box[2] - box[0] > 80,
              box)
        check_pixels("pdf", "pdf", pdf, a)

        # A skewed noisy scan (JPEG): OCR in French, deskewed.
        img = scan_image(2.0)
        jpg = jpeg_of(img)
        t0 = time.time()
        s = run(["words", "--kind", "image"], jpg)
        ocr_dt = time.time() - t0
        print(f"  OCR of a scan: {ocr_dt:.2f}s")
        check("scan words: answered", s.rc == 0 and not s.problems and s.ended == 1, repr(s))
        sp = s.pages[0] if s.pages else {}
        check("scan words: a 300 dpi scan read at 200 dpi", sp.get("source") == "o" and sp.get("dpi") == 200, sp)
        check("scan words: upright, deskewed by about 2 degrees",
              sp.get("rot") == 0 and 1000 <= abs(sp.get("skew", 0)) <= 3000, sp)
        check("scan words: Lefebvre found", word_inside(s, "Lefebvre"), s.text())
        check("scan words: Sandrine found", "Sandrine" in s.text(), s.text())
        px, _ = check_pixels("scan", "image", jpg, s)
        if px.pages and px.pages[0]["image"]:
            w, h, ch, data = px.pages[0]["image"]
            check("scan pixels: RGB of the page size at 200 dpi", ch == 3 and (w, h) == (1653, 733))
            # Deskewed: the corners brought in are white.
            check("scan pixels: white corners", data[0:3] == b"\xff\xff\xff")

        # The same scan turned a quarter counter-clockwise: the orientation is found, and the page
        # turned back a quarter clockwise.
        quarter = png_of(scan_image(0.0, noise=False).rotate(90, expand=True))
        q = run(["words", "--kind", "image"], quarter)
        qp = q.pages[0] if q.pages else {}
        check("turned scan: answered", q.rc == 0 and not q.problems, repr(q))
        check("turned scan: turned back", qp.get("rot") == 90 and (qp.get("w"), qp.get("h")) == (1653, 733), qp)
        check("turned scan: Lefebvre found", "Lefebvre" in q.text(), q.text())
        check_pixels("turned scan", "image", quarter, q)

        # A PDF that is a scan: rendered and OCRed.
        spdf = scan_pdf(work, img)
        o = run(["words", "--kind", "pdf"], spdf)
        op = o.pages[0] if o.pages else {}
        check("scanned pdf: answered", o.rc == 0 and not o.problems, repr(o))
        check("scanned pdf: OCR source", op.get("source") == "o" and op.get("dpi") == 200, op)
        check("scanned pdf: Lefebvre found", word_inside(o, "Lefebvre"), o.text())
        check_pixels("scanned pdf", "pdf", spdf, o)

        # A multi-page TIFF: one page per image, in order; gray kept gray.
        small = scan_image(0.0, noise=False).crop((0, 100, 1700, 450))
        buf = io.BytesIO()
        small.save(buf, "TIFF", save_all=True, append_images=[small.convert("L")], dpi=(200, 200),
                   compression="tiff_lzw")
        tif = buf.getvalue()
        m = run(["words", "--kind", "image"], tif)
        check("tiff: two pages", m.rc == 0 and not m.problems and len(m.pages) == 2, repr(m))
        check("tiff: the image's dpi", all(p["dpi"] == 200 for p in m.pages), [p["dpi"] for p in m.pages])
        check("tiff: words on both pages", all("Lefebvre" in m.text(i) for i in range(len(m.pages))), m.text())
        mp, _ = check_pixels("tiff", "image", tif, m)
        check("tiff: RGB then gray", [p["image"][2] for p in mp.pages if p["image"]] == [3, 1])
        r = run(["words", "--kind", "image", "--max-pages", "1"], tif)
        check("tiff over --max-pages 1: refused", r.rc == 3 and r.error and r.error[0] == 3 and not r.problems,
              repr(r))

        # Annotations are not in the text layer, so not in the pixels either.
        plain = run(["pixels", "--kind", "pdf", "--plan", "t:150:0:0"], annotated_pdf(False))
        noted = run(["pixels", "--kind", "pdf", "--plan", "t:150:0:0"], annotated_pdf(True))
        check("annotation: not drawn", plain.rc == 0 and noted.rc == 0 and plain.pages and noted.pages and
              plain.pages[0]["image"] == noted.pages[0]["image"], repr(noted))
        nw = run(["words", "--kind", "pdf"], annotated_pdf(True))
        check("annotation: not in the words", nw.rc == 0 and "Dupont" not in nw.text() and "Lefebvre," in nw.text())

        # A huge page: drawn at a lower dpi, within the pixel limits.
        h = run(["words", "--kind", "pdf"], huge_pdf())
        hp = h.pages[0] if h.pages else {}
        check("huge page: answered", h.rc == 0 and not h.problems, repr(h))
        check("huge page: dpi lowered within the limits",
              50 <= hp.get("dpi", 0) < 150 and hp["w"] <= 20000 and hp["w"] * hp["h"] <= 50_000_000, hp)
        check("huge page: words inside", word_inside(h, "Lefebvre"))

        # Refusals.
        r = run(["words", "--kind", "pdf"], pdf[:300])
        check("truncated pdf: refused", r.rc == 3 and r.error is not None and r.error[0] == 1 and not r.problems,
              repr(r))
        r = run(["words", "--kind", "image"], os.urandom(5000))
        check("random image: refused", r.rc == 3 and r.error is not None and r.error[0] in (1, 2) and not r.problems,
              repr(r))
        r = run(["words", "--kind", "pdf", "--max-pages", "2"], born_digital_pdf(3))
        check("3 pages over --max-pages 2: refused",
              r.rc == 3 and r.error == (3, "the document has more than 2 pages") and not r.pages, repr(r))
        buf = io.BytesIO()
        c = canvas.Canvas(buf, encrypt="secret")
        c.drawString(72, 700, LINES[0])
        c.showPage()
        c.save()
        r = run(["words", "--kind", "pdf"], buf.getvalue())
        check("encrypted pdf: unsupported", r.rc == 3 and r.error == (2, "the PDF is encrypted"), repr(r))
        r = run(["pixels", "--kind", "pdf", "--plan", "t:150:0:0"], pdf)
        check("a plan of the wrong length: refused", r.rc == 3 and r.error and r.error[0] == 1, repr(r))
        r = run(["pixels", "--kind", "pdf"], pdf)
        check("pixels without a plan: usage", r.rc == 2 and r.out == b"", repr(r))
        r = run(["words", "--kind", "office"], pdf)
        check("words of an office kind: usage", r.rc == 2 and r.out == b"", repr(r))
        r = run(["convert", "--kind", "office"], pdf)
        check("convert of a PDF: unsupported", r.rc == 3 and r.error and r.error[0] == 2, repr(r))

        # DOCX → PDF with LibreOffice, then its words.
        if shutil.which("soffice") or os.path.exists("/usr/bin/soffice"):
            t0 = time.time()
            c = run(["convert", "--kind", "office"], docx_of(), timeout=150)
            print(f"  DOCX conversion: {time.time() - t0:.2f}s")
            check("docx convert: one D record", c.rc == 0 and not c.problems and len(c.docs) == 1 and c.ended == 0,
                  repr(c))
            if c.docs:
                check("docx convert: a PDF", c.docs[0][:5] == b"%PDF-")
                cw = run(["words", "--kind", "pdf"], c.docs[0])
                check("docx convert: its words", "Lefebvre," in cw.text() and cw.pages[0]["source"] == "t",
                      repr(cw))
            c = run(["convert", "--kind", "office"], odt_of(), timeout=150)
            check("odt convert: a PDF", c.rc == 0 and c.docs and c.docs[0][:5] == b"%PDF-", repr(c))
            if c.docs:
                cw = run(["words", "--kind", "pdf"], c.docs[0])
                check("odt convert: its words", "Lefebvre," in cw.text(), repr(cw))
            t0 = time.time()
            c = run(["convert", "--kind", "office"], docx_with_external_image(), timeout=150)
            check("docx with an external image: refused before conversion, saying why",
                  time.time() - t0 < 10 and not c.problems and c.rc == 3 and c.error and
                  "external content" in str(c.error), repr(c))
        else:
            print("  (no LibreOffice: conversion not tested)")
    finally:
        shutil.rmtree(work, True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:  # a crash of the test itself counts as a failure
        import traceback
        traceback.print_exc()
        print(f"{passed} passed, {failed + 1} failed")
        sys.exit(1)
