"""Cross-site request forgery: every form that changes anything carries a token tied to
the browser's session, and a request another site started is refused outright."""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from starlette.requests import Request

FIELD = "csrf"


def same_origin(request: Request, public_url: str) -> bool:
    """False when the browser says another site sent this request."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True  # older browsers; the token still has to match
    host = urlsplit(origin).netloc
    return host in (request.headers.get("host", ""), urlsplit(public_url).netloc)


def valid(expected: str, given: str) -> bool:
    return bool(expected) and hmac.compare_digest(expected.encode(), given.encode())
