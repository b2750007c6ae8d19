#!/usr/bin/env python3
"""Annotated French case-file corpus for the redaction benchmark.

Deterministic for a given seed. Writes JSON lines, one case a line:
  {"case": id, "tier": "standard"|"hard", "requester": "p1",
   "persons": [register entries as cv_person_fields],
   "docs": [{"name": ..., "text": ..., "gold": [[start, end, kind, person, form], ...]}]}

Offsets are bytes of the UTF-8 text. Gold kinds:
  person     a registered third party: must be hidden
  name       an unregistered person (classmate, neighbour...): must be hidden
  phone, email, nir, iban, address, birthdate: identifiers of a third party
  keep       the requester's own mention (name or identifier): must stay
  ambiguous  a mention that could be the requester and a third party (or a
             common word used as a name at the start of a sentence only):
             the policy keeps it and lists it for review
  trap       a capitalised word that is nobody's name (sentence-start common
             word, place, institution, title): must stay
Everything outside gold spans must stay (precision).

The fifth field of a gold span is its category ("form"), reported on its own
by bench.py. Hard-tier categories (hard_sentence(), 40 % of the sentences of a
hard case; the register then also holds a young sister p8 and a twin p9 of the
requester carrying the requester's surname, and a stepfather p10 with a
compound surname):
  start:pro_last, start:sibling_first, start:twin_first
             a third party by surname / first name alone opening a sentence
  one_number:civ_mother, one_number:child_first, one_number:child_full,
  one_number:mother_full
             "Mme Durand et sa fille Chloé ... Chloé Durand": a mother and her
             children sharing a surname, each one number
  compound:as_registered, compound:canonical, compound:joined,
  compound:upper, compound:spelling
             the stepfather's compound surname as in the register or written
             otherwise (Da Silva / DaSilva / DA SILVA; N'Diaye / Ndiaye)
  shared:civ_mother, shared:civ_father
             "sa mère, Mme LEROY", "M. Leroy, son père" next to the requester
             (a civility designates an adult of the register: the requester,
             a child of the file, is not "Mme Leroy")
  split:full_lf|crlf, split:civ_lf|crlf, split:LAST_first_lf|crlf,
  split:hyphen_first
             a name split by a line break (LF, CRLF, "Jean-\nPierre")
  ocr:civ_last, ocr:full, noaccent:full, noaccent:first
             one letter confused (y/v, u/n, e/c, h/b, a/o) or a double letter
             dropped, not a dictionary word; accents dropped
  unreg:judge, unreg:neighbour, unreg:friend
             people in no register named with a cue ("la juge Ferrand")
  phone:format, phone:nbsp, mixed:phone, mixed:address
             unusual phone formats, with U+00A0 / U+202F spaces; a third
             party's data in the requester's sentence
  keep:full, keep:first_ctx, keep:initials, keep:phone, keep:address,
  keep:birthdate, keep:split, keep:ocr, keep:noaccent
             the requester's own mentions in those same sentences (kept)
  trap:start_word, trap:place, trap:institution, trap:title (both tiers)
The unregistered people have person ids u0, u1... so that bench.py can check
that each person gets one number ("[tiers N]") and each number one person.
dense_file() builds the throughput file (one case, one 64 MiB document).

The ambiguity of a name mention is computed here from the register with the
policy's own definition (which registered persons carry every name word
used, compatible with the civility), independently of the engine.

Usage: gen_corpus.py --cases N --seed S [--hard-share 0.5] --out FILE
"""
import argparse
import json
import random
import sys
import unicodedata

DICT_PATH = "/usr/share/dict/french"

# --------------------------------------------------------------------------
# Pools

SURNAMES = """Leroy Dupont Durand Lefebvre Moreau Laurent Garcia Bertrand Roux Fournier Morel Girard
Mercier Dupuis Lambert Bonnet Martinez Legrand Garnier Faure Rousseau Blanc Guérin Muller Roussel Perrin
Morin Gauthier Dumont Lopez Fontaine Chevalier Robin Masson Sanchez Nguyen Boyer Lemaire Duval Joly
Roche Meyer Meunier Perez Marchand Dufour Blanchard Barbier Brun Dumas Brunet Schmitt Leroux Colin
Fernandez Renard Rolland Caron Aubert Giraud Leclerc Vidal Bourgeois Renaud Lemoine Picard Gaillard
Lacroix Fabre Dupuy Rodriguez Hubert Guillot Rivière Rey Moulin Gonzalez Berger Lecomte Ménard Fleury
Deschamps Carpentier Maillard Marchal Aubry Vasseur Renault Jacquet Collet Prévost Poirier Charpentier
Royer Huet Baron Dupré Bouvier Diallo Traoré Benali Haddad Petit Martin Dubois Lebrun Cordier Texier
Pelletier Hamon Bailly Hervé Labbé Carré Gilles Mallet Tessier Leblanc Bertin Besson Weber Klein""".split()
COMPOUND_SURNAMES = ["Da Silva", "Le Goff", "Dos Santos", "Ben Ali", "Le Gall", "N'Diaye", "Martin-Dupont",
                     "De Sousa", "Le Roux", "Van Damme", "El Amrani", "Ait Ahmed", "Le Bihan", "Da Costa"]

FIRST_F = """Sophie Nathalie Isabelle Sandrine Céline Julie Émilie Camille Laura Manon Chloé Léa Emma Inès
Sarah Hélène Françoise Christine Valérie Stéphanie Aurélie Mélanie Élodie Karine Virginie Caroline Audrey
Gaëlle Agnès Brigitte Sylvie Martine Monique Nadia Fatima Aïcha Yasmine Océane Justine Clémence Maëlle
Marion Pauline Amandine Jessica Laetitia Sabrina Anaïs Zoé Lucie Eva Alice Jade Lina Rose Claire""".split()
FIRST_M = """François Marc Pierre Jean Nicolas Julien Sébastien Christophe Stéphane Laurent Thomas David
Olivier Philippe Frédéric Éric Patrick Alain Michel Jérôme Mickaël Kevin Kévin Jonathan Anthony Maxime
Alexandre Romain Hugo Lucas Enzo Mathis Nathan Théo Yanis Mohamed Karim Mehdi Rachid Bruno Didier Thierry
Gérard Cédric Fabrice Ludovic Grégory Benoît Damien Florian Quentin Antoine Baptiste Jérémy Dylan""".split()
COMPOUND_FIRST_F = ["Marie-Claire", "Anne-Sophie", "Marie-Hélène", "Anne-Marie", "Marie-Laure"]
COMPOUND_FIRST_M = ["Jean-Pierre", "Jean-Marc", "Jean-François", "Pierre-Yves", "Jean-Baptiste"]
# first names the engine has no list entry for (rarer, or spelled otherwise)
RARE_FIRST = ["Swann", "Lenny", "Kenzo", "Naïm", "Ilan", "Eliott", "Timothé", "Maïssa", "Nélia", "Lyna",
              "Aylan", "Kaïs", "Soline", "Thaïs", "Livio", "Ambrine", "Kélya", "Jawad", "Loane", "Nahel"]
UNREG_SURNAMES = """Duchamp Kowalski Bensaïd Lemarchand Tavernier Quéré Hoarau Payet Morvan Castel Ferrand
Gallet Hamel Jourdan Lacombe Maréchal Navarro Ollivier Pasquier Raynaud Salaün Tanguy Vallet Wagner Zimmer
Boucher Charrier Delmas Esnault Fauvel Grondin Hascoët Imbert Jaouen Kergoat Lagarde Mahé Nedelec Orsini
Poulain Quemener Riou Sauvage Thibault Urvoy Verdier Boulanger Mercadier Chauvin Bouchet""".split()

STREETS = ["des Lilas", "Victor Hugo", "de la République", "du Général de Gaulle", "Jean Jaurès", "des Tilleuls",
           "Pasteur", "du 8 Mai 1945", "de Verdun", "des Acacias", "Gambetta", "de la Paix", "du Moulin",
           "des Écoles", "Anatole France", "des Peupliers", "Émile Zola", "de la Gare", "Paul Bert",
           "des Marronniers", "du Stade", "Carnot", "des Roses", "de Bretagne", "Jules Ferry"]
STREET_TYPES = ["rue", "avenue", "boulevard", "impasse", "chemin", "allée", "place", "route", "cours", "quai",
                "square", "bd", "av."]
CITIES = [("69003", "Lyon"), ("69100", "Villeurbanne"), ("42000", "Saint-Étienne"), ("69200", "Vénissieux"),
          ("69500", "Bron"), ("43000", "Le Puy-en-Velay"), ("01000", "Bourg-en-Bresse"), ("69120", "Vaulx-en-Velin"),
          ("38000", "Grenoble"), ("69800", "Saint-Priest"), ("73000", "Chambéry"), ("26000", "Valence"),
          ("20000", "Ajaccio"), ("20200", "Bastia"), ("63000", "Clermont-Ferrand")]
DOMAINS = ["gmail.com", "orange.fr", "free.fr", "hotmail.fr", "laposte.net", "yahoo.fr", "sfr.fr", "wanadoo.fr"]
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre"]

FILLER = [
    "La situation a été évoquée lors de la réunion de synthèse du service.",
    "Le Conseil départemental du Rhône a été informé de l'évolution de la mesure.",
    "Une nouvelle évaluation sera conduite dans six mois.",
    "Le Tribunal pour enfants de Lyon a renouvelé le placement pour une durée d'un an.",
    "L'enfant est scolarisé en classe de CM2 au collège Jean Moulin depuis la rentrée.",
    "Les visites médiatisées ont lieu un samedi sur deux au service.",
    "Aucun incident n'a été signalé durant la période.",
    "La MECS Les Tilleuls accueille l'enfant depuis le mois de septembre.",
    "Le suivi orthophonique se poursuit au CMP de Villeurbanne.",
    "Il a été convenu de maintenir le lien avec la fratrie.",
    "Les résultats scolaires sont en progrès, notamment en français.",
    "Un rendez-vous est prévu à la Maison départementale de la métropole.",
    "Petit à petit, l'enfant a trouvé sa place dans le groupe.",
    "Le juge des enfants a ordonné une mesure d'AEMO renforcée.",
    "La famille d'accueil décrit un enfant souriant mais parfois anxieux.",
    "Il fréquente le centre social du quartier le mercredi après-midi.",
    "Les parents ont été reçus au service le 14 octobre 2009 à 14h30.",
    "Le montant de l'allocation est de 250 euros par mois.",
    "Dossier n° 2009/0457, audience du 3 avril 2010.",
    "Il aime le football et joue dans le club de Saint-Denis.",
    "L'équipe éducative note une plus grande confiance en soi.",
    "Elle a passé les vacances de Pâques en séjour à la montagne.",
    "Le projet pour l'enfant (PPE) a été signé par les deux parents.",
    "Une information préoccupante avait été transmise à la CRIP en 2008.",
    "Les échanges téléphoniques sont réguliers et bienveillants.",
    "Le pédiatre a constaté un bon état de santé général.",
    "Une demande d'aide financière a été adressée à la CAF.",
    "Le lycée Victor Hugo a proposé un stage en entreprise.",
    "Le bulletin du deuxième trimestre est joint au dossier.",
    "Il porte souvent un pull blanc et a les cheveux roux.",
    "Ils vivent dans un petit appartement au troisième étage.",
    "La Fontaine de la place est un lieu de rendez-vous des jeunes du quartier.",
    "Il a rencontré le Père Noël au marché de Noël de l'école.",
    "Le chef de service, le psychologue et l'éducatrice référente étaient présents.",
    "Elle souhaite devenir boulangère ou meunière, comme elle l'a dit en riant.",
    "Le rapport a été transmis au Juge des enfants le 2 février 2011.",
    "Les relations avec l'Aide sociale à l'enfance se sont apaisées.",
    "La rentrée au collège Anatole France s'est bien passée.",
    # institutions and places, capitalised words that are nobody's name
    "Elle est suivie au Centre Hospitalier Lyon Sud depuis 2012.",
    "Une orientation vers la Mission Locale de Vénissieux est envisagée.",
    "Il est inscrit à Pôle Emploi depuis le mois dernier.",
    "La Caisse d'Allocations Familiales a suspendu le versement.",
    "Le dossier a été transmis à l'Éducation Nationale.",
    "Ils habitent désormais dans le quartier de la Croix-Rousse, près de la Part-Dieu.",
    "La Maison des Solidarités du Grand Lyon a pris le relais.",
    "Un colis des Restos du Cœur et du Secours Populaire a été remis à la famille.",
    "La région Auvergne-Rhône-Alpes finance le séjour.",
    "Il a été hospitalisé à l'Hôpital Femme Mère Enfant de Bron.",
    "Les Hospices Civils de Lyon ont transmis le compte rendu.",
    "Elle travaille au Crédit Mutuel de Saint-Priest.",
    "Il part en vacances en Haute-Savoie avec le centre de loisirs.",
    "Le séjour à Saint-Étienne Métropole est reporté.",
    "Il a regardé Harry Potter avec le groupe du foyer.",
    "Elle supporte l'Olympique Lyonnais et rêve d'aller au Groupama Stadium.",
    "La MJC Jean Macé propose un atelier de théâtre le samedi.",
    "Le Département du Rhône et la Métropole de Lyon se partagent la compétence.",
    "Il a obtenu son brevet avec la mention Assez Bien.",
    "Elle lit Le Petit Prince et les romans de Jules Verne.",
    "Rendez-vous pris chez Carrefour Market pour un stage d'observation.",
    "Le Juge des Enfants de Villefranche-sur-Saône est saisi.",
    "Il parle arabe et Wolof à la maison.",
    "La Croix-Rouge a fourni des vêtements.",
]


# Plain narrative of a report: what most of a case file's text is made of.
NARRATIVE = [
    "L'enfant se montre souriant lors des visites et participe volontiers aux activités proposées par l'équipe.",
    "Les temps de repas sont désormais plus calmes, même si des difficultés d'endormissement persistent.",
    "Nous avons constaté une amélioration nette de l'hygiène et de la tenue vestimentaire depuis le dernier rapport.",
    "La mère se présente aux rendez-vous avec régularité et semble investie dans le suivi de la mesure.",
    "Le père n'a pas donné suite aux convocations adressées par le service au cours du semestre.",
    "Les échanges avec l'école montrent un enfant en difficulté dans les apprentissages de base, notamment la lecture.",
    "Une orientation vers un suivi psychologique a été proposée et acceptée par les parents.",
    "Il exprime régulièrement le souhait de rentrer au domicile familial, ce qui ne paraît pas possible à ce jour.",
    "Les visites se déroulent dans de bonnes conditions, les liens affectifs sont présents mais fragiles.",
    "La situation financière de la famille reste précaire et les dettes de loyer se sont accumulées.",
    "L'assistante familiale décrit un enfant attachant, en demande d'attention, qui a besoin d'un cadre rassurant.",
    "Les devoirs sont faits avec l'aide de la famille d'accueil et les résultats commencent à progresser.",
    "Des tensions sont apparues au sein de la fratrie lors des derniers week-ends passés ensemble.",
    "Il a été rappelé aux parents l'importance de respecter les horaires fixés pour les appels téléphoniques.",
    "L'adolescent se met en danger par des fugues répétées et une consommation d'alcool signalée par le foyer.",
    "Un travail sur l'estime de soi est mené par l'éducatrice au travers d'activités sportives et artistiques.",
    "La santé de l'enfant est bonne, les vaccinations sont à jour et le suivi dentaire a été repris.",
    "Le service préconise le maintien de la mesure de placement pour une durée d'un an.",
    "Les parents contestent la décision et ont fait appel auprès de la cour d'appel.",
    "Le jeune a trouvé un stage en boulangerie et semble motivé par ce projet professionnel.",
    "Les relations avec les grands-parents maternels sont chaleureuses et constituent un point d'appui.",
    "La mère évoque un parcours marqué par des violences conjugales et un isolement important.",
    "Le logement est exigu, humide et mal chauffé, ce qui pèse sur la santé des enfants.",
    "Une aide éducative à domicile a été mise en place à raison de deux interventions par semaine.",
    "L'enfant a exprimé de la colère lors du dernier entretien, puis s'est apaisé en fin de rencontre.",
    "Nous restons attentifs à la qualité des liens et à la capacité des parents à se mobiliser dans la durée.",
    "La scolarité est marquée par de nombreuses absences non justifiées au cours du premier trimestre.",
    "Il pratique le football deux fois par semaine et s'est fait des amis dans son équipe.",
    "La rencontre a permis d'aborder les questions de l'orientation scolaire et de l'autonomie.",
    "Les parents reconnaissent leurs difficultés et acceptent l'accompagnement proposé.",
    "Elle souhaite poursuivre ses études après le baccalauréat et se renseigne sur les formations possibles.",
    "Le retour au domicile pourrait être envisagé progressivement si les conditions se confirment.",
    "L'équipe s'interroge sur la capacité du père à garantir la sécurité de l'enfant lors des droits d'hébergement.",
    "Les troubles du sommeil se sont atténués depuis la mise en place d'un rituel du coucher.",
    "Une réunion de concertation est prévue avec l'ensemble des partenaires avant l'échéance de la mesure.",
    "L'enfant parle peu de sa famille mais regarde souvent les photographies qu'il conserve dans sa chambre.",
    "Les éducateurs notent une plus grande aisance dans les relations avec les adultes du service.",
    "Un contrat jeune majeur a été signé pour accompagner la sortie du dispositif de protection de l'enfance.",
    "Il a obtenu son permis de conduire et cherche un premier emploi dans la logistique.",
    "Les appels téléphoniques du vendredi soir sont attendus avec impatience par les enfants.",
]


# Hard tier: compound surnames and the other spellings a file gives them
# (the register holds one of them; Le Roux / Ben Ali are left out: Leroux and
# Benali are plain surnames of the pools).
COMPOUND_VARIANTS = {
    "Da Silva": ["DaSilva", "DA SILVA", "da Silva", "Dasilva"],
    "Le Goff": ["LeGoff", "LE GOFF", "Legoff"],
    "N'Diaye": ["Ndiaye", "NDiaye", "N\u2019Diaye", "N'DIAYE", "NDIAYE"],
    "Dos Santos": ["DosSantos", "DOS SANTOS", "dos Santos"],
    "Le Gall": ["LeGall", "LE GALL", "Legall"],
    "Da Costa": ["DaCosta", "DA COSTA", "da Costa"],
    "De Sousa": ["DeSousa", "DE SOUSA", "de Sousa"],
    "El Amrani": ["Elamrani", "El-Amrani", "EL AMRANI"],
    "Le Bihan": ["LeBihan", "LE BIHAN", "Lebihan"],
    "Ait Ahmed": ["A\u00eft Ahmed", "Ait-Ahmed", "AIT AHMED"],
}
# surnames of people in no register named with a cue (judge, neighbour, friend)
CUE_SURNAMES = """Martin Ferrand Caron Benali Tavernier Hamel Morvan Lagarde Pasquier Delmas Riou Verdier
Chauvin Jourdan Maréchal Navarro Vallet Imbert Poulain Sauvage Boucher Lacombe Castel Gallet""".split()


def strip_accents(s):
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")


def fold(s):
    return strip_accents(s).lower()


ACCENTED_FIRST_F = [f for f in FIRST_F if strip_accents(f) != f]


def load_dict():
    words = set()
    try:
        raw = open(DICT_PATH, "rb").read()
    except OSError:
        return words
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    for w in text.split("\n"):
        w = w.strip()
        if w and w == w.lower() and "-" not in w and "'" not in w and " " not in w:
            words.add(fold(w))
    return words


DICT = load_dict()


def is_common(name):
    """A name all of whose words are French common words (Petit, Rose)."""
    parts = [p for p in name.replace("-", " ").replace("'", " ").split() if p]
    return all(fold(p) in DICT for p in parts)


# --------------------------------------------------------------------------
# Identifiers

def nir_key(digits13):
    n = digits13.replace("2A", "19").replace("2B", "18")
    return 97 - int(n) % 97


def make_nir(rng, sex, born, corsica=False):
    y, m = born[2:4], born[5:7]
    dept = rng.choice(["2A", "2B"]) if corsica else "%02d" % rng.choice([69, 42, 38, 1, 75, 13, 63, 26])
    body = "%d%s%s%s%03d%03d" % (1 if sex == "M" else 2, y, m, dept, rng.randint(1, 999), rng.randint(1, 999))
    return body + "%02d" % nir_key(body)


def fmt_nir(rng, nir, hard):
    if rng.random() < 0.5:
        return "%s %s %s %s %s %s %s" % (nir[0], nir[1:3], nir[3:5], nir[5:7], nir[7:10], nir[10:13], nir[13:])
    return nir


def iban_fr(rng):
    bban = "%05d%05d%011d%02d" % (rng.randint(10000, 99999), rng.randint(0, 99999), rng.randint(0, 10 ** 11 - 1),
                                   rng.randint(1, 97))
    rearr = bban + "FR00"
    num = "".join(str(int(c, 36)) for c in rearr)
    check = 98 - int(num) % 97
    return "FR%02d%s" % (check, bban)


def fmt_iban(rng, iban):
    if rng.random() < 0.6:
        return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    return iban


def make_phone(rng, mobile=True):
    first = rng.choice(["6", "7"]) if mobile else rng.choice(["1", "4", "9"])
    return "0" + first + "".join(str(rng.randint(0, 9)) for _ in range(8))


def fmt_phone(rng, ph, hard):
    pairs = [ph[i:i + 2] for i in range(0, 10, 2)]
    std = [" ".join(pairs), ".".join(pairs), ph, "+33 " + ph[1] + " " + " ".join(pairs[1:])]
    unusual = ["-".join(pairs), "(+33) " + ph[1] + " " + " ".join(pairs[1:]),
               "0033 " + ph[1] + " " + " ".join(pairs[1:]), "+33 (0)" + ph[1] + " " + " ".join(pairs[1:]),
               "\u00a0".join(pairs), "+33" + ph[1:]]
    if hard and rng.random() < 0.6:
        return rng.choice(unusual), "unusual"
    return rng.choice(std), "standard"


def make_email(rng, first, last):
    f, l = fold(first).replace(" ", "").replace("'", ""), fold(last).replace(" ", "").replace("'", "")
    style = rng.randint(0, 3)
    local = [f + "." + l, f[0] + l, l + "." + f + str(rng.randint(1, 99)), f + "_" + l][style]
    return local + "@" + rng.choice(DOMAINS)


def make_address(rng):
    num = str(rng.randint(1, 180))
    if rng.random() < 0.1:
        num += " bis"
    st = rng.choice(STREET_TYPES)
    name = rng.choice(STREETS)
    if st in ("place", "square") and name.startswith("du 8"):
        name = "de la Paix"
    pc, city = rng.choice(CITIES)
    return num, st, name, pc, city


def fmt_address(rng, a, hard):
    num, st, name, pc, city = a
    v = rng.randint(0, 3)
    if v == 0:
        return "%s %s %s, %s %s" % (num, st, name, pc, city)
    if v == 1:
        return "%s, %s %s %s %s" % (num, st, name, pc, city.upper())
    if v == 2:
        return "%s %s %s\n%s %s" % (num, st, name, pc, city)
    return "%s %s %s" % (num, st, name)


def fmt_date(rng, iso, hard):
    y, m, d = int(iso[:4]), int(iso[5:7]), int(iso[8:10])
    v = rng.randint(0, 4)
    if v == 0:
        return "%02d/%02d/%d" % (d, m, y)
    if v == 1:
        return "%s %s %d" % ("1er" if d == 1 else str(d), MONTHS[m - 1], y)
    if v == 2:
        return "%02d.%02d.%d" % (d, m, y)
    if v == 3:
        return "%d %s %d" % (d, MONTHS[m - 1].capitalize() if hard else MONTHS[m - 1], y)
    return "%d-%02d-%02d" % (y, m, d)


def rand_date(rng, y0, y1):
    return "%04d-%02d-%02d" % (rng.randint(y0, y1), rng.randint(1, 12), rng.randint(1, 28))


# --------------------------------------------------------------------------
# Cases

class Person:
    def __init__(self, pid, role, sex, last, first):
        self.id, self.role, self.sex, self.last, self.first = pid, role, sex, last, first
        self.born = self.phone = self.email = self.address = self.nir = None
        self.addr_parts = None

    def register(self):
        d = {"id": self.id, "role": self.role, "sex": self.sex, "last": self.last, "first": self.first}
        for k in ("born", "phone", "email", "address", "nir"):
            v = getattr(self, k)
            if v:
                d[k] = v
        return d


class Case:
    def __init__(self, rng, idx, tier):
        self.rng, self.idx, self.tier = rng, idx, tier
        self.hard = tier == "hard"
        used_last, used_first = set(), set()

        def pick_last(pool=SURNAMES):
            while True:
                s = rng.choice(pool + COMPOUND_SURNAMES if rng.random() < 0.15 else pool)
                if fold(s) not in used_last:
                    used_last.add(fold(s))
                    return s

        def pick_first(sex, compound_ok=True):
            while True:
                if compound_ok and rng.random() < 0.12:
                    f = rng.choice(COMPOUND_FIRST_M if sex == "M" else COMPOUND_FIRST_F)
                else:
                    f = rng.choice(FIRST_M if sex == "M" else FIRST_F)
                if fold(f) not in used_first and fold(f) not in used_last:
                    used_first.add(fold(f))
                    return f

        def pick_last_nofirst():
            while True:
                s = pick_last()
                if fold(s) not in used_first:
                    return s

        rsex = rng.choice("MF")
        rlast = pick_last_nofirst()
        nfirst = rng.choice([1, 1, 2, 3])
        rfirst = [pick_first(rsex)] + [pick_first(rsex, False) for _ in range(nfirst - 1)]
        self.req = Person("p1", "child", rsex, rlast, rfirst)
        self.req.born = rand_date(rng, 1975, 2005)
        self.persons = [self.req]
        mlast = rlast if self.hard else pick_last_nofirst()
        mother = Person("p2", "mother", "F", mlast, [pick_first("F")] + ([pick_first("F", False)] if rng.random() < 0.3 else []))
        flast = rlast if (self.hard and rng.random() < 0.5) else pick_last_nofirst()
        father = Person("p3", "father", "M", flast, [pick_first("M")])
        foster = Person("p4", "foster_carer", "F", pick_last_nofirst(), [pick_first("F")])
        educ_sex = rng.choice("MF")
        educ = Person("p5", "educator", educ_sex, pick_last_nofirst(), [pick_first(educ_sex)])
        psy_sex = rng.choice("MF")
        psy = Person("p6", "psychologist", psy_sex, pick_last_nofirst(), [pick_first(psy_sex)])
        self.persons += [mother, father, foster, educ, psy]
        if self.hard:
            # a foster sibling carrying the requester's first name
            sib = Person("p7", "other", rsex, pick_last_nofirst(), [rfirst[0]])
            self.persons.append(sib)
        else:
            gm = Person("p7", "grandparent", "F", pick_last_nofirst(), [pick_first("F", False)])
            self.persons.append(gm)
        # the persons the standard sentences pick from (the hard tier's extra
        # register entries below are written by hard_sentence() only)
        self.base = list(self.persons)
        if self.hard:
            # a young sister carrying the mother's (and the requester's) surname
            while True:
                sfirst = rng.choice(ACCENTED_FIRST_F) if rng.random() < 0.5 else rng.choice(FIRST_F)
                if fold(sfirst) not in used_first and fold(sfirst) not in used_last:
                    used_first.add(fold(sfirst))
                    break
            self.sister = Person("p8", "sibling", "F", mlast, [sfirst])
            # a twin of the requester: same surname, same birth date
            tsex = rng.choice("MF")
            self.twin = Person("p9", "sibling", tsex, rlast, [pick_first(tsex, False)])
            self.twin.born = self.req.born
            # a stepfather whose compound surname the file spells several ways
            while True:
                canon = rng.choice(sorted(COMPOUND_VARIANTS))
                spellings = [canon] + COMPOUND_VARIANTS[canon]
                if not any(fold(x) in used_last or fold(x).replace(" ", "") in used_last for x in spellings):
                    break
            for x in spellings:
                used_last.add(fold(x))
            reg_last = canon if rng.random() < 0.7 else rng.choice([v for v in COMPOUND_VARIANTS[canon] if v != v.upper()])
            while True:
                cf = rng.choice(COMPOUND_FIRST_M)
                if fold(cf) not in used_first:
                    used_first.add(fold(cf))
                    break
            self.step = Person("p10", "relative", "M", reg_last, [cf])
            self.step.spellings = spellings
            self.persons += [self.sister, self.twin, self.step]
        for p in self.persons:
            if p is not self.req and p.born is None and p.role not in ("educator", "psychologist"):
                p.born = rand_date(rng, 1940, 1995) if p.role not in ("other", "sibling") else rand_date(rng, 1975, 2005)
            if p.role in ("child", "mother", "father", "foster_carer", "grandparent", "other", "sibling", "relative"):
                p.phone = make_phone(rng, rng.random() < 0.8)
                p.email = make_email(rng, p.first[0], p.last)
                while p.email in [q.email for q in self.persons if q is not p]:
                    p.email = str(rng.randint(1, 9)) + p.email
                p.addr_parts = make_address(rng)
                num, st, name, pc, city = p.addr_parts
                p.address = "%s %s %s, %s %s" % (num, st, name, pc, city)
                if p.born:
                    p.nir = make_nir(rng, p.sex, p.born, corsica=self.hard and rng.random() < 0.3)
            elif p.role == "educator":
                p.phone = make_phone(rng, False)
                p.email = make_email(rng, p.first[0], p.last)
        # the unregistered people of this case
        self.unreg = []
        self.shown = {}
        for k in range(rng.randint(2, 4)):
            sex = rng.choice("MF")
            if self.hard and rng.random() < 0.4:
                first = rng.choice(RARE_FIRST)
            else:
                while True:
                    first = rng.choice(FIRST_M if sex == "M" else FIRST_F)
                    if fold(first) not in used_first:
                        break
            used_first.add(fold(first))
            while True:
                last = rng.choice(UNREG_SURNAMES)
                if fold(last) not in used_last:
                    used_last.add(fold(last))
                    break
            self.unreg.append((first, last, sex))
        # hard tier: people in no register named with a cue (judge, neighbour, school friend)
        self.unreg_hard = []
        if self.hard:
            for k, role in enumerate(("judge", "neighbour", "friend")):
                sex = rng.choice("MF")
                while True:
                    last = rng.choice(CUE_SURNAMES)
                    if fold(last) not in used_last and fold(last) not in used_first:
                        used_last.add(fold(last))
                        break
                while True:
                    first = rng.choice(RARE_FIRST if rng.random() < 0.3 else (FIRST_M if sex == "M" else FIRST_F))
                    if fold(first) not in used_first and fold(first) not in used_last:
                        used_first.add(fold(first))
                        break
                self.unreg_hard.append((first, last, sex, role, "u%d" % (len(self.unreg) + k)))

    # who could a mention be: persons carrying every name word, civility-compatible
    def candidates(self, firsts, last, civ_sex):
        out = []
        for p in self.persons:
            pf = [fold(f) for f in p.first]
            if any(fold(f) not in pf for f in firsts):
                continue
            if last is not None and fold(last) != fold(p.last):
                continue
            if civ_sex and p.sex != civ_sex:
                continue
            out.append(p)
        return out


class Doc:
    def __init__(self, name):
        self.name, self.parts, self.gold, self.n = name, [], [], 0

    def t(self, s):
        self.parts.append(s)
        self.n += len(s.encode("utf-8"))

    def g(self, s, kind, person, form):
        start = self.n
        self.t(s)
        self.gold.append([start, self.n, kind, person, form])

    def text(self):
        return "".join(self.parts)


CIV = {"M": ["M.", "Monsieur"], "F": ["Mme", "Madame"]}


def mention(case, doc, p, rng, forms):
    """Write a mention of registered person p in one of `forms`, with its gold."""
    hard = case.hard
    form = rng.choice(forms)
    first = p.first[0]
    last = p.last
    civ_sex = None
    pre = ""
    words_first, word_last = [], None
    if hard and rng.random() < 0.25:
        first, last = strip_accents(first), strip_accents(last)
        form_tag = form + "+noaccent"
    else:
        form_tag = form
    if form == "first":
        s, words_first = first, [first]
    elif form == "last":
        s, word_last = last, last
    elif form == "full":
        s, words_first, word_last = first + " " + last, [first], last
    elif form == "LAST_first":
        s, words_first, word_last = last.upper() + " " + first, [first], last
    elif form == "first_LAST":
        s, words_first, word_last = first + " " + last.upper(), [first], last
    elif form == "civ_last":
        civ_sex = p.sex
        pre = rng.choice(CIV[p.sex]) + " "
        s, word_last = last, last
    elif form == "civ_LAST":
        civ_sex = p.sex
        pre = rng.choice(CIV[p.sex]) + " "
        s, word_last = last.upper(), last
    elif form == "civ_full":
        civ_sex = p.sex
        pre = rng.choice(CIV[p.sex]) + " "
        s, words_first, word_last = first + " " + last, [first], last
    elif form == "initial_last":
        s, word_last = first[0] + ". " + last, last
        words_first = []
    elif form == "full_nl":
        s, words_first, word_last = first + rng.choice(["\n", "\r\n", " \n  "]) + last, [first], last
    elif form == "all_firsts":
        s = last.upper() + " " + ", ".join(p.first)
        words_first, word_last = list(p.first), last
    elif form == "lower":
        s, words_first, word_last = (first + " " + last).lower(), [first], last
    elif form == "upper":
        s, words_first, word_last = (first + " " + last).upper(), [first], last
    elif form == "dr_last":
        pre = rng.choice(["Dr ", "Me ", "Maître ", "Docteur "])
        s, word_last = last, last
    elif form == "mlle_last":
        civ_sex = "F"
        pre = rng.choice(["Mlle ", "Mademoiselle "])
        s, word_last = last, last
    else:
        raise ValueError(form)
    doc.t(pre)
    cands = case.candidates(words_first, word_last, civ_sex)
    if form == "initial_last":
        cands = [c for c in cands if any(fold(f)[0] == fold(first)[0] for f in c.first)]
    if p is case.req:
        kind = "keep" if case.req in cands and len(cands) == 1 else "ambiguous"
    else:
        kind = "ambiguous" if case.req in cands else "person"
    doc.g(s, kind, p.id, form_tag)


def mention_unreg(case, doc, u, rng, first_time):
    first, last, sex = u
    cue_forms = [
        ("son camarade " if sex == "M" else "sa camarade ", "full"),
        ("sa voisine Mme " if sex == "F" else "son voisin M. ", "last"),
        ("son ami " if sex == "M" else "son amie ", "first"),
        ("la famille ", "last"),
        ("chez les ", "last"),
        ("avec ", "full"),
        ("", "civ_last"),
        ("", "full_plain"),
    ]
    cue, form = rng.choice(cue_forms)
    if form == "civ_last":
        cue = rng.choice(CIV[sex]) + " "
        s = last
    elif form == "full" or form == "full_plain":
        s = first + " " + (last.upper() if rng.random() < 0.2 else last)
    elif form == "first":
        s = first
    else:
        s = last
    if case.hard and rng.random() < 0.2 and form in ("full", "full_plain"):
        s = first + "\n" + last
    doc.t(cue)
    doc.g(s, "name", "u%d" % case.unreg.index(u), "unreg:" + form)
    shown = case.shown.setdefault(u, set())
    if form in ("full", "full_plain"):
        shown.update(("first", "last"))
    elif form == "first":
        shown.add("first")
    else:
        shown.add("last")


def ident(case, doc, p, what, rng):
    hard = case.hard
    kind = "keep" if p is case.req else what
    if what == "phone":
        s, tag = fmt_phone(rng, p.phone, hard)
        doc.g(s, kind, p.id, "phone:" + tag)
    elif what == "email":
        doc.g(p.email if rng.random() < 0.8 else p.email.capitalize(), kind, p.id, "email")
    elif what == "nir":
        doc.g(fmt_nir(rng, p.nir, hard), kind, p.id, "nir" + (":corsica" if "A" in p.nir[5:7] or "B" in p.nir[5:7] else ""))
    elif what == "address":
        doc.g(fmt_address(rng, p.addr_parts, hard), kind, p.id, "address")
    elif what == "birthdate":
        doc.g(fmt_date(rng, p.born, hard), kind, p.id, "birthdate")


def pick_forms(case):
    std = ["first", "last", "full", "LAST_first", "first_LAST", "civ_last", "civ_LAST", "civ_full",
           "initial_last", "all_firsts", "upper", "dr_last", "mlle_last"]
    if case.hard:
        return std + ["full_nl", "full_nl", "lower", "civ_last", "civ_full"]
    return std


def safe_forms(case, p, forms):
    out = []
    for f in forms:
        if f == "lower" and (is_common(p.last) or is_common(p.first[0])):
            continue  # a common word in lower case is a word, by policy
        if f == "initial_last" and (p is case.req or fold(p.first[0])[0] == "m"):
            continue  # "M. Durand" reads as Monsieur Durand
        if f == "all_firsts" and len(p.first) < 2:
            continue
        if f == "mlle_last" and p.sex != "F":
            continue
        out.append(f)
    return out


def sentence(case, doc, rng):
    """One sentence of a case document, with mentions."""
    persons = case.base
    req = case.req
    third = [p for p in persons if p is not req]
    forms = pick_forms(case)
    r0 = rng.random()
    if case.hard and r0 < 0.40:
        rng.choice(HARD_SENTENCES)(case, doc, rng)
        return
    if r0 > 0.95:
        trap_sentence(doc, rng)
        return
    r = rng.random()
    if r < 0.30:
        p = rng.choice(third)
        intro = rng.choice(["Lors de l'entretien, ", "Selon le rapport, ", "Le ", "Ce jour, ", "Par ailleurs, "])
        if intro == "Le ":
            intro = "Le %d %s %d, " % (rng.randint(1, 28), rng.choice(MONTHS), rng.randint(2000, 2015))
        doc.t(intro)
        mention(case, doc, p, rng, safe_forms(case, p, forms))
        doc.t(rng.choice([" a indiqué que l'enfant dormait mal. ", " s'est présenté(e) au service. ",
                          " souhaite reprendre contact avec ", " a été reçu(e) par "]))
        if doc.parts[-1].endswith(" "):
            if doc.parts[-1].strip().endswith(("avec", "par")):
                q = rng.choice(persons)
                mention(case, doc, q, rng, safe_forms(case, q, forms))
                doc.t(". ")
    elif r < 0.45:
        doc.t(rng.choice(["L'enfant ", "Le jeune ", "La jeune ", "Nous avons rencontré "]))
        mention(case, doc, req, rng, safe_forms(case, req, ["first", "full", "LAST_first", "first_LAST"]))
        doc.t(rng.choice([" va bien. ", " exprime le souhait de voir ", " parle souvent de "]))
        if not doc.parts[-1].endswith(". "):
            p = rng.choice(third)
            mention(case, doc, p, rng, safe_forms(case, p, forms))
            doc.t(". ")
    elif r < 0.60:
        u = rng.choice(case.unreg)
        doc.t(rng.choice(["Il passe ses mercredis avec ", "Elle a été vue avec ", "À l'école, il y a eu un conflit avec ",
                          "Il joue souvent avec "]) if False else rng.choice(["Il a parlé de ", "L'enfant évoque ",
                                                                             "Un incident implique ", "Il cite "]))
        mention_unreg(case, doc, u, rng, True)
        doc.t(rng.choice([". ", ", qui habite le quartier. ", " à plusieurs reprises. "]))
        if rng.random() < 0.3:
            # a later bare mention of the surname, or the first name alone
            first, last, sex = u
            part = rng.choice(sorted(case.shown.get(u, {"last"})))
            doc.t("Plus tard, ")
            doc.g(last if part == "last" else first, "name", "u%d" % case.unreg.index(u), "unreg:later")
            doc.t(" est revenu(e) au foyer. ")
    elif r < 0.80:
        p = rng.choice([q for q in persons if q.phone or q.email or q.address or q.nir or q.born])
        whats = [w for w in ("phone", "email", "address", "nir", "birthdate") if getattr(p, {"birthdate": "born"}.get(w, w))]
        what = rng.choice(whats)
        lead = {"phone": "Téléphone : ", "email": "Courriel : ", "address": "Adresse : ", "nir": "N° de sécurité sociale : ",
                "birthdate": "Né(e) le "}[what]
        mention(case, doc, p, rng, safe_forms(case, p, ["full", "LAST_first", "civ_full"])) if p is not req else \
            doc.g(req.first[0] + " " + req.last, "keep", req.id, "full")
        doc.t(" — " + lead)
        ident(case, doc, p, what, rng)
        doc.t(". ")
    elif r < 0.85 and case.hard:
        # hard: the shared surname; a parent shares the requester's surname
        p = next(q for q in persons if q.role == "mother")
        doc.t("Lors de la visite, ")
        mention(case, doc, p, rng, ["civ_last", "civ_full", "full"])
        doc.t(" et son fils " if req.sex == "M" else " et sa fille ")
        mention(case, doc, req, rng, ["full", "first"])
        doc.t(" ont échangé calmement. ")
        if rng.random() < 0.3:
            doc.g(req.last, "ambiguous", "p2", "shared_bare")
            doc.t(" a ensuite signé le document. " if rng.random() < 0.5 else " a quitté les lieux. ")
    elif r < 0.88:
        doc.t("IBAN pour le versement : ")
        doc.g(fmt_iban(rng, iban_fr(rng)), "iban", "", "iban")
        doc.t(". ")
    else:
        doc.t(rng.choice(FILLER) + " ")


# --------------------------------------------------------------------------
# Hard-tier phenomena (each written with a named gold form, see README.md).
# The gold is decided from French usage and the case's register, not from the
# engine: a civility (M., Mme) designates an adult of the register (a child of
# the file is not "Mme Leroy"), an apposition ("sa mère, Mme Leroy") or a
# sentence naming the requester separately tells who is meant.

ADULT_ROLES = ("mother", "father", "foster_carer", "educator", "psychologist", "grandparent", "relative")

OCR_SUBST = {"y": "v", "v": "y", "u": "n", "n": "u", "e": "c", "c": "e", "h": "b", "a": "o", "o": "a"}

POOL_NAMES = None


def pool_names():
    global POOL_NAMES
    if POOL_NAMES is None:
        POOL_NAMES = set(fold(x) for x in SURNAMES + UNREG_SURNAMES + CUE_SURNAMES + FIRST_F + FIRST_M + RARE_FIRST)
    return POOL_NAMES


def ocr_variants(name):
    """One plausible OCR/typing confusion (y/v, u/n, e/c, h/b, a/o) or one
    letter of a double letter dropped; never the first letter, never a
    dictionary word or another name of the pools."""
    out = []
    for i in range(1, len(name)):
        ch = name[i]
        if ch in OCR_SUBST:
            out.append(name[:i] + OCR_SUBST[ch] + name[i + 1:])
        if ch.isalpha() and ch == name[i - 1]:
            out.append(name[:i] + name[i + 1:])
    good = []
    for v in out:
        if v != name and fold(v) not in DICT and fold(v) not in pool_names() and v not in good:
            good.append(v)
    return good


def unique_last(case, p):
    return sum(1 for q in case.persons if fold(q.last) == fold(p.last)) == 1


def unique_first(case, p):
    return sum(1 for q in case.persons if any(fold(f) == fold(p.first[0]) for f in q.first)) == 1


def third_hard(case):
    return [p for p in case.persons if p is not case.req]


def sex_word(p, m, f):
    return m if p.sex == "M" else f


def h_start(case, doc, rng):
    """A third party at the start of a sentence, by surname or first name alone."""
    which = rng.choice(["pro", "pro", "sibling", "twin"])
    if which == "pro":
        p = rng.choice([q for q in case.persons if q.role in ("educator", "psychologist")])
        doc.g(p.last, "person", p.id, "start:pro_last")
        doc.t(rng.choice([" a noté des progrès. ", " estime que le placement doit être maintenu. ",
                          " a reçu l'enfant mardi. ", " rappelle que les visites sont médiatisées. ",
                          ", de son côté, propose un bilan orthophonique. "]))
    else:
        p = case.sister if which == "sibling" else case.twin
        doc.g(p.first[0], "person", p.id, "start:sibling_first" if which == "sibling" else "start:twin_first")
        doc.t(rng.choice([", %s, refuse de parler. " % sex_word(p, "lui", "elle"),
                          " est resté%s en retrait pendant la visite. " % sex_word(p, "", "e"),
                          " dit ne plus vouloir aller chez son père. ",
                          " a demandé des nouvelles de sa mère. "]))


def h_one_number(case, doc, rng):
    """One person, one number: a mother and her children sharing her surname."""
    m = case.persons[1]
    child = rng.choice([case.sister, case.twin])
    mlast = m.last if rng.random() < 0.7 else m.last.upper()
    doc.t(rng.choice(["Lors de la visite, ", "Ce matin-là, ", ""]) + rng.choice(CIV["F"]) + " ")
    doc.g(mlast, "person", m.id, "one_number:civ_mother")
    doc.t(" et " + sex_word(child, "son fils ", "sa fille "))
    doc.g(child.first[0], "person", child.id, "one_number:child_first")
    doc.t(rng.choice([sex_word(child, " sont arrivés ensemble ; ", " sont arrivées ensemble ; "),
                      " attendaient dans le hall ; "]))
    full = child.first[0] + " " + (child.last if rng.random() < 0.6 else child.last.upper())
    doc.g(full, "person", child.id, "one_number:child_full")
    doc.t(rng.choice([" a ensuite rejoint sa classe. ", " est resté%s près de sa mère. " % sex_word(child, "", "e")]))
    if rng.random() < 0.5:
        doc.g(m.first[0] + " " + m.last, "person", m.id, "one_number:mother_full")
        doc.t(" a signé le compte rendu. ")


def compound_form(canon, v):
    if v == canon:
        return "compound:canonical"
    if v == v.upper():
        return "compound:upper"
    if fold(v).replace(" ", "").replace("-", "").replace("'", "").replace("\u2019", "") == \
            fold(canon).replace(" ", "").replace("-", "").replace("'", "") and " " not in v and "-" not in v \
            and "'" not in v and "\u2019" not in v:
        return "compound:joined"
    return "compound:spelling"


def h_compound(case, doc, rng):
    """The stepfather's compound surname, spelled otherwise than in the register."""
    p = case.step
    canon = p.spellings[0]
    v = rng.choice(p.spellings)
    form = "compound:as_registered" if v == p.last else compound_form(canon, v)
    ctx = rng.randint(0, 4)
    if ctx == 0:
        doc.t("Le beau-père, M. ")
        doc.g(p.first[0] + " " + v, "person", p.id, form)
        doc.t(", n'était pas présent. ")
    elif ctx == 1:
        doc.t("La famille ")
        doc.g(v, "person", p.id, form)
        doc.t(" héberge l'enfant un week-end sur deux. ")
    elif ctx == 2:
        doc.t("Beau-père : ")
        doc.g(v.upper() + " " + p.first[0], "person", p.id, "compound:upper" if v.upper() != p.last else form)
        doc.t(".\n")
    elif ctx == 3:
        doc.t("L'enfant a passé les vacances chez M. ")
        doc.g(v, "person", p.id, form)
        doc.t(". ")
    else:
        doc.t("Selon ")
        doc.g(v, "person", p.id, form)
        doc.t(", la situation s'est apaisée. ")


def req_full(case, rng, upper=False):
    r = case.req
    return r.first[0] + " " + (r.last.upper() if upper else r.last)


def h_shared(case, doc, rng):
    """The mother (and maybe the father) carry the requester's surname; the
    requester named in the same sentence is kept."""
    m, f, r = case.persons[1], case.persons[2], case.req
    ctx = rng.randint(0, 3)
    if ctx == 0:
        doc.g(req_full(case, rng), "keep", r.id, "keep:full")
        doc.t(" vit chez sa mère, " + rng.choice(CIV["F"]) + " ")
        doc.g(m.last.upper() if rng.random() < 0.5 else m.last, "person", m.id, "shared:civ_mother")
        doc.t(". ")
    elif ctx == 1:
        doc.t(rng.choice(CIV["F"]) + " ")
        doc.g(m.last, "person", m.id, "shared:civ_mother")
        doc.t(" accompagnait ")
        doc.g(req_full(case, rng), "keep", r.id, "keep:full")
        doc.t(" au rendez-vous. ")
    elif ctx == 2 and fold(f.last) == fold(r.last):
        doc.t(rng.choice(CIV["M"]) + " ")
        doc.g(f.last, "person", f.id, "shared:civ_father")
        doc.t(", son père, n'a pas répondu aux convocations adressées à ")
        doc.g(req_full(case, rng), "keep", r.id, "keep:full")
        doc.t(". ")
    else:
        doc.t("Sa mère, " + rng.choice(CIV["F"]) + " ")
        doc.g(m.last.upper(), "person", m.id, "shared:civ_mother")
        doc.t(", et son père, " + rng.choice(CIV["M"]) + " ")
        doc.g(f.last, "person", f.id, "shared:civ_father" if fold(f.last) == fold(r.last) else "civ_last")
        doc.t(", ont été reçus avec ")
        doc.g(req_full(case, rng, rng.random() < 0.3), "keep", r.id, "keep:full")
        doc.t(". ")


def h_split(case, doc, rng):
    """A name split across a line break (LF, CRLF, a hyphenated first name)."""
    nl = rng.choice(["\n", "\r\n"])
    tag = "lf" if nl == "\n" else "crlf"
    k = rng.randint(0, 4)
    full_ok = [p for p in third_hard(case) if unique_first(case, p)]
    civ_ok = [p for p in third_hard(case) if p.role in ADULT_ROLES and unique_last(case, p)]
    doc.t(rng.choice(["Étaient présents à la synthèse l'éducatrice et ", "Le courrier a été remis en main propre à ",
                      "Un appel a été reçu de la part de "]))
    if k == 0:
        p = rng.choice(full_ok)
        doc.g(p.first[0] + nl + p.last, "person", p.id, "split:full_" + tag)
    elif k == 1:
        p = rng.choice(civ_ok)
        doc.t(rng.choice(CIV[p.sex]) + nl)
        doc.g(p.last, "person", p.id, "split:civ_" + tag)
    elif k == 2:
        p = rng.choice(full_ok)
        doc.g(p.last.upper() + nl + p.first[0], "person", p.id, "split:LAST_first_" + tag)
    elif k == 3:
        p = case.step
        a, b = p.first[0].split("-", 1)
        doc.g(a + "-" + nl + b + " " + p.last, "person", p.id, "split:hyphen_first")
    else:
        doc.g(case.req.first[0] + nl + case.req.last, "keep", case.req.id, "keep:split")
    doc.t(". ")


def h_ocr(case, doc, rng):
    """OCR-like variants (one letter confused or dropped) and dropped accents."""
    k = rng.randint(0, 3)
    if k <= 1:
        cands = [p for p in third_hard(case) if unique_last(case, p) and p is not case.step and ocr_variants(p.last)]
        if cands:
            p = rng.choice(cands)
            v = rng.choice(ocr_variants(p.last))
            doc.t("D'après le rapport transmis, ")
            if k == 0 and p.role in ADULT_ROLES:
                doc.t(rng.choice(CIV[p.sex]) + " ")
                doc.g(v, "person", p.id, "ocr:civ_last")
            else:
                doc.g(p.first[0] + " " + v, "person", p.id, "ocr:full")
            doc.t(" a été entendu%s. " % sex_word(p, "", "e"))
            return
    if k == 2:
        acc = [p for p in third_hard(case) if unique_first(case, p) and strip_accents(p.first[0] + p.last) != p.first[0] + p.last]
        if acc:
            p = rng.choice(acc)
            if rng.random() < 0.5:
                doc.g(strip_accents(p.first[0]) + " " + strip_accents(p.last), "person", p.id, "noaccent:full")
                doc.t(" a appelé le service. ")
            else:
                doc.g(strip_accents(p.first[0]), "person", p.id, "noaccent:first")
                doc.t(" a appelé le service. ")
            return
    # the requester's own name, accents dropped or one letter confused: kept
    r = case.req
    vs = ocr_variants(r.last)
    accented = strip_accents(r.first[0] + r.last) != r.first[0] + r.last
    if accented and (not vs or rng.random() < 0.5):
        doc.g(strip_accents(r.first[0]) + " " + strip_accents(r.last), "keep", r.id, "keep:noaccent")
    elif vs:
        doc.g(r.first[0] + " " + rng.choice(vs), "keep", r.id, "keep:ocr")
    else:
        doc.g(req_full(case, rng), "keep", r.id, "keep:full")
    doc.t(" a demandé l'accès à son dossier. ")


def h_unreg(case, doc, rng):
    """People in no register, named with a cue: a judge, a neighbour, a friend."""
    first, last, sex, role, uid = rng.choice(case.unreg_hard)
    if role == "judge":
        k = rng.randint(0, 2)
        if rng.random() < 0.5:
            doc.t("Le dossier a été transmis " + ["au juge " if sex == "M" else "à la juge ",
                                                 "à M. le juge " if sex == "M" else "à Mme la juge ",
                                                 "au juge des enfants, " + rng.choice(CIV[sex]) + " "][k])
        else:
            doc.t("L'audience s'est tenue devant " + ["le juge " if sex == "M" else "la juge ",
                                                      "M. le juge " if sex == "M" else "Mme la juge ",
                                                      "le juge des enfants, " + rng.choice(CIV[sex]) + " "][k])
        doc.g(last, "name", uid, "unreg:judge")
        doc.t(". ")
    elif role == "neighbour":
        doc.t(rng.choice(["L'alerte a été donnée par ", "Selon "]))
        doc.t("son voisin M. " if sex == "M" else "sa voisine Mme ")
        doc.g(last, "name", uid, "unreg:neighbour")
        doc.t(", les cris duraient depuis une heure. ")
    else:
        doc.t("Il passe ses mercredis avec " if rng.random() < 0.5 else "Elle a été vue avec ")
        doc.t(rng.choice(["sa copine ", "sa meilleure amie "]) if sex == "F" else rng.choice(["son copain ", "son meilleur ami "]))
        if rng.random() < 0.6:
            doc.g(first + " " + last, "name", uid, "unreg:friend")
        else:
            doc.g(first, "name", uid, "unreg:friend")
        doc.t(". ")


def fmt_phone_hard(rng, ph):
    pairs = [ph[i:i + 2] for i in range(0, 10, 2)]
    v = rng.randint(0, 6)
    sp = rng.choice([" ", "\u00a0", "\u202f"])
    if v == 0:
        s = "+33 (0)" + ph[1] + " " + " ".join(pairs[1:])
    elif v == 1:
        s = ".".join(pairs)
    elif v == 2:
        s = " ".join(pairs)
    elif v == 3:
        s = "0033 " + ph[1] + " " + " ".join(pairs[1:])
    elif v == 4:
        s = "-".join(pairs)
    elif v == 5:
        s = "+33 " + ph[1] + " " + " ".join(pairs[1:])
    else:
        s = "+33 (0) " + ph[1] + " " + " ".join(pairs[1:])
    if sp != " " and " " in s:
        return s.replace(" ", sp), "phone:nbsp"
    return s, "phone:format"


def h_phone(case, doc, rng):
    """Unusual phone formats and no-break spaces, a third party's and the requester's."""
    p = rng.choice([q for q in third_hard(case) if q.phone])
    doc.t(rng.choice(["Joindre ", "Numéro de "]))
    doc.g(p.first[0] + " " + p.last, "person", p.id, "full")
    doc.t(" : ")
    s, form = fmt_phone_hard(rng, p.phone)
    doc.g(s, "phone", p.id, form)
    if rng.random() < 0.5:
        doc.t(" ; celui de l'enfant : ")
        s, form = fmt_phone_hard(rng, case.req.phone)
        doc.g(s, "keep", case.req.id, "keep:phone")
    doc.t(". ")


def initials(p):
    return p.first[0][0] + ". " + p.last[0] + "."


def h_mixed_keep(case, doc, rng):
    """The requester's own name, initials, phone, address and birth date in
    the same sentence as a third party's data: the requester's are kept."""
    r, m = case.req, case.persons[1]
    # (never "M. L.": it reads as Monsieur L.)
    ini_unique = fold(r.first[0])[0] != "m" and sum(1 for q in case.persons if any(fold(f)[0] == fold(r.first[0])[0] for f in q.first)
                     and fold(q.last)[0] == fold(r.last)[0]) == 1
    if ini_unique and rng.random() < 0.4:
        doc.g(initials(r) if rng.random() < 0.5 else initials(r).replace(" ", ""), "keep", r.id, "keep:initials")
    else:
        doc.g(req_full(case, rng, rng.random() < 0.3), "keep", r.id, "keep:full")
    doc.t(" (")
    s, _ = fmt_phone_hard(rng, r.phone)
    doc.g(s, "keep", r.id, "keep:phone")
    doc.t("), domicilié%s " % sex_word(r, "", "e"))
    doc.g(fmt_address(rng, r.addr_parts, True).replace("\n", " "), "keep", r.id, "keep:address")
    doc.t(", né%s le " % sex_word(r, "", "e"))
    doc.g(fmt_date(rng, r.born, True), "keep", r.id, "keep:birthdate")
    k = rng.randint(0, 2)
    if k == 0 and m.address != r.address:
        doc.t(", indique que sa mère habite ")
        doc.g(fmt_address(rng, m.addr_parts, True).replace("\n", " "), "address", m.id, "mixed:address")
    elif k == 1:
        doc.t(", donne le numéro de sa mère : ")
        s, _ = fmt_phone_hard(rng, m.phone)
        doc.g(s, "phone", m.id, "mixed:phone")
    else:
        doc.t(", a été reçu%s avec sa mère, " % sex_word(r, "", "e") + rng.choice(CIV["F"]) + " ")
        doc.g(m.last, "person", m.id, "shared:civ_mother")
    doc.t(". ")
    if rng.random() < 0.5:
        # "Mme Leroy et son fils François": the mother's child of that first name is the requester
        doc.t(rng.choice(CIV["F"]) + " ")
        doc.g(m.last, "person", m.id, "shared:civ_mother")
        doc.t(" et " + sex_word(r, "son fils ", "sa fille "))
        doc.g(r.first[0], "keep", r.id, "keep:first_ctx")
        doc.t(sex_word(r, " sont venus ensemble. ", " sont venues ensemble. "))


HARD_SENTENCES = [h_start, h_one_number, h_compound, h_shared, h_split, h_ocr, h_unreg, h_phone, h_mixed_keep]


# Sentences without any person: capitalised common words at the start of a
# sentence, places, institutions and works named after people; the bracketed
# words are gold "trap" spans (must stay).
TRAPS = {
    "trap:start_word": [
        "[Petit] à petit, l'enfant reprend confiance en l'adulte.",
        "[Rose] des vents : c'est le nom de l'atelier de dessin du foyer.",
        "[Blanc] comme un linge, il est arrivé en retard au rendez-vous.",
        "[Bonnet] et écharpe ont été fournis pour l'hiver.",
        "[Marchand] de sable : c'est ainsi qu'il appelle l'heure du coucher.",
        "[Claire] et précise, sa demande a été entendue.",
        "[Meunier], tu dors : il chante cette comptine le soir.",
        "[Berger] allemand ou labrador, il rêve d'avoir un chien.",
    ],
    "trap:place": [
        "Il a passé l'été au [Blanc], dans l'Indre.",
        "Le foyer se situe à [Saint-Martin-d'Hères].",
        "Son oncle habite à [Fleury-Mérogis].",
        "Une sortie est prévue à [Fontaine-sur-Saône].",
        "La famille a vécu à [Villeurbanne] puis à [Roche-la-Molière].",
        "Ils sont partis en vacances à [Perros-Guirec].",
        "Le séjour de rupture aura lieu à [Lamastre], en [Ardèche].",
    ],
    "trap:institution": [
        "Le collège [Louise Michel] a signalé des absences.",
        "Il a été reçu à l'hôpital [Édouard Herriot].",
        "L'école [Jules Ferry] organise une kermesse.",
        "Le [Centre Léon Bérard] assure le suivi.",
        "L'internat du lycée [Marie Curie] dispose d'une place.",
        "La maison d'enfants [Les Colombes] a proposé un accueil.",
    ],
    "trap:title": [
        "Il a lu [Les Misérables] de [Victor Hugo].",
        "Elle a appris une fable de [La Fontaine].",
        "Ils ont regardé [Blanche-Neige] au foyer.",
        "Il relit [Le Petit Prince] chaque soir.",
    ],
}


def trap_sentence(doc, rng):
    form = rng.choice(sorted(TRAPS))
    text = rng.choice(TRAPS[form])
    while text:
        i = text.find("[")
        if i < 0:
            doc.t(text)
            break
        j = text.index("]", i)
        doc.t(text[:i])
        doc.g(text[i + 1:j], "trap", "", form)
        text = text[j + 1:]
    doc.t(" ")


def common_word_sentences(case, doc, rng):
    """Registered names that are common words, used as words and as names."""
    for p in case.base:
        if p is case.req or not is_common(p.last):
            continue
        w = p.last
        doc.t("Le rapport mentionne le %s détail suivant : " % w.lower())
        doc.t("l'enfant l'a décrit comme %s. " % w.lower())
        doc.t("Selon " + rng.choice(CIV[p.sex]) + " ")
        cands = case.candidates([], w, p.sex)
        doc.g(w, "ambiguous" if case.req in cands else "person", p.id, "common_word:civ")
        doc.t(", rien n'a changé. ")


def make_doc(case, rng, k):
    doc = Doc("doc%d.txt" % k)
    title = rng.choice(["RAPPORT DE SITUATION", "NOTE D'INCIDENT", "Compte rendu de visite", "Synthèse annuelle",
                        "Courrier au juge des enfants"])
    doc.t(title + "\n\n")
    if k == 0:
        doc.t("Enfant : ")
        doc.g(case.req.last.upper() + " " + " ".join(case.req.first), "keep", "p1", "header")
        doc.t("\nNé(e) le ")
        doc.g(fmt_date(rng, case.req.born, case.hard), "keep", "p1", "birthdate")
        doc.t("\nMère : ")
        m = case.persons[1]
        mention(case, doc, m, rng, ["LAST_first", "civ_full"])
        doc.t("\nPère : ")
        f = case.persons[2]
        mention(case, doc, f, rng, ["LAST_first", "civ_full"])
        doc.t("\n\n")
    n = rng.randint(8, 16)
    for i in range(n):
        sentence(case, doc, rng)
        for _ in range(rng.randint(0, 2 * case.narrative)):
            doc.t(rng.choice(NARRATIVE) + " ")
        if rng.random() < 0.2:
            doc.t("\n")
    if case.hard and k == 1:
        common_word_sentences(case, doc, rng)
    doc.t("\n\nL'éducateur référent,\n")
    e = next(p for p in case.persons if p.role == "educator")
    mention(case, doc, e, rng, ["full", "LAST_first", "first_LAST"])
    doc.t("\n")
    return doc


def generate(ncases, seed, hard_share, narrative=0):
    """narrative: mean number of plain narrative sentences added after each
    sentence with mentions (0: the dense annotated corpus)."""
    rng = random.Random(seed)
    out = []
    for i in range(ncases):
        tier = "hard" if rng.random() < hard_share else "standard"
        case = Case(rng, i, tier)
        case.narrative = narrative
        docs = [make_doc(case, rng, k) for k in range(rng.randint(3, 6))]
        out.append({
            "case": "case%05d" % i,
            "tier": tier,
            "requester": case.req.id,
            "persons": [p.register() for p in case.persons],
            "unregistered": [list(u) for u in case.unreg] + [list(u) for u in case.unreg_hard],
            "docs": [{"name": d.name, "text": d.text(), "gold": d.gold} for d in docs],
        })
    return out


def dense_file(seed, total_bytes=64 << 20, distinct_bytes=8 << 20, prefix_bytes=4 << 20):
    """The throughput file: ONE hard-tier case (one register, one session) with
    ONE document of exactly `total_bytes` bytes, made of the case's dense
    generated documents (a name or identifier every ~45 bytes) joined by blank
    lines: `distinct_bytes` of distinct documents, repeated until the size is
    reached (cut at a line end, padded with newlines). Returns (case,
    prefix_case, info): prefix_case holds the first `prefix_bytes` (cut at a
    line end) of the same text with its gold, for the slower packages and
    for scoring both engines on identical text."""
    rng = random.Random(seed)
    case = Case(rng, 0, "hard")
    case.narrative = 0
    parts, gold, n, k = [], [], 0, 0
    while n < distinct_bytes:
        d = make_doc(case, rng, k)
        k += 1
        t = d.text() + "\n\n"
        gold += [[g[0] + n, g[1] + n] + g[2:] for g in d.gold]
        parts.append(t)
        n += len(t.encode("utf-8"))
    distinct = "".join(parts).encode("utf-8")
    reps = total_bytes // len(distinct) + 1
    big = (distinct * reps)[:total_bytes]
    big = big[:big.rfind(b"\n") + 1]
    big += b"\n" * (total_bytes - len(big))
    cut = distinct[:prefix_bytes]
    cut = cut[:cut.rfind(b"\n") + 1]
    pgold = [g for g in gold if g[1] <= len(cut)]
    base = {"case": "dense00000", "tier": "hard", "requester": case.req.id,
            "persons": [p.register() for p in case.persons],
            "unregistered": [list(u) for u in case.unreg] + [list(u) for u in case.unreg_hard]}
    big_case = dict(base, docs=[{"name": "dense-64MiB.txt", "text": big.decode("utf-8"), "gold": []}])
    pre_case = dict(base, docs=[{"name": "dense-prefix.txt", "text": cut.decode("utf-8"), "gold": pgold}])
    redact_gold = sum(1 for g in gold if g[2] not in ("trap",))
    info = {"bytes": len(big), "distinct_bytes": len(distinct), "distinct_docs": k, "repeats": len(big) / len(distinct),
            "gold_spans_distinct": redact_gold, "bytes_per_mention": len(distinct) / max(1, redact_gold),
            "prefix_bytes": len(cut)}
    return big_case, pre_case, info


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--hard-share", type=float, default=0.5)
    ap.add_argument("--narrative", type=int, default=0,
                    help="mean plain narrative sentences after each sentence with mentions")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    if not DICT:
        print("gen_corpus: warning: %s not found; common-word names are not told apart" % DICT_PATH, file=sys.stderr)
    cases = generate(a.cases, a.seed, a.hard_share, a.narrative)
    with open(a.out, "w", encoding="utf-8") as f:
        for c in cases:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
