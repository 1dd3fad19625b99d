"""WhatsApp on a participant's page: what waits for the 24-hour window, what could not
be delivered, and a new wa.me link with its QR code (the old one stops working)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from bot.admin import access
from bot.admin.context import Ctx
from bot.admin.qr import svg_data_uri
from bot.channels import whatsapp_window as window
from bot.channels.whatsapp_invite import whatsapp_link
from bot.settings import Settings
from bot.types import Channel
from store.models import Message, Participant


def panel(session: Session, person: Participant, settings: Settings) -> dict[str, Any]:
    counts = dict(
        session.execute(
            select(Message.status, func.count())
            .where(
                Message.participant_id == person.id,
                Message.channel == Channel.WHATSAPP.value,
                Message.direction == "out",
                Message.status.in_((window.HELD, "failed", "undelivered")),
            )
            .group_by(Message.status)
        ).all()
    )
    return {
        "whatsapp_ready": bool(settings.twilio_whatsapp_from),
        "whatsapp_held": int(counts.get(window.HELD, 0)),
        "whatsapp_failed": int(counts.get("failed", 0)) + int(counts.get("undelivered", 0)),
    }


def link(ctx: Ctx) -> Response:
    """A new wa.me link for someone already enrolled."""
    pid = int(ctx.param("pid"))
    if not ctx.admin.settings.twilio_whatsapp_from:
        return ctx.redirect(f"/participants/{pid}")
    with ctx.admin.db.write() as session:
        person = access.participant(session, ctx.user, pid)
        wa_link = whatsapp_link(
            session, ctx.admin.settings, person.id, ctx.now(), actor=ctx.user.actor
        )
        return ctx.render(
            "enrolled.html",
            title="WhatsApp link",
            person=person,
            link=None,
            qr=None,
            wa_link=wa_link,
            wa_qr=svg_data_uri(wa_link),
            sms=False,
        )
