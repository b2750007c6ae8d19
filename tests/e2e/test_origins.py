#!/usr/bin/env python3
"""Secret birth and access to origins (CNAOP) end to end: the sealed identity
is in no output of any ordinary command and nowhere in clear in the archive;
the master key and the archive alone cannot open it; a release needs a legal
condition, a threshold of distinct holders' approvals and their credentials,
and gives a CMS envelope that `openssl cms -decrypt` opens with the CNAOP's
key; a reshare retires the old shares; the emergency procedure of
docs/origins.md (sqlite3, openssl kdf, openssl cms, gfcombine) works."""
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import tempfile
import unittest
import zipfile

from cvtest import Archive, main, write_bundle

SEALED = ("PLI FERMÉ — identité de la mère de naissance : Zénaïde QUIMPERLÉ-VASTAGNE, née le 17 avril 1979 "
          "à Morlaix (29), NIR 2 79 04 29 151 042 17, demeurant 12 rue des Glycines à Landerneau\n")
# Any of these in an output or a file would be a leak.
MARKERS = ["QUIMPERL", "VASTAGNE", "Zénaïde", "Glycines", "Landerneau", "2 79 04 29 151", "identité de la mère"]
NON_IDENTIFYING = "Informations non identifiantes : mère âgée de 24 ans, étudiante, en bonne santé.\n"
SOURCE = "Courrier de Mme Ernestine PLOUGASTEL du 3 mars 2024, reçu au service"
REF = "ASE-29-2001-00007"
CRED = {"u1": "phrase secrète de la correspondante un", "u2": "phrase secrète du correspondant deux",
        "u3": "phrase secrète de la correspondante trois", "u4": "phrase secrète du correspondant quatre"}


def bundle(work, sealed=SEALED, ref=REF, name="sb"):
    m = {
        "bundle_version": 1,
        "case": {"ref": ref, "category": "secret_birth", "opened": "2001-02-01", "closed": None, "territory": "29"},
        "persons": [{"id": "p1", "role": "child", "last": "X", "first": ["Léa"], "born": "2001-02-01", "sex": "F"}],
        "measures": [],
        "documents": [{"path": "docs/informations.txt", "title": "Informations non identifiantes",
                       "date": "2001-02-02", "type": "report", "concerns": ["p1"]}],
        "sealed": {"path": "sealed/identite.txt"},
    }
    return write_bundle(os.path.join(work, name), m, {"docs/informations.txt": NON_IDENTIFYING,
                                                      "sealed/identite.txt": sealed})


def cred_file(a, user, text=None):
    p = os.path.join(a.work, f"cred-{user}-{hashlib.sha256((text or CRED[user]).encode()).hexdigest()[:8]}")
    with open(p, "w") as f:
        f.write((text or CRED[user]) + "\n")
    return p


def no_leak(test, r, what):
    for m in MARKERS:
        test.assertNotIn(m.encode(), r.out, f"{what}: stdout")
        test.assertNotIn(m, r.err, f"{what}: stderr")


def cnaop_pair(work):
    key, crt = os.path.join(work, "cnaop.key"), os.path.join(work, "cnaop.crt")
    p = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:3072", "-nodes", "-keyout", key, "-out", crt,
                        "-subj", "/O=CNAOP (test)/CN=Conseil national pour l'acces aux origines personnelles",
                        "-days", "30"], capture_output=True)
    assert p.returncode == 0, p.stderr
    return key, crt


def admin_keys(a):
    """The admin sets a credential of their own: personal keys that sign."""
    p = os.path.join(a.work, "cred-admin")
    with open(p, "w") as f:
        f.write("phrase de l'administratrice\n")
    a.ok("user", "passwd", "archiviste", "--credential-file", p)
    return p


def setup(test, holders=("u1", "u2", "u3"), threshold=2, ingest=True):
    a = Archive(test)
    for u in ("u1", "u2", "u3", "u4"):
        a.add_user(u, "cnaop", credential=CRED[u])
    a.add_user("auditrice", "auditor")
    a.add_user("maft", "maft")
    a.add_user("dpo", "dpo", credential="phrase du délégué à la protection")
    a.add_user("archiviste2", "archivist")
    # the admin's own keys sign the setup; no holder's passphrase is asked
    a.admin_cred = admin_keys(a)
    args = ["origins", "setup", "--threshold", str(threshold), "--credential-file", a.admin_cred]
    for h in holders:
        args += ["--holder", h]
    a.ok(*args)
    if ingest:
        a.ok("ingest", bundle(a.work))
    return a


def release(a, cid, out, creds, user="u1", cert=None, extra=()):
    args = ["origins", "release", cid, "--to-cnaop", "--recipient-cert", cert or a.cnaop_crt, "--out", out]
    for c in creds:
        args += ["--credential-file", c]
    return a.cv(*args, *extra, user=user)


def decrypt(path, key, crt):
    return subprocess.run(["openssl", "cms", "-decrypt", "-inform", "DER", "-in", path, "-inkey", key, "-recip", crt],
                          capture_output=True)


class Sealing(unittest.TestCase):
    def test_refused_before_setup_with_the_command_to_run(self):
        a = Archive(self)
        before = a.state_fingerprint()
        r = a.cv("ingest", bundle(a.work))
        self.assertNotEqual(r.rc, 0)
        self.assertIn("origins setup --threshold", r.err)
        no_leak(self, r, "ingest")
        self.assertEqual(a.state_fingerprint(), before)
        self.assertEqual(a.js("case", "list"), [])

    def test_setup_rules(self):
        a = Archive(self)
        for u in ("u1", "u2"):
            a.add_user(u, "cnaop", credential=CRED[u])
        a.add_user("x", "maft", credential="phrase de quelqu'un d'autre")
        a.add_user("nokeys", "cnaop")
        adm = admin_keys(a)
        both = ["--holder", "u1", "--holder", "u2"]
        self.assertEqual(a.cv("origins", "setup", "--threshold", "1", "--holder", "u1", "--credential-file", adm).rc, 2)
        # the holders' credentials are not needed, and not taken
        self.assertEqual(a.cv("origins", "setup", "--threshold", "2", *both, "--credential-file", cred_file(a, "u1"),
                              "--credential-file", cred_file(a, "u2")).rc, 2)
        r = a.cv("origins", "setup", "--threshold", "2", "--holder", "u1", "--holder", "x", "--credential-file", adm)
        self.assertEqual(r.rc, 1)
        self.assertIn("cnaop role", r.err)
        r = a.cv("origins", "setup", "--threshold", "2", "--holder", "u1", "--holder", "nokeys", "--credential-file", adm)
        self.assertEqual(r.rc, 1)
        self.assertIn("no personal keys", r.err)
        r = a.cv("origins", "setup", "--threshold", "2", *both, "--credential-file", cred_file(a, "u1"), user="u1")
        self.assertEqual(r.rc, 4)  # admin only
        r = a.cv("origins", "setup", "--threshold", "2", *both, "--credential-file", cred_file(a, "u1"))
        self.assertEqual(r.rc, 4)  # signed with the admin's own credential, not a holder's
        self.assertEqual(a.js("origins", "status")["key"]["ready"], False)
        k = a.js("origins", "setup", "--threshold", "2", *both, "--credential-file", adm)
        self.assertEqual((k["generation"], k["threshold"], k["holders"]), (1, 2, ["u1", "u2"]))
        r = a.cv("origins", "setup", "--threshold", "2", *both, "--credential-file", adm)
        self.assertEqual(r.rc, 1)
        self.assertIn("origins reshare", r.err)
        # the certificate is public and self-signed; the private key is nowhere
        db = sqlite3.connect(os.path.join(a.dir, "catalog.db"))
        pem = db.execute("SELECT v FROM meta WHERE k='sealing_cert'").fetchone()[0]
        db.close()
        p = subprocess.run(["openssl", "x509", "-noout", "-text"], input=pem.encode(), capture_output=True)
        self.assertEqual(p.returncode, 0)
        self.assertIn(b"RSA Public-Key: (3072 bit)" if b"RSA Public-Key" in p.stdout else b"3072 bit", p.stdout)
        for path, data in a.all_bytes():
            self.assertNotIn(b"PRIVATE KEY", data, path)
        done = [e for e in a.js("journal", "show") if e["action"] == "origins.setup"]
        self.assertEqual([e["outcome"] for e in done], ["denied", "denied", "ok"])
        self.assertIn("cert:", done[-1]["object"])
        self.assertEqual(a.cv("journal", "verify").rc, 0)


class NeverRevealed(unittest.TestCase):
    def test_no_ordinary_command_reveals_it_and_the_master_key_cannot_open_it(self):
        a = setup(self)
        cid = a.case_id(REF)
        outputs = []

        def run(*args, user=None, ok=True):
            r = a.cv(*args, user=user)
            if ok:
                self.assertEqual(r.rc, 0, f"{args}: {r}")
            no_leak(self, r, " ".join(args))
            outputs.append(r)
            return r

        # The non-identifying information is an ordinary document.
        docs = a.js("doc", "list", cid)
        self.assertEqual([d["title"] for d in docs], ["Informations non identifiantes"])
        self.assertEqual(run("doc", "cat", cid, docs[0]["id"], user="maft").out.decode(), NON_IDENTIFYING)
        run("case", "show", cid)
        run("--json", "case", "show", cid)
        run("case", "list")
        run("doc", "log", cid, docs[0]["id"])
        run("doc", "cat", cid, "sealed", ok=False)
        run("find", "--last", "X")
        run("verify")
        run("verify", "--quick")
        run("journal", "show")
        run("journal", "verify")
        run("stats", "--threshold", "1")
        run("sweep", "plan")
        for u in ("archiviste", "u1", "auditrice", "archiviste2"):
            run("origins", "status", cid, user=u)
            run("--json", "origins", "status", cid, user=u)
        run("origins", "status", cid, user="maft", ok=False)
        # the communication copy
        zp = os.path.join(a.work, "copie.zip")
        run("export", cid, "--for", "p1", "--out", zp, user="maft")
        with zipfile.ZipFile(zp) as z:
            for n in z.namelist():
                data = z.read(n)
                for m in MARKERS:
                    self.assertNotIn(m.encode(), data, n)
        # an access request of the person, fulfilled
        rq = a.js("request", "open", "--type", "access", "--subject", "p1", "--case", cid, "--received", "2026-11-02",
                  user="dpo")
        a.ok("request", "verify-identity", rq["id"], "--method", "pièce d'identité", user="dpo")
        dcred = cred_file(a, "dpo", "phrase du délégué à la protection")
        a.ok("request", "decide", rq["id"], "--grant", "--ground", "RGPD art. 15", "--credential-file", dcred, user="dpo")
        rz = os.path.join(a.work, "acces.zip")
        run("request", "fulfil", rq["id"], "--credential-file", dcred, "--out", rz, user="dpo")
        with zipfile.ZipFile(rz) as z:
            for n in z.namelist():
                for m in MARKERS:
                    self.assertNotIn(m.encode(), z.read(n), n)
        # the case key opens every object of the case but the sealed one
        k = a.js("key", "case", cid)
        run("key", "case", cid)
        tree = a.git("ls-tree", "-r", "main", f"cases/{cid[:2]}/{cid[2:4]}/{cid}/").stdout.split("\n")
        names = {line.split("\t")[1].rsplit("/", 1)[1]: line.split()[2] for line in tree if line}
        self.assertIn("sealed", names)
        self.assertIn("manifest", names)
        objs = [line.split()[0] for line in a.git("rev-list", "--objects", "--all").stdout.split("\n") if line]
        check = subprocess.run(["git", "--git-dir", f"{a.dir}/git", "cat-file", "--batch-check=%(objecttype) %(objectname)"],
                               input="\n".join(objs) + "\n", capture_output=True, text=True).stdout.split("\n")
        blobs = [line.split()[1] for line in check if line.startswith("blob ")]
        self.assertIn(names["sealed"], blobs)
        opened = 0
        for b in blobs:
            data = subprocess.run(["git", "--git-dir", f"{a.dir}/git", "cat-file", "blob", b], capture_output=True).stdout
            p = subprocess.run(["openssl", "cms", "-decrypt", "-binary", "-inform", "DER", "-secretkey", k["key"],
                                "-secretkeyid", k["key_id"]], input=data, capture_output=True)
            for m in MARKERS:
                self.assertNotIn(m.encode(), p.stdout, b)
            opened += p.returncode == 0
        self.assertGreaterEqual(opened, 2)  # manifest and the document
        p = subprocess.run(["openssl", "cms", "-decrypt", "-binary", "-inform", "DER", "-secretkey", k["key"],
                            "-secretkeyid", k["key_id"]],
                           input=subprocess.run(["git", "--git-dir", f"{a.dir}/git", "cat-file", "blob", names["sealed"]],
                                                capture_output=True).stdout, capture_output=True)
        self.assertNotEqual(p.returncode, 0)
        # the manifest does not mention the identity either
        man = subprocess.run(["git", "--git-dir", f"{a.dir}/git", "cat-file", "blob", names["manifest"]],
                             capture_output=True).stdout
        plain = subprocess.run(["openssl", "cms", "-decrypt", "-binary", "-inform", "DER", "-secretkey", k["key"],
                                "-secretkeyid", k["key_id"]], input=man, capture_output=True).stdout
        self.assertIn(b"casevault-case-manifest", plain)
        self.assertNotIn(b"identite.txt", plain)

        # Every key the master key yields (HKDF labels of docs/keys.md) fails on
        # every wrapped share and on the sealed object.
        with open(a.key, "rb") as fh:
            master = fh.read()
        with open(os.path.join(a.dir, "archive.json")) as fh:
            meta = json.load(fh)
        salt = meta["id"].encode()
        prk = hmac.new(salt, master, hashlib.sha256).digest()

        def hkdf(label, n=32):
            out, t, i = b"", b"", 1
            while len(out) < n:
                t = hmac.new(prk, t + label.encode() + bytes([i]), hashlib.sha256).digest()
                out += t
                i += 1
            return out[:n]

        derived = [hkdf(l) for l in ("casevault/v1 case-key-wrap", "casevault/v1 blind-index",
                                     "casevault/v1 archive-fields", "casevault/v1 statistics",
                                     "casevault/v1 key-check")] + [master, bytes.fromhex(k["key"])]
        self.assertEqual(hkdf("casevault/v1 key-check").hex(), meta["key_check"])  # the derivation is the real one
        db = sqlite3.connect(os.path.join(a.dir, "catalog.db"))
        rows = db.execute("SELECT holder, kek_id, wrapped FROM origins_shares").fetchall()
        db.close()
        self.assertEqual(len(rows), 3)
        for holder, kid, wrapped in rows:
            for key in derived:
                p = subprocess.run(["openssl", "cms", "-decrypt", "-binary", "-inform", "DER", "-secretkey", key.hex(),
                                    "-secretkeyid", kid], input=wrapped, capture_output=True)
                self.assertNotEqual(p.returncode, 0, holder)

        # The release paths refuse someone with the master key alone.
        a.cnaop_key, a.cnaop_crt = cnaop_pair(a.work)
        out = os.path.join(a.work, "x.p7m")
        for user in ("archiviste", "auditrice", "maft", "dpo", "u1"):
            r = release(a, cid, out, [], user=user)
            self.assertEqual(r.rc, 4, (user, r))
            no_leak(self, r, "release")
            self.assertFalse(os.path.exists(out))
        r = a.cv("origins", "approve", cid, "--credential-file", cred_file(a, "u1"), user="archiviste")
        self.assertEqual(r.rc, 4)  # admin, not cnaop

        # Nothing in clear anywhere in the archive directory.
        for path, data in a.all_bytes():
            for m in MARKERS:
                self.assertNotIn(m.encode(), data, path)
                self.assertNotIn(m.encode("utf-16-le"), data, path)
        self.assertEqual(a.git("fsck", "--strict").returncode, 0)

    def test_verify_checks_the_sealed_object_without_opening_it(self):
        a = setup(self)
        cid = a.case_id(REF)
        self.assertIn(b"0 damaged", a.ok("verify").out)
        db = sqlite3.connect(os.path.join(a.dir, "catalog.db"))
        good, size = db.execute("SELECT sha256, size FROM origins_sealed WHERE case_id=?", (cid,)).fetchone()
        db.execute("UPDATE origins_sealed SET sha256=? WHERE case_id=?", ("0" * 64, cid))
        db.commit()
        r = a.cv("verify")
        self.assertEqual(r.rc, 3)
        self.assertIn("sealed identity", r.out.decode() + r.err)
        self.assertIn("SHA-256", r.out.decode() + r.err)
        db.execute("UPDATE origins_sealed SET sha256=? WHERE case_id=?", (good, cid))
        db.commit()
        # the case pointing at another object (an ordinary chunk)
        other = db.execute("SELECT oid FROM chunks WHERE case_id=?", (cid,)).fetchone()[0]
        real = db.execute("SELECT sealed FROM cases WHERE id=?", (cid,)).fetchone()[0]
        db.execute("UPDATE origins_sealed SET oid=?, sha256=? WHERE case_id=?",
                   (other, hashlib.sha256(subprocess.run(["git", "--git-dir", f"{a.dir}/git", "cat-file", "blob", other],
                                                         capture_output=True).stdout).hexdigest(), cid))
        db.execute("UPDATE cases SET sealed=? WHERE id=?", (other, cid))
        db.commit()
        r = a.cv("verify")
        self.assertEqual(r.rc, 3)
        self.assertIn("sealed", r.out.decode() + r.err)
        # a forged identity sealed to the public certificate, catalog rows to match:
        # the journal's record of the ingestion gives it away
        pem = db.execute("SELECT v FROM meta WHERE k='sealing_cert'").fetchone()[0]
        certf = os.path.join(a.work, "sealing.pem")
        with open(certf, "w") as fh:
            fh.write(pem)
        forged = subprocess.run(["openssl", "cms", "-encrypt", "-binary", "-aes-256-gcm", "-outform", "DER", "-recip",
                                 certf, "-keyopt", "rsa_padding_mode:oaep", "-keyopt", "rsa_oaep_md:sha256"],
                                input=b"une fausse identite", capture_output=True, check=True).stdout
        foid = subprocess.run(["git", "--git-dir", f"{a.dir}/git", "hash-object", "-w", "--stdin"], input=forged,
                              capture_output=True, check=True).stdout.decode().strip()
        db.execute("UPDATE origins_sealed SET oid=?, sha256=?, size=? WHERE case_id=?",
                   (foid, hashlib.sha256(forged).hexdigest(), len(forged), cid))
        db.execute("UPDATE cases SET sealed=? WHERE id=?", (foid, cid))
        db.commit()
        r = a.cv("verify")
        self.assertEqual(r.rc, 3)
        self.assertIn("catalog row origins_sealed", r.out.decode() + r.err)
        db.execute("UPDATE origins_sealed SET oid=?, sha256=?, size=? WHERE case_id=?", (real, good, size, cid))
        db.execute("UPDATE cases SET sealed=? WHERE id=?", (real, cid))
        db.commit()
        db.close()
        self.assertEqual(a.cv("verify").rc, 0)
        # an identical re-ingest stores nothing; one with a completed identity stores a new sealed object;
        # both verify
        self.assertIn("unchanged", a.ok("ingest", bundle(a.work, name="sb1")).text)
        self.assertEqual(a.js("origins", "status", cid)["sealed_versions"], 1)
        a.ok("ingest", bundle(a.work, sealed=SEALED + "Complément du 4 mars 2024 : profession enseignante.\n", name="sb2"))
        s = a.js("origins", "status", cid)
        self.assertEqual((s["sealed"], s["sealed_versions"]), (True, 2))
        self.assertEqual(a.cv("verify").rc, 0)


class Release(unittest.TestCase):
    def test_conditions_approvals_and_release(self):
        a = setup(self)
        cid = a.case_id(REF)
        a.cnaop_key, a.cnaop_crt = cnaop_pair(a.work)
        f1, f2, f3 = cred_file(a, "u1"), cred_file(a, "u2"), cred_file(a, "u3")
        wrong = cred_file(a, "u2", "ce n'est pas la bonne phrase")
        out = os.path.join(a.work, "cnaop.p7m")

        def refused(r, code=4, text=None):
            self.assertEqual(r.rc, code, r)
            if text:
                self.assertIn(text, r.err)
            no_leak(self, r, "refusal")
            self.assertFalse(os.path.exists(out))

        # no condition recorded
        s = a.js("origins", "status", cid)
        self.assertEqual((s["sealed"], s["disclosable"], s["facts"]), (True, False, []))
        refused(a.cv("origins", "approve", cid, "--credential-file", f1, user="u1"), 4, "no disclosure condition")
        refused(release(a, cid, out, [f1, f2]), 4, "no disclosure condition")
        # recording needs cnaop or admin, a source, a date for a death
        self.assertEqual(a.cv("origins", "record", cid, "--parent-consent", "--source", SOURCE, user="maft").rc, 4)
        self.assertEqual(a.cv("origins", "record", cid, "--parent-death", "--source", "acte").rc, 1)
        self.assertEqual(a.cv("origins", "record", cid, "--parent-death", "--date", "2999-01-01", "--source", "x").rc, 1)
        # death, then a refusal: the refusal blocks disclosure after death
        a.ok("origins", "record", cid, "--parent-death", "--date", "2023-05-04", "--source", "acte de décès n° 412",
             user="u3")
        self.assertTrue(a.js("origins", "status", cid)["disclosable"])
        a.ok("origins", "record", cid, "--parent-refusal", "--date", "2022-01-10", "--source", SOURCE, user="u3")
        s = a.js("origins", "status", cid, user="u1")
        self.assertEqual(s["disclosable"], False)
        self.assertIn("refusal", s["reason"])
        self.assertEqual([f["kind"] for f in s["facts"]], ["refusal", "death"])
        self.assertEqual(s["facts"][0]["source"], SOURCE)  # shown to cnaop
        self.assertIsNone(a.js("origins", "status", cid, user="auditrice")["facts"][0]["source"])
        refused(a.cv("origins", "approve", cid, "--credential-file", f1, user="u1"), 4, "refusal")
        # the parent had lifted the secret later (a later consent wins)
        a.ok("origins", "record", cid, "--parent-consent", "--date", "2022-09-01", "--source", SOURCE, user="u1")
        s = a.js("origins", "status", cid)
        self.assertEqual((s["disclosable"], s["condition"]), (True, "consent"))
        # approvals: a holder with the wrong credential, the same holder twice
        refused(a.cv("origins", "approve", cid, "--credential-file", wrong, user="u1"), 4, "wrong credential")
        a.ok("origins", "approve", cid, "--credential-file", f1, user="u1")
        refused(release(a, cid, out, [f1, f2]), 4, "1 valid")  # one approver
        a.ok("origins", "approve", cid, "--credential-file", f1, user="u1")
        refused(release(a, cid, out, [f1, f1]), 4, "1 valid")  # the same approver twice
        self.assertEqual(a.js("origins", "status", cid)["valid_approvals"], 1)
        refused(a.cv("origins", "approve", cid, "--credential-file", f1, user="u4"), 4, "holds no share")
        a.ok("origins", "approve", cid, "--credential-file", f2, user="u2")
        self.assertEqual(a.js("origins", "status", cid)["valid_approvals"], 2)
        # release: the same credential twice, a wrong one, a holder who did not approve, not a holder
        refused(release(a, cid, out, [f1, f1]), 4, "cannot count twice")
        refused(release(a, cid, out, [f1, wrong]), 4, "wrong credential")
        refused(release(a, cid, out, [f1, f3]), 4, "wrong credential")
        refused(release(a, cid, out, [f1]), 4, "needed")
        refused(release(a, cid, out, [f1, f2], user="archiviste"), 4)
        refused(release(a, cid, out, [f1, f2], user="u4"), 4, "holds no share")
        refused(a.cv("origins", "release", cid, "--recipient-cert", a.cnaop_crt, "--out", out, "--credential-file", f1,
                     "--credential-file", f2, user="u1"), 2, "CNAOP")
        # a refusal recorded now (the latest expression) stops it again
        a.ok("origins", "record", cid, "--parent-refusal", "--source", SOURCE, user="u1")
        refused(release(a, cid, out, [f1, f2]), 4, "refusal")
        a.ok("origins", "record", cid, "--parent-consent", "--source", SOURCE, user="u1")
        # approvals whose expiry was edited in the catalog are damage, not
        # approvals (expiry itself is covered by the unit tests)
        db = sqlite3.connect(os.path.join(a.dir, "catalog.db"))
        saved = db.execute("SELECT id, expires_at FROM origins_approvals").fetchall()
        db.execute("UPDATE origins_approvals SET expires_at='2000-01-01T00:00:00Z'")
        db.commit()
        refused(release(a, cid, out, [f1, f2]), 3, "catalog row origins_approvals")
        for i, e in saved:
            db.execute("UPDATE origins_approvals SET expires_at=? WHERE id=?", (e, i))
        db.commit()
        db.close()
        # a bad recipient certificate
        bad = os.path.join(a.work, "bad.pem")
        with open(bad, "w") as fh:
            fh.write("not a certificate\n")
        refused(release(a, cid, out, [f1, f2], cert=bad), 1, "X.509")
        # consent and two distinct approvers: the envelope opens with the CNAOP's key only
        r = a.cv("--json", "origins", "release", cid, "--to-cnaop", "--recipient-cert", a.cnaop_crt, "--out", out,
                 "--credential-file", f2, "--credential-file", f1, user="u1")
        self.assertEqual(r.rc, 0, r)
        no_leak(self, r, "release")
        info = r.json()
        self.assertEqual((info["condition"], sorted(info["holders"].split(","))), ("consent", ["u1", "u2"]))
        self.assertEqual(stat.S_IMODE(os.stat(out).st_mode), 0o600)
        with open(out, "rb") as fh:
            data = fh.read()
        self.assertEqual(hashlib.sha256(data).hexdigest(), info["sha256"])
        for m in MARKERS:
            self.assertNotIn(m.encode(), data)
        p = decrypt(out, a.cnaop_key, a.cnaop_crt)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.decode(), SEALED)
        printed = subprocess.run(["openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", out],
                                 capture_output=True, text=True).stdout
        self.assertIn("envelopedData", printed)
        other_key, other_crt = os.path.join(a.work, "o.key"), os.path.join(a.work, "o.crt")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", other_key, "-out",
                        other_crt, "-subj", "/CN=autre", "-days", "3"], capture_output=True, check=True)
        self.assertNotEqual(decrypt(out, other_key, other_crt).returncode, 0)
        # never overwritten; the approvals are used up
        r = release(a, cid, out, [f1, f2])
        self.assertEqual(r.rc, 1)
        with open(out, "rb") as fh:
            self.assertEqual(fh.read(), data)
        out2 = os.path.join(a.work, "again.p7m")
        r = release(a, cid, out2, [f1, f2])
        self.assertEqual(r.rc, 4)
        self.assertFalse(os.path.exists(out2))
        s = a.js("origins", "status", cid)
        self.assertEqual((s["valid_approvals"], len(s["releases"])), (0, 1))
        # an EC certificate for the CNAOP works too
        eck, ecc = os.path.join(a.work, "ec.key"), os.path.join(a.work, "ec.crt")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", eck, "-out", ecc, "-subj", "/CN=CNAOP EC", "-days", "3"], capture_output=True,
                       check=True)
        a.ok("origins", "approve", cid, "--credential-file", f3, user="u3")
        a.ok("origins", "approve", cid, "--credential-file", f2, user="u2")
        out3 = os.path.join(a.work, "ec.p7m")
        a.ok("origins", "release", cid, "--to-cnaop", "--recipient-cert", ecc, "--out", out3, "--credential-file", f3,
             "--holder", "u3", "--credential-file", f2, "--holder", "u2", user="u3")
        self.assertEqual(decrypt(out3, eck, ecc).stdout.decode(), SEALED)

        # every step is in the journal, without the identity or the sources
        j = a.js("journal", "show")
        acts = [(e["actor"], e["action"], e["outcome"]) for e in j]
        for want in [("archiviste", "origins.setup", "ok"), ("archiviste", "origins.seal", "ok"),
                     ("u3", "origins.record", "ok"), ("u1", "origins.approve", "denied"),
                     ("u1", "origins.approve", "ok"), ("u2", "origins.approve", "ok"),
                     ("u1", "origins.release", "denied"), ("archiviste", "origins.release", "denied"),
                     ("u4", "origins.release", "denied"), ("u1", "origins.release", "ok"),
                     ("u3", "origins.release", "ok"), ("archiviste", "origins.status", "ok")]:
            self.assertIn(want, acts)
        text = a.ok("journal", "show").out
        for m in MARKERS + ["PLOUGASTEL", "Ernestine", "acte de décès"]:
            self.assertNotIn(m.encode(), text)
        rel = [e for e in j if e["action"] == "origins.release" and e["outcome"] == "ok"][0]
        self.assertIn(info["id"], rel["object"])
        self.assertIn(info["sha256"], rel["object"])
        self.assertEqual(a.cv("journal", "verify").rc, 0)
        self.assertEqual(a.cv("verify").rc, 0)
        for path, d in a.all_bytes():
            for m in MARKERS + ["PLOUGASTEL"]:
                self.assertNotIn(m.encode(), d, path)


class Holders(unittest.TestCase):
    def test_reshare_retires_the_old_shares(self):
        a = setup(self)
        cid = a.case_id(REF)
        a.cnaop_key, a.cnaop_crt = cnaop_pair(a.work)
        f = {u: cred_file(a, u) for u in CRED}
        a.ok("origins", "record", cid, "--parent-death", "--date", "2024-02-02", "--source", "acte de décès", user="u1")
        a.ok("origins", "approve", cid, "--credential-file", f["u2"], user="u2")  # lapses with the reshare
        db = sqlite3.connect(os.path.join(a.dir, "catalog.db"))
        old_u2 = db.execute("SELECT share_no, kdf, salt, kek_id, wrapped, created FROM origins_shares "
                            "WHERE holder='u2'").fetchone()
        db.close()
        new = ["--threshold", "2", "--holder", "u1", "--holder", "u3", "--holder", "u4", "--credential-file",
               a.admin_cred]
        # the current holders must be there: one is not enough, a wrong credential is refused
        r = a.cv("origins", "reshare", *new, "--current-credential-file", f["u1"])
        self.assertEqual(r.rc, 4)
        r = a.cv("origins", "reshare", *new, "--current-credential-file", f["u1"], "--current-credential-file", f["u4"])
        self.assertEqual(r.rc, 4)
        self.assertIn("wrong credential", r.err)
        r = a.cv("origins", "reshare", *new, "--current-credential-file", f["u1"], "--current-credential-file",
                 f["u1"])
        self.assertEqual(r.rc, 4)
        self.assertEqual(a.cv("origins", "reshare", *new, "--current-credential-file", f["u1"],
                              "--current-credential-file", f["u2"], user="maft").rc, 4)
        # a reshare is signed with the acting user's own credential
        k = a.js("origins", "reshare", *new, "--current-credential-file", f["u2"], "--current-credential-file", f["u1"])
        self.assertEqual((k["generation"], k["holders"]), (2, ["u1", "u3", "u4"]))
        # u2 is no longer a holder; the old approval lapsed
        r = a.cv("origins", "approve", cid, "--credential-file", f["u2"], user="u2")
        self.assertEqual(r.rc, 4)
        self.assertIn("holds no share", r.err)
        self.assertEqual(a.js("origins", "status", cid)["valid_approvals"], 0)
        db = sqlite3.connect(os.path.join(a.dir, "catalog.db"))
        self.assertEqual(db.execute("SELECT count(*) FROM origins_shares WHERE wrapped=?", (old_u2[4],)).fetchone()[0], 0)
        db.close()
        for path, data in a.all_bytes():
            self.assertNotIn(old_u2[4][-64:], data, path)  # gone from the catalog and its WAL
        # An old share put back (from a backup) is not casevault's row.
        db = sqlite3.connect(os.path.join(a.dir, "catalog.db"))
        db.execute("INSERT INTO origins_shares(generation,holder,share_no,kdf,salt,kek_id,wrapped,created) "
                   "VALUES(2,'u2',?,?,?,?,?,?)", old_u2)
        db.commit()
        db.close()
        r = a.cv("origins", "approve", cid, "--credential-file", f["u2"], user="u2")
        self.assertEqual(r.rc, 3, r)
        self.assertIn("catalog row origins_shares", r.err)
        db = sqlite3.connect(os.path.join(a.dir, "catalog.db"))
        db.execute("DELETE FROM origins_shares WHERE holder='u2'")
        db.commit()
        db.close()
        # the new holders release
        a.ok("origins", "approve", cid, "--credential-file", f["u1"], user="u1")
        a.ok("origins", "approve", cid, "--credential-file", f["u4"], user="u4")
        out = os.path.join(a.work, "new.p7m")
        r = release(a, cid, out, [f["u4"], f["u1"]], user="u4")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(decrypt(out, a.cnaop_key, a.cnaop_crt).stdout.decode(), SEALED)
        j = [e for e in a.js("journal", "show") if e["action"] == "origins.reshare"]
        self.assertEqual([e["outcome"] for e in j], ["denied", "denied", "denied", "denied", "ok"])
        self.assertIn("generation:2", j[-1]["object"])
        self.assertEqual(a.cv("journal", "verify").rc, 0)

    def test_a_new_credential_needs_no_rewrap(self):
        a = setup(self)
        cid = a.case_id(REF)
        a.ok("origins", "record", cid, "--parent-consent", "--source", "lettre", user="u1")
        newc = cred_file(a, "u1", "une toute nouvelle phrase pour u1")
        # one's own credential changes only with the current one (docs/keys.md)
        self.assertEqual(a.cv("user", "passwd", "u1", "--credential-file", newc, user="u1").rc, 4)
        a.ok("user", "passwd", "u1", "--credential-file", newc, "--old-credential-file", cred_file(a, "u1"), user="u1")
        # the share is sealed to u1's personal key, which the new credential now opens
        a.ok("origins", "approve", cid, "--credential-file", newc, user="u1")
        self.assertEqual(a.cv("origins", "approve", cid, "--credential-file", cred_file(a, "u1"), user="u1").rc, 4)
        r = a.cv("origins", "rewrap", "--credential-file", cred_file(a, "u1"), user="u1")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("sealed to their personal key already", r.err)

    def test_sealing_certificate_replaced(self):
        """The insider without key swaps the sealing certificate for one of
        their own, hoping to read the next sealed identity: sealing refuses,
        verify names it."""
        a = setup(self, ingest=False)
        key, crt = cnaop_pair(a.work)
        with open(crt, encoding="ascii") as fh:
            pem = fh.read()
        db = sqlite3.connect(os.path.join(a.dir, "catalog.db"))
        db.execute("UPDATE meta SET v=? WHERE k='sealing_cert'", (pem,))
        db.commit()
        db.close()
        r = a.cv("ingest", bundle(a.work))
        self.assertNotEqual(r.rc, 0)
        self.assertEqual(a.js("case", "list"), [])
        r = a.cv("verify")
        self.assertEqual(r.rc, 3)
        self.assertIn("sealing_cert", r.err + r.out.decode())
        # the same with the row sealed again by the master-key holder: the pin
        # in the admin's signed setup still refuses it
        from insider import MasterKeyHolder
        mk = MasterKeyHolder(a)
        db = sqlite3.connect(os.path.join(a.dir, "catalog.db"))
        mk.reseal(db, "meta", "k='sealing_cert'")
        db.commit()
        db.close()
        r = a.cv("ingest", bundle(a.work))
        self.assertEqual(r.rc, 3, r)
        self.assertIn("pinned by the signed origins setup", r.err)
        self.assertEqual(a.js("case", "list"), [])
        r = a.cv("verify")
        self.assertEqual(r.rc, 3)
        self.assertIn("origins sealing certificate", r.err + r.out.decode())


@unittest.skipUnless(shutil.which("gfcombine") and shutil.which("sqlite3"), "needs gfcombine (libgfshare-bin) and sqlite3")
class Emergency(unittest.TestCase):
    def test_documented_procedure_with_standard_tools(self):
        """docs/origins.md, "Emergency": two holders' personal keys opened
        with openssl kdf and openssl cms, their shares with openssl pkeyutl,
        openssl kdf HKDF and openssl cms, then gfcombine and openssl cms."""
        a = setup(self)
        cid = a.case_id(REF)
        tmp = tempfile.mkdtemp(prefix="cv-emergency-")
        self.addCleanup(shutil.rmtree, tmp, True)
        db = os.path.join(a.dir, "catalog.db")
        files = []
        def run(*args, data=None):
            return subprocess.run(list(args), input=data, capture_output=True, check=True).stdout

        def sql(q):
            return run("sqlite3", "-separator", " ", db, q).decode().split()

        for u in ("u3", "u1"):
            # 1. the holder's personal keys: scrypt of their credential opens a CMS object
            ident, seal_pub = (bytes.fromhex(x) for x in sql(f"SELECT hex(identity), hex(seal_pub) FROM users "
                                                              f"WHERE name='{u}'"))
            self.assertEqual(ident[:5], b"cvid2")
            logn, r, p = ident[5], ident[6], ident[7]
            salt, kid, obj = ident[8:24], ident[24:40], ident[40:]
            k = run("openssl", "kdf", "-keylen", "32", "-kdfopt", "hexpass:" + CRED[u].encode().hex(), "-kdfopt",
                    "hexsalt:" + salt.hex(), "-kdfopt", f"n:{2 ** logn}", "-kdfopt", f"r:{r}", "-kdfopt", f"p:{p}",
                    "SCRYPT").decode().strip().replace(":", "")
            priv = run("openssl", "cms", "-decrypt", "-binary", "-inform", "DER", "-secretkey", k, "-secretkeyid",
                       kid.hex(), data=obj)[32:64]
            # 2. the share, sealed to that key: X25519 with its ephemeral key, HKDF, CMS
            no, kdf, eph, skid, wrapped = sql(f"SELECT share_no, kdf, hex(salt), kek_id, hex(wrapped) FROM "
                                              f"origins_shares WHERE holder='{u}'")
            self.assertEqual(kdf, "x25519")
            pf, ef = os.path.join(tmp, "me.der"), os.path.join(tmp, "eph.der")
            with open(pf, "wb") as fh:
                fh.write(bytes.fromhex("302e020100300506032b656e04220420") + priv)
            with open(ef, "wb") as fh:
                fh.write(bytes.fromhex("302a300506032b656e032100" + eph))
            z = run("openssl", "pkeyutl", "-derive", "-keyform", "DER", "-inkey", pf, "-peerform", "DER", "-peerkey", ef)
            kek = run("openssl", "kdf", "-keylen", "32", "-kdfopt", "digest:SHA256", "-kdfopt", "hexkey:" + z.hex(),
                      "-kdfopt", "hexsalt:" + eph + seal_pub.hex(), "-kdfopt", "info:casevault/v1 origins-share",
                      "HKDF").decode().strip().replace(":", "")
            share = os.path.join(tmp, "share.%03d" % int(no))
            with open(share, "wb") as fh:
                fh.write(run("openssl", "cms", "-decrypt", "-binary", "-inform", "DER", "-secretkey", kek,
                             "-secretkeyid", skid, data=bytes.fromhex(wrapped)))
            files.append(share)
        keyder = os.path.join(tmp, "key.der")
        subprocess.run(["gfcombine", "-o", keyder, *files], check=True, capture_output=True)
        sealed = os.path.join(tmp, "sealed.der")
        with open(sealed, "wb") as fh:
            fh.write(subprocess.run(["git", "--git-dir", f"{a.dir}/git", "cat-file", "blob",
                                     f"main:cases/{cid[:2]}/{cid[2:4]}/{cid}/sealed"], capture_output=True,
                                    check=True).stdout)
        p = subprocess.run(["openssl", "cms", "-decrypt", "-inform", "DER", "-in", sealed, "-inkey", keyder, "-keyform",
                            "DER"], capture_output=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.decode(), SEALED)
        # one share alone gives nothing usable
        one = os.path.join(tmp, "one.der")
        subprocess.run(["gfcombine", "-o", one, files[0]], capture_output=True)
        p = subprocess.run(["openssl", "cms", "-decrypt", "-inform", "DER", "-in", sealed, "-inkey", one, "-keyform",
                            "DER"], capture_output=True)
        self.assertNotEqual(p.returncode, 0)


if __name__ == "__main__":
    main()
