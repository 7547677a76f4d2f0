"""The server's exceptions, grouped by domain. Services raise them; the app maps each to
its HTTP status and ``wire.ErrorCode`` in one place (``handlers.py``).

    ServerError
    ├── InvalidRequest          a field out of range (``field`` names it)
    ├── AuthError
    │   ├── AuthFailed          "email or password incorrect", whatever the cause
    │   ├── Unauthenticated     no token, or one never issued
    │   ├── SessionRevoked      the device was revoked, or the session logged out
    │   └── RecoveryCodeWrong   a wrong recovery code, or none in force
    ├── AccountReset            the session or generation predates a reset
    ├── NotFound
    ├── EmailTaken
    ├── SignupsClosed           SAFEHOLD_SIGNUPS=closed and the address was not invited
    ├── EmailUnverified         the account's address is not confirmed yet (verify mode)
    ├── RateLimited             ``retry_after`` seconds
    ├── LimitError
    │   ├── PayloadTooLarge
    │   └── QuotaExceeded
    └── TokenError              reset links
        ├── TokenInvalid
        ├── TokenExpired
        └── TokenUsed

Messages are written for a person and never contain a secret, token or envelope.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from safehold.wire import ErrorCode

AUTH_FAILED_MESSAGE = "email or password incorrect"


class ServerError(Exception):
    code: ErrorCode = ErrorCode.INTERNAL
    default_message = "the server could not handle this request"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)

    def extra(self) -> dict[str, Any]:
        """Fields added to the error body besides ``code`` and ``message``."""
        return {}


class InvalidRequest(ServerError):
    code = ErrorCode.INVALID_REQUEST
    default_message = "the request is not valid"

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    def extra(self) -> dict[str, Any]:
        return {"field": self.field} if self.field else {}


class AuthError(ServerError):
    pass


class AuthFailed(AuthError):
    code = ErrorCode.AUTH_FAILED
    default_message = AUTH_FAILED_MESSAGE

    def __init__(self) -> None:
        # Always the same words, so no failure tells an attacker which part was wrong.
        super().__init__(AUTH_FAILED_MESSAGE)


class Unauthenticated(AuthError):
    code = ErrorCode.UNAUTHENTICATED
    default_message = "sign in first: this request needs a valid session"


class SessionRevoked(AuthError):
    code = ErrorCode.SESSION_REVOKED
    default_message = "this device was signed out (revoked); sign in again"

    def __init__(
        self, message: str | None = None, *, reason: str | None = None, account_hint: str | None = None
    ) -> None:
        super().__init__(message)
        #: Why the session ended (``logout``, ``device_revoked``, ``password_changed``), so
        #: a client can say what to do next.
        self.reason = reason
        #: After ``password_changed``: the account's hint now, for the device's password prompt.
        self.account_hint = account_hint

    def extra(self) -> dict[str, Any]:
        extra: dict[str, Any] = {"reason": self.reason} if self.reason else {}
        if self.reason == "password_changed":
            extra["account_hint"] = self.account_hint or ""  # "": there is none now
        return extra


class RecoveryCodeWrong(AuthError):
    code = ErrorCode.RECOVERY_CODE_WRONG
    default_message = "that recovery code is wrong, or this account has no recovery code in force"

    def __init__(self) -> None:
        # One message for a wrong code and no code: the answer says nothing more.
        super().__init__(self.default_message)


class AccountReset(ServerError):
    code = ErrorCode.ACCOUNT_RESET
    default_message = "the account was reset; sign in again with the new password and account key"

    def __init__(self, *, reset_at: datetime | None, generation: int) -> None:
        when = f" on {reset_at:%Y-%m-%d %H:%M} UTC" if reset_at else ""
        super().__init__(f"the account was reset{when}; sign in again with the new password and account key")
        self.reset_at = reset_at
        self.generation = generation

    def extra(self) -> dict[str, Any]:
        return {"reset_at": self.reset_at, "generation": self.generation}


class NotFound(ServerError):
    code = ErrorCode.NOT_FOUND
    default_message = "not found"


class EmailTaken(ServerError):
    code = ErrorCode.EMAIL_TAKEN
    default_message = "an account with this email already exists"


class SignupsClosed(ServerError):
    code = ErrorCode.SIGNUPS_CLOSED
    default_message = "this server creates accounts by invitation only; ask its administrator"


class EmailUnverified(ServerError):
    code = ErrorCode.EMAIL_UNVERIFIED
    default_message = (
        "this account's email address is not confirmed yet: open the link we mailed to it"
    )


class RateLimited(ServerError):
    code = ErrorCode.TOO_MANY_REQUESTS
    default_message = "too many attempts; wait and try again"

    def __init__(self, retry_after: float, message: str | None = None) -> None:
        self.retry_after = max(1.0, float(int(retry_after + 0.999)))
        super().__init__(message or f"too many attempts; try again in {int(self.retry_after)} seconds")

    def extra(self) -> dict[str, Any]:
        return {"retry_after": self.retry_after}


class LimitError(ServerError):
    pass


class PayloadTooLarge(LimitError):
    code = ErrorCode.PAYLOAD_TOO_LARGE
    default_message = "the request is too large"

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    def extra(self) -> dict[str, Any]:
        return {"field": self.field} if self.field else {}


class QuotaExceeded(LimitError):
    code = ErrorCode.QUOTA_EXCEEDED
    default_message = "this account holds as many items as it may"


class TokenError(ServerError):
    pass


class TokenInvalid(TokenError):
    code = ErrorCode.TOKEN_INVALID
    default_message = "this reset link is not valid; start the reset again"


class TokenExpired(TokenError):
    code = ErrorCode.TOKEN_EXPIRED
    default_message = "this reset link has expired; start the reset again"


class TokenUsed(TokenError):
    code = ErrorCode.TOKEN_USED
    default_message = "this reset link was already used; start the reset again"
