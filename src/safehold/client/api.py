"""A typed client for the HTTP API (spec/api.md) over the shared wire models.

It takes an httpx transport, so tests can run it against the in-process server app with no
sockets. Error answers become the exceptions of :mod:`safehold.client.errors`; a server
that cannot be reached becomes :class:`~safehold.client.errors.Unreachable`.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from safehold import wire

from .errors import (
    AccountRecovered,
    AccountWasReset,
    AuthFailed,
    ClientError,
    EmailTaken,
    EmailUnverified,
    ItemNotFound,
    KeyRotated,
    RateLimited,
    RecoveryCodeRejected,
    RecoveryLinkUnusable,
    ServerError,
    SessionExpired,
    SessionRevoked,
    SignupsClosed,
    Unreachable,
)

M = TypeVar("M", bound=BaseModel)
_LINK_ERRORS = {
    wire.ErrorCode.TOKEN_EXPIRED.value: "expired",
    wire.ErrorCode.TOKEN_USED.value: "used",
    wire.ErrorCode.TOKEN_INVALID.value: "invalid",
}

#: Argon2id runs on the client, so only the network round trips need to fit in this.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def error_from_response(response: httpx.Response) -> ClientError:
    """Map an error answer to the client exception that names it."""
    status = response.status_code
    try:
        detail = wire.ErrorBody.model_validate(response.json()).error
    except (ValueError, ValidationError):
        return ServerError(f"the server answered {status} {response.reason_phrase}", status=status)
    code = detail.code
    if code is wire.ErrorCode.AUTH_FAILED:
        return AuthFailed()
    if code is wire.ErrorCode.SESSION_REVOKED:
        # The server says why (wire.ErrorDetail.reason), so the hint can name the one fix.
        if detail.reason == "password_changed":
            changed = SessionRevoked(
                "the account password was changed on another device",
                hint="run `safehold unlock` (or `safehold login EMAIL`) with the new password",
            )
            changed.reason = detail.reason
            changed.account_hint = detail.account_hint
            return changed
        if detail.reason == "key_rotated":
            return KeyRotated()
        if detail.reason == "expired":
            return SessionExpired()
        if detail.reason == "recovered":
            return AccountRecovered()
        if detail.reason == "logout":
            return SessionRevoked("this device signed out of the account", hint="run `safehold login EMAIL`")
        return SessionRevoked(
            "this device was signed out of the account (removed from another device)",
            hint="run `safehold login EMAIL`; edits not yet synced are kept",
        )
    if code is wire.ErrorCode.RECOVERY_CODE_WRONG:
        return RecoveryCodeRejected()
    if code is wire.ErrorCode.UNAUTHENTICATED:
        return SessionRevoked("this device is not signed in", hint="run `safehold login`")
    if code is wire.ErrorCode.ACCOUNT_RESET:
        return AccountWasReset(detail.reset_at, detail.generation)
    if code is wire.ErrorCode.TOO_MANY_REQUESTS:
        retry = detail.retry_after
        if retry is None and "retry-after" in response.headers:
            try:
                retry = float(response.headers["retry-after"])
            except ValueError:
                retry = None
        return RateLimited(retry)
    if code is wire.ErrorCode.EMAIL_UNVERIFIED:
        return EmailUnverified(
            "this account's email address is not confirmed yet",
            hint="open the link the server mailed to the address and press the button, then try again",
        )
    if code is wire.ErrorCode.SIGNUPS_CLOSED:
        return SignupsClosed(
            "this server creates accounts by invitation only, and this address was not invited",
            hint="ask the server's administrator to run `safehold-server accounts invite EMAIL`",
        )
    if code is wire.ErrorCode.EMAIL_TAKEN:
        return EmailTaken(detail.message, status=status, code=code.value)
    if code is wire.ErrorCode.NOT_FOUND:
        return ItemNotFound(detail.message)
    return ServerError(detail.message, status=status, code=code.value)


class ApiClient:
    """One server, optionally one session. Use as a context manager or call :meth:`close`."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        generation: int | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        on_revoked: Callable[[SessionRevoked], None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        #: Told of every session_revoked answer before it is raised, whoever catches it: the
        #: vault notes a password changed elsewhere there (AccountService.note_revoked).
        self.on_revoked = on_revoked
        self.token = token
        self.generation = generation
        self._http = httpx.Client(base_url=self.base_url, transport=transport, timeout=timeout)

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- plumbing -----------------------------------------------------------------------

    def _headers(self, *, session: bool, vault: bool) -> dict[str, str]:
        headers: dict[str, str] = {}
        if session:
            if not self.token:
                raise SessionRevoked("this device is not signed in", hint="run `safehold login`")
            headers["Authorization"] = f"{wire.AUTH_SCHEME} {self.token}"
        if vault:
            if self.generation is None:
                raise ClientError("internal: a vault request needs the account generation")
            headers[wire.GENERATION_HEADER] = str(self.generation)
        return headers

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: BaseModel | None = None,
        params: dict[str, Any] | None = None,
        session: bool = False,
        vault: bool = False,
    ) -> httpx.Response:
        headers = self._headers(session=session, vault=vault)
        content = body.model_dump_json(exclude_none=False).encode() if body is not None else None
        if content is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = self._http.request(
                method, wire.API_PREFIX + path, content=content, params=params, headers=headers
            )
        except httpx.TransportError as exc:
            raise Unreachable(
                f"cannot reach the server at {self.base_url}: {exc.__class__.__name__}"
            ) from exc
        if response.status_code >= 400:
            error = error_from_response(response)
            if isinstance(error, SessionRevoked) and self.on_revoked is not None:
                self.on_revoked(error)
            raise error
        return response

    @staticmethod
    def _parse(response: httpx.Response, model: type[M]) -> M:
        try:
            # A newer server may add fields to its answers (spec/api.md "Versions"): ignored
            # here, so an older client keeps working. The server still refuses unknown fields
            # in requests, where they would mean a client asking for something it cannot do.
            return model.model_validate_json(response.content, extra="ignore")
        except ValidationError as exc:
            raise ServerError(
                f"the server's answer was not understood ({model.__name__})", status=response.status_code
            ) from exc

    # --- accounts and sessions ----------------------------------------------------------

    def signup(self, request: wire.SignupRequest) -> wire.SignupResponse:
        result = self._parse(self._request("POST", "/accounts", body=request), wire.SignupResponse)
        self.token = result.session.token
        self.generation = result.generation
        return result

    def auth_start(self, email: str) -> wire.AuthStartResponse:
        return self._parse(
            self._request("POST", "/auth/start", body=wire.AuthStartRequest(email=email)),
            wire.AuthStartResponse,
        )

    def auth_finish(self, request: wire.AuthFinishRequest) -> wire.AuthFinishResponse:
        result = self._parse(self._request("POST", "/auth/finish", body=request), wire.AuthFinishResponse)
        self.token = result.session.token
        self.generation = result.generation
        return result

    def logout(self) -> None:
        self._request("POST", "/auth/logout", session=True)

    def account(self) -> wire.AccountResponse:
        return self._parse(self._request("GET", "/account", session=True), wire.AccountResponse)

    def change_password(self, request: wire.PasswordChangeRequest) -> wire.PasswordChangeResponse:
        return self._parse(
            self._request("POST", "/account/password", body=request, session=True),
            wire.PasswordChangeResponse,
        )

    def rotate_key(self, request: wire.KeyRotationRequest) -> wire.PasswordChangeResponse:
        return self._parse(
            self._request("POST", "/account/key", body=request, session=True),
            wire.PasswordChangeResponse,
        )

    def devices(self) -> wire.DevicesResponse:
        return self._parse(self._request("GET", "/devices", session=True), wire.DevicesResponse)

    def revoke_device(self, device_id: str) -> None:
        self._request("DELETE", f"/devices/{device_id}", session=True)

    def rename_device(self, device_id: str, name: str) -> None:
        body = wire.DeviceRenameRequest(name=name)
        self._request("PATCH", f"/devices/{device_id}", body=body, session=True)

    def hint(self, email: str) -> wire.AcceptedResponse:
        return self._parse(
            self._request("POST", "/hint", body=wire.HintRequest(email=email)), wire.AcceptedResponse
        )

    def reset(self, email: str) -> wire.AcceptedResponse:
        return self._parse(
            self._request("POST", "/reset", body=wire.ResetRequest(email=email)), wire.AcceptedResponse
        )

    # --- the recovery code (spec/protocol.md §9.2) -------------------------------------

    def set_recovery_code(self, request: wire.RecoveryCodeRequest) -> wire.RecoveryCodeResponse:
        return self._parse(
            self._request("PUT", "/account/recovery", body=request, session=True), wire.RecoveryCodeResponse
        )

    def recovery_status(self) -> wire.RecoveryStatus:
        return self._parse(self._request("GET", "/account/recovery", session=True), wire.RecoveryStatus)

    def revoke_recovery_code(self) -> None:
        self._request("DELETE", "/account/recovery", session=True)

    def recover(self, email: str) -> wire.AcceptedResponse:
        return self._parse(
            self._request("POST", "/recover", body=wire.RecoveryRequest(email=email)), wire.AcceptedResponse
        )

    def _with_link(self, method: str, path: str, model: type[M], body: BaseModel | None = None) -> M:
        """A request under a recovery link: the link's refusals get their own error."""
        try:
            return self._parse(self._request(method, path, body=body), model)
        except ServerError as exc:
            if exc.code in _LINK_ERRORS:
                raise RecoveryLinkUnusable(exc.message, reason=_LINK_ERRORS[exc.code]) from None
            raise

    def recovery_info(self, token: str) -> wire.RecoveryInfo:
        return self._with_link("GET", f"/recover/{token}", wire.RecoveryInfo)

    def recovery_open(self, token: str, request: wire.RecoveryOpenRequest) -> wire.RecoveryOpenResponse:
        return self._with_link("POST", f"/recover/{token}/open", wire.RecoveryOpenResponse, request)

    def recovery_complete(
        self, token: str, request: wire.RecoveryCompleteRequest
    ) -> wire.RecoveryCompleteResponse:
        return self._with_link("POST", f"/recover/{token}", wire.RecoveryCompleteResponse, request)

    def reset_info(self, token: str) -> wire.ResetInfo:
        return self._parse(self._request("GET", f"/reset/{token}"), wire.ResetInfo)

    def reset_complete(self, token: str, request: wire.ResetCompleteRequest) -> wire.ResetCompleteResponse:
        return self._parse(self._request("POST", f"/reset/{token}", body=request), wire.ResetCompleteResponse)

    def cancel_reset(self) -> wire.PendingReset:
        return self._parse(self._request("DELETE", "/account/reset", session=True), wire.PendingReset)

    # --- the server's reset archives (issue 14 §2) ----------------------------------------

    def archives(self) -> wire.ServerArchivesResponse:
        response = self._request("GET", "/account/archives", session=True)
        return self._parse(response, wire.ServerArchivesResponse)

    def archive_keys(self, archive_id: str) -> wire.ServerArchiveKeys:
        return self._parse(
            self._request("GET", f"/account/archives/{archive_id}", session=True), wire.ServerArchiveKeys
        )

    def archive_items(
        self, archive_id: str, after: str | None, limit: int = 500
    ) -> wire.ArchivedItemsResponse:
        params: dict[str, Any] = {"limit": limit}
        if after is not None:
            params["after"] = after
        return self._parse(
            self._request("GET", f"/account/archives/{archive_id}/items", params=params, session=True),
            wire.ArchivedItemsResponse,
        )

    def delete_archive(self, archive_id: str) -> None:
        self._request("DELETE", f"/account/archives/{archive_id}", session=True)

    # --- vault --------------------------------------------------------------------------

    def changes(self, since: int, limit: int = 500) -> wire.ChangesResponse:
        return self._parse(
            self._request(
                "GET", "/vault/changes", params={"since": since, "limit": limit}, session=True, vault=True
            ),
            wire.ChangesResponse,
        )

    def push(self, writes: list[wire.Write]) -> wire.PushResponse:
        return self._parse(
            self._request(
                "POST", "/vault/push", body=wire.PushRequest(writes=writes), session=True, vault=True
            ),
            wire.PushResponse,
        )
