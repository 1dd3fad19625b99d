"""Plans: drafts built from answers, immutable submitted versions, who wrote what."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import bindparam, select
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
_J = TypeVar("_J")


def copy_json(value: _J) -> _J:
    """A deep copy of what a JSON column holds (dicts, lists, strings, numbers, None),
    for a fraction of what copy.deepcopy costs (a message makes several)."""
    copied: _J = json.loads(json.dumps(value))
    return copied


class Sections(dict[str, list[Item]]):
    """A plan's sections for templates: a section nobody has written yet is empty."""

    def __missing__(self, key: str) -> list[Item]:
        return []


OPEN_STATUSES = ("draft", "changes_requested")


# Built once: building a statement costs more than running it on SQLite (~60 us).
_PLAN = select(Plan).where(
    Plan.participant_id == bindparam("participant_id"), Plan.kind == bindparam("kind")
)
_LATEST = (
    select(PlanVersion)
    .where(PlanVersion.plan_id == bindparam("plan_id"))
    .order_by(PlanVersion.number.desc())
    .limit(1)
)
_APPROVED = (
    select(PlanVersion)
    .where(PlanVersion.plan_id == bindparam("plan_id"), PlanVersion.status == "approved")
    .order_by(PlanVersion.number.desc())
    .limit(1)
)
# The same, found from the participant in one statement instead of two.
_WAITING = (
    select(PlanVersion)
    .where(PlanVersion.plan_id == bindparam("plan_id"), PlanVersion.status == "submitted")
    .order_by(PlanVersion.number.desc())
    .limit(1)
)
_LATEST_OF = (
    select(PlanVersion)
    .join(Plan, PlanVersion.plan_id == Plan.id)
    .where(Plan.participant_id == bindparam("participant_id"), Plan.kind == bindparam("kind"))
    .order_by(PlanVersion.number.desc())
    .limit(1)
)
_APPROVED_OF = (
    select(PlanVersion)
    .join(Plan, PlanVersion.plan_id == Plan.id)
    .where(
        Plan.participant_id == bindparam("participant_id"),
        Plan.kind == bindparam("kind"),
        PlanVersion.status == "approved",
    )
    .order_by(PlanVersion.number.desc())
    .limit(1)
)


def _plan(session: Session, participant_id: int, kind: str, *, create: bool) -> Plan | None:
    plan = session.scalars(_PLAN, {"participant_id": participant_id, "kind": kind}).one_or_none()
    if plan is None and create:
        plan = Plan(participant_id=participant_id, kind=kind)
        session.add(plan)
        session.flush()
    return plan


def latest_version(session: Session, plan_id: int) -> PlanVersion | None:
    return session.scalars(_LATEST, {"plan_id": plan_id}).one_or_none()


def approved_version(session: Session, plan_id: int) -> PlanVersion | None:
    return session.scalars(_APPROVED, {"plan_id": plan_id}).one_or_none()


def waiting_version(session: Session, plan_id: int) -> PlanVersion | None:
    """The newest version sent for review and not yet decided (a newer draft may follow it)."""
    return session.scalars(_WAITING, {"plan_id": plan_id}).one_or_none()


def _latest_of(session: Session, participant_id: int, kind: str) -> PlanVersion | None:
    params = {"participant_id": participant_id, "kind": kind}
    # No autoflush: new plans and versions are flushed where they are made (below), and a
    # changed version is the object already in the session, so nothing pending can change
    # the answer; a flush here would only write the conversation's changes early.
    with session.no_autoflush:
        return session.scalars(_LATEST_OF, params).one_or_none()


def draft(session: Session, participant_id: int, kind: str) -> PlanVersion:
    """The version the person is editing: the open draft, or a new one copied from the latest."""
    latest = _latest_of(session, participant_id, kind)
    if latest is not None and latest.status == "draft":
        return latest
    if latest is not None:
        plan_id = latest.plan_id
    else:
        plan = _plan(session, participant_id, kind, create=True)
        assert plan is not None
        plan_id = plan.id
    version = PlanVersion(
        plan_id=plan_id,
        number=(latest.number + 1) if latest else 1,
        status="draft",
        sections=copy_json(latest.sections) if latest else {},
    )
    session.add(version)
    session.flush()
    return version


def current(session: Session, participant_id: int, kind: str) -> PlanVersion | None:
    """The newest version of a plan, whatever its status."""
    return _latest_of(session, participant_id, kind)


def for_crisis(session: Session, participant_id: int) -> tuple[PlanVersion | None, bool]:
    """The crisis plan to send: the approved one, else the newest draft; and whether approved."""
    params = {"participant_id": participant_id, "kind": "crisis"}
    with session.no_autoflush:  # as in _latest_of
        approved = session.scalars(_APPROVED_OF, params).one_or_none()
    if approved is not None:
        return approved, True
    latest = _latest_of(session, participant_id, "crisis")
    if latest is None or not any(latest.sections.values()):
        return None, False
    return latest, False


def set_section(version: PlanVersion, section: str, items: list[Item]) -> None:
    sections = copy_json(version.sections)
    sections[section] = items
    version.sections = sections


def append_item(version: PlanVersion, section: str, item: Item) -> None:
    sections = copy_json(version.sections)
    sections.setdefault(section, []).append(item)
    version.sections = sections


def set_steps(version: PlanVersion, section: str, steps: list[Item]) -> None:
    """The small steps of the newest item of `section` (a goal)."""
    sections = copy_json(version.sections)
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
