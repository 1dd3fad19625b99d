"""What may hold a scheduled message back, checked when its job runs (never when a
person writes: replies, CRISIS and the safety message are never scheduled)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.schedule import local
from bot.schedule.people import lately, recipient
from bot.schedule.plan import Person
from bot.schedule.rhythm import DEFAULT_CAP
from bot.types import Channel
from store.models import Participant


@dataclass(frozen=True)
class Rules:
    reminder_after: timedelta = timedelta(days=1)  # an unfinished dialog, left this long
    reminder_within: timedelta = timedelta(days=7)  # older than this: no reminder at all
    busy_for: timedelta = timedelta(minutes=30)  # they are talking to us: don't cut in


@dataclass(frozen=True)
class Defer:
    until: datetime
    reason: str


@dataclass(frozen=True)
class Skip:
    reason: str


@dataclass(frozen=True)
class Go:
    channel: Channel
    address: str


Verdict = Defer | Skip | Go


def verdict(
    session: Session,
    participant: Participant,
    person: Person,
    now: datetime,
    rules: Rules,
    *,
    asks: bool = True,
) -> Verdict:
    """Whether a scheduled message may go to this person now, and where. `asks`: it
    asks a new question (a check-in, the appointment prep), not a reminder."""
    if not person.reachable:
        return Skip(person.status if person.status != "active" else "not_onboarded")
    if person.paused(now):
        return Skip("paused")
    if person.quiet.is_quiet(now, person.zone):
        return Defer(person.quiet.next_allowed(now, person.zone), "quiet_hours")
    cap = person.rhythm.daily_cap if person.rhythm is not None else DEFAULT_CAP
    sent = lately(
        session, participant, local.start_of_day(local.today(now, person.zone), person.zone)
    )
    if sent.today >= cap:
        return Skip("daily_cap")
    if sent.awaiting_reply:
        return Skip("awaiting_reply")
    if asks and sent.unanswered:
        return Skip("unanswered")
    last = participant.last_inbound_at
    if last is not None and last <= now < last + rules.busy_for:
        return Defer(last + rules.busy_for, "busy")
    target = recipient(session, participant)
    if target is None:
        return Skip("no_channel")
    return Go(*target)
