"""What a scheduled message says while a PIN is set: a neutral line, nothing of the plan,
nothing of the service's purpose (someone else may read the phone first)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.wording import Wording
from store.models import Participant, PlanPin


def neutral(session: Session, participant: Participant, wording: Wording) -> list[str] | None:
    """The neutral line instead of a check-in's, a prep's or a reminder's words; None
    when no PIN is set. The PIN, once given, brings the question back (bot/privacy/lock)."""
    row = session.get(PlanPin, participant.id)
    if row is None or row.pin_hash is None:
        return None
    return [wording.render("privacy/neutral", participant.locale)]
