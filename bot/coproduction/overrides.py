"""Overrides: "edit, then approve" changed the person's words. Each is kept with its
reason; the person is told exactly what changed and may reply UNDO to put their own
words back in front of the team (the approved version stays until the team decides)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import plans
from store.models import Override, PlanVersion, Practitioner

MAX_REASON = 300
UNDO_WITHIN = timedelta(days=30)
COUNT_DAYS = 90


class Invalid(ValueError):
    """An override without a usable reason."""


def removes_safety(kind: str, before: dict[str, list[Any]], after: dict[str, list[Any]]) -> bool:
    """Whether an edit takes anything out of a crisis plan: fewer items in a section, or
    fewer phone numbers (a changed wording or a corrected number is not a removal)."""
    if kind != "crisis":
        return False
    for section, items in before.items():
        kept = after.get(section) or []
        if len(kept) < len(items):
            return True
        if sum(1 for i in kept if i.get("phone")) < sum(1 for i in items if i.get("phone")):
            return True
    return False


def check_reason(raw: str) -> str:
    reason = " ".join(raw.split())
    if not reason:
        raise Invalid("Say why you are changing their words: they will read it.")
    if len(reason) > MAX_REASON:
        raise Invalid(f"Keep the reason to {MAX_REASON} characters.")
    return reason


def record(
    session: Session,
    *,
    kind: str,
    replaced: PlanVersion,
    approved: PlanVersion,
    practitioner_id: int,
    reason: str,
    changes: list[str],
    now: datetime,
) -> Override:
    row = Override(
        participant_id=replaced.plan.participant_id,
        plan_id=replaced.plan_id,
        version_id=approved.id,
        replaced_id=replaced.id,
        practitioner_id=practitioner_id,
        reason=reason,
        changes=list(changes),
        removed_safety=removes_safety(kind, replaced.sections, approved.sections),
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class Undone:
    kind: str
    changes: list[str]


def undo(session: Session, participant_id: int, now: datetime) -> Undone | None:
    """UNDO: the latest override of the last 30 days, while its version is still the
    approved one, is undone: the person's own words are submitted again for review."""
    row = session.scalars(
        select(Override)
        .where(
            Override.participant_id == participant_id,
            Override.undone_at.is_(None),
            Override.created_at >= now - UNDO_WITHIN,
        )
        .order_by(Override.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    approved = plans.approved_version(session, row.plan_id)
    theirs = session.get(PlanVersion, row.replaced_id)
    if approved is None or approved.id != row.version_id or theirs is None:
        return None  # the team has decided again since: nothing of this left to undo
    latest = plans.latest_version(session, row.plan_id)
    restored = PlanVersion(
        plan_id=row.plan_id,
        number=(latest.number if latest else 0) + 1,
        status="submitted",
        sections=plans.copy_json(theirs.sections),
        created_at=now,
        submitted_at=now,
    )
    session.add(restored)
    session.flush()
    row.undone_at, row.restored_id = now, restored.id
    return Undone(kind=theirs.plan.kind, changes=list(row.changes))


def counts(
    session: Session,
    now: datetime,
    *,
    team_id: int | None = None,
    practitioner_id: int | None = None,
) -> list[tuple[str, int, int]]:
    """(practitioner, overrides, undone) over the last 90 days, most overrides first;
    of one team, or one practitioner, or (neither given) everyone."""
    query = (
        select(
            Practitioner.name,
            func.count(Override.id),
            func.count(Override.undone_at),
        )
        .join(Override, Override.practitioner_id == Practitioner.id)
        .where(Override.created_at >= now - timedelta(days=COUNT_DAYS))
        .group_by(Practitioner.id, Practitioner.name)
        .order_by(func.count(Override.id).desc(), Practitioner.name)
    )
    if team_id is not None:
        query = query.where(Practitioner.team_id == team_id)
    if practitioner_id is not None:
        query = query.where(Practitioner.id == practitioner_id)
    return [(name, int(n), int(u)) for name, n, u in session.execute(query)]
