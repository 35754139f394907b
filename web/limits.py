"""Request guard at the ASGI edge: bodies limited by the bytes actually read, and values no database can store.

A `Content-Length` check alone lets a chunked body through unbounded (a 200 MB upload was read into
memory); here every chunk is counted as it arrives and the request is refused with 413 the moment
the limit is passed. The buffered body is then checked once for what would otherwise reach the
database and fail there with a 500: NUL characters and lone surrogates (PostgreSQL cannot store
them), and JSON's non-standard `NaN` / `Infinity`. Paths and query strings are checked for NUL too.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.errors import error_response

SUSPICIOUS = (b"\\u", b"NaN", b"Infinity")
MAX_NESTING = 500  # more brackets than this: parse once here to refuse a nesting that would overflow the stack


class BadValue(ValueError):
    """A JSON value that no endpoint accepts."""


class RequestGuard:
    """Pure ASGI middleware (no BaseHTTPMiddleware: it must see the body stream itself)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b""):
            await error_response(422, "invalid_input", "the address must not contain NUL characters")(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        suspicious = any(s in body for s in SUSPICIOUS) or body.count(b"[") + body.count(b"{") > MAX_NESTING
        problem = _body_problem(body) if suspicious else None
        if problem:
            await error_response(422, "invalid_input", problem)(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(413, "too_large", f"request body over {self.max_bytes} bytes")
        response.headers["Connection"] = "close"  # the rest of the body is not read
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: wait for the disconnect as usual

    return replay


def _body_problem(body: bytes) -> str | None:
    """What in a JSON body no endpoint can take, or None (bodies that are not JSON are left to the route)."""
    try:
        data = json.loads(body, parse_constant=_no_constant)
    except BadValue as exc:
        return str(exc)
    except RecursionError:
        return "the JSON is nested too deeply"
    except ValueError:
        return None  # not JSON (or not ours to judge): the route answers 400 / 422 itself
    return _walk(data)


def _no_constant(name: str) -> Any:
    raise BadValue(f"{name} is not a number JSON allows; send a finite number")


def _walk(data: Any) -> str | None:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                return "text must not contain NUL characters"
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "text is not valid Unicode (it holds a lone surrogate)"
    return None
