"""Named actions a dialog state may run when it is entered (`do:` in dialogs/*.yaml)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time

from bot import plans
from bot.coproduction import actions as coproduction
from bot.engine.turn import Turn
from bot.schedule import adjust
from bot.schedule.local import hhmm
from bot.schedule.rhythm import Rhythm
from bot.staff.notify import LOW_RATING, raise_alert
from bot.supporters.choosing import ACTIONS as SUPPORTER_ACTIONS
from store.models import Alert, Conversation

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


def _submit_if_written(turn: Turn, conv: Conversation, plan: str | None) -> None:
    """Send a draft with something in it for review; say which it was (answers.sent)."""
    if plan is None:
        return
    version = turn.current_plan(plan)
    if version is None or not any(version.sections.values()):
        outcome = "empty"
    elif version.status != "draft":
        outcome = "unchanged"  # nothing new since it was sent (or reviewed)
    else:
        plans.submit(turn.session, version, turn.now)
        outcome = "sent"
    data = plans.copy_json(conv.data or {})
    data.setdefault("answers", {})["sent"] = outcome
    conv.data = data


def _use_best_time(turn: Turn, conv: Conversation, plan: str | None) -> None:
    """The check-in's "best time" answer moves their check-in window (answers.moved)."""
    answers = (conv.data or {}).get("answers", {})
    best = answers.get("best_time")
    if not isinstance(best, str) or ":" not in best:
        return
    hour, minute = (int(part) for part in best.split(":", 1))
    outcome = adjust.best_time(turn.session, turn.participant, time(hour, minute), turn.now)
    data = plans.copy_json(conv.data or {})
    data.setdefault("answers", {})["moved"] = outcome
    conv.data = data


LOW = 3  # a check-in rating (0 to 10) at or below this raises a low_rating alert


def _check_rating(turn: Turn, conv: Conversation, plan: str | None) -> None:
    """A low rating is a signal for the team (notified if the team chose so): once a
    check-in, even if they go BACK and answer again."""
    data = conv.data or {}
    rating = data.get("answers", {}).get("rating")
    if not isinstance(rating, int) or rating > LOW or data.get("low_rating_alert"):
        return
    raise_alert(
        turn.session,
        Alert(participant_id=turn.participant.id, kind=LOW_RATING, created_at=turn.now),
        turn.team,
    )
    data = plans.copy_json(data)
    data["low_rating_alert"] = True
    conv.data = data


def _remember_rhythm(conv: Conversation, rhythm: Rhythm | None) -> None:
    data = plans.copy_json(conv.data or {})
    answers = data.setdefault("answers", {})
    answers["rhythm"] = rhythm.describe() if rhythm else None
    # The same, as parts, for the templates of languages other than English to say.
    answers["rhythm_of"] = (
        {
            "every": rhythm.every_days,
            "days": sorted(rhythm.weekdays),
            "from": hhmm(rhythm.window_start),
            "to": hhmm(rhythm.window_end),
        }
        if rhythm
        else None
    )
    conv.data = data


def _describe_rhythm(turn: Turn, conv: Conversation, plan: str | None) -> None:
    _remember_rhythm(conv, adjust.current(turn.session, turn.participant.id))


def _rhythm_often(turn: Turn, conv: Conversation, plan: str | None) -> None:
    _remember_rhythm(conv, adjust.more_often(turn.session, turn.participant, turn.now))


def _rhythm_less(turn: Turn, conv: Conversation, plan: str | None) -> None:
    _remember_rhythm(conv, adjust.less_often(turn.session, turn.participant, turn.now))


def _rhythm_week_off(turn: Turn, conv: Conversation, plan: str | None) -> None:
    adjust.week_off(turn.session, turn.participant, turn.now)


ACTIONS: dict[str, Action] = {
    "record_consent": _record_consent,
    "set_name": _set_name,
    "finish_onboarding": _finish_onboarding,
    "submit_plan": _submit_plan,
    "submit_if_written": _submit_if_written,
    "use_best_time": _use_best_time,
    "check_rating": _check_rating,
    # How often they hear from us (dialogs/how_often.yaml, docs/scheduling.md).
    "describe_rhythm": _describe_rhythm,
    "rhythm_often": _rhythm_often,
    "rhythm_less": _rhythm_less,
    "rhythm_week_off": _rhythm_week_off,
    # Choosing supporters (dialogs/supporters.yaml, bot/supporters).
    **SUPPORTER_ACTIONS,
    # The team's suggestions, answered (dialogs/suggestion.yaml, docs/coproduction.md).
    **coproduction.ACTIONS,
}
