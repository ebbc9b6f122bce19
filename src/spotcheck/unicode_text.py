"""Characters that a name, an address or any other short text typed by a person must not hold."""

from __future__ import annotations

import unicodedata

__all__ = ["INVISIBLE_OR_CONTROL", "first_refused"]

# Control (Cc), format (Cf: zero-width space and joiners, bidi overrides and isolates, BOM, soft
# hyphen), lone surrogates (Cs), line and paragraph separators: invisible, or able to make a text
# read differently from what it holds.
INVISIBLE_OR_CONTROL = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def first_refused(text: str, categories: frozenset[str] = INVISIBLE_OR_CONTROL) -> tuple[int, str] | None:
    """The 1-based position and the first character of ``text`` in one of ``categories``; None if none."""
    for position, char in enumerate(text, start=1):
        if unicodedata.category(char) in categories:
            return position, char
    return None
