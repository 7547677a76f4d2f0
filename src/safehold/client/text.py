"""Text this program did not write (item titles, device names, the server's words, sync
findings), made safe to print: every control and spoofing character shown as an escape.
The CLI prints through it (cli/plain.py), and so does the agent when it renders a
command's output for the fast path (client/status.py)."""

from __future__ import annotations

import re

__all__ = ["quoted", "visible"]

#: C0 controls except tab and newline, DEL, C1 controls; invisible formatting characters
#: that spoof text: zero-width space, LRM/RLM, bidi embeddings and overrides, bidi
#: isolates, the BOM, and the line/paragraph separators. Zero-width (non-)joiners stay:
#: Persian, Indic scripts and emoji need them.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u200e\u200f\u2028-\u202e\u2060\u2066-\u2069\ufeff]")


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(value: object) -> str:
    """``value`` as text with every control and spoofing character shown as an escape."""
    return _UNSAFE.sub(_escape_char, str(value))


def quoted(value: str) -> str:
    """``value`` quoted as a Python string literal (what ``{x!r}`` printed), made visible."""
    return visible(repr(value))
