"""Co-production panels shared by admin pages (review, participant, dashboard): the
person's voice, the team's suggestions and what the person made of them, the
touchpoints after appointments, overrides per practitioner. No page of its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.admin.context import ADMIN, Who
from bot.admin.diff import item_text
from bot.admin.sections import SECTION_TITLES
from bot.coproduction import followups, overrides, suggestions, voice
from store.models import Participant, PlanVersion, Suggestion

OUTCOMES = {
    "proposed": "not sent yet",
    "pending": "waiting to be asked",
    "asked": "asked, no answer yet",
    "accepted": "agreed",
    "declined": "declined",
    "unsure": "not sure: kept as it was, talk it through",
    "reworded": "in their own words",
}
ACTIONS = {"add": "Add", "reword": "Reword", "remove": "Take out"}


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


def _choices(version: PlanVersion, kind: str, sections: tuple[str, ...]) -> list[Choice]:
    out = [Choice(f"add:{key}", f"Add to: {SECTION_TITLES.get(key, key)}") for key in sections]
    for verb in ("reword", "remove"):
        for key in sections:
            for i, entry in enumerate(version.sections.get(key) or []):
                words = item_text(entry)
                short = words if len(words) <= 60 else words[:57].rstrip() + "..."
                title = SECTION_TITLES.get(key, key)
                out.append(
                    # The person's words isolated (FSI ... PDI): an <option> holds no <bdi>.
                    Choice(
                        f"{verb}:{key}:{i}",
                        f"{ACTIONS[verb]}: {title}: \u201c\u2068{short}\u2069\u201d",
                    )
                )
    return out


def review_panel(
    session: Session,
    person: Participant,
    kind: str,
    waiting: PlanVersion | None,
    sections: tuple[str, ...],
    now: datetime,
) -> dict[str, Any]:
    """What `_voice.html`, `_outcomes.html` and `_suggest.html` show on the review page."""
    proposals = suggestions.on_version(session, waiting.id) if waiting is not None else []
    plan_id = waiting.plan_id if waiting is not None else None
    sent = suggestions.for_plan(session, plan_id) if plan_id is not None else []
    return {
        "voice": voice.of(session, person.id, now),
        "proposals": [s for s in proposals if s.status == "proposed"],
        "outcomes": sent,
        "outcome_names": OUTCOMES,
        "action_names": ACTIONS,
        "section_titles": SECTION_TITLES,
        "suggest_choices": _choices(waiting, kind, sections) if waiting is not None else [],
        "max_reason": suggestions.MAX_REASON,
        "suggest_form": {},
    }


def participant_panel(session: Session, person: Participant, now: datetime) -> dict[str, Any]:
    """What `_voice.html` and `_after_appointments.html` show on the participant page."""
    waiting = session.scalars(
        select(Suggestion)
        .where(Suggestion.participant_id == person.id, Suggestion.status.in_(suggestions.OPEN))
        .order_by(Suggestion.id)
    ).all()
    return {
        "voice": voice.of(session, person.id, now),
        "after_appointments": followups.recent(session, person.id),
        "suggestions_open": len(waiting),
    }


def dashboard_panel(session: Session, who: Who, now: datetime) -> dict[str, Any]:
    """Overrides per practitioner: everyone's for a lead (their team) or an administrator;
    their own for a practitioner."""
    if who.role == ADMIN:
        rows = overrides.counts(session, now)
    elif who.is_lead:
        rows = overrides.counts(session, now, team_id=who.team_id)
    else:
        rows = overrides.counts(session, now, practitioner_id=who.id)
    return {"override_counts": rows, "override_days": overrides.COUNT_DAYS}
