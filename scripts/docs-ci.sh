#!/usr/bin/env bash
# CI step for the documentation site (called from .ci/run): build it (pnpm docs:build), then test the built site in
# Debian's headless Chromium (apps/docs/scripts/browser-test.ts), and the demo's live dashboard in the same browser
# against the real demo process (apps/demo/scripts/browser-test.ts). Screenshots land in .tmp/docs-browser/ and
# .tmp/demo-browser/.
# Prints the time each part took.
set -euo pipefail
cd "$(dirname "$0")/.."
PNPM="npx -y pnpm@10.34.8"
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  echo "docs: no Chromium at $CHROMIUM; the browser test needs Debian's package: apt-get install -y chromium" >&2
  exit 1
fi
t0=$SECONDS
$PNPM docs:build
t1=$SECONDS
$PNPM --filter @org/docs browser-test
t2=$SECONDS
$PNPM --filter @org/demo browser-test
t3=$SECONDS
echo "docs: build $((t1 - t0)) s, browser test $((t2 - t1)) s; demo dashboard browser test $((t3 - t2)) s"
