"""Everything held about one person, read in one transaction: the rows of every table
that names them, as plain values (the subject access export is built from this)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, inspect, or_, select, tuple_
from sqlalchemy.orm import Session

from store.models import (
    Alert,
    AuditEvent,
    Base,
    ChannelIdentity,
    Conversation,
    Invite,
    Job,
    Message,
    Participant,
    Plan,
    PlanVersion,
    Practitioner,
    Schedule,
)

# Columns that are not the person's data: secrets, and staff members' network addresses.
_WITHHELD = {"invite": {"token_hash"}, "audit_event": {"address"}, "participant": {"more"}}


@dataclass(frozen=True)
class Held:
    participant: Participant
    identities: list[ChannelIdentity]
    messages: list[Message]
    conversations: list[Conversation]
    plans: list[Plan]
    versions: list[PlanVersion]  # every version of every plan, by plan then number
    alerts: list[Alert]
    schedule: Schedule | None
    jobs: list[Job]
    invites: list[Invite]
    audit: list[AuditEvent]
    practitioners: dict[int, str]  # id -> name, for everyone named anywhere above


def their_messages(session: Session, pid: int) -> ColumnElement[bool]:
    """Their messages, and any that came from (or went to) their addresses before they
    were known: the export shows them, erasure deletes them."""
    addresses = session.execute(
        select(ChannelIdentity.channel, ChannelIdentity.address).where(
            ChannelIdentity.participant_id == pid
        )
    ).all()
    theirs: ColumnElement[bool] = Message.participant_id == pid
    if not addresses:
        return theirs
    unknown = and_(
        Message.participant_id.is_(None),
        tuple_(Message.channel, Message.address).in_([tuple(a) for a in addresses]),
    )
    return or_(theirs, unknown)


def gather(session: Session, participant: Participant) -> Held:
    pid = participant.id

    def rows(model: type[Any], *where: Any, order: tuple[Any, ...] = ()) -> list[Any]:
        query = select(model).where(*where).order_by(*(order or (model.id,)))
        return list(session.scalars(query).all())

    identities = rows(ChannelIdentity, ChannelIdentity.participant_id == pid)
    plans_ = rows(Plan, Plan.participant_id == pid)
    versions = rows(
        PlanVersion,
        PlanVersion.plan_id.in_([p.id for p in plans_]),
        order=(PlanVersion.plan_id, PlanVersion.number),
    )
    alerts = rows(Alert, Alert.participant_id == pid)
    records = [
        (AuditEvent.record_type == "participant") & (AuditEvent.record_id == pid),
        (AuditEvent.record_type == "plan") & AuditEvent.record_id.in_([p.id for p in plans_]),
        (AuditEvent.record_type == "plan_version")
        & AuditEvent.record_id.in_([v.id for v in versions]),
        (AuditEvent.record_type == "alert") & AuditEvent.record_id.in_([a.id for a in alerts]),
    ]
    audit = rows(AuditEvent, or_(*records))
    held = Held(
        participant=participant,
        identities=identities,
        messages=rows(Message, their_messages(session, pid)),
        conversations=rows(Conversation, Conversation.participant_id == pid),
        plans=plans_,
        versions=versions,
        alerts=alerts,
        schedule=session.scalars(select(Schedule).where(Schedule.participant_id == pid)).first(),
        jobs=rows(Job, Job.participant_id == pid),
        invites=rows(Invite, Invite.participant_id == pid),
        audit=audit,
        practitioners={},
    )
    ids = _practitioner_ids(held)
    names = session.execute(
        select(Practitioner.id, Practitioner.name).where(Practitioner.id.in_(ids))
    )
    held.practitioners.update({int(row.id): str(row.name) for row in names})
    return held


def _practitioner_ids(held: Held) -> set[int]:
    ids = {v.reviewed_by for v in held.versions if v.reviewed_by}
    ids |= {a.acknowledged_by for a in held.alerts if a.acknowledged_by}
    if held.participant.practitioner_id:
        ids.add(held.participant.practitioner_id)
    for version in held.versions:
        ids |= authors(version)
    for event in held.audit:
        if event.actor.startswith("practitioner:") and event.actor[13:].isdigit():
            ids.add(int(event.actor[13:]))
    return ids


def authors(version: PlanVersion) -> set[int]:
    """The practitioners who wrote any item or step of `version`."""
    ids: set[int] = set()
    for items in version.sections.values():
        for entry in items:
            for one in [entry, *(entry.get("steps") or [])]:
                by = str(one.get("by", ""))
                if by.startswith("practitioner:") and by[13:].isdigit():
                    ids.add(int(by[13:]))
    return ids


def as_json(held: Held) -> dict[str, Any]:
    """Every row, every column (but those in _WITHHELD), as JSON values."""
    return {
        "participant": row(held.participant),
        "channel_identities": [row(r) for r in held.identities],
        "messages": [row(r) for r in held.messages],
        "conversations": [row(r) for r in held.conversations],
        "plans": [row(r) for r in held.plans],
        "plan_versions": [row(r) for r in held.versions],
        "alerts": [row(r) for r in held.alerts],
        "schedule": row(held.schedule) if held.schedule is not None else None,
        "scheduled_jobs": [row(r) for r in held.jobs],
        "invitations": [row(r) for r in held.invites],
        "audit_events": [row(r) for r in held.audit],
        "practitioners": {str(k): v for k, v in sorted(held.practitioners.items())},
    }


def row(obj: Base) -> dict[str, Any]:
    mapper = inspect(type(obj))
    withheld = _WITHHELD.get(str(getattr(obj, "__tablename__", "")), set())
    return {
        attr.key: _value(getattr(obj, attr.key))
        for attr in mapper.column_attrs
        if attr.key not in withheld
    }


def _value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
