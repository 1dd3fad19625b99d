"""The audit log, for team leads (their team's people and records) and administrators."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, String, and_, cast, func, literal, or_, select, true
from starlette.responses import Response

from bot.admin import access, whole
from bot.admin.context import LEAD, Ctx, Who
from store.models import AuditEvent, Participant, Practitioner

PAGE_SIZE = 50


def _scope(who: Who) -> ColumnElement[bool]:
    if who.role != LEAD:
        return true()
    team_people = select(Practitioner.id).where(Practitioner.team_id == who.team_id)
    actors = select(literal("practitioner:") + cast(Practitioner.id, String)).where(
        Practitioner.team_id == who.team_id
    )
    return or_(
        AuditEvent.actor.in_(actors),
        and_(
            AuditEvent.record_type == "participant",
            AuditEvent.record_id.in_(select(Participant.id).where(access.participants(who))),
        ),
        and_(AuditEvent.record_type == "practitioner", AuditEvent.record_id.in_(team_people)),
    )


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def show(ctx: Ctx) -> Response:
    f = {
        k: ctx.query(k).strip()[:80]
        for k in ("actor", "action", "record_type", "record_id", "since", "until")
    }
    conditions: list[ColumnElement[bool]] = [_scope(ctx.user)]
    if f["actor"]:
        conditions.append(AuditEvent.actor == f["actor"])
    if f["action"]:
        conditions.append(AuditEvent.action == f["action"])
    if f["record_type"]:
        conditions.append(AuditEvent.record_type == f["record_type"])
    record_id = whole.whole(f["record_id"])
    if record_id is not None:
        conditions.append(AuditEvent.record_id == record_id)
    since, until = _day(f["since"]), _day(f["until"])
    if since:
        conditions.append(AuditEvent.at >= datetime.combine(since, time(), UTC))
    if until:
        conditions.append(AuditEvent.at < datetime.combine(until + timedelta(days=1), time(), UTC))
    page = max(1, whole.whole(ctx.query("page")) or 1)
    with ctx.admin.db.write() as session:
        total = int(
            session.scalar(select(func.count()).select_from(AuditEvent).where(*conditions)) or 0
        )
        page = min(page, max(1, -(-total // PAGE_SIZE)))
        events = session.scalars(
            select(AuditEvent)
            .where(*conditions)
            .order_by(AuditEvent.id.desc())
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        ).all()
        actions = session.scalars(
            select(AuditEvent.action).distinct().order_by(AuditEvent.action)
        ).all()
        names = {
            f"practitioner:{pid}": name
            for pid, name in session.execute(select(Practitioner.id, Practitioner.name))
        }
        ctx.audit(session, "audit.view", filtered=sorted(k for k, v in f.items() if v))
        return ctx.render(
            "audit.html",
            title="Audit log",
            events=events,
            filters=f,
            actions=actions,
            names=names,
            page=page,
            pages=max(1, -(-total // PAGE_SIZE)),
            total=total,
            pager_link=lambda n: ctx.path("/audit", **f, page=n),
        )
