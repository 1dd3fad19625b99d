"""Numbers typed into admin filters and forms: "²" passes `str.isdigit` and fails `int`,
and some numbers fit no column. Each is read as no number, never as a 500."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.admin.whole import whole
from tests.admin_support import World, admin_world

HUGE = "9" * 25


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    with admin_world(db_url) as w:
        yield w


def test_whole_numbers() -> None:
    assert whole("42") == 42
    assert whole(" 7 ") == 7
    assert whole(str(2**63 - 1)) == 2**63 - 1
    for text in ("", "²", "٣", "-1", "1.5", str(2**63), HUGE, "1e3", "0x10"):
        assert whole(text) is None, text
    assert whole("2147483648", 2**31 - 1) is None


def test_numbers_in_filters_are_never_a_server_error(world: World) -> None:
    admin = world.signed_in("ada")
    for path in (
        f"/admin/audit?page={HUGE}",
        f"/admin/audit?record_id={HUGE}",
        "/admin/audit?record_id=²",
        f"/admin/participants?page={HUGE}",
        "/admin/?unanswered=²",
        f"/admin/?unanswered={HUGE}",
    ):
        assert admin.get(path).status_code == 200, path


def test_numbers_in_forms_are_never_a_server_error(world: World) -> None:
    admin = world.signed_in("ada")
    admin.submit(
        "/practitioners",
        {"name": "Nell Number", "email": "nell@example.org", "team": "²", "role": "practitioner"},
        page="/admin/practitioners",
    )
    assert admin.response is not None
    assert admin.response.status_code < 500
    pat = world.signed_in("pat")
    alex = world.ids["alex"]
    for every, cap in (("²", "2"), ("3", "٣"), (HUGE, "2"), ("3", HUGE)):
        pat.submit(
            "/schedule",
            {"how": "every", "every": every, "daily_cap": cap, "timezone": "Europe/London"},
            page=f"/admin/participants/{alex}",
        )
        assert pat.response is not None
        assert pat.response.status_code < 500, (every, cap)
