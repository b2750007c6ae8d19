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

step "$cv" keygen "$CASEVAULT_KEY_FILE"
step "$cv" init
step "$cv" user add directrice --role director
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
if "$cv" sweep --help >/dev/null 2>&1; then
	step "$cv" sweep plan --as-of 2026-11-23
fi
if "$cv" export --help >/dev/null 2>&1; then
	step "$cv" export "$id" --for p1 --out "$demo/copie-francois.zip"
fi
step "$cv" verify
step "$cv" journal verify
step "$cv" journal anchor
key=$("$cv" --json key case "$id")
kid=$(printf '%s' "$key" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key_id"])')
khex=$(printf '%s' "$key" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
printf '\n\033[1m$ docs/recover.sh (git + openssl only)\033[0m\n'
sh docs/recover.sh "$CASEVAULT_ARCHIVE" "$id" d1 "$kid" "$khex" | head -5
step git --git-dir="$CASEVAULT_ARCHIVE/git" fsck --strict
printf '\ndemo archive: %s\n' "$CASEVAULT_ARCHIVE"
