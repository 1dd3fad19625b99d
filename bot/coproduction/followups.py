"""The touchpoint after an appointment, as the team reads it: per person, and summed
up per team (shares of agenda items talked about, how listened to people felt)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.coproduction.asking import AFTER_DIALOG, MAX_TOPICS
from store.models import Conversation, Participant

RECENT = 5


@dataclass(frozen=True)
class FollowUp:
    """One person's answers after one appointment (unanswered questions are None)."""

    at: datetime
    appointment: date | None
    topics: tuple[tuple[str, bool | None], ...]  # each agenda item: talked about it?
    to_add: str | None
    listened: int | None
    finished: bool


def read(conv: Conversation) -> FollowUp:
    answers = conv.data.get("answers", {}) if isinstance(conv.data, dict) else {}
    topics = [str(t) for t in answers.get("topics") or []][:MAX_TOPICS]
    # The questions count down: topic i of n was asked by topics_(n - i).
    talked = [answers.get(f"talked_{len(topics) - i}") for i in range(len(topics))]
    listened = answers.get("listened")
    day = answers.get("appointment")
    return FollowUp(
        at=conv.updated_at,
        appointment=date.fromisoformat(day) if isinstance(day, str) else None,
        topics=tuple(
            (t, v if isinstance(v, bool) else None) for t, v in zip(topics, talked, strict=True)
        ),
        to_add=str(answers["to_add"]) if answers.get("to_add") else None,
        listened=listened if isinstance(listened, int) and not isinstance(listened, bool) else None,
        finished=conv.status == "completed" and "ended" not in conv.data,
    )


def recent(session: Session, participant_id: int) -> list[FollowUp]:
    convs = session.scalars(
        select(Conversation)
        .where(Conversation.participant_id == participant_id, Conversation.dialog == AFTER_DIALOG)
        .order_by(Conversation.id.desc())
        .limit(RECENT)
    ).all()
    return [read(c) for c in convs]


def of_team(session: Session, team_id: int, since: datetime) -> Iterable[tuple[int, FollowUp]]:
    """(participant id, follow-up) of the team's people since `since`, oldest first."""
    rows = session.execute(
        select(Conversation)
        .join(Participant, Participant.id == Conversation.participant_id)
        .where(
            Participant.team_id == team_id,
            Participant.is_demo.is_(False),
            Conversation.dialog == AFTER_DIALOG,
            Conversation.created_at >= since,
        )
        .order_by(Conversation.created_at, Conversation.id)
    ).scalars()
    for conv in rows:
        yield conv.participant_id, read(conv)
