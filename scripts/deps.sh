#!/bin/sh
# Installs the Debian 12 packages casevault needs, only if some are missing.
#   scripts/deps.sh [build|test|bench]   (default: build)
set -eu
level=${1:-build}
build="build-essential cmake pkg-config git openssl python3 libssl-dev libgit2-dev libarchive-dev libsqlite3-dev
  libcmocka-dev libjansson-dev libyaml-dev libgfshare-dev libutf8proc-dev zlib1g-dev libdeflate-dev wfrench
  libseccomp-dev libjpeg-dev liblcms2-dev libpoppler-glib-dev libtesseract-dev libleptonica-dev
  bubblewrap tesseract-ocr-fra tesseract-ocr-osd libreoffice-writer-nogui fonts-dejavu-core libmicrohttpd-dev"
test="clang libclang-rt-14-dev chromium zip unzip sqlite3 time libarchive-tools libgfshare-bin
  poppler-utils qpdf python3-reportlab python3-pil python3-docx wrk xxd lcov openssh-server openssh-client"
# Node for the browser tests (playwright-core drives Debian's chromium):
# Debian's nodejs and npm, unless a node with its npm is already installed.
node=""
command -v npm >/dev/null 2>&1 || node="nodejs npm"
test="$test $node"
bench="git-crypt ocrmypdf restic borgbackup"
case $level in
	build) want=$build ;;
	test) want="$build $test" ;;
	bench) want="$build $test $bench" ;;
	*) echo "usage: $0 [build|test|bench]" >&2; exit 2 ;;
esac
missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
