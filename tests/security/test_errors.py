"""Error answers: the security headers on every one, and numbers no column can hold
treated as records that aren't there (404, audited), never as a crash."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from bot.channels.sms import INBOUND_PATH
from store.models import AuditEvent
from tests.admin_html import fields, form
from tests.security.conftest import Served

pytestmark = pytest.mark.slow

HEADERS = {
    "content-security-policy": "default-src 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


def assert_secured(response: httpx.Response) -> None:
    for name, value in HEADERS.items():
        assert value in response.headers.get(name, ""), (response.status_code, name)


def test_error_answers_carry_the_security_headers(served: Served) -> None:
    with served.client() as client:
        for method, path, status in [
            ("GET", "/nowhere", 404),
            ("GET", "/admin/nowhere", 404),
            ("GET", INBOUND_PATH, 405),
            ("DELETE", "/admin/sign-in", 404),  # the admin pages answer 405s as not found
            ("GET", "/metrics", 401),
        ]:
            response = client.request(method, path)
            assert response.status_code == status, path
            assert_secured(response)
        too_big = client.post(
            INBOUND_PATH,
            content=b"Body=" + b"x" * 300_000,
            headers={
                "X-Twilio-Signature": "c2lnbmVk",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        assert too_big.status_code == 413
        assert_secured(too_big)


def _denied(served: Served) -> int:
    with served.db.read() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "access.denied")
            )
            or 0
        )


@pytest.mark.parametrize(
    "path",
    [
        "/admin/participants/9223372036854775808",
        "/admin/participants/99999999999999999999999999999",
        "/admin/participants/{pid}/plans/crisis/versions/2147483648",
        "/admin/participants/{pid}/plans/crisis/versions/9223372036854775808/print",
        "/admin/alerts/18446744073709551616/acknowledge",
        "/admin/teams/9223372036854775808",
        "/admin/practitioners/9223372036854775807",
        "/admin/simulator/9223372036854775808",
    ],
)
def test_ids_no_column_can_hold_are_not_found(served: Served, path: str) -> None:
    owner, _ = served.practitioner()
    _, email = served.practitioner("admin")
    pid = served.participant(owner, "Lou", items=("Walk the dog",))
    admin = served.signed_in(email)
    before = _denied(served)
    url = path.format(pid=pid)
    if url.endswith("/acknowledge"):
        admin.get("/admin/")
        token = fields(form(admin.page, "/sign-out"))["csrf"]  # type: ignore[arg-type]
        response = admin.client.post(url, data={"csrf": token})
    else:
        response = admin.client.get(url)
    assert response.status_code == 404
    assert_secured(response)
    assert _denied(served) == before + 1
