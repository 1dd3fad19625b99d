"""Server-side sessions: a random token in a cookie, only its hash in the database.

A session ends when it is idle too long, when it is too old, at sign-out, and when
the password changes (which also revokes the browsers trusted until then). A new
token is issued at every step up (password, then code), so a token planted before
sign-in is never the one that is signed in."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from store.models import AdminSession, Practitioner, TrustedDevice

CODE = "code"  # the password was right; a one-time code is needed
SETUP = "setup"  # the team requires codes; this practitioner must set them up first
PASSWORD = "password"  # noqa: S105 - a stage: the password must be changed
OK = "ok"
TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most once a minute
DEVICE_LIFETIME = timedelta(days=180)
DEVICE_COOKIE_SECONDS = int(DEVICE_LIFETIME.total_seconds())


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def csrf_token(token: str) -> str:
    """The CSRF token of a session (or of a signed-out browser's pre-session token)."""
    return hashlib.sha256(f"csrf:{token}".encode()).hexdigest()


@dataclass(frozen=True)
class Limits:
    idle: timedelta
    absolute: timedelta


@dataclass(frozen=True)
class Found:
    session_id: int
    stage: str
    practitioner: Practitioner


def start(
    session: Session,
    practitioner_id: int,
    stage: str,
    now: datetime,
    limits: Limits,
    address: str,
) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        AdminSession(
            token_hash=digest(token),
            practitioner_id=practitioner_id,
            stage=stage,
            created_at=now,
            last_seen_at=now,
            expires_at=now + limits.absolute,
            address=address[:64],
        )
    )
    session.flush()
    return token


def needs_write(session: Session, token: str, now: datetime, limits: Limits) -> bool:
    """Whether `load` would change anything (end the session, or note it was seen): read
    first, so that most page views never take the writer."""
    if not token or len(token) > 128:
        return False
    row = session.scalars(
        select(AdminSession).where(AdminSession.token_hash == digest(token))
    ).one_or_none()
    if row is None:
        return False
    practitioner = session.get(Practitioner, row.practitioner_id)
    return (
        now >= row.expires_at
        or now >= row.last_seen_at + limits.idle
        or practitioner is None
        or not practitioner.active
        or now - row.last_seen_at >= TOUCH_EVERY
    )


def load(session: Session, token: str, now: datetime, limits: Limits) -> Found | None:
    """The live session of a token, or None (an expired one is deleted on the way)."""
    if not token or len(token) > 128:
        return None
    row = session.scalars(
        select(AdminSession).where(AdminSession.token_hash == digest(token))
    ).one_or_none()
    if row is None:
        return None
    idle_until = row.last_seen_at + limits.idle
    practitioner = session.get(Practitioner, row.practitioner_id)
    if (
        now >= row.expires_at
        or now >= idle_until
        or practitioner is None
        or not practitioner.active
    ):
        session.delete(row)
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return Found(session_id=row.id, stage=row.stage, practitioner=practitioner)


def advance(
    session: Session, token: str, stage: str, now: datetime, limits: Limits, address: str
) -> str:
    """Swap the session for a new one at `stage`: a new token, the same sign-in time."""
    row = session.scalars(
        select(AdminSession).where(AdminSession.token_hash == digest(token))
    ).one()
    fresh = secrets.token_urlsafe(32)
    session.add(
        AdminSession(
            token_hash=digest(fresh),
            practitioner_id=row.practitioner_id,
            stage=stage,
            created_at=row.created_at,
            last_seen_at=now,
            expires_at=row.expires_at,
            address=address[:64],
        )
    )
    session.delete(row)
    session.flush()
    return fresh


def end(session: Session, token: str) -> None:
    session.execute(delete(AdminSession).where(AdminSession.token_hash == digest(token)))


def end_all(session: Session, practitioner_id: int) -> int:
    """End every session of a practitioner; how many there were."""
    result = session.execute(
        delete(AdminSession).where(AdminSession.practitioner_id == practitioner_id)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def revoke_devices(session: Session, practitioner_id: int) -> None:
    """Forget every browser this practitioner signed in from: after their password
    changes, a browser that knew the old one is a stranger to the throttle again."""
    session.execute(delete(TrustedDevice).where(TrustedDevice.practitioner_id == practitioner_id))


def purge(session: Session, now: datetime, limits: Limits) -> None:
    session.execute(
        delete(AdminSession).where(
            (AdminSession.expires_at <= now) | (AdminSession.last_seen_at <= now - limits.idle)
        )
    )
    session.execute(
        delete(TrustedDevice).where(TrustedDevice.last_used_at <= now - DEVICE_LIFETIME)
    )


def trust_device(session: Session, practitioner_id: int, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        TrustedDevice(
            practitioner_id=practitioner_id,
            token_hash=digest(token),
            created_at=now,
            last_used_at=now,
        )
    )
    return token


def is_trusted(session: Session, practitioner_id: int | None, token: str, now: datetime) -> bool:
    if practitioner_id is None or not token or len(token) > 128:
        return False
    row = session.scalars(
        select(TrustedDevice).where(TrustedDevice.token_hash == digest(token))
    ).one_or_none()
    if row is None or row.practitioner_id != practitioner_id:
        return False
    return now - row.last_used_at < DEVICE_LIFETIME
