"""Security headers on every response, error pages included."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No script at all; styles only from our own stylesheet; images from us or data: URIs
# (the QR codes); forms only back to us; never inside someone else's frame.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def add_security_headers(headers: MutableHeaders, *, https: bool) -> None:
    headers["Content-Security-Policy"] = CSP
    headers["X-Content-Type-Options"] = "nosniff"
    # Page addresses hold record ids: never sent to another site. (Not no-referrer:
    # browsers then send `Origin: null`, and CSRF checks need it.)
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    # Pages carry personal data: never kept by a browser or a proxy.
    headers.setdefault("Cache-Control", "no-store")
    if https:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_security_headers(MutableHeaders(scope=message), https=self.https)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def server_error(*, https: bool) -> Callable[[Request, Exception], Awaitable[Response]]:
    """The answer to an exception nothing else caught. Starlette sends it from outside
    every middleware, so it carries the headers itself."""

    async def handler(_request: Request, _exc: Exception) -> Response:
        response = PlainTextResponse(
            "Something went wrong on our side. Try again in a minute.", status_code=500
        )
        add_security_headers(response.headers, https=https)
        return response

    return handler
