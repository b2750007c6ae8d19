#!/bin/sh
# Open a catalog snapshot of a casevault mirror with git and openssl alone.
#
#   recover-snapshot.sh MIRROR MASTER_KEY_FILE [SEQ] > catalog.db
#
# MIRROR is the mirror's bare git repository (a path); MASTER_KEY_FILE the
# archive's 32-byte master key file; SEQ the snapshot number (default: the
# newest in the mirror's manifest). The epoch key that sealed the snapshot is
# unwrapped (RFC 3394) under HKDF-SHA-256(master key, salt = archive id,
# info = "casevault/v1 mirror-epoch-wrap"); the snapshot is a CMS
# AuthEnvelopedData whose KEK identifier is the epoch id; its content is the
# catalog (an SQLite database) gzip-compressed. An epoch whose key was
# destroyed is no longer in the keyring: its snapshots cannot be opened.
# Needs: sh, git, openssl (3.x), xxd, gunzip, python3 (JSON only).
# Writes nothing but stdout.
set -eu
m=$1 keyfile=$2 seq=${3:-}
show() { git --git-dir="$m" show "refs/casevault/mirror:$1"; }
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
id=$(show archive.json | field 'd["id"]')
[ -n "$seq" ] || seq=$(show manifest.json | field 'max(s["seq"] for s in d["snapshots"])')
file=$(printf 'snapshots/%012d.cms' "$seq")
epoch=$(show manifest.json | field "[s['epoch'] for s in d['snapshots'] if s['seq'] == $seq][0]")
wrapped=$(show keyring.json | field "[e['wrapped'] for e in d['epochs'] if e['id'] == '$epoch'][0]")
kek=$(openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt hexkey:"$(xxd -p -c 64 "$keyfile")" \
	-kdfopt salt:"$id" -kdfopt info:"casevault/v1 mirror-epoch-wrap" HKDF | tr -d ':')
ekey=$(printf '%s' "$wrapped" | xxd -r -p |
	openssl enc -d -id-aes256-wrap -K "$kek" -iv A6A6A6A6A6A6A6A6 -nopad | xxd -p -c 64)
show "$file" | openssl cms -decrypt -binary -inform DER -secretkey "$ekey" -secretkeyid "$epoch" | gunzip
