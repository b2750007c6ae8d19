#!/usr/bin/env python3
"""Generate (once) an archive of N cases for the `casevault serve` load
benchmark, and cache it.

  tools/bench/service/gen_archive.py --bin build/bin/casevault [--cases 10000] [--out DIR] [--force]

Bundles are written programmatically (the format of ../shared/spec/bundle.md:
case.json + one or two small French text documents, varied names with
accents, several categories, open and closed cases) and ingested
--batch bundles per `casevault ingest` call. Then a few hundred GDPR requests
are opened (so the DPO register is not empty) and the users the benchmark
logs in as are added: dpo, maft, auditeur (credential in OUT/cred).

The result is OUT/archive, OUT/master.key, OUT/cred and OUT/meta.json (with
the generation time). A rerun with the same --cases finds meta.json and
skips everything (--force regenerates). Prints meta.json."""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
CRED = "phrase de banc d'essai du service"
ADMIN = "archiviste"
FORMAT = 1  # bump when the generated content changes

LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon",
        "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel",
        "Girard", "André", "Lefebvre", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Légaré",
        "Hébert", "Chévrier", "Noël", "Bégué", "Côté", "Gaël", "Mühlberger", "Ñúñez", "Besançon"]
FIRST_M = ["Jean-Pierre", "François", "Loïc", "Jérôme", "Mathéo", "Noé", "Raphaël", "Gaëtan", "Hugo", "Léo", "Lucas",
           "Théo", "Maël", "Éric", "Timothée"]
FIRST_F = ["Léa", "Chloé", "Zoé", "Maëlys", "Anaïs", "Élodie", "Inès", "Héloïse", "Océane", "Jade", "Emma", "Camille",
           "Clémence", "Noémie", "Agnès"]
CATEGORIES = ["placement", "aide_educative", "prevention", "information_preoccupante", "jeune_majeur"]
TEXT = ("Rapport de situation. {child} est accueilli{e} au service depuis {year}. Sa mère, Mme {mother}, "
        "se présente régulièrement aux visites médiatisées ; elle peut être jointe au 06 {p1:02d} {p2:02d} {p3:02d} {p4:02d}. "
        "La référente ASE, Mme {ref}, propose le renouvellement de la mesure.\n")


def bundle(d, i, rnd):
    year = 2000 + i % 24
    sex = rnd.choice("MF")
    last = rnd.choice(LAST)
    first = rnd.choice(FIRST_M if sex == "M" else FIRST_F)
    mother_last = rnd.choice(LAST)
    cat = CATEGORIES[i % len(CATEGORIES)]
    opened = f"{year}-{1 + i % 12:02d}-{1 + i % 28:02d}"
    closed = None if i % 4 == 0 else f"{min(year + 1 + i % 5, 2025)}-{1 + (i * 7) % 12:02d}-{1 + (i * 3) % 28:02d}"
    persons = [
        {"id": "p1", "role": "child", "last": last, "first": [first], "born": f"{year - 8 + i % 6}-{1 + i % 12:02d}-{1 + i % 28:02d}",
         "sex": sex},
        {"id": "p2", "role": "mother", "last": mother_last, "first": [rnd.choice(FIRST_F)], "born": f"{year - 30}-05-06",
         "sex": "F", "phone": f"06 {i % 100:02d} {i // 100 % 100:02d} 12 34"},
        {"id": "p3", "role": "professional", "last": rnd.choice(LAST), "first": [rnd.choice(FIRST_F)],
         "function": "référente ASE", "sex": "F"},
    ]
    docs = [("docs/rapport.txt", "Rapport de situation", "report")]
    if i % 3 == 0:
        docs.append(("docs/note.txt", "Note d'information", "note"))
    m = {"bundle_version": 1,
         "case": {"ref": f"ASE-31-{year}-{i:05d}", "category": cat, "opened": opened, "closed": closed, "territory": "31"},
         "persons": persons,
         "measures": [{"type": "placement" if cat == "placement" else "AED", "basis": "judicial", "start": opened,
                       **({"end": closed} if closed else {})}],
         "documents": [{"path": p, "title": t, "date": opened, "type": ty, "concerns": ["p1", "p2"]} for p, t, ty in docs],
         "sealed": None}
    os.makedirs(os.path.join(d, "docs"))
    with open(os.path.join(d, "case.json"), "w", encoding="utf-8") as f:
        json.dump(m, f, ensure_ascii=False)
    for p, _, _ in docs:
        with open(os.path.join(d, p), "w", encoding="utf-8") as f:
            f.write(TEXT.format(child=f"{first} {last}", e="e" if sex == "F" else "", year=year,
                                mother=f"{persons[1]['first'][0]} {mother_last}", ref=persons[2]["last"],
                                p1=i % 100, p2=i // 100 % 100, p3=12, p4=34) * (1 + i % 4))


def cv(args, env, check=True):
    p = subprocess.run(args, env=env, capture_output=True)
    if check and p.returncode != 0:
        sys.exit(f"{' '.join(args[:4])}... failed ({p.returncode}): {p.stderr.decode(errors='replace')[-800:]}")
    return p


def generate(binary, out, n, batch, requests, seed=7):
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    archive, key, credf = (os.path.join(out, x) for x in ("archive", "master.key", "cred"))
    with open(credf, "w") as f:
        f.write(CRED + "\n")
    os.chmod(credf, 0o600)
    env = dict(os.environ, CASEVAULT_ARCHIVE=archive, CASEVAULT_KEY_FILE=key, CASEVAULT_USER=ADMIN)
    env.pop("CASEVAULT_PASSPHRASE_FILE", None)
    t0 = time.perf_counter()
    cv([binary, "keygen", key], env)
    cv([binary, "init"], env)
    for u, role in (("dpo", "dpo"), ("maft", "maft"), ("auditeur", "auditor"), ("archiv", "archivist")):
        cv([binary, "user", "add", u, "--role", role, "--credential-file", credf], env)
    rnd = random.Random(seed)
    tmp = tempfile.mkdtemp(prefix="cv-bench-bundles-")
    t_write = t_ingest = 0.0
    try:
        for start in range(0, n, batch):
            tw = time.perf_counter()
            dirs = []
            for i in range(start, min(n, start + batch)):
                d = os.path.join(tmp, f"b{i:06d}")
                bundle(d, i, rnd)
                dirs.append(d)
            ti = time.perf_counter()
            t_write += ti - tw
            cv([binary, "ingest", *dirs], env)
            t_ingest += time.perf_counter() - ti
            for d in dirs:
                shutil.rmtree(d)
            print(f"  {min(n, start + batch)}/{n} cases, {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(tmp, True)
    tr = time.perf_counter()
    cases = json.loads(cv([binary, "--json", "case", "list"], env).stdout)
    ids = [c["id"] for c in cases]
    types = ["access", "rectification", "erasure", "restriction", "objection"]
    for k in range(min(requests, len(ids))):
        day = 1 + k % 28
        month = 1 + k % 11
        cv([binary, "--as", "dpo", "--json", "request", "open", "--type", types[k % len(types)] if k % 7 else "access",
            "--subject", "p1", "--case", ids[(k * 37) % len(ids)], "--received", f"2026-{month:02d}-{day:02d}",
            "--channel", "courrier"], env)
    t_req = time.perf_counter() - tr
    total = time.perf_counter() - t0
    size = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(archive) for f in fs)
    meta = {"format": FORMAT, "cases": len(cases), "requested_cases": n, "requests": min(requests, len(ids)),
            "batch": batch, "seconds_total": round(total, 1), "seconds_write_bundles": round(t_write, 1),
            "seconds_ingest": round(t_ingest, 1), "seconds_requests": round(t_req, 1),
            "archive_bytes": size, "archive": archive, "key": key, "cred": credf, "admin": ADMIN,
            "users": {"dpo": "dpo", "maft": "maft", "auditor": "auditeur", "archivist": "archiv"},
            "binary": os.path.abspath(binary), "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
    return meta


def default_out(binary, n):
    """<build>/bench-service/<n>, next to the binary's build tree (<build>/bin/casevault)."""
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(binary))), "bench-service", str(n))


def ensure(binary, out, n, batch=500, requests=200, force=False):
    """The cached archive's meta, generating it when missing or stale."""
    mp = os.path.join(out, "meta.json")
    if not force and os.path.exists(mp):
        meta = json.load(open(mp))
        if meta.get("format") == FORMAT and meta.get("requested_cases") == n and os.path.isdir(meta["archive"]):
            env = dict(os.environ, CASEVAULT_ARCHIVE=meta["archive"], CASEVAULT_KEY_FILE=meta["key"], CASEVAULT_USER=ADMIN)
            if subprocess.run([binary, "--json", "user", "list"], env=env, capture_output=True).returncode == 0:
                meta["cached"] = True
                return meta
    meta = generate(binary, out, n, batch, requests)
    meta["cached"] = False
    return meta


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(SRC, "build", "bin", "casevault"))
    ap.add_argument("--out", default=None, help="default: <build dir of --bin>/bench-service/<cases>")
    ap.add_argument("--cases", type=int, default=10000)
    ap.add_argument("--batch", type=int, default=500, help="bundles per ingest call")
    ap.add_argument("--requests", type=int, default=200, help="GDPR requests opened in the register")
    ap.add_argument("--force", action="store_true")
    a = ap.parse_args()
    out = a.out or default_out(a.bin, a.cases)
    print(json.dumps(ensure(a.bin, out, a.cases, a.batch, a.requests, a.force), indent=2))


if __name__ == "__main__":
    main()
