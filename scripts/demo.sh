#!/bin/sh
# The main job on the sample data shipped in tests/data: build, create a demo
# archive, ingest bundles of every kind, search, verify, recover with openssl,
# then start the staff web service on it and print its address and the demo
# logins (Ctrl-C stops it).
#   scripts/demo.sh [DEMO_DIR]   (default build/demo; recreated each run)
#   CV_DEMO_LISTEN=127.0.0.1:8080 (default), CV_DEMO_SERVE=0: no web service
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
printf 'phrase de démonstration du délégué\n' >"$demo/delegue.cred"
printf 'phrase de démonstration de l officier\n' >"$demo/officier.cred"
printf 'phrase de démonstration de l auditrice\n' >"$demo/auditrice.cred"
chmod 600 "$demo"/*.cred
step "$cv" keygen "$CASEVAULT_KEY_FILE"
step "$cv" init --credential-file "$demo/archiviste.cred"
step "$cv" user add directrice --role director --credential-file "$demo/directrice.cred" \
	--admin-credential-file "$demo/archiviste.cred"
for u in delegue:dpo officier:maft auditrice:auditor; do
	step "$cv" user add "${u%%:*}" --role "${u#*:}" --credential-file "$demo/${u%%:*}.cred" \
		--admin-credential-file "$demo/archiviste.cred"
done
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
# An off-site mirror (here a directory), its catalog snapshot sealed under an
# epoch key; the shredded cases' keys leave it at the next rotation; an
# archive restored from it verifies.
step "$cv" mirror add hors-site "$demo/miroir.git"
step "$cv" mirror push
step "$cv" mirror rotate --retention 0
step "$cv" restore --from "$demo/miroir.git" --to "$demo/restauree"
step "$cv" -A "$demo/restauree" verify
# Work waiting in the web service: a request in the DPO's register, a plan
# for the director (as of today: nothing new is due, the plan shows it).
step "$cv" --as delegue request open --type access --last moreau --first lucas --received "$(date +%F)" --channel courrier
step "$cv" sweep plan
printf '\ndemo archive: %s\n' "$CASEVAULT_ARCHIVE"
[ "${CV_DEMO_SERVE:-1}" = 0 ] && exit 0
listen=${CV_DEMO_LISTEN:-127.0.0.1:8080}
cat <<EOF

Web service: http://$listen/   (Ctrl-C stops it)
Demo logins (user / personal credential):
  delegue     / $(cat "$demo/delegue.cred")      DPO: the register of GDPR requests
  officier    / $(cat "$demo/officier.cred")    MAFT officer: find a person, review and make a copy
  directrice  / $(cat "$demo/directrice.cred")  archives director: plans to approve or refuse
  auditrice   / $(cat "$demo/auditrice.cred")   auditor: journal, integrity, anchors
  archiviste  / $(cat "$demo/archiviste.cred")  archivist and admin: cases, uploads, holds
EOF
exec "$cv" serve --listen "$listen"
