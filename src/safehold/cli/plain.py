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

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.text import Text

from safehold.client.text import quoted, visible

__all__ = ["plain", "quoted", "text", "visible"]


def plain(value: object) -> str:
    """``value`` made visible and safe inside a Rich markup string of our own."""
    from rich.markup import escape

    return escape(visible(value))


def text(value: object, style: str = "") -> Text:
    """A Rich ``Text`` of ``value`` made visible; Rich never parses it for markup."""
    from rich.text import Text

    return Text(visible(value), style=style)
