"""MORE: the rest of a crisis reply, page by page, never out of date.

Pages wait for an hour after CRISIS; after that, MORE builds them again from the plan
as it is now. Starting a dialog drops them (bot/engine/runner.py), so an old page never
turns up in the middle of something else.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

from sqlalchemy import bindparam, func, select

from bot import crisis
from bot.engine.turn import Turn
from bot.wording import Wording
from store.models import Alert

PAGES_KEEP: Final = timedelta(hours=1)

_LAST_CRISIS = select(func.max(Alert.created_at)).where(
    Alert.participant_id == bindparam("participant_id"), Alert.kind == "crisis_requested"
)


def next_page(turn: Turn, wording: Wording, service: dict[str, Any]) -> str | None:
    """The next page of the crisis reply, or None when nothing is waiting."""
    participant = turn.participant
    if not participant.more:
        return None
    asked = turn.session.scalar(_LAST_CRISIS, {"participant_id": participant.id})
    if asked is None or turn.now - asked > PAGES_KEEP:
        parts = crisis.crisis_parts(
            turn.session, wording, participant, turn.team, service=service, sms=turn.sms
        )
        pages = parts[1:]
    else:
        pages = list(participant.more)
    participant.more = pages[1:]
    return pages[0] if pages else None
