#!/usr/bin/env python3
"""The library's exports against its installed headers.

libcmdbuilder-1.so is built with hidden visibility: it may export exactly
the functions (and GType getters) that the headers `meson install` installs
declare, each marked CMDB_AVAILABLE_IN_ALL, plus `_cmdb_`-prefixed private
symbols that only the cmdbuilder executable and the tests use (declared in
uninstalled *-private.h headers). The installed headers declare nothing of
the host's, server's or CLI's internals and lay out no struct with private
members, and the executable holds no second copy of anything the library
defines (one copy of every GType).
"""
import os
import re
import shutil
import subprocess
import sys

source_root = os.environ["CMDB_TEST_SOURCE_ROOT"]
build_root = os.environ["CMDB_TEST_BUILD_ROOT"]
library = os.path.join(build_root, "core", "libcmdbuilder-1.so")
executable = os.environ["CMDB_TEST_CMDBUILDER"]
include_dir = os.path.join(source_root, "include", "cmdbuilder")

nm = shutil.which("nm")
if nm is None:
    print("1..0 # SKIP nm (binutils) is not installed")
    sys.exit(0)


def installed_headers():
    """The headers include/cmdbuilder/meson.build installs."""
    text = open(os.path.join(include_dir, "meson.build")).read()
    listing = re.search(r"public_headers\s*=\s*files\((.*?)\)", text, re.S).group(1)
    return [os.path.join(include_dir, name) for name in re.findall(r"'([^']+\.h)'", listing)]


def strip_comments(text):
    return re.sub(r"/\*.*?\*/", " ", text, flags=re.S)


def declared(path):
    """Function names declared at the top level of @path (and GType getters
    of G_DECLARE_* types), with whether each is marked for export."""
    text = strip_comments(open(path).read())
    names = {}
    depth = 0
    statement = ""
    for line in text.split("\n"):
        if depth == 0 and not line.startswith("#"):
            statement += line + "\n"
            if ";" in line or line.startswith("G_DECLARE_"):
                marked = "CMDB_AVAILABLE_IN_ALL" in statement
                body = statement.replace("CMDB_AVAILABLE_IN_ALL", "").strip()
                match = re.match(r"G_DECLARE_\w+\s*\(\s*\w+\s*,\s*(\w+)", body)
                if match:
                    names[match.group(1) + "_get_type"] = marked
                elif not body.startswith(("typedef", "struct", "G_DEFINE", "static", "extern \"C\"")):
                    match = re.match(r"[\w\s\*]*?\b(\w+)\s*\(", body)
                    if match:
                        names[match.group(1)] = marked
                statement = ""
        depth += line.count("{") - line.count("}")
        if depth != 0 or line.strip() in ("", "G_BEGIN_DECLS", "G_END_DECLS") or line.startswith("#"):
            statement = ""
    return names


def defined(path, dynamic):
    """The global symbols @path defines (its dynamic table when @dynamic)."""
    args = [nm, "--defined-only"] + (["-D"] if dynamic else []) + [path]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    symbols = set()
    for line in out.splitlines():
        parts = line.split()
        # Upper-case types are global; "A" marks version nodes, not symbols.
        if len(parts) == 3 and parts[1].isupper() and parts[1] != "A":
            symbols.add(parts[2])
    return symbols


problems = []
headers = installed_headers()
declarations = {}
for header in headers:
    for name, marked in declared(header).items():
        declarations[name] = marked
        if not marked:
            problems.append(f"{os.path.basename(header)}: {name} is not marked CMDB_AVAILABLE_IN_ALL")
    if re.search(r"/\*<\s*private\s*>\*/", open(header).read()):
        problems.append(f"{os.path.basename(header)}: a struct with private members is laid out "
                        "in an installed header (make it opaque, cmdb-layouts-private.h)")
    # Each exported function carries its gtk-doc block (its introspection
    # annotations, docs/plugins.md "The SDK") right above it.
    for match in re.finditer(r"(\*/\n)?CMDB_AVAILABLE_IN_ALL\n([^;]*?)\b(cmdb_\w+)\s*\(",
                             open(header).read()):
        if match.group(1) is None and "G_DECLARE" not in match.group(2):
            problems.append(f"{os.path.basename(header)}: {match.group(3)} has no gtk-doc block "
                            "(/** name: ... */) with its annotations above it")
    for internal in re.findall(r"\b(cmdb_(?:host|server|cli)_\w+)", strip_comments(open(header).read())):
        problems.append(f"{os.path.basename(header)}: an installed header declares {internal}")

exports = {s for s in defined(library, True) if s not in ("_init", "_fini", "_edata", "_end", "__bss_start")}
for symbol in sorted(exports):
    if symbol.startswith("_cmdb_") or symbol in declarations:
        continue
    problems.append(f"libcmdbuilder-1.so exports {symbol}, which no installed header declares "
                    "(hide it, or name it _cmdb_ in a private header)")
for name in sorted(declarations):
    if name not in exports:
        problems.append(f"{name} is declared in an installed header but not exported")

private = sorted(s for s in exports if s.startswith("_cmdb_"))
second_copies = sorted(s for s in defined(executable, False)
                       if s in exports and (s.startswith("cmdb_") or s.startswith("_cmdb_")))
for symbol in second_copies:
    problems.append(f"the cmdbuilder executable defines {symbol} a second time")

print("1..1")
if problems:
    for problem in problems:
        print(f"# {problem}")
    print("not ok 1 - exports match the installed headers")
    sys.exit(1)
print(f"# {len(exports) - len(private)} public symbols, {len(private)} _cmdb_ private ones")
print("ok 1 - exports match the installed headers")
