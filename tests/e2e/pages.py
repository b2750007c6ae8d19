"""Checking the pages a person reads (slip, certificate, index of a copy,
registers) in headless Chromium, as the brief asks: render to PDF (printable)
and dump the DOM after rendering (links, text)."""
import os
import re
import shutil
import subprocess
import tempfile

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic"]


def chromium():
    for c in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(c)
        if p:
            return p
    return None


def _run(args, timeout=120):
    prof = tempfile.mkdtemp(prefix="cv-chromium-")
    try:
        return subprocess.run([chromium(), *FLAGS, f"--user-data-dir={prof}", *args], capture_output=True,
                              timeout=timeout)
    finally:
        shutil.rmtree(prof, ignore_errors=True)


def render_pdf(html_path, pdf_path):
    """Print the page to PDF; returns the number of pages."""
    p = _run([f"--print-to-pdf={pdf_path}", "--no-pdf-header-footer", "file://" + os.path.abspath(html_path)])
    if not os.path.exists(pdf_path):
        raise AssertionError(f"chromium did not print {html_path}: {p.stderr.decode(errors='replace')[-500:]}")
    data = open(pdf_path, "rb").read()
    return len(re.findall(rb"/Type\s*/Page[^s]", data))


def dump_dom(html_path):
    """The DOM after Chromium has loaded the page (offline)."""
    p = _run(["--dump-dom", "file://" + os.path.abspath(html_path)])
    if p.returncode != 0 or not p.stdout:
        raise AssertionError(f"chromium could not load {html_path}: {p.stderr.decode(errors='replace')[-500:]}")
    return p.stdout.decode("utf-8", "replace")


# --- What a French page must not show ------------------------------------

def visible_text(html):
    """The text a reader sees or hovers: tags and styles removed, entities
    decoded, tooltips (title attributes) kept."""
    import html as _html
    body = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S | re.I)
    titles = " ".join(_html.unescape(t) for t in re.findall(r'\btitle="([^"]*)"', body))
    text = _html.unescape(re.sub(r"<[^>]+>", " ", body))
    return re.sub(r"\s+", " ", text + " " + titles)


# Words the library uses in its own (English) records and codes; none may
# reach a page written for a French reader.
ENGLISH = ["seed", "as-of", "as_of", "name", "person", "phone", "email", "address", "birthdate", "outcome", "refusal",
           "notified", "copy", "erased", "erasure", "crypto-shredding", "restricted", "rectified", "processing",
           "legal hold", "open rights request", "request", "requester", "field", "case", "key", "destroyed", "pending",
           "done", "blocked", "keep", "grant", "refuse", "weigh", "fulfilled", "decided", "access", "portability",
           "objection", "restriction of", "subject", "anonymise", "destroy", "archive_at", "placement_", "other",
           "documents redacted", "hidden", "to review"]


def french_page_problems(html):
    """What makes a page not a French page: its language, ISO dates, UTC
    times, English words. An empty list when all is well."""
    text = visible_text(html)
    bad = []
    if not re.search(r'<html lang="fr"', html):
        bad.append('no <html lang="fr">')
    if "@page" not in html:
        bad.append("no print stylesheet (@page)")
    if re.search(r'(src|href)="(https?:)?//', html):
        bad.append("a resource off the page (the page must open offline)")
    for m in re.finditer(r"\b\d{4}-\d{2}-\d{2}\b", text):
        bad.append(f"ISO date {m.group(0)!r} in …{text[max(0, m.start() - 40):m.end() + 20]}…")
    for m in re.finditer(r"\d{1,2}:\d{2}|\bUTC\b|\d{2}Z\b", text):
        bad.append(f"time not in the French form in …{text[max(0, m.start() - 40):m.end() + 20]}…")
    for w in ENGLISH:
        for m in re.finditer(r"(?<![\w@./-])" + re.escape(w) + r"(?![\w@.-])", text, flags=re.I):
            bad.append(f"English {w!r} in …{text[max(0, m.start() - 40):m.end() + 20]}…")
    return bad
