"""Protocol limits that client and server share, importable without the wire models.

``safehold.wire`` re-exports them; they live here so that a CLI command that never talks to
the server does not pay for loading pydantic and every model (about 0.1 s) at start-up.
"""

from __future__ import annotations

#: The default limit on one item envelope, in characters of its base64url text (api.md);
#: a server may be configured otherwise, and then answers 413 above its own limit.
MAX_ENVELOPE_CHARS = 1024 * 1024
