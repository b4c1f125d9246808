#!/usr/bin/env bash
# Installs the build into a temporary DESTDIR, builds a tiny page plugin out
# of tree against the installed headers with pkg-config alone, and loads it
# with the installed cmdbuilder.
set -euo pipefail

build="${CMDB_TEST_BUILD_ROOT:?run with meson test}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

meson install -C "$build" --destdir "$tmp/dest" --no-rebuild --quiet >/dev/null

option() { meson introspect "$build" --buildoptions | python3 -c '
import json, sys
print([o["value"] for o in json.load(sys.stdin) if o["name"] == sys.argv[1]][0])' "$1"; }
prefix="$(option prefix)"
libdir="$(option libdir)"
root="$tmp/dest$prefix"
[ -f "$root/$libdir/pkgconfig/cmdbuilder-1.pc" ] || { echo "cmdbuilder-1.pc not installed" >&2; exit 1; }
[ -f "$root/include/cmdbuilder-1/cmdbuilder/cmdbuilder.h" ] || { echo "headers not installed" >&2; exit 1; }
# cmdbuilder(1) and the shell completion scripts, where man and the shells look.
mandir="$(option mandir)"
datadir="$(option datadir)"
for file in "$mandir/man1/cmdbuilder.1" "$datadir/bash-completion/completions/cmdbuilder" \
    "$datadir/zsh/site-functions/_cmdbuilder" "$datadir/fish/vendor_completions.d/cmdbuilder.fish"; do
    [ -f "$root/$file" ] || { echo "$file not installed" >&2; exit 1; }
done

export PKG_CONFIG_PATH="$root/$libdir/pkgconfig"
pc() { pkg-config "$@" cmdbuilder-1; }

mkdir -p "$tmp/plugins/hello" "$tmp/schemas" "$tmp/ws"
touch "$tmp/ws/pyproject.toml"
cat > "$tmp/plugins/hello/hello.plugin" <<'PLUGIN'
[Plugin]
Module=hello
Name=Hello
X-Kind=page
X-Title=Hello
X-Order=50
PLUGIN
cat > "$tmp/schemas/hello.yaml" <<'SCHEMA'
title: Hello
constant_overrides: []
ui_elements:
  - key: greeting
    type: text_input
    default: hi
    hydra_override: greeting
SCHEMA
cat > "$tmp/hello.c" <<'C'
#include <cmdbuilder/cmdbuilder.h>
#include <libpeas/peas.h>

#define HELLO_TYPE_PAGE (hello_page_get_type ())
G_DECLARE_FINAL_TYPE (HelloPage, hello_page, HELLO, PAGE, GObject)
struct _HelloPage { GObject parent_instance; };
static void hello_page_iface_init (CmdbPageInterface *iface) { (void) iface; }
G_DEFINE_DYNAMIC_TYPE_EXTENDED (HelloPage, hello_page, G_TYPE_OBJECT, G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (CMDB_TYPE_PAGE, hello_page_iface_init))
static void hello_page_class_init (HelloPageClass *klass) { (void) klass; }
static void hello_page_class_finalize (HelloPageClass *klass) { (void) klass; }
static void hello_page_init (HelloPage *self) { (void) self; }

G_MODULE_EXPORT void peas_register_types (PeasObjectModule *module);
G_MODULE_EXPORT void
peas_register_types (PeasObjectModule *module)
{
  hello_page_register_type (G_TYPE_MODULE (module));
  peas_object_module_register_extension_type (module, CMDB_TYPE_PAGE, HELLO_TYPE_PAGE);
}
C
# shellcheck disable=SC2046
cc -std=gnu11 -Wall -Werror -shared -fPIC -fvisibility=hidden -Wl,-z,defs \
  -o "$tmp/plugins/hello/libhello.so" \
  "$tmp/hello.c" $(pc --cflags --libs)

out="$(LD_LIBRARY_PATH="$root/$libdir" CMDBUILDER_PLUGIN_PATH="$tmp/plugins" \
       XDG_CONFIG_HOME="$tmp/xdg" XDG_CONFIG_DIRS="$tmp/xdg-sys" \
       "$root/bin/cmdbuilder" plugins --json --activate hello \
       --workspace "$tmp/ws" --schemas "$tmp/schemas")"
echo "$out"
python3 - "$out" <<'PY'
import json, sys
plugins = {p["id"]: p for p in json.loads(sys.argv[1])}
hello = plugins.get("hello")
assert hello is not None, "the out-of-tree plugin was not discovered"
assert hello["kind"] == "page" and hello["enabled"] and hello["loaded"], hello
assert isinstance(hello["load_ms"], (int, float)) and hello["load_ms"] >= 0, hello
assert hello["state"] == "activated", hello
print("out-of-tree plugin loaded in %.3f ms" % hello["load_ms"])
PY
