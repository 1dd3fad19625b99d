"""Plans: drafts built from answers, immutable submitted versions, who wrote what."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Plan, PlanVersion

PARTICIPANT = "participant"

# The sections of each plan, in the order a person reads them.
CRISIS_SECTIONS = (
    "warning_signs",
    "coping",
    "distractions",
    "people_help",
    "professionals",
    "safer_surroundings",
    "reasons",
    "unwell_helps",
    "unwell_not_helpful",
    "unwell_tell",
    "unwell_practical",
)
CARE_SECTIONS = (
    "matters",
    "going",
    "goals",
    "keeps_well",
    "from_team",
    "appointment_topics",
)
SECTIONS = {"crisis": CRISIS_SECTIONS, "care": CARE_SECTIONS}

Item = dict[str, Any]


class Sections(dict[str, list[Item]]):
    """A plan's sections for templates: a section nobody has written yet is empty."""

    def __missing__(self, key: str) -> list[Item]:
        return []


OPEN_STATUSES = ("draft", "changes_requested")


def _plan(session: Session, participant_id: int, kind: str, *, create: bool) -> Plan | None:
    plan = session.scalars(
        select(Plan).where(Plan.participant_id == participant_id, Plan.kind == kind)
    ).one_or_none()
    if plan is None and create:
        plan = Plan(participant_id=participant_id, kind=kind)
        session.add(plan)
        session.flush()
    return plan


def latest_version(session: Session, plan_id: int) -> PlanVersion | None:
    return session.scalars(
        select(PlanVersion)
        .where(PlanVersion.plan_id == plan_id)
        .order_by(PlanVersion.number.desc())
        .limit(1)
    ).one_or_none()


def approved_version(session: Session, plan_id: int) -> PlanVersion | None:
    return session.scalars(
        select(PlanVersion)
        .where(PlanVersion.plan_id == plan_id, PlanVersion.status == "approved")
        .order_by(PlanVersion.number.desc())
        .limit(1)
    ).one_or_none()


def draft(session: Session, participant_id: int, kind: str) -> PlanVersion:
    """The version the person is editing: the open draft, or a new one copied from the latest."""
    plan = _plan(session, participant_id, kind, create=True)
    assert plan is not None
    latest = latest_version(session, plan.id)
    if latest is not None and latest.status == "draft":
        return latest
    version = PlanVersion(
        plan_id=plan.id,
        number=(latest.number + 1) if latest else 1,
        status="draft",
        sections=copy.deepcopy(latest.sections) if latest else {},
    )
    session.add(version)
    session.flush()
    return version


def current(session: Session, participant_id: int, kind: str) -> PlanVersion | None:
    """The newest version of a plan, whatever its status."""
    plan = _plan(session, participant_id, kind, create=False)
    return latest_version(session, plan.id) if plan else None


def for_crisis(session: Session, participant_id: int) -> tuple[PlanVersion | None, bool]:
    """The crisis plan to send: the approved one, else the newest draft; and whether approved."""
    plan = _plan(session, participant_id, "crisis", create=False)
    if plan is None:
        return None, False
    approved = approved_version(session, plan.id)
    if approved is not None:
        return approved, True
    latest = latest_version(session, plan.id)
    if latest is None or not any(latest.sections.values()):
        return None, False
    return latest, False


def set_section(version: PlanVersion, section: str, items: list[Item]) -> None:
    sections = copy.deepcopy(version.sections)
    sections[section] = items
    version.sections = sections


def append_item(version: PlanVersion, section: str, item: Item) -> None:
    sections = copy.deepcopy(version.sections)
    sections.setdefault(section, []).append(item)
    version.sections = sections


def set_steps(version: PlanVersion, section: str, steps: list[Item]) -> None:
    """The small steps of the newest item of `section` (a goal)."""
    sections = copy.deepcopy(version.sections)
    items = sections.get(section) or []
    if not items:
        return
    items[-1]["steps"] = steps
    version.sections = sections


def submit(session: Session, version: PlanVersion, now: datetime) -> None:
    """Submit a draft; an earlier submission still waiting for review is superseded."""
    if version.status != "draft":
        raise ValueError(f"only a draft can be submitted; this version is {version.status}")
    waiting = session.scalars(
        select(PlanVersion).where(
            PlanVersion.plan_id == version.plan_id,
            PlanVersion.status == "submitted",
            PlanVersion.id != version.id,
        )
    )
    for older in waiting:
        older.status = "superseded"
    version.status = "submitted"
    version.submitted_at = now


def item(text: str, by: str = PARTICIPANT, **extra: Any) -> Item:
    return {"text": text, "by": by, **extra}
