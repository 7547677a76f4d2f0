"""The Emergency Kit's QR payload (spec §8).

    safehold://kit?v=1&server=<url>&email=<email>&key=<account key text>

All values percent-encoded. Reading it checks the account key's checksum like typing does.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlsplit

from ._account_key import AccountKey
from ._errors import KitError

#: spec §8.
SCHEME = "safehold"
KIT_VERSION = "1"


@dataclass(frozen=True, slots=True)
class KitPayload:
    server: str
    email: str
    account_key: AccountKey

    def to_uri(self) -> str:
        return (
            f"{SCHEME}://kit?v={KIT_VERSION}&server={quote(self.server, safe='')}"
            f"&email={quote(self.email, safe='')}&key={quote(self.account_key.to_text(), safe='')}"
        )

    @classmethod
    def from_uri(cls, uri: str) -> KitPayload:
        parts = urlsplit(uri.strip())
        if parts.scheme != SCHEME or parts.netloc != "kit":
            raise KitError("this is not a Safehold Emergency Kit code")
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=False)
        version = query.get("v", [""])[0]
        if version != KIT_VERSION:
            raise KitError(f"this Emergency Kit is version {version!r}, which this Safehold does not know")
        try:
            server, email, key = (query[name][0] for name in ("server", "email", "key"))
        except KeyError as exc:
            raise KitError(f"the Emergency Kit code lacks its {exc.args[0]!r} field") from None
        return cls(server=server, email=email, account_key=AccountKey.parse(key))
