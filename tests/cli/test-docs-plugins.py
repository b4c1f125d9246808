"""Every code block of docs/plugins.md marked `<!-- file: PATH -->` is that
file of the source tree, whole or `(lines A-B)`, or a template with its
placeholders filled `(@ID@ = necks, ...)`: the tutorial cannot drift from
the examples it shows."""

import os
import re
import sys

root = os.environ["CMDB_TEST_SOURCE_ROOT"]
doc = open(os.path.join(root, "docs", "plugins.md"), encoding="utf-8").read()
marker = re.compile(r"<!-- file: (\S+)(?: \(([^)]*)\))? -->\n```[a-z]*\n(.*?)```\n", re.S)
checked = 0
failures = []
for match in marker.finditer(doc):
    path, qualifier, block = match.group(1), match.group(2), match.group(3)
    text = open(os.path.join(root, path), encoding="utf-8").read()
    if qualifier and qualifier.startswith("lines "):
        first, last = (int(n) for n in qualifier[len("lines "):].split("-"))
        text = "".join(text.splitlines(keepends=True)[first - 1:last])
    elif qualifier:
        for pair in qualifier.split(","):
            placeholder, value = (part.strip() for part in pair.split("="))
            text = text.replace(placeholder, value)
    if text != block:
        failures.append(path)
    checked += 1

if checked < 8:
    failures.append(f"only {checked} marked blocks found")
for failure in failures:
    print(f"docs/plugins.md differs from {failure}", file=sys.stderr)
print(f"{checked} snippets checked")
sys.exit(1 if failures else 0)
