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
