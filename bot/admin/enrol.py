"""Enrolling a service user: their name, a phone for SMS (an invitation is sent) and/or a
Telegram deep link to open, shown as a link and as a QR code to scan in the room."""

from __future__ import annotations

import re
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
from bot.channels.whatsapp_invite import whatsapp_link
from bot.channels.whatsapp_templates import wa_me_link
from bot.enrolment import EnrolmentError, add_participant
from bot.records.nhs_number import NhsNumberError, parse_optional
from bot.types import Channel
from store.models import Practitioner

MAX_NAME = 120
_NO_WAY = {  # by whether WhatsApp is offered
    False: "Give a mobile number for SMS, or tick Telegram, or both.",
    True: "Give a mobile number for SMS, or tick Telegram or WhatsApp.",
}
_TITLES = ("Enrolled", "Telegram link", "WhatsApp link")
_SHOWN = re.compile(
    r"(?P<pid>\d+)\.(?P<sms>[01])\.(?P<kind>[012])\."
    r"(?P<token>[A-Za-z0-9_-]{64})?\.(?P<wa>[A-Za-z0-9_-]{64})?"
)


class _Invalid(Exception):
    """A mistake in the form: the sentence to show, and the field it is about."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _practitioners(session: Session, ctx: Ctx) -> list[Practitioner]:
    """Whom the new person can be assigned to."""
    who = ctx.user
    query = select(Practitioner).where(Practitioner.active.is_(True))
    if who.role != ADMIN:
        query = query.where(Practitioner.team_id == who.team_id)
    if not who.is_lead:
        query = query.where(Practitioner.id == who.id)
    return list(session.scalars(query.order_by(Practitioner.name)).all())


def form(
    ctx: Ctx,
    *,
    error: str | None = None,
    error_for: str = "",
    values: dict[str, Any] | None = None,
) -> Response:
    with ctx.admin.db.read() as session:
        choices = [(p.id, p.name, p.team.name) for p in _practitioners(session, ctx)]
    return ctx.render(
        "enrol.html",
        status=400 if error else 200,
        title="Enrol a service user",
        error=error,
        error_for=error_for,
        values=values or {"practitioner": str(ctx.user.id)},
        choices=choices,
        telegram_ready=bool(ctx.admin.settings.telegram_bot_username),
        whatsapp_ready=bool(ctx.admin.settings.twilio_whatsapp_from),
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
            "whatsapp",
            "practitioner",
            "next_appointment",
            "nhs_number",
            "language",
        )
    }
    now = ctx.now()
    try:
        if not values["name"] or len(values["name"]) > MAX_NAME:
            raise _Invalid(
                f"Give the name they'd like to be called ({MAX_NAME} letters at most).", "name"
            )
        telegram = values["telegram"] == "yes" and bool(ctx.admin.settings.telegram_bot_username)
        whatsapp = values["whatsapp"] == "yes" and bool(ctx.admin.settings.twilio_whatsapp_from)
        if not values["phone"] and not telegram and not whatsapp:
            raise _Invalid(_NO_WAY[bool(ctx.admin.settings.twilio_whatsapp_from)], "phone")
        try:
            appointment = (
                date.fromisoformat(values["next_appointment"])
                if values["next_appointment"]
                else None
            )
        except ValueError as exc:
            raise _Invalid(
                "Give the appointment date as year-month-day.", "next_appointment"
            ) from exc
        try:
            parse_optional(values["nhs_number"])
        except NhsNumberError as exc:
            raise _Invalid(str(exc), "nhs_number") from exc
        with ctx.admin.db.write() as session:
            allowed = {p.id: p for p in _practitioners(session, ctx)}
            chosen = allowed.get(whole(values["practitioner"]) or ctx.user.id)
            if chosen is None:
                raise _Invalid("Choose a practitioner from the list.", "practitioner")
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
            except EnrolmentError as exc:  # the name and NHS number were checked above
                raise _Invalid(str(exc), exc.field) from exc
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
            wa_link = None
            if whatsapp:
                wa_link = whatsapp_link(
                    session, ctx.admin.settings, person.id, now, actor=ctx.user.actor
                )
            if sms is not None:
                ctx.audit(session, "invite.create", "participant", person.id, channel="sms")
            pid = person.id
    except _Invalid as invalid:
        return form(ctx, error=str(invalid), error_for=invalid.field, values=values)
    return _show_once(ctx, pid, link, wa_link, sms=sms is not None, title="Enrolled")


def _show_once(
    ctx: Ctx, pid: int, link: str | None, wa_link: str | None, *, sms: bool, title: str
) -> Response:
    """Post/redirect/get: the new links ride in a short-lived cookie to the page that shows
    them, so reloading that page shows them again and never enrols or invites twice."""
    token = link.rsplit("=", 1)[1] if link else ""
    wa_token = wa_link.rsplit("%20", 1)[1] if wa_link else ""
    kind = _TITLES.index(title)
    value = f"{pid}.{int(sms)}.{kind}.{token}.{wa_token}"
    return ctx.redirect_showing("enrolled", value, f"/participants/{pid}/enrolled")


def enrolled(ctx: Ctx) -> Response:
    pid = int(ctx.param("pid"))
    shown = ctx.shown("enrolled", _SHOWN)
    if shown is None or int(shown["pid"]) != pid:
        return ctx.redirect(f"/participants/{pid}")
    settings = ctx.admin.settings
    username = (settings.telegram_bot_username or "").lstrip("@")
    link = f"https://t.me/{username}?start={shown['token']}" if shown["token"] else None
    wa_link = (
        wa_me_link(settings.twilio_whatsapp_from, shown["wa"])
        if shown["wa"] and settings.twilio_whatsapp_from
        else None
    )
    with ctx.admin.db.read() as session:
        person = access.participant(session, ctx.user, pid)
        return ctx.render(
            "enrolled.html",
            title=_TITLES[int(shown["kind"])],
            person=person,
            link=link,
            qr=svg_data_uri(link) if link else None,
            wa_link=wa_link,
            wa_qr=svg_data_uri(wa_link) if wa_link else None,
            sms=shown["sms"] == "1",
        )


def telegram_link(ctx: Ctx) -> Response:
    """A new deep link for someone already enrolled (the old one stops working)."""
    pid = int(ctx.param("pid"))
    if not ctx.admin.settings.telegram_bot_username:
        return ctx.redirect(f"/participants/{pid}")
    with ctx.admin.db.write() as session:
        person = access.participant(session, ctx.user, pid)
        link = _telegram_link(session, ctx, person.id)
    return _show_once(ctx, pid, link, None, sms=False, title="Telegram link")


def whatsapp_link_page(ctx: Ctx) -> Response:
    """A new wa.me link for someone already enrolled (the old one stops working)."""
    pid = int(ctx.param("pid"))
    if not ctx.admin.settings.twilio_whatsapp_from:
        return ctx.redirect(f"/participants/{pid}")
    with ctx.admin.db.write() as session:
        person = access.participant(session, ctx.user, pid)
        wa_link = whatsapp_link(
            session, ctx.admin.settings, person.id, ctx.now(), actor=ctx.user.actor
        )
    return _show_once(ctx, pid, None, wa_link, sms=False, title="WhatsApp link")
