#!/bin/bash
# Renders the built cmdbuilder(1) with man(1), failing on any warning of
# groff or man, and checks the sections made from the --help sources are
# there. Skips (77) without man. Usage: test-man-page.sh BUILT_PAGE
set -euo pipefail

page=$1
if ! command -v man >/dev/null || ! command -v groff >/dev/null; then
    echo "man or groff is not installed: skipped"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# man's own run, with every groff warning on; then groff directly, which
# reports every warning category reliably (man passes only some through).
MANWIDTH=80 man -l --warnings=w "$page" >"$tmp/out" 2>"$tmp/err"
groff -man -ww -z "$page" 2>>"$tmp/err"
if [[ -s $tmp/err ]]; then
    echo "man reported warnings:" >&2
    cat "$tmp/err" >&2
    exit 1
fi
for want in NAME SYNOPSIS COMMANDS "COMMON OPTIONS" "EXIT STATUS" ENVIRONMENT EXAMPLES \
    "--set=KEY=VALUE" "--workspace=DIR" "cmdbuilder logs last --follow" "NO_COLOR"; do
    grep -q -- "$want" "$tmp/out" || { echo "the man page lacks: $want" >&2; exit 1; }
done
# Every visible subcommand has its section.
for command in $("${CMDB_TEST_CMDBUILDER:?}" __complete ""); do
    [[ $command == --* ]] && continue
    grep -q "^   $command\$" "$tmp/out" || { echo "no section for $command" >&2; exit 1; }
done
echo "man page: ok"
