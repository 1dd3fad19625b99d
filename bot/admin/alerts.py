"""Safety alerts: risk language and CRISIS requests, until someone acknowledges them."""

from __future__ import annotations

from sqlalchemy import select
from starlette.responses import Response

from bot.admin import access
from bot.admin.context import Ctx
from store.models import Alert, Participant, Practitioner

KINDS = {
    "risk_language": "Risk language",
    "crisis_requested": "Asked for their crisis plan",
    "low_rating": "Rated their week 0 to 2",
}


def show(ctx: Ctx) -> Response:
    with ctx.admin.db.read() as session:
        rows = session.execute(
            select(Alert, Participant, Practitioner)
            .outerjoin(Participant, Alert.participant_id == Participant.id)
            .outerjoin(Practitioner, Alert.acknowledged_by == Practitioner.id)
            .where(access.alerts(ctx.user))
            .order_by(Alert.acknowledged_at.is_not(None), Alert.created_at.desc())
            .limit(100)
        ).all()
        return ctx.render("alerts.html", title="Alerts", rows=rows, kinds=KINDS)


def acknowledge(ctx: Ctx) -> Response:
    alert_id = int(ctx.param("aid"))
    with ctx.admin.db.write() as session:
        alert = access.alert(session, ctx.user, alert_id)
        if alert.acknowledged_at is None:
            alert.acknowledged_at = ctx.now()
            alert.acknowledged_by = ctx.user.id
            ctx.audit(
                session, "alert.acknowledge", "alert", alert.id, participant=alert.participant_id
            )
    back = ctx.field("back")
    if back.startswith("/participants/") and back[14:].isdigit():
        return ctx.redirect(back, done="acknowledged")
    return ctx.redirect("/alerts", done="acknowledged")
