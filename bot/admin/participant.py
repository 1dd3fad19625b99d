"""One service user: what needs attention first (a plan to review, open alerts, the
latest messages), then plans, check-ins and settings."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from starlette.responses import Response

from bot import plans
from bot.admin import access, conversation, coproduction, privacy, schedule, triage, whatsapp
from bot.admin.context import Ctx
from bot.admin.sections import STATUS_NAMES
from bot.records.nhs_number import NhsNumberError, parse_optional
from bot.schedule.planning import replan
from bot.supporters import records
from store.models import Alert, ChannelIdentity, Conversation, Message, Practitioner

CHECK_INS = 5
CHECK_IN_FIELDS = (
    ("rating", "How things have been (0 to 10)"),
    ("went_well", "What went well"),
    ("hard", "What was hard"),
    ("goal_progress", "Progress on a goal"),
    ("agenda", "For the next appointment"),
)


def _check_in(conv: Conversation) -> dict[str, Any]:
    answers = conv.data.get("answers", {}) if isinstance(conv.data, dict) else {}
    rows = []
    for key, label in CHECK_IN_FIELDS:
        value = answers.get(key)
        if value in (None, "", []):
            continue
        if isinstance(value, list):
            value = "; ".join(
                str(v.get("text", "")) if isinstance(v, dict) else str(v) for v in value
            )
        rows.append((label, str(value)))
    return {"at": conv.updated_at, "rows": rows}


def _open(card: dict[str, object]) -> bool:
    alert = card["alert"]
    return isinstance(alert, Alert) and alert.acknowledged_at is None


def show(ctx: Ctx, *, error: str | None = None, error_for: str = "") -> Response:
    pid = int(ctx.param("pid"))
    with ctx.admin.db.read() as session:
        person = access.participant(session, ctx.user, pid)
        identities = session.scalars(
            select(ChannelIdentity)
            .where(ChannelIdentity.participant_id == pid)
            .order_by(ChannelIdentity.id)
        ).all()
        plan_rows, waiting = [], []
        for kind in plans.SECTIONS:
            latest = plans.current(session, pid, kind)
            approved = plans.approved_version(session, latest.plan_id) if latest else None
            plan_rows.append((kind, latest, approved))
            # A submitted version waits for review even when they have started a newer draft.
            sent = plans.waiting_version(session, latest.plan_id) if latest else None
            if sent is not None and latest is not None:
                waiting.append((kind, sent, latest.number > sent.number))
        alerts = session.scalars(
            select(Alert)
            .where(Alert.participant_id == pid)
            .order_by(Alert.created_at.desc())
            .limit(20)
        ).all()
        messages = list(
            reversed(
                session.scalars(
                    select(Message)
                    .where(Message.participant_id == pid)
                    .order_by(Message.id.desc())
                    .limit(conversation.LATEST)
                ).all()
            )
        )
        check_ins = session.scalars(
            select(Conversation)
            .where(
                Conversation.participant_id == pid,
                Conversation.dialog == "check_in",
                Conversation.status == "completed",
            )
            .order_by(Conversation.updated_at.desc())
            .limit(CHECK_INS)
        ).all()
        active = session.scalars(
            select(Conversation).where(
                Conversation.participant_id == pid, Conversation.status == "active"
            )
        ).first()
        practitioner = (
            session.get(Practitioner, person.practitioner_id) if person.practitioner_id else None
        )
        # Leads and administrators may give them to another practitioner of their team.
        colleagues = (
            session.scalars(
                select(Practitioner)
                .where(Practitioner.team_id == person.team_id, Practitioner.active.is_(True))
                .order_by(Practitioner.name)
            ).all()
            if ctx.user.is_lead
            else []
        )
        ctx.record_view("participant.view", "participant", pid)
        cards = triage.cards([(a, person) for a in alerts], ctx.user.timezone, ctx.now())
        return ctx.render(
            "participant.html",
            status=400 if error else 200,
            title=person.display_name,
            person=person,
            identities=identities,
            plans=plan_rows,
            waiting=waiting,
            open_alerts=[c for c in cards if _open(c)],
            past_alerts=[c for c in cards if not _open(c)],
            messages=messages,
            message_count=session.scalar(
                select(func.count()).select_from(Message).where(Message.participant_id == pid)
            ),
            check_ins=[_check_in(c) for c in check_ins],
            active=active,
            practitioner=practitioner,
            colleagues=colleagues,
            status_names=STATUS_NAMES,
            error=error,
            error_for=error_for,
            telegram_ready=bool(ctx.admin.settings.telegram_bot_username),
            has_telegram=any(i.channel == "telegram" for i in identities),
            retain_days=ctx.admin.settings.retain_messages_days,
            **schedule.panels(session, person, ctx.now()),
            **privacy.panels(session, person, ctx.now()),
            **records.panel(session, pid),
            **coproduction.participant_panel(session, person, ctx.now()),
            **whatsapp.panel(session, person, ctx.admin.settings),
        )


def set_appointment(ctx: Ctx) -> Response:
    pid = int(ctx.param("pid"))
    raw = ctx.field("next_appointment").strip()
    try:
        when = date.fromisoformat(raw) if raw else None
    except ValueError:
        with ctx.admin.db.read() as session:
            access.participant(session, ctx.user, pid)
        return show(
            ctx,
            error="Give the date as year-month-day, for example 2026-03-14.",
            error_for="next_appointment",
        )
    with ctx.admin.db.write() as session:
        person = access.participant(session, ctx.user, pid)
        person.next_appointment = when
        ctx.audit(session, "participant.appointment", "participant", pid)
        replan(session, pid, ctx.now())  # the appointment prep moves with the date
    return ctx.redirect(f"/participants/{pid}", done="appointment")


def set_nhs_number(ctx: Ctx) -> Response:
    pid = int(ctx.param("pid"))
    try:
        number = parse_optional(ctx.field("nhs_number"))
    except NhsNumberError as exc:
        with ctx.admin.db.read() as session:
            access.participant(session, ctx.user, pid)
        return show(ctx, error=str(exc), error_for="nhs_number")
    with ctx.admin.db.write() as session:
        person = access.participant(session, ctx.user, pid)
        person.nhs_number = number
        ctx.audit(session, "participant.nhs_number", "participant", pid, known=number is not None)
    return ctx.redirect(f"/participants/{pid}", done="nhs_number")
