"""One table: every error the layers below raise, in the client's terms (a ClientError, which
carries the message, the hint, the kind and the exit code the CLI reports).

The library keeps its errors as data; this is the only place the CLI decides what each one
means to a person. Order matters: the first row whose type matches wins, so a subclass comes
before its base. A ClientError passes through as it is, so commands of every module (and the
errors they define) keep working unchanged.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable

from safehold.client.errors import (
    AccountKeyInvalid,
    ClientError,
    ItemNotFound,
    Tampered,
    Unreachable,
    UsageError,
)
from safehold.client.transport import StorageUnavailable
from safehold.crypto import AccountKeyError, CryptoError, KitError, RecoveryCodeError, TamperedData

_FOLDER_HINT = "check that the folder is there and synced, then try again"

Row = tuple[type[BaseException], Callable[[BaseException], ClientError]]


@functools.cache
def table() -> tuple[Row, ...]:
    # The items package is loaded here, not at import: most commands' start-up never needs it.
    from safehold.client.items.errors import FieldNotFound, ItemError

    return (
        # A folder (or other storage) that cannot be read just now: like an unreachable server.
        (StorageUnavailable, lambda e: Unreachable(str(e), hint=_FOLDER_HINT)),
        (ClientError, lambda e: e if isinstance(e, ClientError) else ClientError(str(e))),
        (AccountKeyError, lambda e: AccountKeyInvalid(str(e))),
        (KitError, lambda e: AccountKeyInvalid(str(e))),  # KitReadError too (a KitError)
        # A recovery code that does not parse never reached the server: bad input, as typed.
        (RecoveryCodeError, lambda e: UsageError(str(e), hint="check the code against what you wrote down")),
        (TamperedData, lambda e: Tampered(str(e))),
        (CryptoError, lambda e: ClientError(str(e))),
        (sqlite3.DatabaseError, lambda e: ClientError(f"the local vault could not be read: {e}")),
        (OSError, lambda e: ClientError(str(e))),
        (FieldNotFound, lambda e: ItemNotFound(str(e))),
        (ItemError, lambda e: UsageError(str(e))),
    )


def translate(exc: BaseException) -> ClientError | None:
    """``exc`` as the ClientError the CLI reports, or None for a bug (shown as one)."""
    for kind, make in table():
        if isinstance(exc, kind):
            return make(exc)
    return None
