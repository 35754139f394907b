"""The one table from domain errors to HTTP responses. Every error is JSON: {"error", "detail"}."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException

from common.errors import Conflict, Forbidden, InvalidInput, KeepcartError, NotFound, Unauthorized
from common.rate_limits import RateLimited
from web.schemas import ErrorBody

log = logging.getLogger(__name__)

# Declared on every operation in /openapi.json, so clients (and schemathesis) know every error's shape.
DECLARED: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text} for code, text in (
        (400, "The body is not valid JSON"), (401, "Missing, bad or expired token"), (403, "Not allowed for this token or role"),
        (404, "No such thing"), (409, "Clashes with the current state"), (413, "Body over the size limit"),
        (422, "Invalid fields: each problem in words"), (429, "Too many requests; see Retry-After"))
}

STATUS: list[tuple[type[KeepcartError], int, str]] = [
    (Unauthorized, 401, "unauthorized"),
    (Forbidden, 403, "forbidden"),
    (NotFound, 404, "not_found"),
    (Conflict, 409, "conflict"),
    (InvalidInput, 422, "invalid_input"),
    (KeepcartError, 400, "bad_request"),
]


def error_response(status: int, code: str, detail: object) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": code, "detail": detail}, status_code=status, headers=headers)


def _describe(err: dict) -> str:
    where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
    if err.get("type") == "json_invalid":
        return "request body is not valid JSON"
    return f"{where}: {err.get('msg')}" if where else str(err.get("msg"))


def install(app: FastAPI) -> None:
    @app.exception_handler(KeepcartError)
    async def domain_error(request: Request, exc: KeepcartError) -> JSONResponse:
        for cls, status, code in STATUS:
            if isinstance(exc, cls):
                return error_response(status, code, str(exc))
        raise AssertionError("KeepcartError is always matched")  # pragma: no cover

    @app.exception_handler(RateLimited)
    async def rate_limited(request: Request, exc: RateLimited) -> JSONResponse:
        response = error_response(429, "too_many_requests", str(exc))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return error_response(400, "invalid_json", "request body is not valid JSON")
        return error_response(422, "invalid_input", [_describe(e) for e in errors])

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, exc.detail)

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def unstorable(request: Request, exc: Exception) -> JSONResponse:
        # The database refused a value the schema let through (a number past its range, a NUL on PostgreSQL).
        log.info("value refused by the database on %s %s: %s", request.method, request.url.path, exc)
        return error_response(422, "invalid_input", "a value is out of range or cannot be stored; nothing was changed")

    @app.exception_handler(StatementError)
    async def statement_error(request: Request, exc: StatementError) -> JSONResponse:
        if isinstance(exc.orig, (OverflowError, UnicodeEncodeError)):  # SQLite: integer past 64 bits, bad text
            return await unstorable(request, exc)
        return await unexpected(request, exc)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Say only what is known: the request failed. Whether anything was stored depends on where it broke,
        # so the body names a reference to look up in the log instead of promising "the message was kept".
        reference = uuid.uuid4().hex[:12]
        log.exception("unhandled error %s on %s %s", reference, request.method, request.url.path)
        return error_response(500, "internal_error", f"something went wrong on our side (reference {reference})")
