#!/bin/sh
# Runs one browser test file (default ui.test.mjs). Skips (exit 77) only when the npm
# dependencies are not installed: `npm ci --prefix tests/browser` installs them.
here=$(dirname "$0")
if [ ! -d "$here/node_modules/playwright-core" ]; then
  echo "1..0 # SKIP tests/browser/node_modules is missing: run 'npm ci --prefix tests/browser'"
  exit 77
fi
exec node "$here/${1:-ui.test.mjs}"
