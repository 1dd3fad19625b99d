"""Who is asking: the client's address behind a reverse proxy, and sign-in throttling
that an attacker can't turn into a lock-out of everyone else."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from store.models import AuditEvent
from tests.security.conftest import Served

pytestmark = pytest.mark.slow

THROTTLED = "Too many attempts"


def _addresses(served: Served, action: str, practitioner_id: int | None) -> list[str | None]:
    with served.db.read() as session:
        return list(
            session.scalars(
                select(AuditEvent.address)
                .where(AuditEvent.action == action, AuditEvent.record_id == practitioner_id)
                .order_by(AuditEvent.id)
            )
        )


def test_the_audit_log_has_the_client_address_a_trusted_proxy_forwards(served: Served) -> None:
    pid, email = served.practitioner()
    proxied = served.browser(via_proxy=True, headers={"X-Forwarded-For": "203.0.113.7"})
    proxied.sign_in(email, "not the password at all")
    direct = served.browser(headers={"X-Forwarded-For": "198.51.100.9"})
    direct.sign_in(email, "not the password either")
    chained = served.browser(via_proxy=True, headers={"X-Forwarded-For": "1.2.3.4, 203.0.113.8"})
    chained.sign_in(email, "nor this one")
    # From the proxy: the address it forwards (the nearest one it did not add itself);
    # from anyone else: their own address, whatever header they send.
    assert _addresses(served, "signin.failed", pid) == ["203.0.113.7", "127.0.0.1", "203.0.113.8"]


def test_throttling_counts_people_behind_a_trusted_proxy_apart(served: Served) -> None:
    _, email = served.practitioner()
    guesser = served.browser(via_proxy=True, headers={"X-Forwarded-For": "203.0.113.20"})
    for _ in range(6):
        guesser.sign_in(email, "a wrong guess here")
    assert THROTTLED in guesser.text
    colleague = served.browser(via_proxy=True, headers={"X-Forwarded-For": "203.0.113.21"})
    assert colleague.sign_in(email).url.path == "/admin/"


def test_no_number_of_failures_from_one_address_locks_out_another_account(
    served: Served,
) -> None:
    """Without TOUCHPOINT_TRUSTED_PROXIES every request behind a proxy has one address."""
    _, email = served.practitioner()
    known_id, known_email = served.practitioner()
    known = served.signed_in(known_email)  # this browser is now trusted for the account
    known.submit("/sign-out", page="/admin/account")
    attacker = served.browser()
    for n in range(21):  # more than any one account's limit, on accounts nobody has
        attacker.sign_in(f"nobody-{n % 5}@example.org", "guess guess guess")
    for _ in range(6):
        attacker.sign_in(known_email, "guess guess guess")
    assert THROTTLED in attacker.text
    # A colleague at the same address, another account: in.
    assert served.browser().sign_in(email).url.path == "/admin/"
    # The practitioner's own browser, though their account was guessed at: in.
    assert known.sign_in(known_email).url.path == "/admin/"
    assert _addresses(served, "signin.ok", known_id)[-1] == "127.0.0.1"
