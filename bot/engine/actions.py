"""Named actions a dialog state may run when it is entered (`do:` in dialogs/*.yaml)."""

from __future__ import annotations

from collections.abc import Callable

from bot import plans
from bot.coproduction import actions as coproduction
from bot.engine.turn import Turn
from bot.schedule import adjust
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
    version = turn.draft_plan(plan)
    plans.submit(turn.session, version, turn.now)


def _remember_rhythm(conv: Conversation, described: str | None) -> None:
    data = plans.copy_json(conv.data or {})
    data.setdefault("answers", {})["rhythm"] = described
    conv.data = data


def _describe_rhythm(turn: Turn, conv: Conversation, plan: str | None) -> None:
    rhythm = adjust.current(turn.session, turn.participant.id)
    _remember_rhythm(conv, rhythm.describe() if rhythm else None)


def _rhythm_often(turn: Turn, conv: Conversation, plan: str | None) -> None:
    _remember_rhythm(conv, adjust.more_often(turn.session, turn.participant, turn.now).describe())


def _rhythm_less(turn: Turn, conv: Conversation, plan: str | None) -> None:
    rhythm = adjust.less_often(turn.session, turn.participant, turn.now)
    _remember_rhythm(conv, rhythm.describe() if rhythm else None)


def _rhythm_week_off(turn: Turn, conv: Conversation, plan: str | None) -> None:
    adjust.week_off(turn.session, turn.participant, turn.now)


ACTIONS: dict[str, Action] = {
    "record_consent": _record_consent,
    "set_name": _set_name,
    "finish_onboarding": _finish_onboarding,
    "submit_plan": _submit_plan,
    # How often they hear from us (dialogs/how_often.yaml, docs/scheduling.md).
    "describe_rhythm": _describe_rhythm,
    "rhythm_often": _rhythm_often,
    "rhythm_less": _rhythm_less,
    "rhythm_week_off": _rhythm_week_off,
    # The team's suggestions, answered (dialogs/suggestion.yaml, docs/coproduction.md).
    **coproduction.ACTIONS,
}
