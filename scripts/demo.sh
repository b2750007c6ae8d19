#!/bin/sh
# The main job on the sample data shipped in tests/data: build, create a demo
# archive, ingest bundles of every kind, search, verify, recover with openssl.
#   scripts/demo.sh [DEMO_DIR]   (default build/demo; recreated each run)
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh build
scripts/build.sh
cv=$PWD/build/stage/bin/casevault
demo=${1:-$PWD/build/demo}
rm -rf "$demo"
mkdir -p "$demo"
export CASEVAULT_ARCHIVE="$demo/archive" CASEVAULT_KEY_FILE="$demo/master.key" CASEVAULT_USER=archiviste
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

# Demo credentials (each user's own passphrase, first line of a file):
# personal keys that sign decisions, which the master key cannot forge.
printf 'phrase de démonstration de l archiviste\n' >"$demo/archiviste.cred"
printf 'phrase de démonstration de la directrice\n' >"$demo/directrice.cred"
chmod 600 "$demo"/*.cred
step "$cv" keygen "$CASEVAULT_KEY_FILE"
step "$cv" init --credential-file "$demo/archiviste.cred"
step "$cv" user add directrice --role director --credential-file "$demo/directrice.cred" \
	--admin-credential-file "$demo/archiviste.cred"
step "$cv" plugin list
# one bundle as a directory, one as .tar.gz, one as .zip
(cd tests/data/bundles/petit && tar czf "$demo/petit.tar.gz" case.json docs)
(cd tests/data/bundles/moreau && python3 -c "import zipfile,os; z=zipfile.ZipFile('$demo/moreau.zip','w'); [z.write(os.path.join(r,f)) for r,_,fs in os.walk('.') for f in fs]")
step "$cv" ingest tests/data/bundles/leroy "$demo/petit.tar.gz" "$demo/moreau.zip"
step "$cv" case list
id=$("$cv" --json find --last LEROY --first francois | python3 -c 'import json,sys; print(json.load(sys.stdin)[0])')
step "$cv" find --last leroy --first "FRANÇOIS"
step "$cv" case show "$id"
step "$cv" doc cat "$id" d1
step "$cv" doc log "$id" d1
step "$cv" export "$id" --for p1 --out "$demo/copie-francois.zip"
# PDFs, scans and office files: read in a sandbox (OCR for the scan), rebuilt
# from their pixels with opaque boxes over the third parties
step "$cv" ingest tests/data/bundles/moreau-scans
lid=$("$cv" --json find --last moreau --first lucas | python3 -c 'import json,sys; print(json.load(sys.stdin)[0])')
step "$cv" export "$lid" --for p1 --out "$demo/copie-lucas.zip"
step python3 -m zipfile -l "$demo/copie-lucas.zip"
key=$("$cv" --json key case "$id")
kid=$(printf '%s' "$key" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key_id"])')
khex=$(printf '%s' "$key" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
printf '\n\033[1m$ docs/recover.sh (git + openssl only)\033[0m\n'
sh docs/recover.sh "$CASEVAULT_ARCHIVE" "$id" d1 "$kid" "$khex" | head -5
step git --git-dir="$CASEVAULT_ARCHIVE/git" fsck --strict
# Retention: a plan as of today, approved by the director with her own key
# (signed over the plan's body), then run; anchors kept outside the archive.
plan=$("$cv" --json sweep plan | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
step "$cv" sweep plan
step "$cv" --as directrice sweep approve "$plan" --credential-file "$demo/directrice.cred"
step "$cv" sweep run "$plan"
step "$cv" journal anchor --out "$demo/ancres.txt"
step "$cv" verify --anchor "$demo/ancres.txt"
step "$cv" journal verify --anchor "$demo/ancres.txt"
printf '\ndemo archive: %s\n' "$CASEVAULT_ARCHIVE"
