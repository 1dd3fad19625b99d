"""Safety alerts: the open ones in the order to follow them up, each on its own page (the
link in a notification), acknowledged from any of them with an optional note."""

from __future__ import annotations

from sqlalchemy import select
from starlette.responses import Response

from bot.admin import access, triage
from bot.admin.context import Ctx
from bot.staff import content, escalate
from store.models import Alert, Notification, Participant, Practitioner

RECENT = 50  # acknowledged alerts shown under the open ones
REASONS = {
    "duty": "duty contact",
    "out_of_hours": "out-of-hours contact",
    "lead": "team lead",
    "admin": "administrator",
}


def _page_number(ctx: Ctx, name: str = "page") -> int:
    raw = ctx.query(name, "1")
    return int(raw) if raw.isdigit() else 1


def show(ctx: Ctx) -> Response:
    with ctx.admin.db.read() as session:
        rows, number, total = triage.page(session, ctx.user, _page_number(ctx))
        done = session.execute(
            select(Alert, Participant, Practitioner)
            .outerjoin(Participant, Alert.participant_id == Participant.id)
            .outerjoin(Practitioner, Alert.acknowledged_by == Practitioner.id)
            .where(Alert.acknowledged_at.is_not(None), access.alerts(ctx.user))
            .order_by(Alert.acknowledged_at.desc())
            .limit(RECENT)
        ).all()
        return ctx.render(
            "alerts.html",
            title="Alerts",
            cards=triage.cards(rows, ctx.user.timezone, ctx.now()),
            done=[(a, p, by, content.describe(a)) for a, p, by in done],
            total=total,
            page=number,
            pages=max(1, -(-total // triage.PAGE_SIZE)),
            pager_link=lambda n: ctx.path("/alerts", page=n),
        )


def one(ctx: Ctx) -> Response:
    alert_id = int(ctx.param("aid"))
    with ctx.admin.db.read() as session:
        alert = access.alert(session, ctx.user, alert_id)
        person = session.get(Participant, alert.participant_id) if alert.participant_id else None
        by = session.get(Practitioner, alert.acknowledged_by) if alert.acknowledged_by else None
        told = session.scalars(
            select(Notification)
            .where(Notification.alert_id == alert.id)
            .order_by(Notification.step, Notification.id)
        ).all()
        ctx.record_view("alert.view", "alert", alert.id, participant=alert.participant_id)
        return ctx.render(
            "alert.html",
            title=f"Alert: \u2068{triage.who_name(person)}\u2069",
            card=triage.cards([(alert, person)], ctx.user.timezone, ctx.now())[0],
            by=by,
            told=told,
            reasons=REASONS,
        )


def acknowledge(ctx: Ctx) -> Response:
    alert_id = int(ctx.param("aid"))
    note = ctx.field("note")
    with ctx.admin.db.write() as session:
        alert = access.alert(session, ctx.user, alert_id)
        step = alert.escalation_step
        if escalate.acknowledge(session, alert, ctx.user.id, ctx.now(), note):
            waited = int((ctx.now() - alert.created_at).total_seconds())
            ctx.audit(
                session,
                "alert.acknowledge",
                "alert",
                alert.id,
                participant=alert.participant_id,
                with_note=bool(alert.acknowledged_note),
                step=step,
                seconds=waited,
            )
    back = ctx.field("back")
    if back == "/" or back == f"/alerts/{alert_id}" or _participant_page(back):
        return ctx.redirect(back, done="acknowledged")
    return ctx.redirect("/alerts", done="acknowledged")


def _participant_page(path: str) -> bool:
    return path.startswith("/participants/") and path[14:].isdigit()
