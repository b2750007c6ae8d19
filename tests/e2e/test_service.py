#!/usr/bin/env python3
"""`casevault serve`, the staff web service, from the outside: sessions,
CSRF, session fixation, login lockout, path traversal, body limits, role
checks (journaled), security headers, cookie flags, logout, the JSON API
against the command line's --json, TLS and a clean stop on SIGTERM.

Every refused POST is checked for "nothing changed" with the command line
(and the catalog/branch fingerprint), never only by its status code."""
import base64
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import ssl
import tempfile
import threading
import time
import unittest
import urllib.parse

from cvtest import Archive, BUNDLES, BIN, main
import service
from service import Service, raw_request

CRED = "phrase personnelle de test 2026"
USERS = {  # name: role
    "dpo": "dpo",
    "maft": "maft",
    "directrice": "director",
    "archiv": "archivist",
    "auditeur": "auditor",
    "verrou": "dpo",       # the lockout test locks this one
    "autre": "dpo",        # ... and checks this one is not locked with it
    "maft2": "maft",       # another officer: must not see the first one's jobs and reviews
}
SESSION_NAMES = ("cv_session", "__Host-cv_session")


class _ClassScope:
    """Lets cvtest.Archive (made for one test) live as long as a test class."""

    def __init__(self, cls):
        self.addCleanup = cls.addClassCleanup


def make_archive(scope):
    a = Archive(scope)
    for name, role in USERS.items():
        a.add_user(name, role, credential=CRED)
    a.ok("ingest", *(os.path.join(BUNDLES, b) for b in ("leroy", "petit", "moreau")))
    return a


def start_service(test_or_cls, a, tls=None, cleanup=None):
    svc = Service(a.dir, a.key, admin="archiviste", binary=BIN, tls=tls,
                  work_dir=os.path.join(a.work, f"serve-work-{service.free_port()}"),
                  log_path=os.environ.get("CV_SERVE_LOG") or os.path.join(a.work, "serve.log"))
    svc.start()
    (cleanup or test_or_cls.addCleanup)(svc.stop)
    return svc


def journal(a, since=0):
    return [e for e in a.js("journal", "show") if e["seq"] > since]


def last_seq(a):
    j = a.js("journal", "show")
    return j[-1]["seq"] if j else 0


SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options")


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.a = make_archive(_ClassScope(cls))
        cls.svc = start_service(cls, cls.a, cleanup=cls.addClassCleanup)
        cls.leroy = cls.a.case_id("ASE-31-2016-00042")
        cls.petit = cls.a.case_id("ASE-31-2019-00117")

    def client(self):
        return self.svc.client()

    def login(self, user):
        c = self.client()
        c.login(user, CRED)
        return c

    def assertSecurityHeaders(self, r, what):
        for h in SECURITY_HEADERS:
            self.assertIsNotNone(r.header(h), f"{what}: no {h} header on a {r.status} answer")
        csp = r.header("Content-Security-Policy")
        self.assertNotIn("unsafe-inline", csp, f"{what}: {csp}")
        self.assertNotIn("unsafe-eval", csp, f"{what}: {csp}")
        self.assertTrue(re.search(r"(default-src|script-src)\s+[^;]*'(self|none)'", csp), f"{what}: {csp}")
        self.assertEqual(r.header("X-Content-Type-Options").strip().lower(), "nosniff", what)
        self.assertIn(r.header("X-Frame-Options").strip().upper(), ("DENY", "SAMEORIGIN"), what)
        self.assertIn(r.header("Referrer-Policy").strip().lower(),
                      ("no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"), what)

    def requests_cli(self):
        return self.a.js("request", "list", user="dpo")


class NoSession(Base):
    def test_pages_redirect_to_login_and_api_is_401(self):
        c = self.client()
        for path in ("/requests", "/cases", "/journal", "/find?last=Leroy", f"/cases/{self.leroy}", "/plans", "/"):
            r = c.get(path)
            self.assertEqual(r.status, 303, f"{path}: {r}")
            self.assertEqual(r.location_path, "/login", f"{path}: {r.location}")
            self.assertSecurityHeaders(r, path)
        for path in ("/api/v1/cases", "/api/v1/requests", f"/api/v1/cases/{self.leroy}", "/api/v1/session",
                     "/api/v1/journal", "/api/v1/plans"):
            r = c.get(path, headers={"Accept": "application/json"})
            self.assertEqual(r.status, 401, f"{path}: {r}")
            self.assertIn("json", r.header("Content-Type", ""), path)
            self.assertIn("error", r.json(), path)
            self.assertSecurityHeaders(r, path)
            self.assertNotIn("ASE-31", r.text)
        # the login page itself is served, in French
        r = c.get("/login")
        self.assertEqual(r.status, 200, r)
        self.assertIn('<html lang="fr"', r.text)
        self.assertIn('name="user"', r.text)
        self.assertIn('name="credential"', r.text)

    def test_a_forged_or_unknown_cookie_is_no_session(self):
        c = self.client()
        for name in SESSION_NAMES:
            c.cookies = {name: "0" * 64}
            self.assertEqual(c.get("/api/v1/cases").status, 401)
            self.assertEqual(c.get("/requests").status, 303)

    def test_wrong_credential_or_unknown_user_is_no_session(self):
        c = self.client()
        for user, cred in (("dpo", "pas la bonne phrase"), ("inconnu", CRED), ("dpo", "")):
            r = c.login_attempt(user, cred)
            self.assertNotEqual(r.status, 303, f"{user}/{cred}: {r}")
            self.assertIn(r.status, (200, 400, 401, 403), r)
            self.assertNotIn("ASE-31", r.text)
            self.assertEqual(c.get("/api/v1/session").status, 401)


class Csrf(Base):
    def form_fields(self):
        return {"type": "access", "case": self.leroy, "subject": "p1", "received": "2026-11-02", "channel": "courrier",
                "note": "demande par courrier"}

    def test_missing_and_wrong_token_refused_and_nothing_opened(self):
        c = self.login("dpo")
        before, fp = self.requests_cli(), self.a.state_fingerprint()
        seq = last_seq(self.a)
        wrong = ("0" * len(c.csrf)) if c.csrf else "x"
        other = self.login("autre").csrf  # a valid token, of another session
        for label, token in (("missing", False), ("empty", ""), ("wrong", wrong), ("another session's", other)):
            r = c.post_form("/requests", self.form_fields(), csrf=token)
            self.assertEqual(r.status, 403, f"form, {label} token: {r}")
            self.assertSecurityHeaders(r, f"403 {label}")
            r = c.post_json("/api/v1/requests", {"type": "access", "case": self.leroy, "subject": "p1",
                                                 "received": "2026-11-02"}, csrf=token)
            self.assertEqual(r.status, 403, f"API, {label} token: {r}")
        # a token in the query string is not a token
        r = c.post_form(f"/requests?csrf={urllib.parse.quote(c.csrf)}", self.form_fields(), csrf=False)
        self.assertEqual(r.status, 403, f"token in the query string: {r}")
        self.assertEqual(self.requests_cli(), before)
        self.assertEqual(self.a.state_fingerprint(), fp)
        self.assertFalse([e for e in journal(self.a, seq) if e["action"].startswith("request.") and e["outcome"] == "ok"])
        # the same form with the session's token is accepted (so the refusals above were the token's)
        r = c.post_form("/requests", self.form_fields())
        self.assertEqual(r.status, 303, r)
        after = self.requests_cli()
        self.assertEqual(len(after), len(before) + 1, after)
        r = c.post_json("/api/v1/requests", {"type": "access", "case": self.leroy, "subject": "p1",
                                             "received": "2026-11-03"})
        self.assertIn(r.status, (200, 201), r)
        self.assertEqual(len(self.requests_cli()), len(before) + 2)

    def test_hold_not_placed_without_token(self):
        c = self.login("archiv")

        def on_hold():
            return [x for x in self.a.js("case", "list") if x["id"] == self.petit][0]["on_hold"]

        self.assertFalse(on_hold())
        fp = self.a.state_fingerprint()
        for token in (False, "", "f" * 43):
            r = c.post_form(f"/cases/{self.petit}/hold", {"reason": "contentieux en cours"}, csrf=token)
            self.assertEqual(r.status, 403, r)
        r = c.post_form(f"/cases/{self.petit}/hold", {"reason": "contentieux en cours"},
                        csrf=False, headers={"X-CSRF-Token": "f" * 43})
        self.assertEqual(r.status, 403, r)
        self.assertFalse(on_hold())
        self.assertEqual(self.a.state_fingerprint(), fp)
        # with the token: placed (the header form of the token works too)
        r = c.post_form(f"/cases/{self.petit}/hold", {"reason": "contentieux en cours"}, csrf=False,
                        headers={"X-CSRF-Token": c.csrf})
        self.assertEqual(r.status, 303, r)
        self.assertTrue(on_hold())

    def test_upload_not_ingested_without_token(self):
        c = self.login("archiv")
        work = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, work, True)
        bundle = os.path.join(work, "b")
        from cvtest import make_tar, simple_manifest, write_bundle
        write_bundle(bundle, simple_manifest(ref="ASE-31-2020-00777"), {"docs/a.txt": "Note de situation.\n"})
        with open(make_tar(bundle, os.path.join(work, "b.tar.gz"), gz=True), "rb") as f:
            data = f.read()
        refs = lambda: sorted(x["ref"] for x in self.a.js("case", "list"))
        before, fp = refs(), self.a.state_fingerprint()
        for token in (False, "", "0" * 43):
            r = c.post_multipart("/ingest", {}, {"bundle": ("b.tar.gz", data, "application/gzip")}, csrf=token)
            self.assertEqual(r.status, 403, f"token {token!r}: {r}")
        time.sleep(1)
        self.assertEqual(refs(), before)
        self.assertEqual(self.a.state_fingerprint(), fp)
        # nothing of the refused uploads left in the work directory
        left = [f for _, _, fs in os.walk(self.svc.work_dir) for f in fs if f.startswith("bundle") or "upload" in f]
        self.assertEqual(left, [], "refused uploads left in the work directory")
        # with the token: a job that ingests it
        r = c.post_multipart("/ingest", {}, {"bundle": ("b.tar.gz", data, "application/gzip")})
        self.assertEqual(r.status, 303, r)
        self.assertRegex(r.location_path, r"^/jobs/")
        deadline = time.monotonic() + 60
        while "ASE-31-2020-00777" not in refs() and time.monotonic() < deadline:
            time.sleep(0.3)
        self.assertIn("ASE-31-2020-00777", refs())

    def test_login_form_as_a_browser_posts_it(self):
        """The headers Chromium sends when the login form of this site is
        submitted under a "no-referrer" policy (the service's own is
        "same-origin", but a proxy may set it): `Origin: null` on a POST
        navigation (Fetch standard, "serializing a request origin");
        Sec-Fetch-Site says it is same-origin."""
        browser = {"Origin": "null", "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate",
                   "Sec-Fetch-Dest": "document", "Sec-Fetch-User": "?1"}
        c = self.client()
        c.get("/login")
        r = c.post_form("/login", {"user": "dpo", "credential": CRED}, csrf=False, headers=browser)
        self.assertEqual(r.status, 303, f"a browser cannot log in: {r}")
        self.assertEqual(c.get("/api/v1/session").status, 200)
        # the same `Origin: null` from another site is still refused
        c = self.client()
        r = c.post_form("/login", {"user": "dpo", "credential": CRED}, csrf=False,
                        headers=dict(browser, **{"Sec-Fetch-Site": "cross-site"}))
        self.assertEqual(r.status, 403, r)

    def test_login_form_from_another_site_refused(self):
        c = self.client()
        seq = last_seq(self.a)
        r = c.post_form("/login", {"user": "dpo", "credential": CRED}, csrf=False,
                        headers={"Origin": "http://evil.example"})
        self.assertEqual(r.status, 403, r)
        self.assertEqual(c.session_cookie(), (None, None))
        self.assertFalse([e for e in journal(self.a, seq) if e["action"] == "user.login" and e["outcome"] == "ok"])
        # after login, `next` never leads off the site
        for nxt in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "http:evil.example", "/\t/evil.example",
                    "/requests\r\nX-Injected: 1", "/%0d%0aX-Injected:%201"):
            c = self.client()
            r = c.post_form("/login", {"user": "dpo", "credential": CRED, "next": nxt}, csrf=False)
            self.assertEqual(r.status, 303, r)
            loc = r.location
            u = urllib.parse.urlsplit(loc)
            self.assertFalse(u.netloc and u.netloc != f"127.0.0.1:{self.svc.port}", f"next={nxt!r} -> {loc!r}")
            self.assertFalse(loc.startswith("//") or loc.startswith("/\\"), f"next={nxt!r} -> {loc!r}")
            self.assertIsNone(r.header("X-Injected"), f"a header injected through next={nxt!r}")
            self.assertNotIn("\n", loc)

    def test_logout_needs_the_token(self):
        c = self.login("dpo")
        r = c.post_form("/logout", {}, csrf=False)
        self.assertEqual(r.status, 403, r)
        self.assertEqual(c.get("/api/v1/session").status, 200)


class Fixation(Base):
    def test_cookie_before_login_is_not_the_one_after(self):
        c = self.client()
        # whatever the server hands out before login (a pre-session for the login form)...
        c.get("/login")
        pre = dict(c.cookies)
        # ... plus an identifier chosen by an attacker
        planted = "a" * 43
        c.cookies.setdefault("cv_session", planted)
        presented = dict(c.cookies)
        r = c.login_attempt("dpo", CRED)
        self.assertEqual(r.status, 303, r)
        name, value = c.session_cookie()
        self.assertIsNotNone(value, f"no session cookie set at login: {r.header_all('Set-Cookie')}")
        self.assertIn(name, r.set_cookies(), "the login answer must set a new session cookie")
        self.assertNotEqual(value, planted)
        for k, v in presented.items():
            if k in SESSION_NAMES:
                self.assertNotEqual(value, v, "session id kept across login")
        self.assertEqual(c.get("/api/v1/session").status, 200)
        # the identifiers presented before the login open nothing
        for k, v in list(pre.items()) + [("cv_session", planted)]:
            o = self.client()
            o.cookies = {k: v}
            self.assertEqual(o.get("/api/v1/session").status, 401, f"pre-login cookie {k} works after login")
            self.assertEqual(o.get("/api/v1/cases").status, 401)

    def test_second_login_rotates_the_id(self):
        c = self.login("dpo")
        _, first = c.session_cookie()
        c.login("dpo", CRED)
        _, second = c.session_cookie()
        self.assertNotEqual(first, second)
        o = self.client()
        o.cookies = {"cv_session": first}
        self.assertEqual(o.get("/api/v1/session").status, 401, "the id from before the second login still works")


class Lockout(Base):
    def test_five_failures_lock_the_user_for_15_minutes(self):
        seq = last_seq(self.a)
        c = self.client()
        for i in range(5):
            r = c.login_attempt("verrou", f"mauvaise phrase {i}")
            self.assertNotEqual(r.status, 303, r)
            self.assertEqual(c.session_cookie(), (None, None))
        r = c.login_attempt("verrou", CRED)
        self.assertEqual(r.status, 429, f"6th attempt with the right credential: {r}")
        self.assertSecurityHeaders(r, "429")
        self.assertEqual(c.session_cookie(), (None, None), "a locked user got a session")
        self.assertEqual(c.get("/api/v1/session").status, 401)
        # still locked from another client (per user, not per connection)
        self.assertEqual(self.client().login_attempt("verrou", CRED).status, 429)
        # another user is not locked with it
        self.assertEqual(self.client().login_attempt("autre", CRED).status, 303)
        entries = journal(self.a, seq)
        logins = [e for e in entries if e["action"] == "user.login" and "verrou" in (e["actor"] + " " + e["object"])]
        failed = [e for e in logins if e["outcome"] != "ok"]
        self.assertGreaterEqual(len(failed), 5, json.dumps(entries, indent=1))
        locks = [e for e in entries if e["action"] == "user.lock" and "verrou" in (e["actor"] + " " + e["object"])]
        self.assertTrue(locks, json.dumps(entries, indent=1))
        self.assertFalse([e for e in logins if e["outcome"] == "ok"], "a successful login of the locked user journaled")
        # nothing of the credential in the journal
        for e in entries:
            self.assertNotIn("mauvaise", json.dumps(e, ensure_ascii=False))
            self.assertNotIn(CRED, json.dumps(e, ensure_ascii=False))
        self.assertEqual(self.a.cv("journal", "verify").rc, 0)


class Traversal(Base):
    PATHS = [
        "/static/../../../../etc/passwd",
        "/static/..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/static/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/static/%2E%2E/%2E%2E/%2E%2E/etc/passwd",
        "/static/..%5c..%5c..%5c..%5cetc%5cpasswd",
        "/static/%252e%252e/%252e%252e/etc/passwd",
        "/static/.%2e/.%2e/.%2e/.%2e/etc/passwd",
        "/static/..;/..;/etc/passwd",
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
        "/static/app.js%00.png",
        "/static/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
        "/static/../../../../proc/self/environ",
        "/static/..%2f..%2f..%2f..%2fproc%2fself%2fenviron",
        "/static/../serve.h",
        "/static/.",
        "/static/..",
        "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2f..%2fetc%2fpasswd",
        f"/cases/..%2f..%2f..%2fetc%2fpasswd",
        "/jobs/..%2f..%2fetc%2fpasswd/file",
    ]

    def check(self, c, path, logged_in):
        r = c.get(path)
        body = r.body
        self.assertNotIn(b"root:x:0:0", body, path)
        self.assertNotIn(b"CASEVAULT_", body, path)
        self.assertNotIn(b"#ifndef CV_SERVE_H", body, path)
        if logged_in:
            self.assertIn(r.status, (400, 404), f"{path}: {r}")
        else:
            # without a session: refused, or sent to the login page; never a file
            self.assertIn(r.status, (400, 404, 303), f"{path}: {r}")
        return r

    def test_static_files_are_served_and_nothing_else(self):
        c = self.client()
        r = c.get("/static/app.js")
        self.assertEqual(r.status, 200, "positive control: /static/app.js")
        self.assertSecurityHeaders(r, "/static/app.js")
        for path in self.PATHS:
            self.check(c, path, logged_in=False)
        d = self.login("dpo")
        for path in self.PATHS:
            self.check(d, path, logged_in=True)
        # exactly as written on the wire (no client normalisation at all)
        for path in ("/static/../../../../etc/passwd", "/static/./../../../etc/passwd", "/static\\..\\..\\etc\\passwd"):
            status, head, body = raw_request("127.0.0.1", self.svc.port,
                                             f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {d.cookie_header()}\r\n"
                                             "Connection: close\r\n\r\n".encode())
            self.assertIn(status, (400, 404), f"raw {path}: {head}")
            self.assertNotIn(b"root:x:0:0", body)
        # an absolute-form target naming another file
        status, head, body = raw_request("127.0.0.1", self.svc.port,
                                         b"GET file:///etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        self.assertIn(status, (400, 404), head)
        self.assertNotIn(b"root:x:0:0", body)


class Limits(Base):
    def test_oversized_bodies_are_413(self):
        big = 2 * 1024 * 1024
        form = "application/x-www-form-urlencoded"
        c = self.client()
        status, head, _ = c.send_big("POST", "/login", urllib.parse.urlencode(
            {"user": "dpo", "credential": "x" * big}).encode(), {"Content-Type": form})
        self.assertEqual(status, 413, head)
        for h in SECURITY_HEADERS:
            self.assertIn(h.lower() + ":", head.lower(), f"413 without {h}")
        d = self.login("dpo")
        before = self.requests_cli()
        status, head, _ = d.send_big("POST", "/api/v1/requests", json.dumps(
            {"type": "access", "case": self.leroy, "subject": "p1", "received": "2026-11-02", "note": "n" * big}).encode(),
            {"Content-Type": "application/json", "X-CSRF-Token": d.csrf})
        self.assertEqual(status, 413, head)
        status, head, _ = d.send_big("POST", "/requests", urllib.parse.urlencode(
            {"type": "access", "case": self.leroy, "subject": "p1", "received": "2026-11-02", "note": "n" * big,
             "csrf": d.csrf}).encode(), {"Content-Type": form})
        self.assertEqual(status, 413, head)
        self.assertEqual(self.requests_cli(), before)
        # the service still answers
        self.assertEqual(d.get("/requests").status, 200)
        # an announced length over the limit is refused before the body is read
        t0 = time.monotonic()
        status, head, _ = raw_request(
            "127.0.0.1", self.svc.port,
            (f"POST /api/v1/requests HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {d.cookie_header()}\r\n"
             f"X-CSRF-Token: {d.csrf}\r\nContent-Type: application/json\r\nContent-Length: {50 * 1024 * 1024 * 1024}\r\n"
             "\r\n{").encode(), timeout=10)
        self.assertEqual(status, 413, head)
        self.assertLess(time.monotonic() - t0, 8)
        # a huge header block does not take the service down
        status, head, _ = raw_request("127.0.0.1", self.svc.port,
                                      ("GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + "p" * (256 * 1024) +
                                       "\r\nConnection: close\r\n\r\n").encode())
        self.assertIn(status, (400, 413, 431, None), head)
        self.assertEqual(self.client().get("/login").status, 200, "service still answers")


    def test_stalled_clients_do_not_block_others(self):
        """Slow clients from one address (a request line and half a header,
        then nothing: 100 connections from 127.0.0.2) must not keep staff
        (127.0.0.1) from being served."""
        socks = []
        try:
            for i in range(100):
                try:
                    s = socket.create_connection(("127.0.0.1", self.svc.port), timeout=5, source_address=("127.0.0.2", 0))
                    socks.append(s)
                    s.sendall(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                except OSError:
                    pass  # refused past the per-address limit: fine
            t0 = time.monotonic()
            c = self.client()
            c.timeout = 10
            self.assertEqual(c.get("/login").status, 200)
            c.login("dpo", CRED)
            self.assertEqual(c.get("/requests").status, 200)
            self.assertLess(time.monotonic() - t0, 5)
        finally:
            for s in socks:
                s.close()


class Roles(Base):
    def test_maft_refused_on_the_register_and_journaled(self):
        seq = last_seq(self.a)
        m = self.login("maft")
        for path in ("/requests", "/requests/register.csv", "/requests/new"):
            r = m.get(path)
            self.assertEqual(r.status, 403, f"{path}: {r}")
            self.assertIn('<html lang="fr"', r.text, path)
            self.assertRegex(r.text, r"(?i)(accès refusé|n'avez pas|non autorisé|pas autorisé|interdit|refusé)")
            self.assertSecurityHeaders(r, f"403 {path}")
        r = m.get("/api/v1/requests", headers={"Accept": "application/json"})
        self.assertEqual(r.status, 403, r)
        self.assertIn("error", r.json())
        before = self.requests_cli()
        r = m.post_form("/requests", {"type": "access", "case": self.leroy, "subject": "p1", "received": "2026-11-02"})
        self.assertEqual(r.status, 403, r)
        self.assertEqual(self.requests_cli(), before)
        denied = [e for e in journal(self.a, seq) if e["actor"] == "maft" and e["outcome"] == "denied"]
        self.assertTrue(denied, json.dumps(journal(self.a, seq), indent=1))
        self.assertTrue(any(e["action"].startswith("request.") for e in denied), denied)
        # the DPO is allowed; the register shows the requests
        d = self.login("dpo")
        r = d.get("/requests")
        self.assertEqual(r.status, 200, r)
        self.assertIn('<html lang="fr"', r.text)
        self.assertEqual(d.get("/requests/register.csv").status, 200)
        # and the menu of each role offers only what it may do
        self.assertNotIn('href="/requests"', m.get(f"/find?last=Leroy").text)

    def test_maft_cannot_open_a_request_through_the_api(self):
        m = self.login("maft")
        before = self.requests_cli()
        r = m.post_json("/api/v1/requests", {"type": "access", "case": self.leroy, "subject": "p1",
                                             "received": "2026-11-02"})
        self.assertEqual(r.status, 403, r)
        self.assertEqual(self.requests_cli(), before)

    def test_jobs_and_reviews_are_their_owners_alone(self):
        m = self.login("maft")
        r = m.post_form(f"/cases/{self.leroy}/copy", {"requester": "p1", "purpose": "maft"})
        self.assertEqual(r.status, 303, r)
        job = r.location_path
        self.assertRegex(job, r"^/jobs/[A-Za-z0-9._-]+$")
        review = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            page = m.get(job)
            self.assertEqual(page.status, 200)
            found = re.search(r'href="(/reviews/[A-Za-z0-9._-]+)"', page.text)
            if found:
                review = found.group(1)
                break
            time.sleep(0.5)
        self.assertIsNotNone(review, "the copy job offers no review")
        self.assertEqual(m.get(review).status, 200)
        # another officer, and a DPO: neither the job nor the review
        for other in ("maft2", "dpo"):
            o = self.login(other)
            for path in (job, job + "/file", review):
                got = o.get(path)
                self.assertIn(got.status, (403, 404), f"{other} {path}: {got}")
                self.assertNotIn("Garnier", got.text)
                self.assertNotIn("Martin", got.text)
            # nor post decisions into it
            got = o.post_form(review, {})
            self.assertIn(got.status, (403, 404), f"{other} POST {review}: {got}")

    def test_other_roles(self):
        cases = [("maft", "/plans", 403), ("maft", "/journal", 403), ("dpo", "/ingest", 403),
                 ("auditeur", "/requests/new", 403), ("directrice", "/find?last=Leroy", 403),
                 ("auditeur", "/journal", 200), ("directrice", "/plans", 200), ("archiv", "/cases", 200),
                 ("maft", "/find?last=leroy&first=francois", 200)]
        for user, path, want in cases:
            r = self.login(user).get(path)
            self.assertEqual(r.status, want, f"{user} {path}: {r}")


class Headers(Base):
    def test_security_headers_on_every_kind_of_answer(self):
        c = self.client()
        seen = {}
        seen[200] = c.get("/login")
        seen[303] = c.get("/requests")
        seen[401] = c.get("/api/v1/cases")
        d = self.login("maft")
        seen[403] = d.get("/requests")
        seen[404] = d.get("/pas-de-page-ici")
        seen["404 api"] = d.get("/api/v1/cases/0000000000000000", headers={"Accept": "application/json"})
        seen["200 api"] = d.get("/api/v1/cases", headers={"Accept": "application/json"})
        seen["405/404"] = d.request("PUT", "/requests", body=b"")
        for k, r in seen.items():
            self.assertSecurityHeaders(r, f"{k} ({r.status})")
        self.assertEqual(seen[200].status, 200)
        self.assertEqual(seen[303].status, 303)
        self.assertEqual(seen[401].status, 401)
        self.assertEqual(seen[403].status, 403)
        self.assertEqual(seen[404].status, 404)
        self.assertIn('<html lang="fr"', seen[404].text)
        self.assertEqual(seen["404 api"].status, 404)
        self.assertIn(seen["405/404"].status, (404, 405, 501))

    def test_pages_need_no_inline_script_or_style(self):
        """The CSP has no 'unsafe-inline': a page with an inline <style>, a
        style="" attribute, an inline <script> or an on*= handler is broken
        in the browser (blocked, and a CSP violation on the console)."""
        rid = self.a.js("request", "open", "--type", "access", "--subject", "p1", "--case", self.leroy,
                        "--received", "2026-11-02", user="dpo")["id"]
        plan = self.a.js("sweep", "plan", user="archiv")["id"]
        pages = {
            "dpo": ["/", "/requests", "/requests/new", "/requests/register.html", f"/requests/{rid}",
                    "/requests?state=open", "/requests?due=overdue"],
            "maft": ["/find", "/find?last=leroy&first=francois", f"/cases/{self.leroy}"],
            "directrice": ["/plans", f"/plans/{plan}", f"/plans/{plan}/slip.html"],
            "auditeur": ["/journal", "/verify", "/anchors"],
            "archiv": ["/cases", "/ingest", f"/cases/{self.leroy}/hold"],
        }
        inline = [
            (re.compile(r"(?i)<style[\s>]"), "inline <style>"),
            (re.compile(r"(?i)<[a-z][^>]*\sstyle\s*=", re.S), "style= attribute"),
            (re.compile(r"(?i)<script(?![^>]*\bsrc\s*=)[^>]*>", re.S), "inline <script>"),
            (re.compile(r"(?i)<[a-z][^>]*\son[a-z]+\s*=", re.S), "on*= handler"),
            (re.compile(r"(?i)(href|src|action)\s*=\s*[\"']?\s*javascript:"), "javascript: URL"),
        ]
        problems = []
        for user, paths in pages.items():
            c = self.login(user)
            for path in paths:
                r = c.get(path)
                self.assertEqual(r.status, 200, f"{user} {path}: {r}")
                if "text/html" not in (r.header("Content-Type") or ""):
                    continue
                if "attachment" in (r.header("Content-Disposition") or ""):
                    continue  # downloaded, not shown under this CSP
                csp = r.header("Content-Security-Policy")
                self.assertNotIn("unsafe-inline", csp)
                directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
                text = r.text
                # a <style> block allowed by its hash in style-src (CSP level 2) is fine
                for m in re.finditer(r"(?is)<style>(.*?)</style>", text):
                    digest = base64.b64encode(hashlib.sha256(m.group(1).encode()).digest()).decode()
                    if f"'sha256-{digest}'" in directives.get("style-src", []):
                        text = text.replace(m.group(0), "")
                for rx, what in inline:
                    m = rx.search(text)
                    if m:
                        problems.append(f"{path} ({user}): {what}: {text[max(0, m.start() - 60):m.end() + 60]!r}")
        self.assertEqual(problems, [], "\n".join(problems))

    def test_personal_data_is_not_cached(self):
        d = self.login("dpo")
        for path in ("/api/v1/cases", f"/cases/{self.leroy}", "/requests"):
            r = d.get(path)
            self.assertEqual(r.status, 200, path)
            self.assertIn("no-store", (r.header("Cache-Control") or "").lower(), f"{path}: Cache-Control")

    def test_cookie_flags(self):
        c = self.client()
        r = c.login_attempt("dpo", CRED)
        self.assertEqual(r.status, 303)
        cookies = r.set_cookies()
        self.assertIn("cv_session", cookies, r.header_all("Set-Cookie"))
        value, attrs = cookies["cv_session"]
        self.assertTrue(attrs.get("httponly"), attrs)
        self.assertEqual(str(attrs.get("samesite", "")).lower(), "strict", attrs)
        self.assertEqual(attrs.get("path"), "/", attrs)
        self.assertNotIn("domain", attrs)
        self.assertGreaterEqual(len(value), 22, "session id too short to be unguessable")
        self.assertRegex(value, r"^[A-Za-z0-9_\-]+$")
        # no session id anywhere but the cookie
        self.assertNotIn(value, r.location or "")
        s = c.get("/api/v1/session").json()
        self.assertEqual(s["user"], "dpo")
        self.assertIn("dpo", s["roles"])
        self.assertTrue(s["csrf"])
        self.assertNotIn(value, json.dumps(s))
        self.assertNotIn(value, c.get("/requests").text)


class Logout(Base):
    def test_logout_invalidates_the_session(self):
        c = self.login("dpo")
        name, value = c.session_cookie()
        self.assertEqual(c.get("/requests").status, 200)
        r = c.logout()
        self.assertEqual(r.status, 303, r)
        self.assertEqual(r.location_path, "/login", r.location)
        self.assertSecurityHeaders(r, "logout")
        # the cookie is cleared in the browser ...
        self.assertIn(name, r.set_cookies(), "logout does not clear the cookie")
        # ... and, above all, dead on the server: replaying it opens nothing
        o = self.client()
        o.cookies = {name: value}
        self.assertEqual(o.get("/api/v1/session").status, 401)
        self.assertEqual(o.get("/requests").status, 303)
        before = self.requests_cli()
        r = o.post_form("/requests", {"type": "access", "case": self.leroy, "subject": "p1", "received": "2026-11-02",
                                      "csrf": c.csrf}, csrf=False)
        self.assertIn(r.status, (303, 401, 403), r)
        self.assertEqual(self.requests_cli(), before)


class Api(Base):
    def test_cases_equal_the_command_line(self):
        c = self.login("dpo")
        cli = self.a.js("case", "list")
        r = c.get("/api/v1/cases", headers={"Accept": "application/json"})
        self.assertEqual(r.status, 200, r)
        self.assertIn("application/json", r.header("Content-Type"))
        self.assertEqual(r.json(), cli)
        self.assertEqual(int(r.header("X-Total-Count")), len(cli))
        for off in range(len(cli)):
            r = c.get(f"/api/v1/cases?limit=1&offset={off}")
            self.assertEqual(r.json(), cli[off:off + 1])
            self.assertEqual(int(r.header("X-Total-Count")), len(cli))
        self.assertEqual(c.api("/api/v1/cases?limit=2&offset=1"), cli[1:3])
        self.assertEqual(c.api(f"/api/v1/cases?offset={len(cli)}"), [])
        for bad in ("limit=-1", "limit=abc", "offset=-5", "limit=99999999999999999999"):
            self.assertIn(c.get(f"/api/v1/cases?{bad}").status, (200, 400), bad)
        for x in cli:
            self.assertEqual(c.api(f"/api/v1/cases/{x['id']}"), self.a.js("case", "show", x["id"], user="dpo"))
        self.assertEqual(c.get("/api/v1/cases/ffffffffffffffff").status, 404)

    def test_requests_equal_the_command_line(self):
        c = self.login("dpo")
        r = c.post_json("/api/v1/requests", {"type": "rectification", "case": self.leroy, "subject": "p1",
                                             "received": "2026-11-04", "channel": "courriel", "note": "adresse"})
        self.assertIn(r.status, (200, 201), r)
        made = r.json()
        self.assertTrue(made.get("id"), made)
        shown = self.a.js("request", "show", made["id"], user="dpo")
        self.assertEqual(c.api(f"/api/v1/requests/{made['id']}"), shown)
        for k in ("id", "type", "received", "due", "state"):
            self.assertEqual(made[k], shown[k], k)
        # by name, as the CLI's --last/--first/--born
        r = c.post_json("/api/v1/requests", {"type": "access", "last": "LEROY", "first": "francois",
                                             "born": "2009-03-12", "received": "2026-11-05"})
        self.assertIn(r.status, (200, 201), r)
        self.assertEqual(c.api("/api/v1/requests"), self.a.js("request", "list", user="dpo"))
        # invalid input: 400 and nothing opened
        before = self.requests_cli()
        for body in ({"type": "access"}, {"type": "nope", "case": self.leroy, "subject": "p1", "received": "2026-11-02"},
                     {"type": "access", "case": self.leroy, "subject": "p1", "received": "2999-01-01"}):
            r = c.post_json("/api/v1/requests", body)
            self.assertIn(r.status, (400, 409, 422), f"{body}: {r}")
            self.assertIn("error", r.json())
        r = c.request("POST", "/api/v1/requests", body=b"{not json", headers={
            "Content-Type": "application/json", "X-CSRF-Token": c.csrf})
        self.assertEqual(r.status, 400, r)
        self.assertEqual(self.requests_cli(), before)

    def test_plans_and_journal(self):
        a = self.login("auditeur")
        j = a.api("/api/v1/journal")
        rows = j if isinstance(j, list) else j.get("entries", j)
        self.assertTrue(rows)
        cli = {e["seq"]: e for e in self.a.js("journal", "show")}
        for e in rows:
            if e["seq"] in cli:
                self.assertEqual(e, cli[e["seq"]])
        self.assertEqual(self.login("maft").get("/api/v1/journal").status, 403)
        d = self.login("directrice")
        self.assertEqual(d.get("/api/v1/plans").status, 200)


class Concurrency(Base):
    """Many users at once, as a morning at the ASE looks: the service's
    threads share the session table, each user's handle pool, the jobs and
    the journal. Run under ThreadSanitizer by scripts/test.sh."""

    def test_parallel_users_sessions_and_jobs(self):
        dpo, maft, aud = self.login("dpo"), self.login("maft"), self.login("auditeur")
        errors, lock = [], threading.Lock()

        def note(what):
            with lock:
                errors.append(what)

        def reader(c, paths, rounds):
            for i in range(rounds):
                path = paths[i % len(paths)]
                r = c.get(path)
                if r.status != 200:
                    note(f"{path}: {r.status}")

        def churn():
            # another session of the same DPO comes and goes meanwhile
            for _ in range(4):
                c = self.client()
                c.login("dpo", CRED)
                if c.get("/api/v1/session").status != 200:
                    note("churn session")
                c.logout()

        start = last_seq(self.a)
        threads = [threading.Thread(target=reader, args=(dpo, ["/api/v1/cases", "/requests", "/api/v1/requests"], 24)),
                   threading.Thread(target=reader, args=(dpo, ["/requests", "/api/v1/cases?limit=2&offset=1"], 24)),
                   threading.Thread(target=reader, args=(maft, ["/find?last=leroy", f"/cases/{self.leroy}"], 12)),
                   threading.Thread(target=reader, args=(aud, ["/journal", "/anchors"], 12)),
                   threading.Thread(target=churn)]
        job = aud.post_form("/verify", {"mode": "quick"})
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        self.assertEqual(errors, [])
        self.assertIn(job.status, (303, 200), job)
        # every read of personal data journaled once, with its own actor
        reads = [e for e in journal(self.a, start) if e["action"] == "case.show"]
        self.assertEqual(len(reads), 6)
        self.assertTrue(all(e["actor"] == "maft" for e in reads))
        self.a.ok("journal", "verify")
        self.assertEqual(dpo.get("/api/v1/session").status, 200)


class Tls(unittest.TestCase):
    def test_https_and_host_prefixed_secure_cookie(self):
        a = make_archive(self)
        cert, key = service.make_cert(a.work)
        svc = start_service(self, a, tls=(cert, key))
        c = svc.client()
        self.assertTrue(c.base.startswith("https://"))
        r = c.get("/login")
        self.assertEqual(r.status, 200)
        for h in SECURITY_HEADERS:
            self.assertIsNotNone(r.header(h), h)
        r = c.login_attempt("dpo", CRED)
        self.assertEqual(r.status, 303, r)
        cookies = r.set_cookies()
        self.assertIn("__Host-cv_session", cookies, r.header_all("Set-Cookie"))
        self.assertNotIn("cv_session", cookies)
        _, attrs = cookies["__Host-cv_session"]
        self.assertTrue(attrs.get("secure"), attrs)
        self.assertTrue(attrs.get("httponly"), attrs)
        self.assertEqual(str(attrs.get("samesite", "")).lower(), "strict")
        self.assertEqual(attrs.get("path"), "/")
        self.assertNotIn("domain", attrs)
        s = c.get("/api/v1/session")
        self.assertEqual(s.status, 200)
        self.assertEqual(s.json()["user"], "dpo")
        # the certificate is the one we made
        ctx = ssl.create_default_context(cafile=cert)
        with socket.create_connection(("127.0.0.1", svc.port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as t:
                self.assertIn(t.version(), ("TLSv1.2", "TLSv1.3"))
        # plain HTTP on the TLS port gets no page
        status, head, body = raw_request("127.0.0.1", svc.port, b"GET /login HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5)
        self.assertNotEqual(status, 200, head)
        self.assertEqual(svc.stop(), 0, svc.log())


class Stop(unittest.TestCase):
    def serve(self):
        a = make_archive(self)
        svc = start_service(self, a)
        c = svc.client()
        c.login("dpo", CRED)
        self.assertEqual(c.get("/requests").status, 200)
        # a client that keeps its connection open after an answer
        idle = socket.create_connection(("127.0.0.1", svc.port), timeout=5)
        self.addCleanup(idle.close)
        idle.sendall(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        idle.recv(65536)
        return a, svc

    def stopped(self, a, svc, limit):
        t0 = time.monotonic()
        rc = svc.stop(timeout=90)
        took = time.monotonic() - t0
        self.assertEqual(rc, 0, f"exit status {rc}; log:\n{svc.log()}")
        self.assertLess(took, limit, f"SIGTERM took {took:.1f} s")
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", svc.port), timeout=2).close()
        # the archive is consistent afterwards, and the work directory holds nothing
        self.assertEqual(a.cv("journal", "verify").rc, 0)
        left = [os.path.join(r, f) for r, _, fs in os.walk(svc.work_dir) for f in fs] if os.path.isdir(svc.work_dir) else []
        self.assertEqual(left, [])

    def test_sigterm_stops_cleanly(self):
        a, svc = self.serve()
        self.stopped(a, svc, 10)

    def test_sigterm_with_a_stalled_client(self):
        """A client that stops in the middle of its request (here: 5 bytes of a
        100-byte body) must not hold the stop back until its connection times out."""
        a, svc = self.serve()
        slow = socket.create_connection(("127.0.0.1", svc.port), timeout=5)
        self.addCleanup(slow.close)
        slow.sendall(b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nuser=")
        time.sleep(0.3)
        self.stopped(a, svc, 10)


if __name__ == "__main__":
    main()
