"""TOUCHPOINT_TRUSTED_PROXIES is read strictly: a typo must not trust nobody (or everyone)
silently, so `touchpoint serve` says which entry is wrong."""

from __future__ import annotations

import ipaddress

from bot.web.proxies import trusted_networks
from bot.web.server import config_problems
from tests.conftest import make_settings


def test_addresses_and_ranges() -> None:
    assert trusted_networks(" 127.0.0.1, 10.0.0.0/8,::1 ,") == [
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("::1/128"),
    ]
    assert trusted_networks("") == []


def test_serve_refuses_an_entry_that_is_not_an_address() -> None:
    for wrong in ("proxy.example.org", "10.0.0.0/33", "127.0.0.1;10.0.0.1"):
        problems = config_problems(make_settings("sqlite://", trusted_proxies=wrong))
        assert len(problems) == 1, wrong
        assert "TOUCHPOINT_TRUSTED_PROXIES" in problems[0]
    assert config_problems(make_settings("sqlite://", trusted_proxies="10.0.0.0/8")) == []
