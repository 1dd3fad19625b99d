"""Reverse proxies we believe: only their `X-Forwarded-For` names the real client.

Anyone who can reach the app directly could send the header, so it counts only when
the connection comes from an address in TOUCHPOINT_TRUSTED_PROXIES. The throttle and
the audit log then see the person's address instead of the proxy's."""

from __future__ import annotations

import ipaddress
from typing import Any, cast

from starlette.types import ASGIApp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class BadProxySetting(ValueError):
    """A sentence saying which entry of TOUCHPOINT_TRUSTED_PROXIES is wrong."""


def trusted_networks(setting: str) -> list[Network]:
    """`10.0.0.5, 10.1.0.0/16, ::1` as networks; raises BadProxySetting on a bad entry."""
    networks: list[Network] = []
    for entry in (part.strip() for part in setting.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise BadProxySetting(
                f"TOUCHPOINT_TRUSTED_PROXIES has {entry!r}, which is not an IP address or a "
                "CIDR range (like 10.0.0.0/8). List your reverse proxies' addresses, "
                "separated by commas."
            ) from None
    return networks


def behind_proxies(app: ASGIApp, setting: str) -> ASGIApp:
    """`app`, reading the client's address from the trusted proxies' headers (if any)."""
    networks = trusted_networks(setting)
    if not networks:
        return app
    # uvicorn types ASGI apps its own way; both are the same three-argument callable.
    proxied = ProxyHeadersMiddleware(cast(Any, app), trusted_hosts=[str(n) for n in networks])
    return cast(ASGIApp, proxied)
