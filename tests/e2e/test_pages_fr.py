#!/usr/bin/env python3
"""The pages people read are French: the index of a communication copy, the
officer's review page, the elimination slip and the destruction certificate,
the DPO's register. No English fragment, no internal reference, counts that
agree, long French dates and Paris times (never ISO, never UTC), headers a
person reads in French in the CSV files. And the encrypted copy: AES, said
plainly which tools open it; the default copy a plain zip."""
import datetime
import os
import re
import shutil
import sqlite3
import subprocess
import unittest
import zipfile
from zoneinfo import ZoneInfo

import pages
from cvtest import Archive, BUNDLES, SRC, main, simple_manifest, write_bundle

MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre",
          "décembre"]
DIRECTOR = "une phrase de la directrice"
DPO = "phrase personnelle du DPO"


def fr_day(d):
    return f"{d.day}{'er' if d.day == 1 else ''} {MONTHS[d.month - 1]} {d.year}"


def fr_instant(iso_utc):
    """The library's UTC timestamp as the page must show it, by the tz
    database (the library computes it by hand)."""
    t = datetime.datetime.strptime(iso_utc, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    p = t.astimezone(ZoneInfo("Europe/Paris"))
    return f"{fr_day(p)} à {p.hour:02d} h {p.minute:02d}"


def paris_today():
    return datetime.datetime.now(ZoneInfo("Europe/Paris")).date()


def cred(a, text):
    p = os.path.join(a.work, f"cred{abs(hash(text))}")
    with open(p, "w") as f:
        f.write(text + "\n")
    return p


def catalog(a, sql, *args):
    db = sqlite3.connect(f"file:{os.path.join(a.dir, 'catalog.db')}?mode=ro", uri=True)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def csv_header(path):
    with open(path, encoding="utf-8", newline="") as f:
        return f.readline().rstrip("\r\n")


class FrenchPages(unittest.TestCase):
    def assertFrench(self, path):
        html = read(path)
        self.assertEqual(pages.french_page_problems(html), [], path)
        if pages.chromium():
            # offline, rendered and printable: the DOM Chromium built says the same
            self.assertEqual(pages.french_page_problems(pages.dump_dom(path)), [], path)
            self.assertGreaterEqual(pages.render_pdf(path, path + ".pdf"), 1)
        return pages.visible_text(html)

    def assertCounts(self, text, nouns):
        """French counts 0 and 1 in the singular: « 1 passage », « 3 passages »."""
        for m in re.finditer(r"\b(\d+) (\w+)(?: (\w+) (\w+))?", text):
            n, noun, verb, participle = int(m.group(1)), m.group(2), m.group(3), m.group(4)
            stem = noun[:-1] if noun.endswith("s") else noun
            if stem not in nouns:
                continue
            where = f"« {m.group(0)} » in …{text[max(0, m.start() - 40):m.end() + 40]}…"
            self.assertEqual(noun.endswith("s"), n > 1, where)
            if verb in ("a", "ont"):  # « 1 passage a été masqué », « 3 passages ont été masqués »
                self.assertEqual(verb, "ont" if n > 1 else "a", where)


class Policies(FrenchPages):
    def test_slip_names_the_law_and_the_published_rule(self):
        a = Archive(self)
        a.ok("ingest", os.path.join(BUNDLES, "leroy"))
        for i, extra in enumerate(([], ["--policy", os.path.join(SRC, "policies", "examples", "majority-clock.yaml")],
                                   ["--policy", os.path.join(SRC, "policies", "examples", "mixed-destroy.yaml")])):
            p = a.js("sweep", "plan", "--as-of", "2026-07-01", *extra)
            for ext in ("html", "csv"):
                out = os.path.join(a.work, f"slip-{i}.{ext}")
                a.ok("sweep", "slip", p["id"], "--out", out)
                body = read(out)
                self.assertNotIn("seed", body.lower(), extra)
                if not extra:
                    self.assertIn("règle de conservation publiée par le département", body)
                    self.assertIn("Code civil art. 2224", body)
        # nor in the comments a département copies from
        for root, _, files in os.walk(os.path.join(SRC, "policies")):
            for f in files:
                if f.endswith(".yaml"):
                    self.assertFalse(re.search(r"\bseed\b", read(os.path.join(root, f)), re.I), f)


class Copy(FrenchPages):
    def setUp(self):
        self.a = Archive(self)
        self.a.add_user("maft", "maft")

    def export(self, ref, person, *extra):
        out = os.path.join(self.a.work, f"{ref}-{person}-{len(os.listdir(self.a.work))}.zip")
        r = self.a.ok("export", self.a.case_id(ref), "--for", person, "--out", out, *extra, user="maft")
        dest = out[:-4]
        with zipfile.ZipFile(out) as z:
            z.extractall(dest)
        return r, os.path.join(dest, os.listdir(dest)[0])

    def test_index_counts_agree_and_dates_are_french(self):
        a = self.a
        persons = [{"id": "p1", "role": "child", "last": "Dupont", "first": ["Léa"], "born": "2008-04-01", "sex": "F"},
                   {"id": "p2", "role": "mother", "last": "Durand", "first": ["Élodie"], "born": "1985-02-03",
                    "sex": "F"}]
        for ref, text in (("ASE-31-2020-00001", "Léa va bien.\n"),
                          ("ASE-31-2020-00002", "Léa a vu sa mère, Mme Durand, au parc.\n")):
            m = simple_manifest(ref=ref, persons=persons)
            m["case"]["opened"] = "2018-03-01"
            a.ok("ingest", write_bundle(os.path.join(a.work, ref), m, {"docs/a.txt": text}))
        a.ok("ingest", os.path.join(BUNDLES, "leroy"))
        seen = {}
        for ref, person in (("ASE-31-2020-00001", "p1"), ("ASE-31-2020-00002", "p1"), ("ASE-31-2016-00042", "p1")):
            before = paris_today()
            _, bag = self.export(ref, person)
            index = os.path.join(bag, "data", "index.html")
            text = self.assertFrench(index)
            self.assertCounts(text, {"passage", "document", "mention"})
            self.assertTrue(any(f"le {fr_day(d)}." in text for d in (before, paris_today())), text[:300])
            seen[ref] = text
        self.assertIn("Aucun passage n'a été masqué", seen["ASE-31-2020-00001"])
        self.assertIn("1 passage a été masqué", seen["ASE-31-2020-00002"])
        many = re.search(r"\b(\d+) passages ont été masqués dans", seen["ASE-31-2016-00042"])
        self.assertTrue(many and int(many.group(1)) > 1)
        self.assertIn("ouvert le 1er mars 2018 et clos le 30 juin 2021", seen["ASE-31-2020-00002"])
        # the page speaks to the person: Léa reads « seule ou accompagnée »
        self.assertIn("seule ou accompagnée", seen["ASE-31-2020-00002"])
        self.assertIn("seul ou accompagné ", seen["ASE-31-2016-00042"])

    def test_review_page_names_every_kind_in_french(self):
        a = self.a
        persons = [
            {"id": "p1", "role": "child", "last": "Dupont", "first": ["Léa"], "born": "2008-04-01", "sex": "F"},
            {"id": "p2", "role": "mother", "last": "Durand", "first": ["Élodie"], "born": "1985-02-03", "sex": "F",
             "phone": "06 98 76 54 32", "email": "elodie.durand@example.fr",
             "address": "3 impasse du Moulin, 31000 Toulouse", "nir": "2 85 02 31 555 123 79"}]
        text = ("Mme Durand (née le 03/02/1985) habite 3 impasse du Moulin, 31000 Toulouse. Tél. 06 98 76 54 32, "
                "courriel elodie.durand@example.fr, NIR 2 85 02 31 555 123 79, IBAN FR76 3000 6000 0112 3456 7890 189.\n"
                "Léa joue avec son camarade Kevin Duchamp.\n")
        m = simple_manifest(ref="ASE-31-2020-00007", persons=persons)
        a.ok("ingest", write_bundle(os.path.join(a.work, "b"), m, {"docs/a.txt": text}))
        review = os.path.join(a.work, "relecture.html")
        r, _ = self.export("ASE-31-2020-00007", "p1", "--review", review)
        html = read(review)
        kinds = {t.split(" → ")[0] for t in re.findall(r'<mark class="[^"]*" title="([^"]*)"', html)}
        self.assertEqual(kinds, {"personne", "nom", "téléphone", "courriel", "NIR", "IBAN", "adresse",
                                 "date de naissance"})
        visible = pages.visible_text(html)
        # every mention listed with its kind, what is proposed, the reason and
        # whom it was attributed to (role and number, never a third party's name)
        self.assertRegex(visible, r"« Kevin Duchamp » *nom *masqué — à vérifier *nom d'une personne absente du "
                                  r"registre *personne absente du registre → \[tiers 2\]")
        self.assertRegex(visible, r"« Durand » *personne *masqué *tiers inscrit au registre du dossier *mère \(p2\)"
                                  r" → \[tiers 1\]")
        # the requester by name, not "p1"; the legend of the numbers by role
        self.assertIn("copie pour Léa Dupont (p1, le demandeur)", visible)
        legend = visible[visible.index("Légende des numéros"):]
        self.assertIn("[tiers 1] : mère (p2)", legend)
        self.assertIn("[tiers 2] : personne absente du registre", legend)
        self.assertNotIn("Durand", legend)
        self.assertNotIn("Kevin", legend)
        # The page shows the original document (it is the officer's working
        # copy): its words are the document's; the page's own must be French.
        page = re.sub(r"<pre\b.*?</pre>", "", html, flags=re.S)
        self.assertEqual(pages.french_page_problems(page), [])
        self.assertCounts(pages.visible_text(page), {"mention"})
        self.assertIn("1 document redacted (8 passages hidden, 1 mention to review)", r.text)

    def test_encrypted_copy_says_which_tools_open_it(self):
        a = self.a
        a.ok("ingest", os.path.join(BUNDLES, "leroy"))
        cid = a.case_id("ASE-31-2016-00042")
        # by default: a plain zip every tool opens, and no word about passwords
        plain = os.path.join(a.work, "copie.zip")
        r = a.ok("export", cid, "--for", "p1", "--out", plain, user="maft")
        self.assertNotIn("AES", r.err)
        if shutil.which("unzip"):
            t = subprocess.run(["unzip", "-t", plain], capture_output=True, text=True)
            self.assertEqual(t.returncode, 0, t.stdout + t.stderr)
        with zipfile.ZipFile(plain) as z:
            self.assertFalse(any(i.flag_bits & 1 for i in z.infolist()))
        # with a password: AES, and the officer is told what opens it and
        # what needs no password at all
        pw = os.path.join(a.work, "pw")
        with open(pw, "w") as f:
            f.write("mot de passe de la copie\n")
        enc = os.path.join(a.work, "chiffre.zip")
        r = a.ok("export", cid, "--for", "p1", "--out", enc, "--password-file", pw, user="maft")
        for words in ("AES-256", "7-Zip", "Keka", "7z x", "bsdtar", "in person", "secure exchange platform"):
            self.assertIn(words, r.err)
        self.assertNotIn("mot de passe de la copie", r.err + r.text)
        with zipfile.ZipFile(enc) as z:
            self.assertTrue(all(i.flag_bits & 1 and i.compress_type == 99 for i in z.infolist()), "AES, not ZipCrypto")
        if shutil.which("unzip"):
            self.assertNotEqual(subprocess.run(["unzip", "-t", "-P", "x", enc], capture_output=True).returncode, 0)
        if not shutil.which("bsdtar"):
            self.skipTest("bsdtar (libarchive-tools) is not installed")
        d = os.path.join(a.work, "ouvert")
        os.makedirs(d)
        p = subprocess.run(["bsdtar", "-xf", enc, "--passphrase", "mot de passe de la copie", "-C", d], capture_output=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        bag = os.path.join(d, os.listdir(d)[0])
        for man in ("manifest-sha256.txt", "tagmanifest-sha256.txt"):
            v = subprocess.run(["sha256sum", "--strict", "-c", man], cwd=bag, capture_output=True, text=True)
            self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
        self.assertTrue(os.path.isfile(os.path.join(bag, "data", "index.html")))


class Slip(FrenchPages):
    def test_slip_and_certificate(self):
        a = Archive(self)
        a.add_user("directrice", "director", credential=DIRECTOR)
        a.ok("ingest", *(os.path.join(BUNDLES, b) for b in ("leroy", "petit", "moreau")))
        m = simple_manifest(ref="ASE-31-2020-00001")
        a.ok("ingest", write_bundle(os.path.join(a.work, "b"), m, {"docs/a.txt": "Jean-Pierre va bien.\n"}))
        a.ok("case", "hold", "ASE-31-2016-00042", "--reason", "contentieux en cours")
        a.js("request", "open", "--type", "access", "--subject", "p1", "--case", a.case_id("ASE-31-2020-00001"),
             "--received", datetime.date.today().isoformat())
        p = a.js("sweep", "plan", "--as-of", "2026-07-01")
        a.ok("sweep", "approve", p["id"], "--credential-file", cred(a, DIRECTOR), user="directrice")
        slip = os.path.join(a.work, "bordereau.html")
        a.ok("sweep", "slip", p["id"], "--out", slip)
        text = self.assertFrench(slip)
        self.assertCounts(text, {"document", "dossier"})
        self.assertIn("Date d'effet 1er juillet 2026", text)
        self.assertIn("2 avril 2012", text)  # ASE-31-2012-00008 opened 2012-04-02
        planned, approved = catalog(a, "SELECT planned, approved FROM plans WHERE id=?", p["id"])[0]
        self.assertIn(f"le {fr_instant(planned)}", text)
        self.assertIn(f"Date : {fr_instant(approved)}", text)
        hold_since = catalog(a, "SELECT hold_since FROM cases WHERE ref='ASE-31-2016-00042'")[0][0]
        self.assertIn(f"gel juridique depuis le {fr_day(datetime.date.fromisoformat(hold_since[:10]))}", text)
        self.assertRegex(text, r"demande d'exercice des droits R\w+ en cours \(accès\)")
        self.assertIn("1 document, 241 o", text)
        csv = os.path.join(a.work, "bordereau.csv")
        a.ok("sweep", "slip", p["id"], "--out", csv)
        self.assertEqual(csv_header(csv), "Plan,Empreinte SHA-256 du plan,Date d'effet,Réf. dossier,Identifiant du dossier,"
                                          "Catégorie,Ouverture,Clôture,Règle,Fondement,Échéance,Documents,Octets,Action,"
                                          "Blocage,Résultat")
        body = read(csv)
        for w in ("legal hold", "open rights request", "anonymise", "information_preoccupante"):
            self.assertNotIn(w, body)
        self.assertIn("gel juridique", body)
        # the run: one case done, two blocked, the certificate
        a.ok("sweep", "run", p["id"])
        cert = os.path.join(a.work, "certificat.html")
        a.ok("sweep", "certificate", p["id"], "--out", cert)
        text = self.assertFrench(cert)
        created = catalog(a, "SELECT created FROM certificates WHERE plan_id=?", p["id"])[0][0]
        self.assertIn(f"Date d'exécution {fr_instant(created)}", text)
        self.assertIn("Date d'effet 1er juillet 2026", text)
        self.assertEqual(text.count("bloqué, non traité"), 2)
        self.assertIn("Bilan : 1 dossier anonymisé ; 2 dossiers bloqués, non traités.", text)
        self.assertCounts(text, {"dossier"})
        csv = os.path.join(a.work, "certificat.csv")
        a.ok("sweep", "certificate", p["id"], "--out", csv)
        self.assertEqual(csv_header(csv), "Plan,Réf. dossier,Catégorie,Action,Résultat,Clé détruite (identifiant),"
                                          "Date (UTC)")
        self.assertNotIn("anonymise", read(csv))


class Register(FrenchPages):
    def test_register_says_what_was_done_in_french(self):
        a = Archive(self)
        a.add_user("dpo", "dpo", credential=DPO)
        a.ok("ingest", *(os.path.join(BUNDLES, b) for b in ("leroy", "petit", "moreau")))
        dpo = cred(a, DPO)

        def req(typ, ref="ASE-31-2016-00042", person="p1", received="2026-11-02"):
            return a.js("request", "open", "--type", typ, "--subject", person, "--case", a.case_id(ref), "--received",
                        received, "--channel", "courrier", user="dpo")["id"]

        def through(rid, how, ground, *fulfil):
            a.ok("request", "verify-identity", rid, "--method", "pièce d'identité au guichet", user="dpo")
            a.ok("request", "decide", rid, how, "--ground", ground, "--credential-file", dpo, user="dpo")
            a.ok("request", "fulfil", rid, "--credential-file", dpo, *fulfil, user="dpo")

        ext = req("access", received=datetime.date.today().isoformat())
        a.ok("request", "extend", ext, "--reason", "dossier volumineux", user="dpo")
        through(ext, "--grant", "RGPD art. 15", "--out", os.path.join(a.work, "acces.zip"))
        through(req("portability"), "--refuse", "RGPD art. 20(3)")
        through(req("restriction", person="p2"), "--grant", "RGPD art. 18")
        through(req("rectification", ref="ASE-31-2019-00117"), "--grant", "RGPD art. 16", "--field", "born", "--value",
                "2009-03-13")
        late = req("objection", received="2026-01-05")
        erase = req("erasure", ref="ASE-31-2019-00117")
        through(erase, "--grant", "RGPD art. 17(1)(a)")
        # the copy that answered the access request: its pages too
        dest = os.path.join(a.work, "acces")
        with zipfile.ZipFile(os.path.join(a.work, "acces.zip")) as z:
            z.extractall(dest)
        for page in ("index.html", "traitement.html"):
            self.assertCounts(self.assertFrench(os.path.join(dest, os.listdir(dest)[0], "data", page)), {"passage"})
        html = os.path.join(a.work, "registre.html")
        before = paris_today()
        a.ok("request", "register", "--out", html, user="dpo")
        text = self.assertFrench(html)
        self.assertTrue(any(f"état au {fr_day(d)}" in text for d in (before, paris_today())))
        self.assertCounts(text, {"dossier", "clé"})
        # the extension: when, by whom, why
        ext_at, ext_by, ext_due = catalog(a, "SELECT extended_at, extended_by, extended_due FROM requests WHERE id=?",
                                          ext)[0]
        self.assertEqual(ext_by, "dpo")
        self.assertIn(f"prolongée au {fr_day(datetime.date.fromisoformat(ext_due))} par dpo, le {fr_instant(ext_at)} "
                      f"; motif : dossier volumineux", text)
        # what was done, from the request's fields, in French
        for said in ("Copie de communication établie", "Refus notifié au demandeur", "Traitement limité dans 1 dossier",
                     "Rectification enregistrée", "Effacement par destruction des clés : 1 clé de dossier détruite",
                     "En attente de décision", "reçue", "en retard"):
            self.assertIn(said.lower(), text.lower(), said)
        for decided_at, in catalog(a, "SELECT decided_at FROM requests WHERE decided_at IS NOT NULL"):
            self.assertIn(fr_instant(decided_at), text)
        self.assertIn("5 janvier 2026", text)  # the late objection's receipt
        self.assertIn(late, text)
        # the erasure certificate, read as a French table, its key ids kept
        key = catalog(a, "SELECT certificate FROM requests WHERE id=?", erase)[0][0]
        self.assertIn("Certificat d'effacement", text)
        self.assertRegex(text, r"ASE-31-2019-00117 [0-9a-f]{32}")
        self.assertNotIn("{", text)
        self.assertTrue(key)
        csv = os.path.join(a.work, "registre.csv")
        a.ok("request", "register", "--out", csv, user="dpo")
        self.assertEqual(csv_header(csv), "N°,Type,Reçue le,Échéance,Échéance prolongée,Motif de la prolongation,"
                                          "Prolongée par,Prolongée le (UTC),Canal,Dossiers / personnes,"
                                          "Vérification d'identité,Identité vérifiée par,Identité vérifiée le (UTC),"
                                          "Proposition,Fondement proposé,Décision,Fondement,Décidée par,"
                                          "Décidée le (UTC),État,Exécutée par,Exécutée le (UTC),Exécution")
        body = read(csv)
        for w in ("refusal notified", "copy ", "erased", "restricted", "rectified", ",access,", ",fulfilled,", ",grant,"):
            self.assertNotIn(w, body)
        self.assertIn(f",dpo,{ext_at},", body)


if __name__ == "__main__":
    main()
