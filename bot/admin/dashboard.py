"""The first page after signing in: what needs attention now."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from bot.admin import access, coproduction, schedule, triage
from bot.admin.context import PRACTITIONER, Ctx, Who
from store.models import Participant, Plan, PlanVersion

QUIET_AFTER = timedelta(days=7)
SHOW = 20


def _their_plans(who: Who) -> ColumnElement[bool]:
    """A caseload's versions are found from its people's plans; a team's (a 25th of the
    trust, say) or the trust's by walking every version waiting, oldest first."""
    if who.role != PRACTITIONER:
        return access.participants(who)
    mine = select(Plan.id).join(Participant, Plan.participant_id == Participant.id)
    return PlanVersion.plan_id.in_(mine.where(access.participants(who)))


def _quiet(session: Session, who: Who, since: datetime) -> list[Participant]:
    """Who has not written for a week, longest first: those who never wrote, then the
    rest by when they last did. Two walks along an index, not a sort of everyone.
    Opted-out people stay on this list, marked: silence after STOP is a signal too."""
    listed = select(Participant).where(
        access.participants(who),
        Participant.status.in_(("active", "opted_out")),
        Participant.is_demo.is_(False),
    )
    never = session.scalars(
        listed.where(Participant.last_inbound_at.is_(None), Participant.created_at < since)
        .order_by(Participant.id)
        .limit(SHOW)
    ).all()
    if len(never) == SHOW:
        return list(never)
    rest = session.scalars(
        listed.where(Participant.last_inbound_at < since)
        .order_by(Participant.last_inbound_at)
        .limit(SHOW - len(never))
    ).all()
    return [*never, *rest]


def show(ctx: Ctx) -> Response:
    who, now = ctx.user, ctx.now()
    raw = ctx.query("alerts_page", "1")
    with ctx.admin.db.read() as session:
        waiting = session.execute(
            select(PlanVersion, Plan.kind, Participant)
            .join(Plan, PlanVersion.plan_id == Plan.id)
            .join(Participant, Plan.participant_id == Participant.id)
            .where(PlanVersion.status == "submitted", _their_plans(who))
            .order_by(PlanVersion.submitted_at)
            .limit(SHOW)
        ).all()
        alerts, page, total = triage.page(session, who, int(raw) if raw.isdigit() else 1)
        quiet = _quiet(session, who, now - QUIET_AFTER)
        unassigned: Sequence[Participant] = []
        if who.is_lead:
            unassigned = session.scalars(
                select(Participant)
                .where(
                    access.participants(who),
                    Participant.practitioner_id.is_(None),
                    Participant.status != "discharged",
                    Participant.is_demo.is_(False),
                )
                .order_by(Participant.name_key, Participant.id)
                .limit(SHOW)
            ).all()
        return ctx.render(
            "dashboard.html",
            title="Dashboard",
            waiting=waiting,
            alert_cards=triage.cards(alerts, who.timezone, now),
            alerts_total=total,
            alerts_page=page,
            alerts_pages=max(1, -(-total // triage.PAGE_SIZE)),
            alerts_link=lambda n: ctx.path("/", alerts_page=n),
            quiet=quiet,
            quiet_days=QUIET_AFTER.days,
            unassigned=unassigned,
            **schedule.dashboard(session, who, now, ctx.query("unanswered")),
            **coproduction.dashboard_panel(session, who, now),
        )
