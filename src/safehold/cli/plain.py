"""Printing text this program did not write: server messages, device names, hints, item
titles, type labels, email addresses and URLs from links or kits.

Such text may carry terminal escape sequences (set the window title, clear the screen, hide
a link target behind other text), carriage returns that overwrite a line, bidi overrides
that reorder what is shown, and Rich markup (``[link=…]``, or an unbalanced ``[/]`` that made
the CLI crash). :func:`visible` turns every such character into a visible escape
(``\\x1b``, ``\\u202e``); :func:`plain` also escapes Rich markup, for interpolating foreign
text into a string of our own markup; :func:`text` makes a Rich ``Text`` that is never
parsed for markup at all. Newlines and tabs stay (notes have lines).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.text import Text

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


def plain(value: object) -> str:
    """``value`` made visible and safe inside a Rich markup string of our own."""
    from rich.markup import escape

    return escape(visible(value))


def text(value: object, style: str = "") -> Text:
    """A Rich ``Text`` of ``value`` made visible; Rich never parses it for markup."""
    from rich.text import Text

    return Text(visible(value), style=style)
