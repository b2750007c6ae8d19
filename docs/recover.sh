#!/bin/sh
# Recover one document of a casevault archive with git and openssl alone.
#
#   recover.sh ARCHIVE_DIR CASE_ID DOC_ID KEY_ID KEY_HEX [COMMIT] > document
#
# KEY_ID and KEY_HEX are what `casevault key case CASE_ID` prints (or what an
# auditor recorded from it). COMMIT defaults to the branch head; give an older
# commit (see `git log`) to recover an earlier revision. Each chunk of the
# document is a CMS AuthEnvelopedData object; decrypting the chunks in name
# order and concatenating them gives the document back byte for byte.
# Needs: sh, git, openssl (3.x). Writes nothing but stdout.
set -eu
[ $# -ge 5 ] || { echo "usage: $0 ARCHIVE_DIR CASE_ID DOC_ID KEY_ID KEY_HEX [COMMIT]" >&2; exit 2; }
archive=$1 case_id=$2 doc_id=$3 key_id=$4 key=$5 commit=${6:-refs/heads/main}
git_dir="$archive/git"
shard1=$(printf '%s' "$case_id" | cut -c1-2)
shard2=$(printf '%s' "$case_id" | cut -c3-4)
doc_path="cases/$shard1/$shard2/$case_id/$doc_id"

# One line per chunk: "<mode> blob <oid>\t<name>", sorted by name (000000, 000001, ...).
git --git-dir="$git_dir" ls-tree "$commit" "$doc_path/" | sort -t "$(printf '\t')" -k2 |
while read -r _mode type oid _name; do
	[ "$type" = blob ] || { echo "unexpected $type in $doc_path" >&2; exit 1; }
	git --git-dir="$git_dir" cat-file blob "$oid" |
		openssl cms -decrypt -binary -inform DER -secretkey "$key" -secretkeyid "$key_id"
done
