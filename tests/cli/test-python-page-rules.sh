#!/usr/bin/env bash
# A Python page's own rules (issue 15): its validate() returns problems
# (cmdbuilder_plugin.warning/error) and its overrides() Hydra tokens, through
# the typelib's Cmdbuilder.Problem. `cmdbuilder build`, the server's JSON and
# its HTML all show the warning under the field it names and the command
# carries the override; an exception in validate() is an error of the form
# with its message, and the server keeps serving.
set -euo pipefail

. "$(dirname "$0")/python-plugin-test-env.sh"

ws="$tmp/ws"
mkdir -p "$ws/configs" "$ws/runners" "$tmp/plugins/scoring"
touch "$ws/pyproject.toml" "$ws/runners/scoring.py"
cd "$ws"
export CMDBUILDER_PLUGIN_PATH="$tmp/plugins"

cat > "$tmp/plugins/scoring/scoring.plugin" <<'INI'
[Plugin]
Module=scoring
Loader=python3
Name=Scoring
X-Kind=page
X-Title=Scoring
X-Order=50
INI
cat > "$tmp/plugins/scoring/scoring.yaml" <<'YAML'
title: Scoring
constant_overrides: []
ui_elements:
  - key: split
    type: selectbox
    label: Split
    options: [val, test]
    default: test
    hydra_override: eval.split
  - key: seed
    type: number_input
    label: Seed
    default: 7
    hydra_override: eval.seed
YAML
cat > "$tmp/plugins/scoring/scoring.py" <<'PY'
import cmdbuilder_plugin


class ScoringPage(cmdbuilder_plugin.Page):
    def validate(self, context, values):
        if values.get("split") == "test":
            yield cmdbuilder_plugin.warning("split", "Scoring on test: keep it for the final report")
        if values.get("seed") == 13:
            raise ValueError("seed 13 is cursed")

    def overrides(self, context, values):
        return ["+eval.scored_by=scoring-page"]
PY

# 1. The CLI: the warning and the page's override (--json: the same, and the
# form's messages name the field).
out="$("$cmdbuilder" build scoring 2>"$tmp/build.err")" || fail "build scoring failed: $(cat "$tmp/build.err")"
case "$out" in *" eval.split=test"*"+eval.scored_by=scoring-page"*) ;; *) fail "build scoring: $out" ;; esac
grep -q "warning: Scoring on test: keep it for the final report" "$tmp/build.err" \
    || fail "build printed no warning: $(cat "$tmp/build.err")"
"$cmdbuilder" build scoring --json 2>/dev/null > "$tmp/build.json"
python3 - "$tmp/build.json" <<'PY' || fail "build --json"
import json, sys
command = json.load(open(sys.argv[1]))
assert "+eval.scored_by=scoring-page" in command["overrides"], command["overrides"]
assert command["warnings"] == ["Scoring on test: keep it for the final report"], command["warnings"]
assert command["errors"] == [], command["errors"]
PY
out="$("$cmdbuilder" build scoring --set split=val 2>&1)" || fail "build --set split=val: $out"
case "$out" in *"Scoring on test"*) fail "the warning outlived its cause: $out" ;; esac

# 2. An exception in validate() is an error of the form carrying its message.
status=0; out="$("$cmdbuilder" build scoring --set seed=13 2>&1)" || status=$?
[ "$status" != 0 ] || fail "build succeeded although validate() raised"
case "$out" in *"The page's validation failed: ValueError: seed 13 is cursed"*) ;; *) fail "raise: $out" ;; esac

# 3. The server: the JSON has the warning under the field and the override in
# the command; the HTML shows the warning in that field's messages.
start_server
curl -sf "${url}api/pages/scoring" > "$tmp/page.json" || fail "GET /api/pages/scoring"
python3 - "$tmp/page.json" <<'PY' || fail "the server's JSON"
import json, sys
view = json.load(open(sys.argv[1]))
fields = {field["key"]: field for field in view["form"]["fields"]}
warnings = [w if isinstance(w, str) else w.get("message") for w in fields["split"]["warnings"]]
assert "Scoring on test: keep it for the final report" in warnings, fields["split"]
assert not fields["seed"]["warnings"], fields["seed"]
assert "+eval.scored_by=scoring-page" in view["command"]["overrides"], view["command"]
PY
curl -sf "${url}scoring" > "$tmp/page.html" || fail "GET /scoring"
python3 - "$tmp/page.html" <<'PY' || fail "the HTML shows no warning next to the split field"
import re, sys
html = open(sys.argv[1]).read()
match = re.search(r'<div class="messages" id="m-split"[^>]*>(.*?)</div>', html, re.S)
assert match, "no messages block for split"
assert '<p class="warning">Scoring on test: keep it for the final report</p>' in match.group(1), match.group(1)
other = re.search(r'<div class="messages" id="m-seed"[^>]*>(.*?)</div>', html, re.S)
assert other and "Scoring on test" not in other.group(1), "the warning is under seed too"
PY
curl -sf -X POST -H 'Content-Type: application/json' -d '{"changes": {"seed": 13}}' \
    "${url}api/pages/scoring" > "$tmp/raised.json" || fail "POST /api/pages/scoring"
grep -q "seed 13 is cursed" "$tmp/raised.json" || fail "the server's form has no error for the raise"
curl -sf "${url}api/pages" >/dev/null || fail "the server stopped serving"
kill -0 "$server_pid" || fail "the server died"
echo "ok"
