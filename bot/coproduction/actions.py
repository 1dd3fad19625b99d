"""What the co-production dialogs do when a state is entered (`do:` in dialogs/*.yaml),
registered with the engine's actions."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import select

from bot import plans
from bot.coproduction import asking, suggestions
from bot.engine import answers as parse
from bot.engine.turn import Turn
from store.models import Conversation, PlanVersion, Suggestion

Action = Callable[[Turn, Conversation, str | None], None]
# "no thanks, Dave is still my best mate" is a NO with a comment, not their own version:
# the first clause decides.
_FIRST_CLAUSE = re.compile(r"[,.;:!?\n]|\s+(?:but|though|because|as)\s+|\s+-\s+", re.IGNORECASE)


_UNSURE = frozenset(
    [
        "not",
        "sure",
        "unsure",
        "maybe",
        "perhaps",
        "possibly",
        "dunno",
        "idk",
        "don't",
        "dont",
        "know",
        "hmm",
        "um",
        "erm",
        "what",
    ]
)


def decision(reply: str) -> str:
    """accepted (YES), declined (NO), unsure (a question, "not sure": nothing changes,
    the team sees the words), or reworded (anything else is their own version)."""
    first = _FIRST_CLAUSE.split(reply.strip(), maxsplit=1)[0]
    for candidate in (reply, first):
        parsed = parse.parse_yes_no(candidate)
        if parsed.ok:
            return "accepted" if parsed.value else "declined"
    words = first.casefold().split()
    if reply.rstrip().endswith("?") or (words and set(words) <= _UNSURE):
        return "unsure"
    return "reworded"


def _settle_suggestion(turn: Turn, conv: Conversation, plan: str | None) -> None:
    """Their reply to one suggestion: YES takes it, NO leaves it, anything else is their
    own version. Then the next suggestion is planned, or, after the last one, the plan
    goes back to the team with their answers."""
    data = plans.copy_json(conv.data or {})
    answers = data.setdefault("answers", {})
    row = turn.session.get(Suggestion, int(answers.get("suggestion") or 0))
    kind = str(answers.get("plan") or "care")
    if row is None or row.status != "asked":
        answers["outcome"] = "gone"
        conv.data = data
        return
    reply = str(answers.get("reply") or "").strip()
    outcome = decision(reply)
    suggestions.settle(
        turn.session, row, outcome, reply, kind=kind, region=turn.team.region, now=turn.now
    )
    answers["outcome"] = outcome
    left = suggestions.waiting(turn.session, turn.participant.id)
    answers["left"] = left
    if left:
        asking.plan_next_suggestion(turn.session, turn.participant.id, turn.now)
    else:
        answers["returned"] = _return_to_team(turn, row, kind)
    conv.data = data


def _return_to_team(turn: Turn, row: Suggestion, kind: str) -> bool:
    """After the last answer the plan goes back to the team: their draft with what they
    took; or, when everything was declined, the version sent back, submitted again
    (unless they have sent a newer one themselves meanwhile)."""
    latest = turn.current_plan(kind)
    if latest is not None and latest.status != "draft":
        newer_submitted = turn.session.scalars(
            select(PlanVersion.id).where(
                PlanVersion.plan_id == row.plan_id,
                PlanVersion.status == "submitted",
                PlanVersion.id > row.version_id,
            )
        ).first()
        if newer_submitted is not None:
            return True  # the team sees the outcomes beside that one
    plans.submit(turn.session, turn.draft_plan(kind), turn.now)
    return True


ACTIONS: dict[str, Action] = {"settle_suggestion": _settle_suggestion}
