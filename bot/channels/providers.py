"""Build the provider clients: the real Twilio and Telegram, or a local stand-in."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import telegram
from telegram.request import HTTPXRequest
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.rest import Client as TwilioClient


class _RebasedHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """Sends what the Twilio client addresses to *.twilio.com to another origin instead.

    Rewriting at the transport keeps every domain, region and edge the library may pick
    pointing at `base_url`, while the library builds paths, auth and errors as usual.
    """

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"TWILIO_API_BASE_URL must be an http(s) URL, not {base_url!r}")
        self._scheme, self._netloc, self._prefix = parts.scheme, parts.netloc, parts.path
        self._prefix = self._prefix.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> TwilioResponse:
        parts = urlsplit(url)
        if parts.hostname is not None and parts.hostname.endswith("twilio.com"):
            path = self._prefix + parts.path
            url = urlunsplit((self._scheme, self._netloc, path, parts.query, parts.fragment))
        return super().request(method, url, *args, **kwargs)


def twilio_client(
    account_sid: str,
    auth_token: str,
    base_url: str | None = None,
    timeout: float = 10.0,
) -> TwilioClient:
    """A Twilio REST client; `base_url` (e.g. "http://127.0.0.1:8001") replaces api.twilio.com.

    `timeout` bounds connecting and each wait for data, in seconds; a request that runs
    out raises requests.exceptions.Timeout (twilio does not wrap transport errors).
    Close `client.http_client.session` when done with the client.
    """
    http_client = (
        TwilioHttpClient(timeout=timeout)
        if base_url is None
        else _RebasedHttpClient(base_url, timeout=timeout)
    )
    # One session for every message: its connections are kept alive and reused (no TCP
    # and TLS handshake per message). The environment's proxy and CA settings are read
    # once, here, not on every request (requests looks them up, and ~/.netrc, each time).
    session = http_client.session
    found = session.merge_environment_settings(
        base_url or "https://api.twilio.com", {}, None, None, None
    )
    session.proxies.update(found["proxies"])
    session.verify = found["verify"]
    session.trust_env = False
    return TwilioClient(account_sid, auth_token, http_client=http_client)


def telegram_bot(
    token: str,
    base_url: str | None = None,
    timeout: float = 10.0,
) -> telegram.Bot:
    """A Telegram Bot; `base_url` (e.g. "http://127.0.0.1:8002/bot") replaces Telegram's.

    PTB appends the token to `base_url`. Every request is bounded by `timeout` seconds
    per phase (connect, write, read, pool) and raises telegram.error.TimedOut past it.
    """
    kwargs: dict[str, Any] = {}
    if base_url is not None:
        base = base_url.rstrip("/")
        root = base.removesuffix("/bot")
        kwargs = {"base_url": base, "base_file_url": f"{root}/file/bot"}

    def request(pool_size: int) -> HTTPXRequest:
        return HTTPXRequest(
            connection_pool_size=pool_size,
            connect_timeout=timeout,
            read_timeout=timeout,
            write_timeout=timeout,
            pool_timeout=timeout,
            media_write_timeout=max(timeout, 20.0),
        )

    return telegram.Bot(token, request=request(64), get_updates_request=request(1), **kwargs)
