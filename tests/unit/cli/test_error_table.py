"""The one table from the layers' errors to the client's (cli/errors.py): each kind of
library error becomes the ClientError, and so the exit code, the CLI reports."""

from __future__ import annotations

import sqlite3

import pytest

from safehold.cli.errors import translate
from safehold.client.errors import (
    ClientError,
    ExitCode,
    ItemNotFound,
    RecoveryCodeRejected,
    RecoveryLinkUnusable,
    UnsyncedEdits,
)
from safehold.client.items.errors import FieldNotFound, InvalidItem
from safehold.crypto import AccountKeyTypo, KitError, RecoveryCodeFormat, RecoveryCodeTypo, TamperedData


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (AccountKeyTypo(), ExitCode.ACCOUNT_KEY),
        (KitError("no kit"), ExitCode.ACCOUNT_KEY),
        (TamperedData("bad"), ExitCode.TAMPERED),
        (sqlite3.DatabaseError("file is not a database"), ExitCode.ERROR),
        (PermissionError("denied"), ExitCode.ERROR),
        (FieldNotFound("pin", ["password"]), ExitCode.NOT_FOUND),
        (InvalidItem("bad json"), ExitCode.USAGE),
        (ItemNotFound("nope"), ExitCode.NOT_FOUND),
        (UnsyncedEdits(2), ExitCode.UNSYNCED_EDITS),
        # A recovery code that does not parse is bad input; the server's refusals have their own.
        (RecoveryCodeTypo(), ExitCode.USAGE),
        (RecoveryCodeFormat("an account key, not a recovery code"), ExitCode.USAGE),
        (RecoveryCodeRejected(), ExitCode.RECOVERY_CODE_REJECTED),
        (RecoveryLinkUnusable("expired", reason="expired"), ExitCode.RECOVERY_LINK_UNUSABLE),
    ],
)
def test_each_error_maps_to_its_exit_code(error: BaseException, code: ExitCode) -> None:
    translated = translate(error)
    assert isinstance(translated, ClientError) and translated.exit_code == code


def test_a_client_error_passes_through_and_a_bug_is_not_hidden() -> None:
    mine = ItemNotFound("x", hint="y")
    assert translate(mine) is mine
    assert translate(ZeroDivisionError()) is None
