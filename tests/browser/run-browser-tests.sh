#!/bin/sh
# Runs one browser test file (default ui.test.mjs). Skips only when the npm
# dependencies are not installed: `npm ci --prefix tests/browser` installs them.
# The test speaks TAP (tests/browser/meson.build), and under TAP meson reads the
# skip from the plan line "1..0 # SKIP": the exit status must then be 0 (77 is
# a skip only for tests without a protocol; under TAP it counts as an error).
here=$(dirname "$0")
if [ ! -d "$here/node_modules/playwright-core" ]; then
  echo "1..0 # SKIP tests/browser/node_modules is missing: run 'npm ci --prefix tests/browser'"
  exit 0
fi
exec node "$here/${1:-ui.test.mjs}"
