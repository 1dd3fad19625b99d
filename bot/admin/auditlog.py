"""The audit log, for team leads (their team's people and records) and administrators.

Newest first, a page at a time from where the last one ended (`before`, an event's id):
no count of millions of rows, no OFFSET. Read in a read transaction; the page's own
audit event is written after it, in a write of one row."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, literal_column, or_, select, true
from sqlalchemy.orm import aliased
from starlette.responses import Response

from bot.admin import access, whole
from bot.admin.context import LEAD, Ctx, Who
from store.indexed import NOT_INDEXED, IndexedBy
from store.models import Alert, AuditEvent, Participant, Plan, PlanVersion, Practitioner

PAGE_SIZE = 50
Events = Any  # AuditEvent, or an alias of its table (mypy types neither attribute-wise)
FILTERS = ("actor", "action", "record_type", "record_id", "since", "until")


def _scope(e: Events, who: Who, staff: list[int]) -> ColumnElement[bool]:
    """A lead sees what their team's practitioners (`staff`) did, and what was done to
    their team's records: its people, their plans and alerts, its practitioners, the
    team itself."""
    if who.role != LEAD:
        return true()
    team_people = select(Practitioner.id).where(Practitioner.team_id == who.team_id)
    people = select(Participant.id).where(access.participants(who))
    plans = (
        select(Plan.id)
        .join(Participant, Plan.participant_id == Participant.id)
        .where(access.participants(who))
    )
    records = {
        "participant": people,
        "practitioner": team_people,
        "alert": select(Alert.id)
        .join(Participant, Alert.participant_id == Participant.id)
        .where(access.participants(who)),
        "plan": plans,
        "plan_version": select(PlanVersion.id).where(PlanVersion.plan_id.in_(plans)),
    }
    actors = [f"practitioner:{pid}" for pid in staff]
    return or_(
        e.actor.in_(actors),
        and_(e.record_type == "team", e.record_id == who.team_id),
        *(and_(e.record_type == kind, e.record_id.in_(ids)) for kind, ids in records.items()),
    )


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _conditions(
    e: Events, who: Who, staff: list[int], f: dict[str, str]
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [_scope(e, who, staff)]
    for name in ("actor", "action", "record_type"):
        if f[name]:
            conditions.append(getattr(e, name) == f[name])
    record_id = whole.whole(f["record_id"])
    if record_id is not None:
        conditions.append(e.record_id == record_id)
    since, until = _day(f["since"]), _day(f["until"])
    if since:
        conditions.append(e.at >= datetime.combine(since, time(), UTC))
    if until:
        conditions.append(e.at < datetime.combine(until + timedelta(days=1), time(), UTC))
    return conditions


def _actions() -> Select[tuple[str]]:
    """Each action once, by hopping along the (action, id) index from one to the next:
    as many look-ups as there are actions, however many events."""
    hops = (
        select(literal_column("min(action)").label("action"))
        .select_from(AuditEvent.__table__)
        .cte("hops", recursive=True)
    )
    hops = hops.union_all(
        select(
            select(literal_column("min(action)"))
            .select_from(AuditEvent.__table__)
            .where(AuditEvent.action > hops.c.action)
            .scalar_subquery()
        ).where(hops.c.action.is_not(None))
    )
    return select(hops.c.action).where(hops.c.action.is_not(None)).order_by(hops.c.action)


def show(ctx: Ctx) -> Response:
    who = ctx.user
    f = {k: ctx.query(k).strip()[:80] for k in FILTERS}
    before = whole.whole(ctx.query("before"))
    with ctx.admin.db.read() as session:
        staff = session.execute(
            select(Practitioner.id, Practitioner.name).where(
                Practitioner.team_id == who.team_id if who.role == LEAD else true()
            )
        ).all()
        team = [pid for pid, _name in staff]
        e: Events = AuditEvent
        if who.role == LEAD and not any(f[k] for k in ("actor", "action", "record_type")):
            # A team's share of everything, walked newest first: a page costs reading back
            # to its 51st event of theirs. SQLite would rather gather all the team's events
            # through the indexes and sort them (docs/performance.md).
            e = aliased(AuditEvent, IndexedBy.of(AuditEvent.__table__, NOT_INDEXED, "events"))
        query = select(e).where(*_conditions(e, who, team, f))
        if before is not None:
            query = query.where(e.id < before)
        events = session.scalars(query.order_by(e.id.desc()).limit(PAGE_SIZE + 1)).all()
        actions = session.scalars(_actions()).all()
    older = events[PAGE_SIZE - 1].id if len(events) > PAGE_SIZE else None
    ctx.record_view("audit.view", filtered=sorted(k for k, v in f.items() if v), older=bool(before))
    return ctx.render(
        "audit.html",
        title="Audit log",
        events=events[:PAGE_SIZE],
        filters=f,
        actions=actions,
        names={f"practitioner:{pid}": name for pid, name in staff},
        newer_link=ctx.path("/audit", **f) if before is not None else None,
        older_link=ctx.path("/audit", **f, before=older) if older is not None else None,
    )
