"""The Emergency Kit's QR payload (spec §8).

    safehold://kit?v=1&server=<url>&email=<email>&key=<account key text>
    safehold://kit?v=1&folder=<folder path>&email=<email>&key=<account key text>

The second form is a vault kept in a folder (spec/folder.md): it has ``folder`` in place of
``server``; a kit has exactly one of the two.

All values percent-encoded (RFC 3986). Reading decodes percent escapes only: this is a URI,
not an HTML form, so a raw ``+`` is a plus sign (as in ``jo+vault@example.com``), never a
space. Reading checks the account key's checksum like typing does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from ._account_key import AccountKey
from ._errors import KitError

#: spec §8.
SCHEME = "safehold"
KIT_VERSION = "1"
FIELDS = ("v", "server", "folder", "email", "key")
#: Every kit has these; and exactly one of ``server`` and ``folder``.
REQUIRED = ("v", "email", "key")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _query(query: str) -> dict[str, str]:
    """``name=value`` pairs split on ``&``, each value percent-decoded as UTF-8.

    Deliberately not :func:`urllib.parse.parse_qs`, which reads ``+`` as a space."""
    fields: dict[str, str] = {}
    for pair in query.split("&"):
        name, _, raw = pair.partition("=")
        if name not in FIELDS:
            continue  # a later kit version may add fields; the ones we need are checked below
        if name in fields:
            raise KitError(f"the Emergency Kit code has its {name!r} field twice")
        if _BAD_ESCAPE.search(raw):
            raise KitError(f"the Emergency Kit code's {name!r} field has a broken %-escape")
        try:
            fields[name] = unquote(raw, encoding="utf-8", errors="strict")
        except UnicodeDecodeError:
            raise KitError(f"the Emergency Kit code's {name!r} field is not UTF-8 text") from None
    return fields


@dataclass(frozen=True, slots=True)
class KitPayload:
    server: str  #: ``""`` for a folder vault's kit
    email: str
    account_key: AccountKey
    #: The folder of a folder vault, as on the device that wrote the kit; ``None``: a server's.
    folder: str | None = None

    def to_uri(self) -> str:
        where = ("folder", self.folder) if self.folder is not None else ("server", self.server)
        try:
            return (
                f"{SCHEME}://kit?v={KIT_VERSION}&{where[0]}={quote(where[1], safe='')}"
                f"&email={quote(self.email, safe='')}&key={quote(self.account_key.to_text(), safe='')}"
            )
        except UnicodeEncodeError:
            raise KitError("the server URL or email contains characters that are not valid Unicode") from None

    @classmethod
    def from_uri(cls, uri: str) -> KitPayload:
        parts = urlsplit(uri.strip())
        if parts.scheme != SCHEME or parts.netloc != "kit":
            raise KitError("this is not a Safehold Emergency Kit code")
        query = _query(parts.query)
        version = query.get("v")
        if version is not None and version != KIT_VERSION:  # an unknown version says so first
            raise KitError(f"this Emergency Kit is version {version!r}, which this Safehold does not know")
        missing = [name for name in REQUIRED if name not in query]
        if missing:
            raise KitError(f"the Emergency Kit code lacks its {missing[0]!r} field")
        if ("server" in query) == ("folder" in query):
            raise KitError("the Emergency Kit code needs one of 'server' and 'folder' (not both)")
        key = AccountKey.parse(query["key"])
        if "folder" in query:
            return cls(server="", email=query["email"], account_key=key, folder=query["folder"])
        return cls(server=query["server"], email=query["email"], account_key=key)
