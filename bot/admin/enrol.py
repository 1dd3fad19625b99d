"""Enrolling a service user: their name, a phone for SMS (an invitation is sent) and/or a
Telegram deep link to open, shown as a link and as a QR code to scan in the room."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from bot.admin import access, notify
from bot.admin.context import ADMIN, Ctx
from bot.admin.qr import svg_data_uri
from bot.admin.whole import whole
from bot.channels.linking import create_invite
from bot.enrolment import EnrolmentError, add_participant
from bot.types import Channel
from store.models import Practitioner

MAX_NAME = 120


class _Invalid(Exception):
    pass


def _practitioners(session: Session, ctx: Ctx) -> list[Practitioner]:
    """Whom the new person can be assigned to."""
    who = ctx.user
    query = select(Practitioner).where(Practitioner.active.is_(True))
    if who.role != ADMIN:
        query = query.where(Practitioner.team_id == who.team_id)
    if not who.is_lead:
        query = query.where(Practitioner.id == who.id)
    return list(session.scalars(query.order_by(Practitioner.name)).all())


def form(ctx: Ctx, *, error: str | None = None, values: dict[str, Any] | None = None) -> Response:
    with ctx.admin.db.read() as session:
        choices = [(p.id, p.name, p.team.name) for p in _practitioners(session, ctx)]
    return ctx.render(
        "enrol.html",
        status=400 if error else 200,
        title="Enrol a service user",
        error=error,
        values=values or {"practitioner": str(ctx.user.id)},
        choices=choices,
        telegram_ready=bool(ctx.admin.settings.telegram_bot_username),
    )


def _telegram_link(session: Session, ctx: Ctx, participant_id: int) -> str:
    """A new deep link; any earlier unused link for this person stops working."""
    now = ctx.now()
    token = create_invite(session, participant_id, Channel.TELEGRAM, now, actor=ctx.user.actor)
    username = (ctx.admin.settings.telegram_bot_username or "").lstrip("@")
    return f"https://t.me/{username}?start={token}"


def submit(ctx: Ctx) -> Response:
    values = {
        k: ctx.field(k).strip()
        for k in (
            "name",
            "phone",
            "telegram",
            "practitioner",
            "next_appointment",
            "nhs_number",
            "language",
        )
    }
    now = ctx.now()
    try:
        if not values["name"] or len(values["name"]) > MAX_NAME:
            raise _Invalid(f"Give the name they'd like to be called ({MAX_NAME} letters at most).")
        telegram = values["telegram"] == "yes" and bool(ctx.admin.settings.telegram_bot_username)
        if not values["phone"] and not telegram:
            raise _Invalid("Give a mobile number for SMS, or tick Telegram, or both.")
        try:
            appointment = (
                date.fromisoformat(values["next_appointment"])
                if values["next_appointment"]
                else None
            )
        except ValueError as exc:
            raise _Invalid("Give the appointment date as year-month-day.") from exc
        with ctx.admin.db.write() as session:
            allowed = {p.id: p for p in _practitioners(session, ctx)}
            chosen = allowed.get(whole(values["practitioner"]) or ctx.user.id)
            if chosen is None:
                raise _Invalid("Choose a practitioner from the list.")
            try:
                person = add_participant(
                    session,
                    name=values["name"],
                    team=chosen.team,
                    now=now,
                    phone=values["phone"] or None,
                    practitioner=chosen,
                    actor=ctx.user.actor,
                    nhs_number=values["nhs_number"] or None,
                    language=values["language"] or None,
                )
            except EnrolmentError as exc:
                raise _Invalid(str(exc)) from exc
            person.next_appointment = appointment
            sms = None
            if values["phone"]:
                sms = notify.queue(
                    session,
                    person,
                    notify.invitation(ctx.admin.assistant.wording, person, chosen.team),
                    now,
                )
            link = None
            if telegram:
                link = _telegram_link(session, ctx, person.id)
            if sms is not None:
                ctx.audit(session, "invite.create", "participant", person.id, channel="sms")
            return ctx.render(
                "enrolled.html",
                title="Enrolled",
                person=person,
                link=link,
                qr=svg_data_uri(link) if link else None,
                sms=sms is not None,
            )
    except _Invalid as invalid:
        return form(ctx, error=str(invalid), values=values)


def telegram_link(ctx: Ctx) -> Response:
    """A new deep link for someone already enrolled (the old one stops working)."""
    pid = int(ctx.param("pid"))
    if not ctx.admin.settings.telegram_bot_username:
        return ctx.redirect(f"/participants/{pid}")
    with ctx.admin.db.write() as session:
        person = access.participant(session, ctx.user, pid)
        link = _telegram_link(session, ctx, person.id)
        return ctx.render(
            "enrolled.html",
            title="Telegram link",
            person=person,
            link=link,
            qr=svg_data_uri(link),
            sms=False,
        )
