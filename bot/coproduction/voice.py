"""The person's own voice, for the top of the review and participant pages: what they
wrote under "What I'd like from my team", and what they want to talk about next time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import plans
from store.models import Conversation

AGENDA_DAYS = 60
# Where agenda items are written: the check-in's last question, the appointment prep.
_AGENDA_ANSWERS = {"check_in": "agenda", "appointment_prep": "topics"}


@dataclass(frozen=True)
class Voice:
    from_team: tuple[str, ...]
    agenda: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.from_team or self.agenda)


def _texts(items: object) -> list[str]:
    if not isinstance(items, list):
        return []
    out = [str(i.get("text", "")) if isinstance(i, dict) else str(i) for i in items]
    return [t for t in out if t.strip()]


def agenda(session: Session, participant_id: int, now: datetime) -> list[str]:
    """Their agenda for the next appointment, once each, newest first: the care plan's
    "for my next appointment", then what they said at check-ins and the appointment prep
    in the last 60 days."""
    found: list[str] = []
    care = plans.current(session, participant_id, "care")
    if care is not None:
        found.extend(_texts(care.sections.get("appointment_topics")))
    convs = session.scalars(
        select(Conversation)
        .where(
            Conversation.participant_id == participant_id,
            Conversation.dialog.in_(list(_AGENDA_ANSWERS)),
            Conversation.updated_at >= now - timedelta(days=AGENDA_DAYS),
        )
        .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
    ).all()
    for conv in convs:
        answers = conv.data.get("answers", {}) if isinstance(conv.data, dict) else {}
        found.extend(_texts(answers.get(_AGENDA_ANSWERS[conv.dialog])))
    seen: set[str] = set()
    unique = []
    for text in found:
        key = " ".join(text.casefold().split())
        if key not in seen:
            seen.add(key)
            unique.append(text)
    return unique


def of(session: Session, participant_id: int, now: datetime) -> Voice:
    care = plans.current(session, participant_id, "care")
    wishes = _texts(care.sections.get("from_team")) if care is not None else []
    return Voice(tuple(wishes), tuple(agenda(session, participant_id, now)))
