#!/usr/bin/env python3
"""Case bundles of page documents, with gold mentions, for the page benchmark.

Each case is a bundle (case.json per docs/../spec bundle format: register with
the child = requester p1, mother p2, father p3, foster carer p4, social worker
p5, neighbour who reported p6, school friend p7) and four documents about the
child that name those people (« Mme Lefebvre », « Sandrine Lefebvre »,
« LEFEBVRE Sandrine », first names alone, addresses, phones, NIR):

  docs/rapport-situation.pdf       born-digital PDF, several pages (text layer)
  docs/rapport-situation-scan.pdf  the same pages as a 300-dpi scan (±1.5°,
                                   noise, JPEG q60), image only
  docs/note-scan.jpg               one other page as a JPEG scan
  docs/compte-rendu.docx           another text as a DOCX

Gold (outside the bundle, gold/CASE.json, and gold.json for all): for each
document its type, page count and mentions [{"text", "needle", "person",
"kind", "third_party", "page"}]. `needle` is what the benchmark searches for
(the mention as written; for an address the street part « 12 rue des
Lilas »). Relationship words (« sa mère ») are not identifying and are not
gold. Each case is checked at generation: every needle is found in the
source text as many times as the gold says (with the benchmark's own fuzzy
matcher), and none of the third-party needles is found once all gold
third-party mentions are replaced by labels (« [tiers 1] »...), so that a
perfect redaction scores 1.0 and no common word can pass for a leak.

Usage: gen_docs.py --out DIR [--cases 8] [--seed 1] [--report-pages 3]
                   [--scan-angle 1.5] [--scan-noise 8] [--scan-quality 60]
"""
import argparse
import json
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "tests", "e2e"))
sys.path.insert(0, HERE)
import pagedocs  # noqa: E402
import matcher  # noqa: E402

SURNAMES = """Lefebvre Moreau Durand Garnier Roussel Fournier Girard Mercier Dupuis Lambert Bonnet Guérin
Perrin Gauthier Chevalier Masson Lemaire Duval Marchand Dufour Blanchard Barbier Brunet Schmitt Leroux
Renaud Lemoine Picard Gaillard Lacroix Fabre Hubert Guillot Rolland Berger Lecomte Ménard Fleury
Deschamps Carpentier Maillard Aubry Vasseur Renault Jacquet Collet Prévost Poirier Charpentier Royer
Bouvier Diallo Traoré Benali Haddad Cordier Texier Pelletier Hamon Bailly Tessier Bertin Besson Weber
Da Silva Le Goff Dos Santos N'Diaye""".replace("Da Silva", "Da_Silva").replace("Le Goff", "Le_Goff") \
    .replace("Dos Santos", "Dos_Santos").split()
SURNAMES = [s.replace("_", " ") for s in SURNAMES]
FIRST_F = """Sandrine Nathalie Isabelle Céline Émilie Camille Laura Manon Chloé Inès Hélène Christine Valérie
Stéphanie Aurélie Mélanie Élodie Karine Virginie Caroline Audrey Gaëlle Agnès Brigitte Sylvie Nadia Fatima
Aïcha Yasmine Océane Justine Clémence Maëlle Marion Pauline Amandine Sabrina Anaïs Marie-Claire
Anne-Sophie""".split()
FIRST_M = """Thierry Nicolas Julien Sébastien Christophe Stéphane Thomas David Olivier Philippe Frédéric Éric
Patrick Jérôme Mickaël Kévin Jonathan Anthony Maxime Alexandre Romain Hugo Lucas Enzo Mathis Nathan Théo
Yanis Karim Mehdi Rachid Bruno Didier Cédric Fabrice Ludovic Grégory Benoît Damien Florian Quentin Antoine
Jean-Pierre Jean-Marc""".split()
STREETS = ["des Lilas", "Victor Hugo", "de la République", "Jean Jaurès", "des Tilleuls", "Pasteur", "de Verdun",
           "des Acacias", "Gambetta", "des Écoles", "Anatole France", "des Peupliers", "Émile Zola", "Paul Bert",
           "des Marronniers", "Carnot", "Jules Ferry", "du Stade"]
STREET_TYPES = ["rue", "avenue", "boulevard", "impasse", "chemin", "allée"]
CITIES = [("69003", "Lyon"), ("69100", "Villeurbanne"), ("42000", "Saint-Étienne"), ("69200", "Vénissieux"),
          ("69500", "Bron"), ("38000", "Grenoble"), ("69800", "Saint-Priest"), ("26000", "Valence")]
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre"]

# Sentences; {role.form} is a mention. Roles: child (the requester), mother,
# father, foster, worker, neighbour, friend. Forms: civ_last « Mme Lefebvre »,
# full « Sandrine Lefebvre », civ_full_up « Mme Sandrine LEFEBVRE »,
# up_first « LEFEBVRE Sandrine », first, phone, addr, nir, born (child).
SENTENCES = [
    "{child.first} a rencontré sa mère, {mother.civ_last}, lors d'une visite médiatisée au service.",
    "{mother.full} indique qu'elle peut être jointe au {mother.phone} en semaine.",
    "{mother.civ_last} réside désormais {mother.addr} et travaille à mi-temps.",
    "Le père, {father.civ_full_up}, demeurant {father.addr}, n'a pas répondu aux convocations.",
    "{father.full} a appelé le service depuis le {father.phone} pour demander des nouvelles de {child.first}.",
    "{child.full} est accueilli chez {foster.civ_last}, assistante familiale, depuis le mois de septembre.",
    "{foster.full} signale que {child.first} dort mieux depuis la rentrée et mange avec appétit.",
    "Le domicile de la famille d'accueil se situe {foster.addr} ; téléphone {foster.phone}.",
    "{worker.title}, {worker.full}, note des progrès à l'école et une meilleure humeur.",
    "{worker.civ_last} a reçu {child.first} et sa mère le mardi suivant au service.",
    "{neighbour.civ_full_up}, voisin, avait signalé que l'enfant restait souvent seul le soir.",
    "{neighbour.civ_last} peut être joint au {neighbour.phone} selon le signalement.",
    "{child.first} parle de son camarade {friend.full} avec qui il joue au football le mercredi.",
    "{friend.first} est venu passer l'après-midi chez {foster.civ_last} avec l'accord de ses parents.",
    "Numéro de sécurité sociale de la mère : {mother.nir}.",
    "Le père, immatriculé sous le numéro {father.nir}, n'a pas transmis ses justificatifs.",
    "{mother.up_first} et {father.up_first} ont été convoqués à l'audience du juge des enfants.",
    "{child.full_up}, né le {child.born}, est scolarisé en classe de cinquième.",
    "{child.first} exprime le souhait de voir plus souvent {mother.first} et son père.",
    "{mother.first} a apporté un gâteau pour l'anniversaire de {child.first}.",
    "Selon {foster.civ_last}, {child.first} a retrouvé le sommeil et le goût du jeu.",
    "{worker.full} propose de maintenir les visites un samedi sur deux.",
    "{father.civ_last} a indiqué vouloir reprendre contact avec son fils {child.first}.",
]
FILLER = [
    "La situation a été évoquée lors de la réunion de synthèse du service.",
    "Une nouvelle évaluation sera conduite dans six mois.",
    "Le tribunal pour enfants a renouvelé le placement pour une durée d'un an.",
    "Les visites médiatisées ont lieu un samedi sur deux au service.",
    "Aucun incident n'a été signalé durant la période.",
    "Le suivi orthophonique se poursuit au centre médico-psychologique.",
    "Il a été convenu de maintenir le lien avec la famille élargie.",
    "Les résultats scolaires sont en progrès, notamment en français et en mathématiques.",
    "La famille d'accueil décrit un enfant souriant mais parfois anxieux.",
    "Le projet pour l'enfant a été signé par les deux parents.",
    "Les échanges téléphoniques sont réguliers et bienveillants.",
    "Le pédiatre a constaté un bon état de santé général.",
    "L'équipe éducative note une plus grande confiance en soi.",
    "Une demande d'aide financière a été adressée à la caisse d'allocations familiales.",
]
KINDS = {"phone": "phone", "addr": "address", "nir": "nir", "born": "birthdate"}
ROLES = {"child": ("p1", "child"), "mother": ("p2", "mother"), "father": ("p3", "father"),
         "foster": ("p4", "foster_carer"), "worker": ("p5", "professional"), "neighbour": ("p6", "reporter"),
         "friend": ("p7", "other")}
LABELS = {"person": "[tiers {n}]", "phone": "[téléphone]", "address": "[adresse]", "nir": "[NIR]",
          "birthdate": "[date de naissance]"}


def nir_key(d13):
    return 97 - int(d13) % 97


class P:
    def __init__(self, rnd, pid, role, sex, last, first, born, with_contact, with_nir):
        self.id, self.role, self.sex, self.last, self.first, self.born = pid, role, sex, last, first, born
        self.phone = self.address = self.nir = None
        self.addr_short = None
        if with_contact:
            self.phone = "0" + rnd.choice("67") + "".join(str(rnd.randint(0, 9)) for _ in range(8))
            num, st, name = rnd.randint(2, 160), rnd.choice(STREET_TYPES), rnd.choice(STREETS)
            pc, city = rnd.choice(CITIES)
            self.addr_short = f"{num} {st} {name}"
            self.address = f"{self.addr_short}, {pc} {city}"
        if with_nir:
            body = "%d%s%s%02d%03d%03d" % (1 if sex == "M" else 2, born[2:4], born[5:7], 69, rnd.randint(1, 999),
                                           rnd.randint(1, 999))
            self.nir = body + "%02d" % nir_key(body)

    def civ(self):
        return "Mme" if self.sex == "F" else "M."

    def form(self, f):
        """(text, needle, kind) of a mention of this person in form f."""
        if f == "civ_last":
            s = f"{self.civ()} {self.last}"
        elif f == "full":
            s = f"{self.first} {self.last}"
        elif f == "civ_full_up":
            s = f"{self.civ()} {self.first} {self.last.upper()}"
        elif f == "up_first":
            s = f"{self.last.upper()} {self.first}"
        elif f == "full_up":
            s = f"{self.first} {self.last.upper()}"
        elif f == "first":
            s = self.first
        elif f == "phone":
            s = " ".join(self.phone[i:i + 2] for i in range(0, 10, 2))
        elif f == "addr":
            return self.address, self.addr_short, "address"
        elif f == "nir":
            n = self.nir
            s = f"{n[0]} {n[1:3]} {n[3:5]} {n[5:7]} {n[7:10]} {n[10:13]} {n[13:]}"
        elif f == "born":
            y, m, d = self.born.split("-")
            s = f"{int(d)} {MONTHS[int(m) - 1]} {y}"
        else:
            raise KeyError(f)
        return s, s, KINDS.get(f, "person")

    def register(self):
        d = {"id": self.id, "role": self.role, "last": self.last, "first": [self.first], "sex": self.sex}
        if self.born:
            d["born"] = self.born
        for k in ("phone", "address", "nir"):
            v = getattr(self, k)
            if v:
                d[k] = " ".join(v[i:i + 2] for i in range(0, 10, 2)) if k == "phone" else v
        if self.role == "professional":
            d["function"] = "éducatrice ASE" if self.sex == "F" else "éducateur ASE"
        return d


def make_register(rnd):
    used_l, used_f = set(), set()

    def last():
        while True:
            s = rnd.choice(SURNAMES)
            if matcher.fold(s) not in used_l:
                used_l.add(matcher.fold(s))
                return s

    def first(sex):
        while True:
            s = rnd.choice(FIRST_F if sex == "F" else FIRST_M)
            if matcher.fold(s) not in used_f:
                used_f.add(matcher.fold(s))
                return s

    def date(y0, y1):
        return "%04d-%02d-%02d" % (rnd.randint(y0, y1), rnd.randint(1, 12), rnd.randint(1, 28))

    fam = last()
    cb = date(2008, 2013)
    persons = {
        # the child carries the father's surname: « M. Moreau » is the father, « Lucas Moreau » the child
        "child": P(rnd, "p1", "child", "M", fam, first("M"), cb, False, False),
        "mother": P(rnd, "p2", "mother", "F", last(), first("F"), date(1975, 1990), True, True),
        "father": P(rnd, "p3", "father", "M", fam, first("M"), date(1970, 1988), True, True),
        "foster": P(rnd, "p4", "foster_carer", "F", last(), first("F"), None, True, False),
        "worker": P(rnd, "p5", "professional", rnd.choice("FM"), last(), None, None, False, False),
        "neighbour": P(rnd, "p6", "reporter", "M", last(), first("M"), None, True, False),
        "friend": P(rnd, "p7", "other", "M", last(), first("M"), None, False, False),
    }
    persons["worker"].first = first(persons["worker"].sex)
    return persons


def sentence(tpl, persons, numbers):
    """The sentence text and its mentions [(start, end, text, needle, person, kind, third_party)]."""
    out, ments, pos = [], [], 0
    for m in re.finditer(r"\{(\w+)\.(\w+)\}", tpl):
        out.append(tpl[pos:m.start()])
        p = persons[m.group(1)]
        if m.group(2) == "title":
            out.append("L'éducatrice référente" if p.sex == "F" else "L'éducateur référent")
            pos = m.end()
            continue
        text, needle, kind = p.form(m.group(2))
        start = sum(len(s) for s in out)
        out.append(text)
        ments.append((start, start + len(text), text, needle, p.id, kind, p.id != "p1"))
        pos = m.end()
    out.append(tpl[pos:])
    s = "".join(out)
    return s[0].upper() + s[1:], ments


def write_doc(rnd, persons, n_paras, per_para):
    """Paragraphs (list of str) and their mentions (offsets within the paragraph);
    sentences drawn without repetition within a call while the deck lasts."""
    paras = []
    deck = {}

    def draw(pool):
        d = deck.setdefault(id(pool), [])
        if not d:
            d.extend(rnd.sample(pool, len(pool)))
        return d.pop()

    for _ in range(n_paras):
        sents, ments, off = [], [], 0
        for k in range(per_para):
            tpl = draw(SENTENCES) if rnd.random() < 0.7 else draw(FILLER)
            s, ms = sentence(tpl, persons, None)
            if sents:
                off += 1
            for (a, b, *rest) in ms:
                ments.append((a + off, b + off, *rest))
            sents.append(s)
            off += len(s)
        paras.append((" ".join(sents), ments))
    return paras


def header(persons, title, page, npages):
    s, ms = sentence("Département du Rhône — Aide sociale à l'enfance. " + title +
                     f" (page {page}/{npages}). Concerne : {{child.full_up}}.", persons, None)
    return s, ms


def gold_of(pages_paras):
    """Flat gold mentions of a document from its pages of (para, mentions)."""
    g = []
    for pi, paras in enumerate(pages_paras):
        for text, ments in paras:
            for (a, b, t, needle, pid, kind, third) in ments:
                g.append({"text": t, "needle": needle, "person": pid, "kind": kind, "third_party": third,
                          "page": pi + 1})
    return g


def perfect(pages_paras):
    """The text a perfect redaction gives: third-party mentions replaced by labels."""
    nums, parts = {}, []
    for paras in pages_paras:
        for text, ments in paras:
            out, pos = [], 0
            for (a, b, t, needle, pid, kind, third) in sorted(ments):
                if not third:
                    continue
                out.append(text[pos:a])
                n = nums.setdefault(pid, len(nums) + 1)
                out.append(LABELS[kind].format(n=n))
                pos = b
            out.append(text[pos:])
            parts.append("".join(out))
    return "\n".join(parts)


def check_doc(name, pages_paras, gold):
    """Self-check of a document's gold with the matcher (see the docstring)."""
    src = "\n".join(t for paras in pages_paras for t, _ in paras)
    red = perfect(pages_paras)
    errs = []
    for needle, (g, third) in matcher.gold_counts(gold).items():
        n_src = matcher.attributed(src, needle, gold)
        if n_src != g:
            errs.append(f"{name}: needle {needle!r} found {n_src} times in the source, gold {g}")
        if third:
            n_red = matcher.count(red, needle)
            if n_red:
                errs.append(f"{name}: third-party needle {needle!r} still found in the perfect redaction")
        else:
            if matcher.attributed(red, needle, gold) != g:
                errs.append(f"{name}: requester needle {needle!r} not all kept by the perfect redaction")
    return errs


def make_case(rnd, idx, report_pages):
    persons = make_register(rnd)
    ref = "ASE-69-2024-%05d" % (idx + 1)
    docs = {}
    # report: report_pages pages, header + 6 paragraphs of 5 sentences each (a page of text, ~2,500 characters)
    rep = []
    for pg in range(report_pages):
        rep.append([header(persons, "Rapport de situation", pg + 1, report_pages)] + write_doc(rnd, persons, 6, 5))
    note = [[header(persons, "Note de la famille d'accueil", 1, 1)] + write_doc(rnd, persons, 3, 4)]
    cr = [[header(persons, "Compte rendu de visite", 1, 1)] + write_doc(rnd, persons, 5, 4)]
    docs["rapport-situation.pdf"] = ("born-digital", rep, "Rapport de situation", "report")
    docs["rapport-situation-scan.pdf"] = ("scanned-pdf", rep, "Rapport de situation (scan)", "report")
    docs["note-scan.jpg"] = ("jpeg", note, "Note de la famille d'accueil", "note")
    docs["compte-rendu.docx"] = ("docx", cr, "Compte rendu de visite", "note")
    return ref, persons, docs


def generate(out, cases=8, seed=1, report_pages=3, log=print, scan=None):
    """Writes bundles/case-NN/ and gold/case-NN.json under out; returns the gold list."""
    scan = dict(scan or {})   # angle, noise, jpeg_quality, dpi for pagedocs.scanned_pdf / jpeg_scan
    os.makedirs(os.path.join(out, "bundles"), exist_ok=True)
    os.makedirs(os.path.join(out, "gold"), exist_ok=True)
    all_gold = []
    rnd = random.Random(seed)
    i = 0
    while len(all_gold) < cases:
        ref, persons, docs = make_case(rnd, len(all_gold), report_pages)
        golds = {name: gold_of(d[1]) for name, d in docs.items()}
        errs = [e for name, d in docs.items() for e in check_doc(name, d[1], golds[name])]
        i += 1
        if errs:
            log(f"  case redrawn ({len(errs)} gold problems, e.g. {errs[0]})")
            if i > cases * 20:
                raise SystemExit("gen_docs: cannot draw consistent cases: " + errs[0])
            continue
        cname = "case-%02d" % (len(all_gold) + 1)
        bdir = os.path.join(out, "bundles", cname)
        os.makedirs(os.path.join(bdir, "docs"), exist_ok=True)
        entry = {"case": cname, "ref": ref, "requester": "p1", "bundle": bdir, "documents": []}
        for k, (name, (typ, pages, title, dtype)) in enumerate(docs.items()):
            path = os.path.join(bdir, "docs", name)
            texts = [[t for t, _ in paras] for paras in pages]
            if typ == "born-digital":
                n = pagedocs.born_digital_pdf(path, texts)
            elif typ == "scanned-pdf":
                n = pagedocs.scanned_pdf(path, texts, seed=seed * 1000 + len(all_gold) * 10 + k, **scan)
            elif typ == "jpeg":
                n = pagedocs.jpeg_scan(path, texts[0], seed=seed * 1000 + len(all_gold) * 10 + k, **scan)
            else:
                pagedocs.docx(path, [t for pg in texts for t in pg])
                n = None  # decided by the converter; one page of text here (A4 at Word's defaults: 1 or 2)
            entry["documents"].append({"name": name, "path": path, "type": typ, "title": title, "pages": n,
                                       "source_pages": len(pages), "mentions": golds[name]})
        manifest = {
            "bundle_version": 1,
            "case": {"ref": ref, "category": "placement", "opened": "2019-09-01", "closed": None,
                     "territory": "69"},
            "persons": [p.register() for p in persons.values()],
            "measures": [{"type": "placement", "basis": "judicial", "start": "2019-09-01", "end": None}],
            "documents": [{"path": f"docs/{d['name']}", "title": d["title"], "date": "2024-05-02",
                           "type": docs[d["name"]][3], "concerns": ["p1", "p2", "p3"]} for d in entry["documents"]],
            "sealed": None,
        }
        with open(os.path.join(bdir, "case.json"), "w", encoding="utf-8") as f:
            json.dump(manifest, f, ensure_ascii=False, indent=1)
        with open(os.path.join(out, "gold", cname + ".texts.json"), "w", encoding="utf-8") as f:
            json.dump({name: [[t for t, _ in paras] for paras in d[1]] for name, d in docs.items()}, f,
                      ensure_ascii=False, indent=1)
        with open(os.path.join(out, "gold", cname + ".json"), "w", encoding="utf-8") as f:
            json.dump(entry, f, ensure_ascii=False, indent=1)
        all_gold.append(entry)
    with open(os.path.join(out, "gold.json"), "w", encoding="utf-8") as f:
        json.dump(all_gold, f, ensure_ascii=False, indent=1)
    return all_gold


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--cases", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--report-pages", type=int, default=3)
    ap.add_argument("--scan-angle", type=float, default=1.5)
    ap.add_argument("--scan-noise", type=float, default=8)
    ap.add_argument("--scan-quality", type=int, default=60)
    a = ap.parse_args()
    g = generate(a.out, a.cases, a.seed, a.report_pages,
                 scan={"angle": a.scan_angle, "noise": a.scan_noise, "jpeg_quality": a.scan_quality})
    n = sum(len(d["mentions"]) for c in g for d in c["documents"])
    print(f"{len(g)} cases, {sum(len(c['documents']) for c in g)} documents, {n} gold mentions in {a.out}")


if __name__ == "__main__":
    main()
