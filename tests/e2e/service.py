"""Helpers for the tests of `casevault serve` (the staff web service): start
an archive's service on a free loopback port, talk HTTP(S) to it without any
automatic redirect or cookie handling (the tests look at every 303 and every
Set-Cookie themselves), log in, post forms with or without the CSRF token.

Python standard library only. Used by tests/e2e/test_service.py and by the
load benchmark (tools/bench/service/bench.py)."""
import http.client
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse
import uuid

SRC = os.environ.get("CV_SRC", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BIN = os.environ.get("CV_BIN", os.path.join(SRC, "build", "bin", "casevault"))

URL_RE = re.compile(r"(https?://[^\s'\"<>]+)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_cert(directory, cn="localhost"):
    """A self-signed P-256 certificate for localhost and 127.0.0.1: (cert, key)."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2", "-subj", f"/CN={cn}",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    os.chmod(key, 0o600)
    return cert, key


class Service:
    """`casevault -A DIR --key-file K --as ADMIN serve --listen 127.0.0.1:PORT`,
    in the foreground of a child process; start() waits for the URL it prints."""

    def __init__(self, archive, key_file, admin="archiviste", binary=None, tls=None, work_dir=None, env=None,
                 extra_args=(), log_path=None):
        self.archive, self.key_file, self.admin = archive, key_file, admin
        self.binary = binary or BIN
        self.tls = tls  # (cert, key) or None
        self.work_dir = work_dir
        self.env = dict(os.environ)
        for k in ("CASEVAULT_ARCHIVE", "CASEVAULT_KEY_FILE", "CASEVAULT_PASSPHRASE_FILE", "CASEVAULT_USER"):
            self.env.pop(k, None)
        if env:
            self.env.update(env)
        self.extra_args = list(extra_args)
        self.log_path = log_path
        self.proc = None
        self.url = None
        self.port = None
        self.output = []  # stdout + stderr lines
        self._lock = threading.Lock()

    # ------------------------------------------------------------ process
    def command(self, port):
        cmd = [self.binary, "-A", self.archive, "--key-file", self.key_file, "--as", self.admin, "serve",
               "--listen", f"127.0.0.1:{port}"]
        if self.tls:
            cmd += ["--tls-cert", self.tls[0], "--tls-key", self.tls[1]]
        if self.work_dir:
            os.makedirs(self.work_dir, mode=0o700, exist_ok=True)
            cmd += ["--work-dir", self.work_dir]
        return cmd + self.extra_args

    def _drain(self, stream, tag, ready):
        log = open(self.log_path, "a", encoding="utf-8") if self.log_path else None
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._lock:
                self.output.append(f"{tag}: {line}")
            if log:
                log.write(f"{tag}: {line}\n")
                log.flush()
            if self.url is None:
                m = URL_RE.search(line)
                if m:
                    self.url = m.group(1).rstrip("/.,;")
                    ready.set()
        if log:
            log.close()

    def start(self, timeout=60, attempts=3):
        last = None
        for _ in range(attempts):
            port = free_port()
            self.output, self.url = [], None
            ready = threading.Event()
            self.proc = subprocess.Popen(self.command(port), env=self.env, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            self._threads = []
            for stream, tag in ((self.proc.stdout, "out"), (self.proc.stderr, "err")):
                t = threading.Thread(target=self._drain, args=(stream, tag, ready), daemon=True)
                t.start()
                self._threads.append(t)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and not ready.is_set() and self.proc.poll() is None:
                ready.wait(0.05)
            if ready.is_set():
                self.port = port
                # the printed URL may say 0.0.0.0 or localhost: talk to what we asked for
                scheme = "https" if self.tls else "http"
                self.base = f"{scheme}://127.0.0.1:{port}"
                return self
            last = self.log()
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            self._close_pipes()
        raise RuntimeError(f"casevault serve did not start: {last}")

    def log(self):
        time.sleep(0.05)
        with self._lock:
            return "\n".join(self.output[-60:])

    def _close_pipes(self):
        for t in getattr(self, "_threads", []):
            t.join(5)
        for f in (self.proc.stdout, self.proc.stderr):
            if f:
                f.close()

    def stop(self, timeout=30):
        """SIGTERM; the exit status (None if it had to be killed)."""
        if not self.proc:
            return None
        rc = self.proc.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                rc = None
        else:
            rc = self.proc.returncode
        self._close_pipes()
        return rc

    def rss_kib(self):
        """(VmRSS, VmHWM) of the service in KiB."""
        vals = {}
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM"):
                    vals[k] = int(v.split()[0])
        return vals.get("VmRSS"), vals.get("VmHWM")

    def client(self, **kw):
        return Client(self.base, cafile=self.tls[0] if self.tls else None, **kw)


# ------------------------------------------------------------------- HTTP

class Response:
    def __init__(self, status, reason, headers, body):
        self.status, self.reason, self.headers, self.body = status, reason, headers, body

    def header(self, name, default=None):
        return self.headers.get(name, default)

    def header_all(self, name):
        return self.headers.get_all(name) or []

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)

    @property
    def location(self):
        return self.headers.get("Location")

    @property
    def location_path(self):
        loc = self.location
        return urllib.parse.urlsplit(loc).path if loc else None

    def set_cookies(self):
        """{name: (value, {attr_lower: value_or_True})} for each Set-Cookie."""
        out = {}
        for sc in self.header_all("Set-Cookie"):
            parts = [p.strip() for p in sc.split(";")]
            name, _, value = parts[0].partition("=")
            attrs = {}
            for p in parts[1:]:
                k, eq, v = p.partition("=")
                attrs[k.strip().lower()] = v.strip() if eq else True
            out[name.strip()] = (value.strip(), attrs)
        return out

    def __repr__(self):
        return f"<{self.status} {self.reason} loc={self.location!r} body={self.body[:300]!r}>"


def multipart(fields, files):
    """(body, content type) for fields {name: str} and files {name: (filename, bytes, type)}."""
    boundary = "----cvtest" + uuid.uuid4().hex
    out = []
    for k, v in fields.items():
        out.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n".encode() + str(v).encode() + b"\r\n")
    for k, (fn, data, typ) in files.items():
        out.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{fn}\"\r\n"
                   f"Content-Type: {typ}\r\n\r\n".encode() + data + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"


class Client:
    """One browser-like user: its own cookies (set from Set-Cookie, sent back
    as Cookie), no redirect following, the session's CSRF token once logged in."""

    def __init__(self, base, cafile=None, timeout=60):
        u = urllib.parse.urlsplit(base)
        self.base, self.scheme, self.host, self.port = base, u.scheme, u.hostname, u.port
        self.timeout = timeout
        self.cookies = {}
        self.csrf = None
        self.ctx = None
        if self.scheme == "https":
            self.ctx = ssl.create_default_context(cafile=cafile)

    def conn(self):
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=self.ctx)
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def cookie_header(self):
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def _remember(self, resp):
        for name, (value, attrs) in resp.set_cookies().items():
            expired = attrs.get("max-age") in ("0", "-1") or value == "" or (
                isinstance(attrs.get("expires"), str) and "1970" in attrs["expires"])
            if expired:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def request(self, method, path, body=None, headers=None, cookies=True):
        h = {"Host": f"{self.host}:{self.port}", "Accept": "text/html,application/json"}
        if cookies and self.cookies:
            h["Cookie"] = self.cookie_header()
        if headers:
            h.update(headers)
        c = self.conn()
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            resp = Response(r.status, r.reason, r.headers, r.read())
        finally:
            c.close()
        if cookies:
            self._remember(resp)
        return resp

    def send_big(self, method, path, body, headers=None):
        """A request with a large body, read while it is being sent: a server
        may answer (413) and close before the body is all sent. Returns
        (status or None, head, body)."""
        h = {"Host": f"{self.host}:{self.port}", "Content-Length": str(len(body)), "Connection": "close"}
        if self.cookies:
            h["Cookie"] = self.cookie_header()
        h.update(headers or {})
        data = (f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n").encode()
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        if self.scheme == "https":
            sock = self.ctx.wrap_socket(sock, server_hostname=self.host)
        got = []

        def reader():
            buf = b""
            try:
                while True:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    buf += chunk
            except OSError:
                pass
            got.append(buf)

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        try:
            sock.sendall(data)
            for i in range(0, len(body), 65536):
                sock.sendall(body[i:i + 65536])
        except OSError:
            pass
        t.join(self.timeout)
        sock.close()
        buf = got[0] if got else b""
        head, _, rest = buf.partition(b"\r\n\r\n")
        m = re.match(rb"HTTP/1\.[01] (\d{3})", head)
        return (int(m.group(1)) if m else None), head.decode("latin-1"), rest

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post_form(self, path, fields=None, csrf=True, headers=None, **kw):
        """A urlencoded POST; csrf=True adds the session's token, a string sends that token, False none."""
        f = dict(fields or {})
        if csrf is True and self.csrf:
            f["csrf"] = self.csrf
        elif isinstance(csrf, str):
            f["csrf"] = csrf
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        h.update(headers or {})
        return self.request("POST", path, body=urllib.parse.urlencode(f, doseq=True).encode(), headers=h, **kw)

    def post_multipart(self, path, fields=None, files=None, csrf=True, **kw):
        f = dict(fields or {})
        if csrf is True and self.csrf:
            f["csrf"] = self.csrf
        elif isinstance(csrf, str):
            f["csrf"] = csrf
        body, typ = multipart(f, files or {})
        return self.request("POST", path, body=body, headers={"Content-Type": typ}, **kw)

    def post_json(self, path, obj, csrf=True, **kw):
        h = {"Content-Type": "application/json", "Accept": "application/json"}
        if csrf is True and self.csrf:
            h["X-CSRF-Token"] = self.csrf
        elif isinstance(csrf, str):
            h["X-CSRF-Token"] = csrf
        return self.request("POST", path, body=json.dumps(obj).encode(), headers=h, **kw)

    def api(self, path):
        r = self.get(path, headers={"Accept": "application/json"})
        if r.status != 200:
            raise AssertionError(f"GET {path}: {r}")
        return r.json()

    # ---------------------------------------------------------- session
    def login_form_csrf(self):
        """GET /login; the hidden csrf field of the login form if it has one."""
        r = self.get("/login")
        m = re.search(r'name="csrf"\s+value="([^"]*)"', r.text) or re.search(r'value="([^"]*)"\s+name="csrf"', r.text)
        return r, (m.group(1) if m else None)

    def login_attempt(self, user, credential):
        _, token = self.login_form_csrf()
        fields = {"user": user, "credential": credential}
        if token:
            fields["csrf"] = token
        return self.post_form("/login", fields, csrf=False)

    def login(self, user, credential):
        r = self.login_attempt(user, credential)
        if r.status != 303:
            raise AssertionError(f"login as {user}: {r}")
        s = self.get("/api/v1/session", headers={"Accept": "application/json"})
        if s.status != 200:
            raise AssertionError(f"/api/v1/session after login as {user}: {s}")
        self.session = s.json()
        self.csrf = self.session.get("csrf")
        return r

    def session_cookie(self):
        for name in ("cv_session", "__Host-cv_session"):
            if name in self.cookies:
                return name, self.cookies[name]
        return None, None

    def logout(self):
        return self.post_form("/logout", {})


def raw_request(host, port, data, timeout=10, tls_ctx=None):
    """Send raw bytes (a request line exactly as written) and return (status, head, body bytes)."""
    s = socket.create_connection((host, port), timeout=timeout)
    if tls_ctx:
        s = tls_ctx.wrap_socket(s, server_hostname=host)
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        buf = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
                if b"\r\n\r\n" in buf:
                    head, _, rest = buf.partition(b"\r\n\r\n")
                    m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                    if m and len(rest) >= int(m.group(1)):
                        break
        except (socket.timeout, ConnectionResetError):
            pass
    finally:
        s.close()
    head, _, body = buf.partition(b"\r\n\r\n")
    m = re.match(rb"HTTP/1\.[01] (\d{3})", head)
    return (int(m.group(1)) if m else None), head.decode("latin-1"), body
