"""WhatsApp on a participant's page: what waits for the 24-hour window, what could not
be delivered. A new wa.me link is made by bot/admin/enrol.py, beside the Telegram one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.channels import whatsapp_window as window
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
