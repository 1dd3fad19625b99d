"""Audit events: who did what to which record, when, from where. Never message text."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from store.models import AuditEvent

# Detail values are ids, counts and statuses: a key that could carry words a person
# typed is refused here, so a careless caller fails in the tests, not in the log.
_FORBIDDEN_DETAIL = frozenset({"text", "body", "note", "message", "password", "token", "code"})


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    now: datetime,
    record_type: str | None = None,
    record_id: int | None = None,
    address: str | None = None,
    **detail: Any,
) -> None:
    bad = _FORBIDDEN_DETAIL.intersection(detail)
    if bad:
        raise ValueError(f"audit detail may not carry {sorted(bad)}")
    session.add(
        AuditEvent(
            at=now,
            actor=actor[:80],
            action=action,
            record_type=record_type,
            record_id=record_id,
            address=(address or "")[:64] or None,
            detail=detail,
        )
    )
