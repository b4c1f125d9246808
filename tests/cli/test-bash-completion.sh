#!/bin/bash
# Drives bash's real completion: sources the built cmdbuilder.bash, sets
# COMP_WORDS/COMP_CWORD as bash does for a line being completed (bash
# splits at "=": "encoder=" is three words), calls the function and reads
# COMPREPLY. Usage: test-bash-completion.sh BUILT_SCRIPT
set -euo pipefail

script=$1
exe=${CMDB_TEST_CMDBUILDER:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "${CMDB_TEST_SOURCE_ROOT:?}/examples/ocr-workspace" "$tmp/ws"
export HOME=$tmp XDG_CONFIG_HOME=$tmp/config XDG_STATE_HOME=$tmp/state XDG_CACHE_HOME=$tmp/cache
cd "$tmp/ws"

# complete LINE...: prints COMPREPLY, one per line.
complete_words() {
    bash --norc --noprofile -c '
        source "$1"; shift
        COMP_WORDS=("$@")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE="${COMP_WORDS[*]}"
        COMP_POINT=${#COMP_LINE}
        _cmdbuilder
        printf "%s\n" "${COMPREPLY[@]}"
    ' complete-test "$script" "$@"
}

fail() { echo "FAIL: $*" >&2; exit 1; }

got=$(complete_words "$exe" build train --set enc)
[[ $got == "encoder=" ]] || fail "--set enc<TAB> gave: $got"

got=$(complete_words "$exe" build train --set encoder = "")
grep -qx resnet18 <<<"$got" || fail "--set encoder=<TAB> lacks resnet18: $got"
grep -qx resnet34 <<<"$got" || fail "--set encoder=<TAB> lacks resnet34: $got"

got=$(complete_words "$exe" build train --set encoder = res)
grep -qx resnet50 <<<"$got" || fail "--set encoder=res<TAB> lacks resnet50: $got"
! grep -q = <<<"$got" || fail "values keep the key: $got"

got=$(complete_words "$exe" bu)
[[ $got == build ]] || fail "bu<TAB> gave: $got"

got=$(complete_words "$exe" build tr)
[[ $got == train ]] || fail "build tr<TAB> gave: $got"

# The script registers itself for the command.
bash --norc --noprofile -c 'source "$1"; complete -p cmdbuilder' x "$script" | grep -q _cmdbuilder \
    || fail "complete -p cmdbuilder does not name _cmdbuilder"
echo "bash completion: ok"
