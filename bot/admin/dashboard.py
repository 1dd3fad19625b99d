"""The first page after signing in: what needs attention now."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, or_, select
from starlette.responses import Response

from bot.admin import access, coproduction, schedule
from bot.admin.context import Ctx
from store.models import Alert, Participant, Plan, PlanVersion

QUIET_AFTER = timedelta(days=7)
SHOW = 20


def show(ctx: Ctx) -> Response:
    who, now = ctx.user, ctx.now()
    with ctx.admin.db.read() as session:
        waiting = session.execute(
            select(PlanVersion, Plan.kind, Participant)
            .join(Plan, PlanVersion.plan_id == Plan.id)
            .join(Participant, Plan.participant_id == Participant.id)
            .where(PlanVersion.status == "submitted", access.participants(who))
            .order_by(PlanVersion.submitted_at)
            .limit(SHOW)
        ).all()
        alerts = session.execute(
            select(Alert, Participant)
            .outerjoin(Participant, Alert.participant_id == Participant.id)
            .where(Alert.acknowledged_at.is_(None), access.alerts(who))
            .order_by(Alert.created_at.desc())
            .limit(SHOW)
        ).all()
        since = now - QUIET_AFTER
        quiet = session.scalars(
            select(Participant)
            .where(
                access.participants(who),
                Participant.status == "active",
                Participant.is_demo.is_(False),
                or_(
                    Participant.last_inbound_at < since,
                    and_(Participant.last_inbound_at.is_(None), Participant.created_at < since),
                ),
            )
            .order_by(Participant.last_inbound_at.asc().nulls_first())
            .limit(SHOW)
        ).all()
        return ctx.render(
            "dashboard.html",
            title="Dashboard",
            waiting=waiting,
            alerts=alerts,
            quiet=quiet,
            quiet_days=QUIET_AFTER.days,
            **schedule.dashboard(session, who, now, ctx.query("unanswered")),
            **coproduction.dashboard_panel(session, who, now),
        )
