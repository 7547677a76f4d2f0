"""Every error becomes ``{"error": {...}}`` (spec/api.md) with the right status, and
nothing — not even a bug — answers with a traceback. Logs name the error type and the
route, never a body, token or query value."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from safehold import wire

from . import errors

log = logging.getLogger("safehold.server")

STATUS: dict[type[errors.ServerError], int] = {
    errors.InvalidRequest: 422,
    errors.AuthFailed: 401,
    errors.Unauthenticated: 401,
    errors.SessionRevoked: 401,
    errors.RecoveryCodeWrong: 401,
    errors.AccountReset: 410,
    errors.NotFound: 404,
    errors.EmailTaken: 409,
    errors.SignupsClosed: 403,
    errors.EmailUnverified: 403,
    errors.RateLimited: 429,
    errors.PayloadTooLarge: 413,
    errors.QuotaExceeded: 422,
    errors.TokenInvalid: 404,
    errors.TokenExpired: 410,
    errors.TokenUsed: 410,
}


def status_of(exc: errors.ServerError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def error_response(status: int, code: wire.ErrorCode, message: str, **extra: Any) -> JSONResponse:
    headers = {}
    if extra.get("retry_after") is not None:
        headers["Retry-After"] = str(int(extra["retry_after"]))
    if status == 401:
        headers["WWW-Authenticate"] = wire.AUTH_SCHEME
    body = wire.error_body(code, message, **{k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, headers=headers)


def _server_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.ServerError)
    return error_response(status_of(exc), exc.code, exc.message, **exc.extra())


def _field(loc: Any) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        where, parts = parts[0], parts[1:]
        if where == "header" and parts:
            return parts[0]
    return ".".join(parts) or "body"


def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = exc.errors()
    first = problems[0] if problems else {"loc": ("body",), "msg": "invalid", "type": "invalid"}
    field = _field(first.get("loc", ()))
    kind = str(first.get("type", ""))
    if kind == "string_too_long" and field.endswith("envelope"):
        return error_response(
            413,
            wire.ErrorCode.PAYLOAD_TOO_LARGE,
            "an envelope is larger than the server accepts",
            field=field,
        )
    if kind == "json_invalid":
        return error_response(400, wire.ErrorCode.INVALID_REQUEST, "the body is not valid JSON", field="body")
    # The message names the rule broken, never the value that broke it.
    message = f"{field}: {first.get('msg', 'invalid value')}"
    return error_response(422, wire.ErrorCode.INVALID_REQUEST, message, field=field)


def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if status == 404:
        return error_response(404, wire.ErrorCode.NOT_FOUND, "no such resource")
    if status == 405:
        return error_response(405, wire.ErrorCode.NOT_FOUND, "method not allowed on this resource")
    if status == 413:
        return error_response(413, wire.ErrorCode.PAYLOAD_TOO_LARGE, "the request is too large")
    code = wire.ErrorCode.INVALID_REQUEST if status < 500 else wire.ErrorCode.INTERNAL
    return error_response(status, code, "the request could not be handled")


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Type and route only: an exception's text may quote a value from the request.
    route = request.scope.get("route")
    log.error(
        "unexpected %s while handling %s %s",
        type(exc).__name__,
        request.method,
        getattr(route, "path", "?"),
    )
    return error_response(500, wire.ErrorCode.INTERNAL, "the server could not handle this request")


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.ServerError, _server_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
