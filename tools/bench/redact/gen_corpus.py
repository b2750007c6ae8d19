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
Everything outside gold spans must stay (precision).

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


def strip_accents(s):
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")


def fold(s):
    return strip_accents(s).lower()


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
        for p in self.persons:
            if p is not self.req and p.born is None and p.role not in ("educator", "psychologist"):
                p.born = rand_date(rng, 1940, 1995) if p.role != "other" else rand_date(rng, 1975, 2005)
            if p.role in ("child", "mother", "father", "foster_carer", "grandparent", "other"):
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
    doc.g(s, "name", "", "unreg:" + form)
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
    persons = case.persons
    req = case.req
    third = [p for p in persons if p is not req]
    forms = pick_forms(case)
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
            doc.g(last if part == "last" else first, "name", "", "unreg:later")
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


def common_word_sentences(case, doc, rng):
    """Registered names that are common words, used as words and as names."""
    for p in case.persons:
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
            "unregistered": [list(u) for u in case.unreg],
            "docs": [{"name": d.name, "text": d.text(), "gold": d.gold} for d in docs],
        })
    return out


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
