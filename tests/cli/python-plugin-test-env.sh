# Sourced by the Python plugin tests (test-python-plugins.sh,
# test-python-page-rules.sh): what they need from meson test, the skips,
# the sanitizer settings for the embedded interpreter, a temporary
# directory removed at exit, fail(), and start_server.

cmdbuilder="${CMDB_TEST_CMDBUILDER:?run with meson test}"
build="${CMDB_TEST_BUILD_ROOT:?run with meson test}"
source_root="${CMDB_TEST_SOURCE_ROOT:?run with meson test}"
[ -f "$build/core/Cmdbuilder-1.typelib" ] || { echo "no typelib (introspection off): skip"; exit 77; }
/usr/bin/python3 -c 'import gi' 2>/dev/null || { echo "python3-gi missing: skip"; exit 77; }
command -v curl >/dev/null || { echo "curl missing: skip"; exit 77; }

# Under AddressSanitizer the interpreter's own exit-time leaks are not ours
# (tests/lsan-libpython.supp; full stacks so the suppressions match).
export LSAN_OPTIONS="suppressions=$source_root/tests/lsan-libpython.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS="fast_unwind_on_malloc=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"

tmp="$(mktemp -d)"
server_pid=
cleanup() { [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Starts `cmdbuilder serve` on a free port in the current directory; sets
# server_pid and url (with its trailing /).
# Each server writes to a file of its own: the shell truncates a reused one
# only once the child runs, so a quick look could read the previous
# server's URL (a connection refused at random).
start_server() {
    local out
    out="$(mktemp "$tmp/serve.XXXXXX")"
    "$cmdbuilder" serve -p 0 --no-token > "$out" 2>&1 &
    server_pid=$!
    for _ in $(seq 100); do grep -q '^http://' "$out" && break; sleep 0.1; done
    url="$(grep -m1 '^http://' "$out")" || fail "serve printed no URL"
}
