"""Throttling failed sign-ins without handing an attacker a way to lock people out.

Failures are counted over a sliding window, per account and address, and per account.
A browser that signed in to the account before (a trusted device cookie) is only held
back by failures made from trusted browsers, so someone guessing from elsewhere cannot
lock a practitioner out of their usual browser, and from anywhere else for no longer
than the window. Failures never count against another account: behind a proxy that
is not in TOUCHPOINT_TRUSTED_PROXIES everyone has the same address, and one person
guessing must not lock everyone out. Unknown accounts are counted the same way as
known ones, so the answers can't tell them apart."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from store.models import SigninFailure

THROTTLED = "Too many attempts. Wait 15 minutes and try again, or ask an administrator."


@dataclass(frozen=True)
class Policy:
    window: timedelta = timedelta(minutes=15)
    per_account_and_address: int = 5
    per_account: int = 10  # from browsers that never signed in to it
    per_trusted_account: int = 10  # from browsers that did


DEFAULT = Policy()


def account_key(email: str) -> str:
    """Failures are kept against a hash: the table never holds an email address."""
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


def _count(session: Session, since: datetime, *conditions: object) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(SigninFailure)
            .where(
                SigninFailure.at > since,
                *conditions,  # type: ignore[arg-type]
            )
        )
        or 0
    )


def allowed(
    session: Session,
    key: str,
    address: str,
    *,
    trusted: bool,
    now: datetime,
    policy: Policy = DEFAULT,
) -> bool:
    since = now - policy.window
    if trusted:
        return (
            _count(session, since, SigninFailure.account_key == key, SigninFailure.known_device)
            < policy.per_trusted_account
        )
    if (
        _count(session, since, SigninFailure.account_key == key, SigninFailure.address == address)
        >= policy.per_account_and_address
    ):
        return False
    untrusted = SigninFailure.known_device.is_(False)
    return _count(session, since, SigninFailure.account_key == key, untrusted) < policy.per_account


def failed(session: Session, key: str, address: str, *, trusted: bool, now: datetime) -> None:
    session.add(SigninFailure(at=now, account_key=key, address=address[:64], known_device=trusted))


def succeeded(session: Session, key: str, address: str) -> None:
    """A right password from an address wipes that address's failures for the account."""
    session.execute(
        delete(SigninFailure).where(
            SigninFailure.account_key == key, SigninFailure.address == address[:64]
        )
    )


def purge(session: Session, now: datetime, policy: Policy = DEFAULT) -> None:
    session.execute(delete(SigninFailure).where(SigninFailure.at <= now - policy.window))
