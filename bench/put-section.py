#!/usr/bin/env python3
"""Puts a generated section into docs/benchmarks.md between its `<!-- NAME:begin` and
`<!-- NAME:end -->` markers (appended at the end when the page has none yet).

    bench/put-section.py NAME SECTION_FILE
"""
import re
import sys

name, section_file = sys.argv[1], sys.argv[2]
section = open(section_file).read().rstrip("\n")
path = "docs/benchmarks.md"
text = open(path).read()
pattern = re.compile(rf"<!-- {re.escape(name)}:begin.*?<!-- {re.escape(name)}:end -->", re.S)
if pattern.search(text):
    text = pattern.sub(lambda _: section, text)
else:
    text = text.rstrip("\n") + "\n\n" + section + "\n"
open(path, "w").write(text)
