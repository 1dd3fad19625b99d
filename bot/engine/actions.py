"""Named actions a dialog state may run when it is entered (`do:` in dialogs/*.yaml)."""

from __future__ import annotations

from collections.abc import Callable

from bot import plans
from bot.engine.turn import Turn
from store.models import Conversation

Action = Callable[[Turn, Conversation, str | None], None]


def _record_consent(turn: Turn, conv: Conversation, plan: str | None) -> None:
    turn.participant.consented_at = turn.now


def _set_name(turn: Turn, conv: Conversation, plan: str | None) -> None:
    name = conv.data.get("answers", {}).get("name")
    if isinstance(name, str) and name.strip():
        turn.participant.display_name = name.strip()[:120]


def _finish_onboarding(turn: Turn, conv: Conversation, plan: str | None) -> None:
    turn.participant.onboarded_at = turn.now


def _submit_plan(turn: Turn, conv: Conversation, plan: str | None) -> None:
    if plan is None:
        return
    version = plans.draft(turn.session, turn.participant.id, plan)
    plans.submit(turn.session, version, turn.now)


ACTIONS: dict[str, Action] = {
    "record_consent": _record_consent,
    "set_name": _set_name,
    "finish_onboarding": _finish_onboarding,
    "submit_plan": _submit_plan,
}
