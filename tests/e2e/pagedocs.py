"""Page documents for the tests and the page benchmark: born-digital PDFs,
scanned PDFs and JPEG scans, DOCX files built from given French paragraphs,
and hostile files (PDF bombs, a corrupt PNG, a DOCX with external links).

Needs python3 with reportlab, PIL (Pillow) and python-docx (Debian:
python3-reportlab python3-pil python3-docx); img2pdf is used when installed.
`pages` is a list of pages, each a list of paragraphs (str); a paragraph is
wrapped to the page width, and never moved to another page (text that does
not fit goes on an extra page)."""
import io
import os
import random
import struct
import zipfile
import zlib

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
A4_PT = (595.2756, 841.8898)          # A4 in PostScript points
MARGIN_PT = 2.2 * 72 / 2.54           # 2.2 cm
FONT_PT = 11
LEADING = 1.4                         # line height / font size
PARA_GAP = 0.6                        # extra space after a paragraph, in lines


def _wrap(text, width, measure):
    """Greedy wrap of one paragraph at spaces; `measure(s)` gives a width."""
    lines = []
    for raw in text.split("\n"):
        cur = ""
        for w in raw.split():
            cand = w if not cur else cur + " " + w
            if cur and measure(cand) > width:
                lines.append(cur)
                cur = w
            else:
                cur = cand
        lines.append(cur)
    return lines


def _layout(pages, measure, width, height, margin, line_h):
    """Lines of each output page as [(y_top, text)], paragraphs wrapped;
    an overfull page continues on an extra page."""
    out = []
    for paras in pages:
        cur, y = [], margin
        for para in paras:
            for line in _wrap(para, width - 2 * margin, measure):
                if y + line_h > height - margin:
                    out.append(cur)
                    cur, y = [], margin
                cur.append((y, line))
                y += line_h
            y += line_h * PARA_GAP
        out.append(cur)
    return out


def born_digital_pdf(path, pages):
    """A4 PDF with a real text layer (reportlab, DejaVuSans 11 pt); returns the page count."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas
    if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVuSans", FONT))
    w, h = A4_PT
    lay = _layout(pages, lambda s: pdfmetrics.stringWidth(s, "DejaVuSans", FONT_PT), w, h, MARGIN_PT,
                  FONT_PT * LEADING)
    c = canvas.Canvas(path, pagesize=A4_PT, invariant=1)
    c.setTitle("Document")
    for lines in lay:
        c.setFont("DejaVuSans", FONT_PT)
        for y, text in lines:
            c.drawString(MARGIN_PT, h - y - FONT_PT, text)
        c.showPage()
    c.save()
    return len(lay)


def render_scan(pages, dpi=300, angle=1.5, noise=8, seed=0):
    """PIL grey images (one per page) of the paragraphs as a 300-dpi scan:
    11 pt text, each page rotated by 60-100 % of `angle` degrees either way,
    gaussian noise of sigma `noise`."""
    from PIL import Image, ImageChops, ImageDraw, ImageFont
    rnd = random.Random(seed)
    px = dpi / 72.0
    w, h = round(A4_PT[0] * px), round(A4_PT[1] * px)
    font = ImageFont.truetype(FONT, round(FONT_PT * px))
    lay = _layout(pages, font.getlength, w, h, MARGIN_PT * px, FONT_PT * LEADING * px)
    images = []
    for lines in lay:
        im = Image.new("L", (w, h), 255)
        d = ImageDraw.Draw(im)
        ink = rnd.randint(10, 40)
        for y, text in lines:
            d.text((MARGIN_PT * px, y), text, font=font, fill=ink)
        if angle:
            a = rnd.uniform(0.6, 1.0) * angle * rnd.choice((-1, 1))
            im = im.rotate(a, resample=Image.BICUBIC, fillcolor=255)
        if noise:
            n = Image.effect_noise((w, h), noise)
            im = ImageChops.add(im, n, 1.0, -128)
        images.append(im)
    return images


def _jpeg_pdf(path, jpegs, dpi):
    """An image-only PDF holding the given JPEG files (bytes) as pages, unchanged."""
    from PIL import Image
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", None]
    kids = []
    for data in jpegs:
        im = Image.open(io.BytesIO(data))
        cs = {"L": b"/DeviceGray", "RGB": b"/DeviceRGB"}.get(im.mode, b"/DeviceRGB")
        pw, ph = im.size[0] * 72.0 / dpi, im.size[1] * 72.0 / dpi
        n = len(objs) + 1
        objs.append(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s /BitsPerComponent 8 "
                    b"/Filter /DCTDecode /Length %d >>\nstream\n" % (im.size[0], im.size[1], cs, len(data))
                    + data + b"\nendstream")
        content = b"q %.4f 0 0 %.4f 0 0 cm /Im0 Do Q" % (pw, ph)
        objs.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.4f %.4f] /Resources << /XObject << /Im0 %d 0 R >> "
                    b">> /Contents %d 0 R >>" % (pw, ph, n, n + 1))
        kids.append(n + 2)
    objs[1] = b"<< /Type /Pages /Count %d /Kids [%s] >>" % (len(kids), b" ".join(b"%d 0 R" % k for k in kids))
    _write_pdf(path, objs)


def _write_pdf(path, objs, trailer_extra=b""):
    """Objects (bytes, numbered from 1, object 1 the catalog) to a PDF with a correct xref."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    x = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for o in offs:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, trailer_extra, x)
    with open(path, "wb") as f:
        f.write(out)


def _jpeg_bytes(im, quality, dpi):
    b = io.BytesIO()
    im.save(b, "JPEG", quality=quality, dpi=(dpi, dpi))
    return b.getvalue()


def scanned_pdf(path, pages, dpi=300, angle=1.5, noise=8, jpeg_quality=60, seed=0):
    """Image-only PDF of the pages as a grey 300-dpi JPEG scan (rotated, noisy); returns the page count."""
    jpegs = [_jpeg_bytes(im, jpeg_quality, dpi) for im in render_scan(pages, dpi, angle, noise, seed)]
    try:
        import img2pdf
        with open(path, "wb") as f:
            f.write(img2pdf.convert(jpegs))
    except ImportError:
        _jpeg_pdf(path, jpegs, dpi)
    return len(jpegs)


def scanned_pdf_repeat(path, src_pages, count, dpi=300, angle=1.5, noise=8, jpeg_quality=60, seed=0):
    """Image-only PDF of `count` pages cycling over the scans of src_pages (rendered once: fast)."""
    jpegs = [_jpeg_bytes(im, jpeg_quality, dpi) for im in render_scan(src_pages, dpi, angle, noise, seed)]
    _jpeg_pdf(path, [jpegs[i % len(jpegs)] for i in range(count)], dpi)
    return count


def jpeg_scan(path, lines, dpi=300, angle=1.5, noise=8, jpeg_quality=60, seed=0):
    """One JPEG page scan (300 dpi, rotated, noisy) of the given paragraphs; only the first page is kept."""
    im = render_scan([list(lines)], dpi, angle, noise, seed)[0]
    with open(path, "wb") as f:
        f.write(_jpeg_bytes(im, jpeg_quality, dpi))
    return 1


def docx(path, paragraphs, title=None):
    """A DOCX (python-docx) with an optional heading and one Word paragraph per string."""
    import docx as _docx
    d = _docx.Document()
    if title:
        d.add_heading(title, level=1)
    for p in paragraphs:
        d.add_paragraph(p)
    d.save(path)


# --- hostile files -----------------------------------------------------------

def _bomb_stream(inflated_bytes):
    """A zlib stream of `inflated_bytes` spaces, built from one repeated
    full-flush block (fast, about 1 KB per MB); correct Adler-32."""
    chunk = b" " * (1 << 20)
    c = zlib.compressobj(9)
    head = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    n = max(2, inflated_bytes >> 20)
    tail = c.flush()  # empty final block + Adler-32 of the 2 chunks: recomputed below
    a1 = zlib.adler32(chunk)
    # Adler-32 of the chunk repeated n times, by combining (no need to hash n MiB):
    # from (s1, s2), a chunk whose own Adler-32 is (b1, b2) gives
    # s1' = s1 + b1 - 1, s2' = s2 + b2 + len * (s1 - 1)
    s1, s2 = 1, 0
    b1, b2 = a1 & 0xffff, (a1 >> 16) & 0xffff
    ln = len(chunk)
    for _ in range(n):
        s2 = (s2 + b2 + ln * (s1 - 1)) % 65521
        s1 = (s1 + b1 - 1) % 65521
    adler = (s2 << 16) | s1
    final = tail[:-4] + struct.pack(">I", adler)
    return head + block * (n - 1) + final


def pdf_bomb(path, kind="all", inflated_gb=2, pages=100_000):
    """A small hostile PDF: `flate` (content stream inflating to GBs), `pages` (100,000 pages, one page object), `mediabox` (14400x14400 pt page), or `all` three at once."""
    kinds = {"flate", "pages", "mediabox"} if kind == "all" else {kind}
    box = b"[0 0 14400 14400]" if "mediabox" in kinds else b"[0 0 595 842]"
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    if "flate" in kinds:
        data = _bomb_stream(int(inflated_gb * (1 << 30)))
        content = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
    else:
        txt = b"BT /F1 12 Tf 72 720 Td (Rapport de situation) Tj ET"
        content = b"<< /Length %d >>\nstream\n" % len(txt) + txt + b"\nendstream"
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox %s /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>" % box
    n = pages if "pages" in kinds else 1
    kids = b" ".join([b"3 0 R"] * n)
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Count %d /Kids [%s] >>" % (n, kids), page,
            font, content]
    _write_pdf(path, objs)


def _png_chunk(kind, data, good_crc=True):
    crc = zlib.crc32(kind + data) & 0xffffffff
    if not good_crc:
        crc ^= 0xdeadbeef
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def malformed_png(path):
    """A PNG with a valid signature, an absurd IHDR (2^31-1 x 2^31-1, bad CRC) and a truncated IDAT with a bad CRC."""
    ihdr = struct.pack(">IIBBBBB", 0x7fffffff, 0x7fffffff, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" + b"\xff" * 300)[:-7] + b"\x13\x37garbage"
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr, False) + _png_chunk(b"IDAT", idat, False)
                + _png_chunk(b"IEND", b""))


EXT_IMAGE_URL = "http://example.invalid/x.png"
EXT_INCLUDE_URL = "http://example.invalid/secret.docx"


def docx_external_links(path, paragraphs=("Rapport de situation.", "Voir la pièce jointe ci-dessous.")):
    """A valid DOCX with an external linked image (TargetMode="External", http://example.invalid/x.png) and an INCLUDETEXT field to a remote URL."""
    tmp = path + ".tmp.docx"
    docx(tmp, list(paragraphs))
    with zipfile.ZipFile(tmp) as z:
        items = [(i, z.read(i.filename)) for i in z.infolist()]
    os.unlink(tmp)
    rel = ('<Relationship Id="rIdExtImg" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
           f'image" Target="{EXT_IMAGE_URL}" TargetMode="External"/>').encode()
    drawing = (
        '<w:p><w:r><w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0" '
        'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing">'
        '<wp:extent cx="952500" cy="952500"/><wp:docPr id="901" name="Image externe"/>'
        '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:nvPicPr><pic:cNvPr id="901" name="x.png"/><pic:cNvPicPr/></pic:nvPicPr>'
        '<pic:blipFill><a:blip r:link="rIdExtImg" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"/>'
        '<a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
        '<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="952500" cy="952500"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic>'
        '</a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>'
        '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r><w:instrText xml:space="preserve"> INCLUDETEXT "{EXT_INCLUDE_URL}" \\* MERGEFORMAT </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>Texte inclus.</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
        f'<w:p><w:fldSimple w:instr=" INCLUDEPICTURE &quot;{EXT_IMAGE_URL}&quot; \\d "><w:r><w:t>Image.</w:t></w:r>'
        '</w:fldSimple></w:p>').encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            if info.filename == "word/_rels/document.xml.rels":
                data = data.replace(b"</Relationships>", rel + b"</Relationships>")
            elif info.filename == "word/document.xml":
                i = data.rfind(b"<w:sectPr")
                data = data[:i] + drawing + data[i:]
            z.writestr(info, data)


if __name__ == "__main__":
    import sys
    import tempfile
    import time
    d = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="pagedocs-")
    os.makedirs(d, exist_ok=True)
    paras = ["Mme Sandrine Lefebvre, mère de Lucas, demeure 12 rue des Lilas, 69003 Lyon ; téléphone 06 12 34 56 78.",
             "Lucas Moreau, né le 12 mars 2010, est accueilli chez Mme Garnier depuis septembre."] * 3
    for name, fn in [("born.pdf", lambda p: born_digital_pdf(p, [paras, paras])),
                     ("scan.pdf", lambda p: scanned_pdf(p, [paras, paras])),
                     ("scan.jpg", lambda p: jpeg_scan(p, paras)), ("doc.docx", lambda p: docx(p, paras)),
                     ("bomb.pdf", pdf_bomb), ("bad.png", malformed_png), ("ext.docx", docx_external_links)]:
        t = time.perf_counter()
        fn(os.path.join(d, name))
        print(f"{name}: {os.path.getsize(os.path.join(d, name))} bytes, {time.perf_counter() - t:.2f} s")
    print(d)
