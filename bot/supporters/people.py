"""Who can be a supporter: the people in the crisis plan with a phone, minus anyone the
person said should not be told."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import plans
from store.models import Supporter, SupporterConsent

# A clause that says someone should not be told: "don't tell Dad", "not my brother".
_CLAUSES: Final = re.compile(r"[.;,\n!?]+|\bbut\b|\band\b", re.IGNORECASE)
_NEGATION: Final = re.compile(
    r"\b(?:not|don'?t|dont|do not|never|no|shouldn'?t|mustn'?t|nobody|except|apart from|avoid)\b",
    re.IGNORECASE,
)
_WORD: Final = re.compile(r"[^\W\d_]+")
# Words in a contact's name that don't name them ("my", "mum's" stays "mum").
_FILLER: Final = frozenset({"my", "the", "a", "an", "and", "of", "her", "his", "our"})
LIVE: Final = ("invited", "active")  # statuses of someone who may hear from us


@dataclass(frozen=True)
class Candidate:
    name: str
    phone: str  # E.164


def candidates(sections: dict[str, list[dict[str, Any]]]) -> list[Candidate]:
    """The plan's people to call who have a phone number, in the plan's order."""
    found: list[Candidate] = []
    for item in sections.get("people_help", []):
        phone = item.get("phone")
        if not phone or any(c.phone == phone for c in found):
            continue
        name = str(item.get("name") or item.get("text") or "").strip()
        found.append(Candidate(name=name[:120] or str(phone), phone=str(phone)))
    return found


def not_to_be_told(sections: dict[str, list[dict[str, Any]]], name: str) -> bool:
    """Whether "who to tell, and who not" names this person in a clause that says not."""
    words = {w.casefold() for w in _WORD.findall(name)} - _FILLER
    words = {w.removesuffix("'s") for w in words if len(w) > 1}
    if not words:
        return False
    for item in sections.get("unwell_tell", []):
        for clause in _CLAUSES.split(str(item.get("text", ""))):
            if _NEGATION.search(clause) and words & {w.casefold() for w in _WORD.findall(clause)}:
                return True
    return False


def of(session: Session, participant_id: int) -> list[Supporter]:
    return list(
        session.scalars(
            select(Supporter)
            .where(Supporter.participant_id == participant_id)
            .order_by(Supporter.id)
        )
    )


def consents(session: Session, supporter_ids: list[int]) -> list[SupporterConsent]:
    if not supporter_ids:
        return []
    return list(
        session.scalars(
            select(SupporterConsent)
            .where(SupporterConsent.supporter_id.in_(supporter_ids))
            .order_by(SupporterConsent.at, SupporterConsent.id)
        )
    )


def section_titles() -> list[tuple[str, str]]:
    """The crisis plan's sections a supporter may be given, with the names people see."""
    return [(key, _TITLES[key]) for key in plans.CRISIS_SECTIONS if key in _TITLES]


_TITLES: Final = {
    "warning_signs": "My warning signs",
    "coping": "Things I can do",
    "distractions": "People and places that help",
    "people_help": "People I can call",
    "professionals": "Services I can contact",
    "safer_surroundings": "Making things safer",
    "reasons": "My reasons to keep going",
    "unwell_helps": "When I'm unwell, what helps",
    "unwell_not_helpful": "What doesn't help",
    "unwell_practical": "Practical things",
}
