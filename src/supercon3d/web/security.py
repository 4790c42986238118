"""Safe defaults of the server: an access token off loopback, and a bound on request bodies.

A server bound to anything but a loopback address requires a token (generated at start and
printed, as Jupyter does) on every request: ``Authorization: Bearer <token>``, the
``token`` query parameter (the printed URL carries it; the page then keeps it in a cookie),
or that cookie. Without it the answer is 401.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

TOKEN_BYTES = 24
"""Random bytes of a generated token (32 URL-safe characters)."""
TOKEN_COOKIE = "supercon3d_token"
TOKEN_PARAMETER = "token"
LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and the loopback addresses (127.0.0.0/8, ::1)."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    """A fresh random access token."""
    return secrets.token_urlsafe(TOKEN_BYTES)


async def _answer(send, status: int, message: str, headers: list | None = None) -> None:
    body = json.dumps({"detail": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()), *(headers or [])],
        }
    )  # fmt: skip
    await send({"type": "http.response.body", "body": body})


def _given_token(scope: dict) -> str | None:
    """The token a request carries (header, query parameter or cookie), or None."""
    headers = dict(scope.get("headers") or [])
    authorization = headers.get(b"authorization", b"").decode("latin-1")
    if authorization.lower().startswith("bearer "):
        return authorization[len("bearer ") :].strip()
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if query.get(TOKEN_PARAMETER):
        return query[TOKEN_PARAMETER][0]
    cookie = SimpleCookie(headers.get(b"cookie", b"").decode("latin-1"))
    return cookie[TOKEN_COOKIE].value if TOKEN_COOKIE in cookie else None


class TokenMiddleware:
    """Answer 401 to every HTTP request without the access token; a request that carried it
    in the query gets it back as a cookie (so the page's own requests carry it)."""

    def __init__(self, app, token: str):
        self.app = app
        self.token = token

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        given = _given_token(scope)
        if given is None or not hmac.compare_digest(given.encode(), self.token.encode()):
            return await _answer(send, 401, "an access token is required (see the server's "
                                 "start message: the URL with ?token=...)")  # fmt: skip
        cookie = f"{TOKEN_COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict".encode()

        async def send_with_cookie(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message["headers"], (b"set-cookie", cookie)]}
            await send(message)

        return await self.app(scope, receive, send_with_cookie)


class BodyLimitMiddleware:
    """Refuse (413, one line) a request whose body is larger than ``limit`` bytes, by its
    Content-Length or, without one, as it arrives."""

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit

    def _message(self) -> str:
        return f"upload too large: at most {self.limit / 1e6:.0f} MB per request"

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and int(length) > self.limit:
            return await _answer(send, 413, self._message())
        received = 0

        async def bounded_receive():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise BodyTooLarge(self._message())
            return message

        try:
            return await self.app(scope, bounded_receive, send)
        except BodyTooLarge as error:
            return await _answer(send, 413, str(error))


class BodyTooLarge(Exception):
    """A request body that grew past the limit while it was read."""
