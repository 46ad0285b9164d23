"""Babel extractor for KV files: finds ``app.tr('...')`` strings.

KV is not Python, so Babel's Python extractor cannot read it; a regular
expression over ``tr(`` calls with a literal string is all our KV files use.
"""

from __future__ import annotations

import re

_TR_CALL = re.compile(r"""\btr\(\s*(['"])((?:\\.|(?!\1).)*)\1""")


def extract_kv(fileobj, keywords, comment_tags, options):
    for number, line in enumerate(fileobj.read().decode("utf-8").splitlines(), start=1):
        for match in _TR_CALL.finditer(line):
            yield number, "_", match.group(2).encode().decode("unicode_escape"), []
