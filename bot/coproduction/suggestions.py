"""The team's suggestions on a submitted plan version, from proposal to the person's answer.

A suggestion never changes a plan by itself: an accepted or reworded one goes into the
person's next draft, credited; a declined one is kept with their answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import plans
from bot.engine.answers import Contact, parse_contact
from store.models import PlanVersion, Suggestion

ADD, REWORD, REMOVE = "add", "reword", "remove"
ACTIONS = (ADD, REWORD, REMOVE)
MAX_REASON = 200
MAX_TEXT = 500
OPEN = ("pending", "asked")  # sent back, not answered yet
ANSWERED = ("accepted", "declined", "unsure", "reworded")
CONTACT_SECTIONS = ("people_help", "professionals")  # items with a name and a phone
# "suggested by your team, agreed by you": the credit an accepted item carries.
AGREED = "agreed"


class Invalid(ValueError):
    """A proposal that can't be made; the message says what to do."""


@dataclass(frozen=True)
class Proposal:
    action: str
    section: str
    index: int | None  # the item, for reword and remove
    text: str
    reason: str


def propose(
    session: Session,
    version: PlanVersion,
    kind: str,
    practitioner_id: int,
    p: Proposal,
    now: datetime,
) -> Suggestion:
    """Keep a proposal on a submitted version (not sent until the plan is sent back)."""
    if version.status != "submitted":
        raise Invalid("This version is no longer waiting for review.")
    if p.action not in ACTIONS or p.section not in plans.SECTIONS[kind]:
        raise Invalid("Choose what to change.")
    reason = " ".join(p.reason.split())
    text = " ".join(p.text.split())
    if not reason:
        raise Invalid("Give a short reason: they will read it with the suggestion.")
    if len(reason) > MAX_REASON:
        raise Invalid(f"Keep the reason to {MAX_REASON} characters.")
    if len(text) > MAX_TEXT:
        raise Invalid(f"Keep the words to {MAX_TEXT} characters.")
    original = None
    if p.action in (REWORD, REMOVE):
        items = version.sections.get(p.section) or []
        if p.index is None or not 0 <= p.index < len(items):
            raise Invalid("Choose the item to change.")
        original = str(items[p.index].get("text", ""))
    if p.action in (ADD, REWORD) and not text:
        raise Invalid("Write the words you suggest.")
    if p.action == REWORD and text == original:
        raise Invalid("The suggested words are the same as theirs.")
    row = Suggestion(
        participant_id=version.plan.participant_id,
        plan_id=version.plan_id,
        version_id=version.id,
        practitioner_id=practitioner_id,
        action=p.action,
        section=p.section,
        original=original,
        text=text if p.action != REMOVE else None,
        reason=reason,
        weakens=kind == "crisis" and p.action == REMOVE,
        status="proposed",
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def on_version(session: Session, version_id: int) -> list[Suggestion]:
    return list(
        session.scalars(
            select(Suggestion).where(Suggestion.version_id == version_id).order_by(Suggestion.id)
        )
    )


def for_plan(session: Session, plan_id: int, *, limit: int = 30) -> list[Suggestion]:
    """The plan's suggestions that were sent, newest first: what the person made of them."""
    return list(
        session.scalars(
            select(Suggestion)
            .where(Suggestion.plan_id == plan_id, Suggestion.status != "proposed")
            .order_by(Suggestion.id.desc())
            .limit(limit)
        )
    )


def withdraw(session: Session, version_id: int, suggestion_id: int) -> bool:
    row = session.get(Suggestion, suggestion_id)
    if row is None or row.version_id != version_id or row.status != "proposed":
        return False
    session.delete(row)
    return True


def send(session: Session, version_id: int, note: str, now: datetime) -> list[Suggestion]:
    """The version is sent back: its proposals wait their turn to be asked."""
    rows = [s for s in on_version(session, version_id) if s.status == "proposed"]
    for row in rows:
        row.status, row.sent_at, row.note = "pending", now, note or None
    return rows


def next_pending(session: Session, participant_id: int) -> Suggestion | None:
    return session.scalars(
        select(Suggestion)
        .where(Suggestion.participant_id == participant_id, Suggestion.status == "pending")
        .order_by(Suggestion.id)
        .limit(1)
    ).first()


def waiting(session: Session, participant_id: int) -> int:
    """How many are sent and not answered yet (the one being asked included)."""
    return len(
        session.scalars(
            select(Suggestion.id).where(
                Suggestion.participant_id == participant_id, Suggestion.status.in_(OPEN)
            )
        ).all()
    )


def settle(
    session: Session,
    row: Suggestion,
    outcome: str,
    answer: str,
    *,
    kind: str,
    region: str,
    now: datetime,
) -> None:
    """Record the person's answer; an accepted or reworded one goes into their draft."""
    row.status, row.answer, row.answered_at = outcome, answer[:MAX_TEXT], now
    if outcome in ("declined", "unsure"):
        return  # their plan stays as they wrote it
    draft = plans.draft(session, row.participant_id, kind)
    sections = plans.copy_json(draft.sections)
    items = sections.setdefault(row.section, [])
    found = next(
        (i for i, entry in enumerate(items) if str(entry.get("text", "")) == row.original), None
    )
    credit: dict[str, object] = {"suggestion": row.id}
    contact = region if row.section in CONTACT_SECTIONS else None
    if outcome == "accepted":
        credit |= {"by": f"practitioner:{row.practitioner_id}", AGREED: plans.PARTICIPANT}
        if row.action == REMOVE:
            if found is not None:
                items.pop(found)
        elif row.action == REWORD and found is not None:
            items[found] = _worded(items[found], str(row.text), credit, contact)
        else:
            items.append(_worded({}, str(row.text), credit, contact))
    else:  # their own version: in their words, theirs
        credit |= {"by": plans.PARTICIPANT}
        if found is not None:
            items[found] = _worded(items[found], answer, credit, contact)
        else:
            items.append(_worded({}, answer, credit, contact))
    draft.sections = sections


def _worded(
    old: plans.Item, text: str, credit: dict[str, object], region: str | None
) -> plans.Item:
    """The item with new words; a contact's name and number read from them (a number
    not in the new words is kept)."""
    entry = {k: v for k, v in old.items() if k not in ("text", "by", AGREED, "suggestion")}
    if region is not None:
        parsed = parse_contact(text, region)
        found = parsed.value if isinstance(parsed.value, Contact) else None
        entry["name"] = (found.name if found else "") or text
        entry["phone"] = found.phone if found and found.phone else old.get("phone")
    return {"text": text, **credit, **entry}
