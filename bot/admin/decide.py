"""A practitioner's decision on a submitted version: approve, send back, or edit and approve.

A submitted version never changes. Editing makes a new version, approved at once;
the older approved version (if any) is superseded either way."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import plans
from store.models import PlanVersion

MAX_NOTE = 300  # with the framing, at most three SMS segments


class Conflict(Exception):
    """The version can't take this decision any more; the message says why."""


def _check(version: PlanVersion) -> None:
    if version.status != "submitted":
        raise Conflict("already")


def _supersede_approved(session: Session, plan_id: int, keep_id: int) -> int | None:
    """Mark earlier approved versions superseded; the number of the newest of them."""
    older = session.scalars(
        select(PlanVersion)
        .where(
            PlanVersion.plan_id == plan_id,
            PlanVersion.status == "approved",
            PlanVersion.id != keep_id,
        )
        .order_by(PlanVersion.number)
    ).all()
    for row in older:
        row.status = "superseded"
    return older[-1].number if older else None


def approve(session: Session, version: PlanVersion, reviewer_id: int, now: datetime) -> None:
    _check(version)
    version.status = "approved"
    version.reviewed_at = now
    version.reviewed_by = reviewer_id
    _supersede_approved(session, version.plan_id, version.id)


def send_back(
    session: Session, version: PlanVersion, reviewer_id: int, note: str, now: datetime
) -> None:
    _check(version)
    version.status = "changes_requested"
    version.review_note = note[:MAX_NOTE]
    version.reviewed_at = now
    version.reviewed_by = reviewer_id


def approve_with_edits(
    session: Session,
    version: PlanVersion,
    reviewer_id: int,
    sections: dict[str, list[dict[str, Any]]],
    now: datetime,
) -> PlanVersion:
    _check(version)
    latest = plans.latest_version(session, version.plan_id)
    if latest is not None and latest.id != version.id:
        raise Conflict("newer")
    version.status = "superseded"
    edited = PlanVersion(
        plan_id=version.plan_id,
        number=version.number + 1,
        status="approved",
        sections=sections,
        created_at=now,
        submitted_at=version.submitted_at,
        reviewed_at=now,
        reviewed_by=reviewer_id,
    )
    session.add(edited)
    session.flush()
    _supersede_approved(session, version.plan_id, edited.id)
    return edited


def previous_approved(session: Session, version: PlanVersion) -> PlanVersion | None:
    """The version this one replaced: the newest earlier one that had been approved."""
    return session.scalars(
        select(PlanVersion)
        .where(
            PlanVersion.plan_id == version.plan_id,
            PlanVersion.number < version.number,
            PlanVersion.status.in_(("approved", "superseded")),
            PlanVersion.reviewed_at.is_not(None),
        )
        .order_by(PlanVersion.number.desc())
        .limit(1)
    ).one_or_none()
