"""Changing a password: guessing the current one is throttled, and a change or a reset
ends every other session and forgets every trusted browser."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.admin import sessions
from store.models import AdminSession, TrustedDevice
from tests.admin_support import PASSWORD, Browser
from tests.security.conftest import Served

pytestmark = pytest.mark.slow

NEW_PASSWORD = "Harbour violet compass 82"
THROTTLED = "Too many attempts"


def _change(browser: Browser, current: str, new: str = NEW_PASSWORD) -> str:
    browser.submit(
        "/account/password",
        {"current": current, "new": new, "again": new},
        page="/admin/account/password",
    )
    return browser.text


def _devices(served: Served, practitioner_id: int) -> set[str]:
    with served.db.read() as session:
        return set(
            session.scalars(
                select(TrustedDevice.token_hash).where(
                    TrustedDevice.practitioner_id == practitioner_id
                )
            )
        )


def _sessions(served: Served, practitioner_id: int) -> int:
    with served.db.read() as session:
        return len(
            session.scalars(
                select(AdminSession.id).where(AdminSession.practitioner_id == practitioner_id)
            ).all()
        )


def test_guessing_the_current_password_is_throttled(served: Served) -> None:
    _, email = served.practitioner()
    borrowed = served.signed_in(email)  # someone at an unlocked screen
    for n in range(10):
        assert "isn't right" in _change(borrowed, f"guess number {n} here")
    assert THROTTLED in _change(borrowed, PASSWORD)
    # The password did not change: the old one still signs in, from another browser and
    # address (this one's failures hold this address back for the account).
    elsewhere = served.browser(via_proxy=True, headers={"X-Forwarded-For": "203.0.113.50"})
    assert elsewhere.sign_in(email, PASSWORD).url.path == "/admin/"


def test_a_password_change_ends_other_sessions_and_trusted_browsers(served: Served) -> None:
    pid, email = served.practitioner()
    here, elsewhere = served.signed_in(email), served.signed_in(email)
    assert len(_devices(served, pid)) == 2
    assert "isn't right" not in _change(here, PASSWORD)
    assert here.get("/admin/account").url.path == "/admin/account"
    assert elsewhere.get("/admin/account").url.path == "/admin/sign-in"
    assert _sessions(served, pid) == 1
    # Only this browser is trusted now, with a new token.
    kept = here.client.cookies.get("tp_device")
    assert kept is not None
    assert _devices(served, pid) == {sessions.digest(kept)}


def test_a_password_reset_ends_every_session_and_trusted_browser(served: Served) -> None:
    pid, email = served.practitioner()
    _, admin_email = served.practitioner("admin")
    theirs = served.signed_in(email)
    assert _devices(served, pid)
    admin = served.signed_in(admin_email)
    admin.submit(f"/practitioners/{pid}/reset-password", page=f"/admin/practitioners/{pid}")
    assert "temporary password" in admin.text
    assert theirs.get("/admin/account").url.path == "/admin/sign-in"
    assert _sessions(served, pid) == 0
    assert _devices(served, pid) == set()
