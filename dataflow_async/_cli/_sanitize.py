"""One rule for every string the server controls before it reaches a terminal or a file.

A server can put anything in a job's name or an error message: ``ESC]0;...BEL`` (retitle
the terminal), ``ESC[2J`` (clear the screen), C1 controls (``\\x9b`` is CSI to some
terminals), bidirectional overrides (``U+202E`` shows text backwards), line separators.
A character is *unsafe* when its Unicode category is Cc (C0, DEL, C1), Cf (format: bidi
controls, zero-width characters, soft hyphen, tags), Cs (lone surrogates), Zl or Zp.
Spaces (Zs), private-use and unassigned code points are shown as they are.

Each output applies the rule its own way: text for people (table cells, key/value
lines, error messages) shows every unsafe character as ``?``; CSV keeps newlines and
tabs (quoted by the CSV writer) and shows the others as ``?``; JSON escapes them as
``\\uXXXX``, which decodes to the very same string.
"""

from __future__ import annotations

import json
import unicodedata

__all__ = ["csv_text", "is_unsafe", "json_safe", "one_line", "terminal_text"]

UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
REPLACEMENT = "?"
FORMULA_STARTS = ("=", "+", "-", "@", "\t")
"""First characters that make a spreadsheet read a CSV cell as a formula."""


def is_unsafe(char: str) -> bool:
    """Whether ``char`` may not reach a terminal as it is."""
    return unicodedata.category(char) in UNSAFE_CATEGORIES


def terminal_text(text: str) -> str:
    """``text`` with every unsafe character (newlines included) shown as ``?``."""
    # isprintable() is stricter than is_unsafe: when it holds, nothing needs replacing,
    # and it is one C-level pass over the string (the common case for job names).
    if text.isprintable():
        return text
    return "".join(REPLACEMENT if is_unsafe(c) else c for c in text)


def one_line(text: str, *, limit: int = 1000) -> str:
    """``text`` as one line for a message: runs of whitespace and line breaks become one
    space, other unsafe characters ``?``, and more than ``limit`` characters are cut."""
    flat = terminal_text(" ".join(text.split()))
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def csv_text(text: str) -> str:
    """``text`` for a CSV cell: newlines and tabs kept (the writer quotes the cell), other
    unsafe characters ``?``; a cell a spreadsheet would run as a formula (starting with
    ``=``, ``+``, ``-``, ``@`` or a tab) gets a leading ``'``, as OWASP advises."""
    if not text.isprintable():
        text = "".join(REPLACEMENT if c not in "\n\t" and is_unsafe(c) else c for c in text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def json_safe(encoded: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with the unsafe characters
    it left raw (DEL, C1, format characters, separators, lone surrogates) escaped as
    ``\\uXXXX``; it decodes to the same value."""
    if encoded.isprintable():
        return encoded
    # Inside strings json.dumps has escaped every C0 control, so a raw newline is layout
    # (indent=); anything else unsafe sits in a string, where an escape is valid.
    return "".join(json.dumps(c)[1:-1] if c != "\n" and is_unsafe(c) else c for c in encoded)
