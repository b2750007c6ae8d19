#!/bin/sh
# Browser tests of `casevault serve`: tests/web/run.sh BIN [run.mjs options]
# Installs playwright-core (npm ci) when node_modules is missing, then runs
# run.mjs, which makes a scratch archive, starts the service, drives the
# system's Chromium (/usr/bin/chromium, or $CHROMIUM) and stops the service.
# Screenshots: <build>/web-artefacts/*.png (or $CV_WEB_ARTEFACTS).
# Exit status 77 (skipped) when node or chromium is missing.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: tests/web/run.sh BIN [--only NAME] [--artefacts DIR]}
shift
chromium=${CHROMIUM:-/usr/bin/chromium}
if ! command -v node >/dev/null 2>&1; then echo "skipped: node not found"; exit 77; fi
if [ ! -x "$chromium" ]; then echo "skipped: no chromium at $chromium"; exit 77; fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
	command -v npm >/dev/null 2>&1 || { echo "skipped: npm not found (needed once for npm ci)"; exit 77; }
	(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
exec node "$here/run.mjs" --bin "$bin" --chromium "$chromium" "$@"
