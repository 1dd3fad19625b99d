"""What a message we start says while a PIN is set (a check-in, a reminder, the team's
word about a plan): a neutral line, nothing of the plan, nothing of the service's
purpose (someone else may read the phone first)."""

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


def held(session: Session, participant: Participant, wording: Wording, body: str) -> str:
    """`body`, or while a PIN is set the neutral line, with `body` kept to be shown once
    the PIN is given (as the rest of a reply is kept for MORE)."""
    line = neutral(session, participant, wording)
    if line is None:
        return body
    participant.more = [body]
    return line[0]
