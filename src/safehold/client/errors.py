"""The client's exceptions: each carries a message for a person and a distinct exit code.

    ClientError (1)
    ├── UsageError (2)
    │   ├── WeakPassword (2)        a new password the password policy refuses
    │   └── ServerOnly (2)          a server-only command on a vault kept in a folder
    ├── SignupIncomplete (1)        the account exists but this device failed to finish; shows the key
    ├── AuthFailed (3)              wrong password, wrong account key or unknown email
    ├── AccountKeyInvalid (4)       the account key text has a typo or the wrong shape
    │   └── WrongAccountKey (4)     a well-formed key that is not this vault's (folder vaults)
    ├── ItemNotFound (5)
    │   └── AmbiguousItem (5)       several items match; ``candidates`` lists them
    ├── Unreachable (6)             the server could not be reached
    ├── ConflictsCreated (7)        a sync succeeded but kept conflict copies
    ├── SessionRevoked (8)          this device was signed out, or lost the account key
    │   └── SessionExpired (31)     the session outlived the server's idle or absolute lifetime
    ├── NotSignedIn (8)             this profile has no account yet (signup or login first)
    ├── AccountWasReset (9)         the account was reset (a claim); the local vault was archived
    ├── Locked (10)                 the vault needs ``safehold unlock``
    ├── Tampered (11)               local or server data failed to decrypt
    │   └── VaultDamaged (11)       the local vault file is damaged (unreadable settings)
    ├── RateLimited (12)            too many attempts; ``retry_after`` seconds
    ├── KdfRefused (13)             the server asked for an unacceptable Argon2id cost
    ├── ItemTooLarge (14)           an item is over the server's size limit for one item
    ├── ServerError (1)             any other error answer from the server
    ├── ArchiveNotFound (25)        no archive of a reset-aside vault matches
    ├── KeyRotated (8)              (a SessionRevoked) the account key was replaced elsewhere
    │   └── AccountRecovered (8)    the account was recovered with its recovery code elsewhere
    ├── KeyRotationIncomplete (1)   the new account key may be in force; shows the key
    ├── ResetIncomplete (1)         a folder vault was reset but this device did not finish; shows the key
    ├── RecoveryCodeRejected (26)   a wrong recovery code, or none in force
    ├── RecoveryLinkUnusable (27)   a recovery link that expired, was used, or was never sent
    ├── UnsyncedEdits (45)          `logout` would drop edits the server has not received
    ├── CommandNotStarted (46)      `run` could not start the command (not found, not executable)
    ├── InsecureServer (30)         a plain http:// server that is not on this machine
    ├── SignupsClosed (32)          the server creates accounts by invitation only
    ├── EmailUnverified (33)        the account works once its address is confirmed by mail
    └── FolderVaultError (1)        a vault folder (spec/folder.md) that cannot be used:
        ├── NotAFolderVault (20), ForeignFolderVault (21)
        └── FolderDamaged (22), FolderExists (23)

The CLI's top-level handler turns every one of these into its message and exit code, so
bad input never shows a traceback.
"""

from __future__ import annotations

import math
from datetime import datetime
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from safehold.crypto import AccountKey


class ExitCode(IntEnum):
    """Documented in docs/cli.md; each failure class has its own code so scripts can branch."""

    OK = 0
    ERROR = 1
    USAGE = 2
    AUTH_FAILED = 3
    ACCOUNT_KEY = 4
    NOT_FOUND = 5
    UNREACHABLE = 6
    CONFLICTS = 7
    SESSION_REVOKED = 8
    ACCOUNT_RESET = 9
    LOCKED = 10
    TAMPERED = 11
    RATE_LIMITED = 12
    KDF_REFUSED = 13
    ITEM_TOO_LARGE = 14
    STORAGE_SUSPECT = 15
    ARCHIVE_NOT_FOUND = 25
    RECOVERY_CODE_REJECTED = 26
    RECOVERY_LINK_UNUSABLE = 27
    UNSYNCED_EDITS = 45
    COMMAND_FAILED_TO_START = 46
    NOT_A_FOLDER_VAULT = 20
    FOREIGN_FOLDER_VAULT = 21
    FOLDER_DAMAGED = 22
    FOLDER_EXISTS = 23
    INSECURE_SERVER = 30
    SESSION_EXPIRED = 31
    SIGNUPS_CLOSED = 32
    EMAIL_UNVERIFIED = 33
    #: ``unlock`` checked the password but no agent keeps the keys (its socket's directory
    #: is unsafe or its path too long, or it did not start): each command asks again.
    AGENT_UNAVAILABLE = 34


class ClientError(Exception):
    """Base of every error the client reports to a person."""

    exit_code: ExitCode = ExitCode.ERROR
    #: A short machine-readable name, used in ``--json`` error output.
    kind: str = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: An extra line telling the person what to do next.
        self.hint = hint


class UsageError(ClientError):
    exit_code = ExitCode.USAGE
    kind = "usage"


class WeakPassword(UsageError):
    """A new password refused by :mod:`safehold.client.password_policy`."""

    kind = "weak_password"


class SignupIncomplete(ClientError):
    """The server created the account, then this device failed to finish setting it up.

    The account key is in the message: it was made here and exists nowhere else, so it
    must reach the person whatever else went wrong.
    """

    kind = "signup_incomplete"

    def __init__(self, email: str, key: AccountKey, reason: str) -> None:
        super().__init__(
            f"the account was created, but this device could not finish setting it up ({reason}). "
            f"Your account key is {key.to_text()}: write it down now",
            hint=f"then run `safehold login {email}` and type that key when it asks, to finish",
        )
        self.account_key = key.to_text()


class AuthFailed(ClientError):
    """One message for a wrong password and an unknown email, so neither is revealed."""

    exit_code = ExitCode.AUTH_FAILED
    kind = "auth_failed"

    def __init__(self, message: str = "email or password incorrect", *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)


class AccountKeyInvalid(ClientError):
    exit_code = ExitCode.ACCOUNT_KEY
    kind = "account_key"


class WrongAccountKey(AccountKeyInvalid):
    """A well-formed account key that is not the key of this account (a folder vault's
    header carries a check value that tells it from a wrong password)."""

    kind = "wrong_account_key"


class ServerOnly(UsageError):
    """A command that needs a Safehold server, run on a vault kept in a folder."""

    kind = "server_only"

    def __init__(self, folder: str, message: str | None = None, hint: str | None = None) -> None:
        super().__init__(
            message
            or f"this vault is kept in a folder ({folder}), not on a server; this command needs a server",
            hint=hint or "folder vaults have no server sessions: see docs/cli.md, folder vaults",
        )


class ItemNotFound(ClientError):
    exit_code = ExitCode.NOT_FOUND
    kind = "not_found"


class AmbiguousItem(ItemNotFound):
    kind = "ambiguous"

    def __init__(self, query: str, candidates: list[tuple[str, str]]) -> None:
        lines = "\n".join(f"  {item_id}  {title}" for item_id, title in candidates)
        super().__init__(
            f"{query!r} matches {len(candidates)} items:\n{lines}",
            hint="give the id, the exact title or a longer prefix",
        )
        self.candidates = candidates


class Unreachable(ClientError):
    exit_code = ExitCode.UNREACHABLE
    kind = "unreachable"


class ConflictsCreated(ClientError):
    exit_code = ExitCode.CONFLICTS
    kind = "conflicts"

    def __init__(self, titles: list[str]) -> None:
        super().__init__(
            f"sync finished; {len(titles)} conflict cop{'y' if len(titles) == 1 else 'ies'} kept: "
            + "; ".join(titles),
            hint="both versions are in the vault: compare them, keep one, `safehold rm` the other",
        )
        self.titles = titles


class SessionRevoked(ClientError):
    exit_code = ExitCode.SESSION_REVOKED
    kind = "session_revoked"
    #: How the server said the session ended (``password_changed``, ``logout``, …), if it did.
    reason: str | None = None
    #: With ``password_changed``: the account's hint now ("" for none; None if not told).
    account_hint: str | None = None


class SessionExpired(SessionRevoked):
    """The server ended the session by its lifetime rules (unused too long, or too old).

    Nothing was revoked by anyone: the password signs the device in again, and the client
    does that itself whenever it has the password (``unlock``, ``SAFEHOLD_PASSWORD``)."""

    exit_code = ExitCode.SESSION_EXPIRED
    kind = "session_expired"

    def __init__(self) -> None:
        super().__init__(
            "this device's session with the server expired (unused for too long, or older than "
            "the server allows); sign in again",
            hint="run `safehold unlock` (or give the password: --password-stdin, SAFEHOLD_PASSWORD); "
            "the vault on this device is kept",
        )


class NotSignedIn(ClientError):
    """The profile holds no account: nothing was revoked, the device was never signed in.

    Not a :class:`SessionRevoked`, so code that re-signs a revoked session never catches it.
    """

    exit_code = ExitCode.SESSION_REVOKED
    kind = "not_signed_in"

    def __init__(
        self,
        message: str = "this profile has no account yet",
        *,
        hint: str | None = "run `safehold signup EMAIL` or `safehold login EMAIL`",
    ) -> None:
        super().__init__(message, hint=hint)


class AccountWasReset(ClientError):
    """Storage says the account was reset. Only a claim: the device archived its vault
    (``archive``: the archive's id) and deleted nothing."""

    exit_code = ExitCode.ACCOUNT_RESET
    kind = "account_reset"

    def __init__(
        self,
        reset_at: datetime | None,
        generation: int | None,
        *,
        archive: str | None = None,
        folder: str | None = None,
    ) -> None:
        when = reset_at.strftime("%Y-%m-%d %H:%M UTC") if reset_at else "an unknown date"
        #: A folder vault: the folder whose header says so (``None``: the server said it).
        self.folder = folder
        self.reset_at, self.generation, self.archive = reset_at, generation, archive
        if folder is not None and archive is not None:
            super().__init__(
                f"the vault in the folder {folder} was reset (it is at generation {generation}); this "
                f"device uploaded nothing, locked, and moved its copy of the vault (with any unsynced "
                f"edits and its account key) into archive {archive}: nothing was deleted",
                hint=f"sign in with the new password and account key: `safehold login EMAIL --folder "
                f"{folder}` (it asks for the key) or `--kit FILE`, then `safehold archive restore "
                f"{archive}` with the old password brings its items back",
            )
            return
        if archive is None:
            message = f"the account was reset on {when}"
            hint = (
                "sign in again with the new password and account key: `safehold login EMAIL` "
                "(it asks for the key) or `safehold login EMAIL --kit FILE`"
            )
        else:
            message = (
                f"the server says the account was reset on {when}; this device uploaded nothing, locked, "
                f"and moved its copy of the vault (with any unsynced edits and its account key) into "
                f"archive {archive}: nothing was deleted"
            )
            hint = (
                "sign in again with the new password and account key "
                "(`safehold login EMAIL`, which asks for the key, or `--kit FILE`), then"
                f" `safehold archive restore {archive}` with the old password brings its items back; "
                "if the account was not reset, `safehold login EMAIL` with the old password puts it back"
            )
        super().__init__(message, hint=hint)


class Locked(ClientError):
    exit_code = ExitCode.LOCKED
    kind = "locked"

    def __init__(self, message: str = "the vault is locked", *, hint: str | None = None) -> None:
        super().__init__(
            message,
            hint=hint or "run `safehold unlock`, or pass --password-stdin / set SAFEHOLD_PASSWORD",
        )


class Tampered(ClientError):
    exit_code = ExitCode.TAMPERED
    kind = "tampered"


class VaultDamaged(Tampered):
    kind = "vault_damaged"

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"the local vault is damaged: {detail}",
            hint="sign this device in again (`safehold login EMAIL`); edits not yet synced may be lost",
        )


class RateLimited(ClientError):
    exit_code = ExitCode.RATE_LIMITED
    kind = "rate_limited"

    def __init__(self, retry_after: float | None) -> None:
        super().__init__(f"too many attempts; try again in {wait_text(retry_after)}")
        self.retry_after = retry_after


def wait_text(seconds: float | None) -> str:
    """``12 seconds``, ``1 second``, ``15 minutes``: how long to wait, for a person."""
    if seconds is None:
        return "a while"
    whole = max(1, math.ceil(seconds))
    if whole < 120:
        return f"{whole} second{'' if whole == 1 else 's'}"
    minutes = math.ceil(whole / 60)
    return f"{minutes} minutes"


class KdfRefused(ClientError):
    exit_code = ExitCode.KDF_REFUSED
    kind = "kdf_refused"


class ItemTooLarge(ClientError):
    """An item sealed to more than the server accepts for one item (spec/api.md)."""

    exit_code = ExitCode.ITEM_TOO_LARGE
    kind = "item_too_large"

    def __init__(self, message: str, *, items: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message, hint="shorten its notes or fields, or split it into several items")
        #: ``(item_id, title)`` of items a sync could not upload, if any.
        self.items = items or []


class StorageSuspect(ClientError):
    """A sync finished, but storage served records this device refused (rollback, replay,
    forgery), could not open (quarantined), or left out (withheld writes). Nothing local
    was replaced; the message names the items and devices (spec/protocol.md §11.4)."""

    exit_code = ExitCode.STORAGE_SUSPECT
    kind = "storage_suspect"


class ServerError(ClientError):
    """An error answer the client has no better name for; ``code`` is the server's."""

    kind = "server_error"

    def __init__(self, message: str, *, status: int, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class EmailTaken(ServerError):
    kind = "email_taken"


class ArchiveNotFound(ClientError):
    """No archive of a vault set aside on a reset claim matches (``safehold archive``)."""

    exit_code = ExitCode.ARCHIVE_NOT_FOUND
    kind = "archive_not_found"


class KeyRotated(SessionRevoked):
    """The account key was replaced on another device (``safehold rotate-key``): this
    device keeps its data and needs the new key to sign in again."""

    kind = "key_rotated"

    def __init__(self, hint: str | None = None) -> None:
        super().__init__(
            "the account key was replaced on another device; this device keeps its data",
            hint=hint or "sign in with the new key: `safehold login EMAIL` (it asks for the key) or "
            "--kit FILE",
        )


class AccountRecovered(KeyRotated):
    """The account was recovered with its recovery code on another device: a new password
    and a new account key. This device keeps its data (as after a key rotation)."""

    kind = "account_recovered"

    def __init__(self) -> None:
        SessionRevoked.__init__(
            self,
            "the account was recovered with its recovery code on another device; this device keeps its data",
            hint="sign in with the new password and the new key: safehold login EMAIL (it asks for the key)",
        )


class RecoveryCodeRejected(ClientError):
    """The server did not accept the recovery code: wrong, replaced, revoked or used up."""

    exit_code = ExitCode.RECOVERY_CODE_REJECTED
    kind = "recovery_code_rejected"

    WRONG = "that recovery code is wrong, or no longer the account's code (replaced, revoked or used)"

    def __init__(self, message: str | None = None, *, hint: str | None = None) -> None:
        super().__init__(
            message or self.WRONG,
            hint=hint or "check it against what you wrote down; attempts are limited like sign-ins",
        )


class RecoveryLinkUnusable(ClientError):
    """A recovery link that expired, was used already, or was never sent by this server."""

    exit_code = ExitCode.RECOVERY_LINK_UNUSABLE
    kind = "recovery_link_unusable"

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message, hint="ask for a new link: safehold recover EMAIL")
        self.reason = reason


class KeyRotationIncomplete(ClientError):
    """The server may have taken the new account key, but this device could not finish:
    the key is in the message, since it may now be the only one that works."""

    kind = "key_rotation_incomplete"

    def __init__(self, key: AccountKey, reason: str) -> None:
        super().__init__(
            f"the account key change may have taken effect, but this device could not finish ({reason}). "
            f"Your NEW account key is {key.to_text()}: write it down now",
            hint="if `safehold unlock` then fails, sign in with it: "
            "`safehold login EMAIL` with the new key (it asks for it)",
        )
        self.account_key = key.to_text()


class ResetIncomplete(ClientError):
    """A folder vault was reset, then this device could not finish setting it up: the new
    account key is in the message, since it exists nowhere else."""

    kind = "reset_incomplete"

    def __init__(self, key: AccountKey, reason: str) -> None:
        super().__init__(
            f"the vault was reset, but this device could not finish ({reason}). "
            f"Your NEW account key is {key.to_text()}: write it down now",
            hint="then sign in with it: `safehold login EMAIL --folder PATH` (it asks for the key)",
        )
        self.account_key = key.to_text()


class UnsyncedEdits(ClientError):
    """Signing out would delete edits that exist on this device only."""

    exit_code = ExitCode.UNSYNCED_EDITS
    kind = "unsynced_edits"

    def __init__(self, count: int) -> None:
        super().__init__(
            f"{count} edit{'' if count == 1 else 's'} on this device {'has' if count == 1 else 'have'} not "
            "reached the server yet; signing out would lose "
            f"{'it' if count == 1 else 'them'}",
            hint="run `safehold sync` first, or `safehold logout --force` to drop them",
        )
        self.count = count


class CommandNotStarted(ClientError):
    """`safehold run` could not start the command it was given."""

    exit_code = ExitCode.COMMAND_FAILED_TO_START
    kind = "command_not_started"
class InsecureServer(ClientError):
    """A server URL with plain ``http://`` to another machine, without ``--insecure-http``:
    anyone on the network could read the session token and claim a reset."""

    exit_code = ExitCode.INSECURE_SERVER
    kind = "insecure_server"


class SignupsClosed(ClientError):
    """The server takes sign-ups only from addresses its administrator invited."""

    exit_code = ExitCode.SIGNUPS_CLOSED
    kind = "signups_closed"


class EmailUnverified(ClientError):
    """The server requires the account's address to be confirmed by its mailed link first."""

    exit_code = ExitCode.EMAIL_UNVERIFIED
    kind = "email_unverified"


class FolderVaultError(ClientError):
    """Base of what the folder account API reports about a vault folder (spec/folder.md)."""


class NotAFolderVault(FolderVaultError):
    """The folder holds no Safehold vault (no header file)."""

    exit_code = ExitCode.NOT_A_FOLDER_VAULT
    kind = "not_a_folder_vault"


class ForeignFolderVault(FolderVaultError):
    """The folder holds another account's vault."""

    exit_code = ExitCode.FOREIGN_FOLDER_VAULT
    kind = "foreign_folder_vault"


class FolderDamaged(FolderVaultError):
    """The folder's header exists but no copy of it can be read."""

    exit_code = ExitCode.FOLDER_DAMAGED
    kind = "folder_damaged"


class FolderExists(FolderVaultError):
    """Creating a vault in a folder that already holds one."""

    exit_code = ExitCode.FOLDER_EXISTS
    kind = "folder_exists"
