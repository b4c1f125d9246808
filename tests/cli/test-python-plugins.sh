#!/usr/bin/env bash
# Python plugins and `cmdbuilder new-plugin`, end to end (issue 15's
# acceptance): a generated Python registry lists configs/model/necks/ and a
# workspace fragment puts it into Train; an exception is the field's error;
# check names a syntax error and a missing module; `plugins` imports nothing;
# in `serve`, libpython is mapped only once the Python source is listed.
set -euo pipefail

. "$(dirname "$0")/python-plugin-test-env.sh"

ws="$tmp/ws"
mkdir -p "$ws/configs/model/necks" "$ws/schemas/train.d" "$ws/runners"
touch "$ws/pyproject.toml" "$ws/configs/model/necks/a.yaml" "$ws/configs/model/necks/b.yaml" \
    "$ws/runners/train.py"
printf '[workspace]\nschemas=schemas\n' > "$ws/cmdbuilder.ini"
cd "$ws"

# 1. The generator writes a plugin that works unchanged.
"$cmdbuilder" new-plugin registry necks --lang python --dir "$tmp/plugins" >/dev/null
export CMDBUILDER_PLUGIN_PATH="$tmp/plugins"
options="$("$cmdbuilder" options models.necks 2>/dev/null)"
names="$(printf '%s\n' "$options" | awk '{print $1}' | tr '\n' ' ')"
[ "$names" = "a b " ] || fail "options models.necks listed '$names', not 'a b'"

cat > "$ws/schemas/train.d/neck.yaml" <<'YAML'
ui_elements:
  - key: neck
    type: selectbox
    label: Neck
    options_source: models.necks
    hydra_override: +model/necks
YAML
command="$("$cmdbuilder" build train --set neck=b 2>/dev/null)"
case "$command" in *" +model/necks=b"*) ;; *) fail "build train: $command" ;; esac

# 2. Listing plugins imports none: libpython is not even mapped.
if LD_DEBUG=libs "$cmdbuilder" plugins 2>&1 >/dev/null | grep -q 'libpython3'; then
    fail "cmdbuilder plugins loaded libpython"
fi

# 3. The server maps libpython only when the Python source is first listed.
rm "$ws/schemas/train.d/neck.yaml"
start_server
curl -sf "${url}api/pages/train" >/dev/null || fail "GET /api/pages/train"
if grep -q libpython3 "/proc/$server_pid/maps"; then fail "libpython mapped after opening Train"; fi
curl -sf "${url}api/options/models.necks" | grep -q '"b"' || fail "GET /api/options/models.necks"
grep -q libpython3 "/proc/$server_pid/maps" || fail "libpython not mapped after listing necks"

# 4. A registry that raises: the field's error carries the message, and the
# server keeps serving.
cat > "$tmp/plugins/necks/necks.py" <<'PY'
import cmdbuilder_plugin


class NecksRegistry(cmdbuilder_plugin.Registry):
    def list(self, context, source_id):
        raise KeyError("no neck today")
PY
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
cat > "$ws/schemas/train.d/neck.yaml" <<'YAML'
ui_elements:
  - key: neck
    type: selectbox
    options_source: models.necks
    hydra_override: +model/necks
YAML
status=0; out="$("$cmdbuilder" build train --set neck=b 2>&1)" || status=$?
[ "$status" != 0 ] || fail "build succeeded with a raising registry"
case "$out" in *"[neck] KeyError: 'no neck today'"*) ;; *) fail "no field error: $out" ;; esac

start_server
curl -s "${url}api/pages/train" > "$tmp/train.json"
grep -q "no neck today" "$tmp/train.json" || fail "the page shows no field error"
# The form is invalid in the web UI exactly as `build` refuses it.
python3 - "$tmp/train.json" <<'PY' || fail "the web UI's command is valid with a broken source"
import json, sys
view = json.load(open(sys.argv[1]))
errors = view["command"]["errors"]
assert any("no neck today" in error for error in errors), errors
PY
curl -sf "${url}api/pages" >/dev/null || fail "the server stopped serving"
kill -0 "$server_pid" || fail "the server died"

# 5. Without the helper base an exception gives NULL and no GError: the host
# makes that an error too.
cat > "$tmp/plugins/necks/necks.py" <<'PY'
from gi.repository import GObject, Cmdbuilder


class NecksRegistry(GObject.Object, Cmdbuilder.OptionSource):
    def do_list_options(self, context, source_id):
        raise RuntimeError("raw failure")
PY
status=0; out="$("$cmdbuilder" options models.necks 2>&1)" || status=$?
[ "$status" != 0 ] || fail "options succeeded with a raising raw registry"
case "$out" in *"returned no list and no error"*) ;; *) fail "raw exception: $out" ;; esac

# 6. check imports Python plugins: a syntax error and a missing module are
# reported with the traceback's last line.
mkdir -p "$tmp/bad/broken" "$tmp/bad/nodep"
for id in broken nodep; do
    printf '[Plugin]\nModule=%s\nLoader=python3\nName=%s\nX-Kind=registry\nX-Sources=models.%s\n' \
        "$id" "$id" "$id" > "$tmp/bad/$id/$id.plugin"
done
printf 'def oops(:\n    pass\n' > "$tmp/bad/broken/broken.py"
printf 'import a_module_nobody_has\n' > "$tmp/bad/nodep/nodep.py"
status=0; out="$(CMDBUILDER_PLUGIN_PATH="$tmp/bad" "$cmdbuilder" check 2>&1)" || status=$?
[ "$status" != 0 ] || fail "check passed with broken Python plugins"
printf '%s\n' "$out" | grep -q "plugin 'broken' failed to import: SyntaxError: invalid syntax ($tmp/bad/broken/broken.py:1)" \
    || fail "check: no syntax error line: $out"
printf '%s\n' "$out" | grep -q "plugin 'nodep' failed to import: ModuleNotFoundError: No module named 'a_module_nobody_has'" \
    || fail "check: no missing-module line: $out"
echo "ok"
