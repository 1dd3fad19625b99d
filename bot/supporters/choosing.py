"""The actions of dialogs/supporters.yaml: offer the plan's people one at a time, keep
which parts each may see, and record the choice (an explicit YES each)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

from sqlalchemy.orm import Session

from bot import plans
from bot.engine.turn import Turn
from bot.supporters import people, sharing
from store.models import Conversation, Supporter, SupporterConsent

_NUMBER: Final = re.compile(r"\d+")


def _answers(conv: Conversation) -> dict[str, Any]:
    answers: dict[str, Any] = plans.copy_json((conv.data or {}).get("answers", {}))
    return answers


def _save(conv: Conversation, answers: dict[str, Any]) -> None:
    data = plans.copy_json(conv.data or {})
    data["answers"] = answers
    conv.data = data


def _next(turn: Turn, conv: Conversation, plan: str | None) -> None:
    """The next person to offer; nobody left finishes the dialog after its last words."""
    answers = _answers(conv)
    version = turn.current_plan("crisis")
    sections = version.sections if version is not None else {}
    asked: list[str] = answers.get("asked", [])
    left_out: list[str] = []  # said once, in the offer that follows
    held = {s.phone: s for s in people.of(turn.session, turn.participant.id)}
    candidate = None
    for person in people.candidates(sections):
        if person.phone in asked:
            continue
        asked.append(person.phone)
        if people.not_to_be_told(sections, person.name):
            left_out.append(person.name)
            continue
        supporter = held.get(person.phone)
        if supporter is not None and supporter.status in ("declined", "stopped"):
            continue  # their own NO or STOP stands; only they can change it
        update = supporter is not None and supporter.status in people.LIVE
        candidate = {"name": person.name, "phone": person.phone, "has_copy": update}
        break
    titles = [title for _, title in people.section_titles()]
    answers.update(asked=asked, left_out=left_out, candidate=candidate, titles=titles)
    _save(conv, answers)
    if candidate is None:
        # A yes/no table has no branch for "nobody left": the offer says so and ends.
        conv.status = "completed"


def _sections(turn: Turn, conv: Conversation, plan: str | None) -> None:
    answers = _answers(conv)
    reply = str(answers.get("sections_reply", ""))
    titles = people.section_titles()
    if reply.strip().casefold() in ("all", "all of it", "everything"):
        chosen = [key for key, _ in titles]
    else:
        picked = {int(n) for n in _NUMBER.findall(reply)}
        chosen = [key for i, (key, _) in enumerate(titles, start=1) if i in picked]
    answers["sections"] = chosen
    answers["section_names"] = [title for key, title in titles if key in chosen]
    _save(conv, answers)


def _notify(value: bool) -> Callable[[Turn, Conversation, str | None], None]:
    def action(turn: Turn, conv: Conversation, plan: str | None) -> None:
        answers = _answers(conv)
        answers["notify"] = value
        _save(conv, answers)
        _choose(turn, conv, answers)

    return action


def _choose(turn: Turn, conv: Conversation, answers: dict[str, Any]) -> None:
    candidate = answers.get("candidate") or {}
    if not candidate.get("phone"):
        return
    session, now = turn.session, turn.now
    supporter = _held(session, turn.participant.id, str(candidate["phone"]))
    new = supporter is None
    if supporter is None:
        supporter = Supporter(
            participant_id=turn.participant.id,
            name=str(candidate["name"]),
            phone=str(candidate["phone"]),
            status="invited",
            created_at=now,
        )
        session.add(supporter)
    supporter.sections = list(answers.get("sections", []))
    supporter.notify_crisis = bool(answers.get("notify"))
    supporter.updated_at = now
    session.flush()
    shown = ", ".join(answers.get("section_names", [])) or "nothing yet"
    record(session, supporter, "chosen" if new else "share_update", by="participant", now=now)
    record(session, supporter, "sections", by="participant", now=now, detail=shown[:200])
    record(
        session,
        supporter,
        "notify_crisis",
        by="participant",
        now=now,
        given=supporter.notify_crisis,
    )
    # Sent once the step is over, by the router, which has the wording (bot/supporters/sharing).
    if new:
        sharing.later(session, supporter.id, sharing.INVITE)
    elif supporter.status == "active":
        sharing.later(session, supporter.id, sharing.COPY)


def _held(session: Session, participant_id: int, phone: str) -> Supporter | None:
    for supporter in people.of(session, participant_id):
        if supporter.phone == phone:
            return supporter
    return None


def record(
    session: Session,
    supporter: Supporter,
    what: str,
    *,
    by: str,
    now: Any,
    given: bool = True,
    detail: str | None = None,
) -> None:
    session.add(
        SupporterConsent(
            supporter_id=supporter.id, what=what, given=given, by=by, detail=detail, at=now
        )
    )


ACTIONS: dict[str, Callable[[Turn, Conversation, str | None], None]] = {
    "supporter_next": _next,
    "supporter_sections": _sections,
    "supporter_notify": _notify(True),
    "supporter_no_notify": _notify(False),
}
