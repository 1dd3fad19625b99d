"""When the next check-in, appointment prep or reminder goes out: pure functions of a
person's settings and an injected `now` (no clock is read here)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.schedule.local import Quiet, at, today
from bot.schedule.rhythm import DEFAULT_WINDOW, Rhythm

PAUSE_FOR = timedelta(days=7)
_LOOK_AHEAD_DAYS = 400
_SPREAD = 2654435761  # Knuth's multiplier: spreads people over their window


@dataclass(frozen=True)
class Person:
    """What planning needs to know about one participant."""

    id: int
    zone: ZoneInfo
    quiet: Quiet
    status: str
    onboarded: bool
    paused_at: datetime | None
    next_appointment: date | None
    rhythm: Rhythm | None

    @property
    def reachable(self) -> bool:
        """Active and onboarded: nothing is scheduled for anyone else."""
        return self.status == "active" and self.onboarded

    @property
    def window(self) -> tuple[time, time]:
        if self.rhythm is None:
            return DEFAULT_WINDOW
        return self.rhythm.window_start, self.rhythm.window_end

    @property
    def paused_until(self) -> datetime | None:
        return self.paused_at + PAUSE_FOR if self.paused_at is not None else None

    def paused(self, now: datetime) -> bool:
        until = self.paused_until
        return until is not None and now < until

    def basis(self) -> str:
        """A fingerprint of everything a plan depends on: a job made from other settings
        is out of date and is planned again."""
        r = self.rhythm
        parts = (
            self.status,
            self.onboarded,
            self.paused_at.isoformat() if self.paused_at else None,
            self.zone.key,
            self.quiet.start.isoformat(),
            self.quiet.end.isoformat(),
            self.next_appointment.isoformat() if self.next_appointment else None,
            None if r is None else (r.every_days, sorted(r.weekdays), r.window_start.isoformat()),
            None if r is None else (r.window_end.isoformat(), r.daily_cap),
        )
        return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def slot(person: Person, day: date) -> datetime:
    """The moment on local `day` this person's scheduled message goes: a fixed place in
    their window (people are spread over it), never in their quiet hours."""
    start, end = person.window
    first = start.hour * 60 + start.minute
    span = max(1, end.hour * 60 + end.minute - first)
    offset = (person.id * _SPREAD) % span
    for step in range(span):
        minute = first + (offset + step) % span
        wall = time(minute // 60, minute % 60)
        if not person.quiet.covers(wall):
            return at(day, wall, person.zone)
    # The whole window is quiet: the end of the quiet hours, that day.
    return person.quiet.next_allowed(at(day, start, person.zone), person.zone)


def window_end(person: Person, day: date) -> datetime:
    return at(day, person.window[1], person.zone)


def near_appointment(person: Person, day: date) -> bool:
    """The appointment day and the day before get the appointment prep, not a check-in."""
    appointment = person.next_appointment
    return appointment is not None and day in (appointment - timedelta(days=1), appointment)


def next_check_in(
    person: Person, after: datetime, last: date | None
) -> tuple[datetime, date] | None:
    """The next check-in at or after `after` (and after any pause), given the local day
    the last one was planned for; None when none is due (no rhythm, not reachable)."""
    rhythm = person.rhythm
    if rhythm is None or not person.reachable:
        return None
    earliest = after
    until = person.paused_until
    if until is not None and until > earliest:
        earliest = until
    day = today(earliest, person.zone)
    for _ in range(_LOOK_AHEAD_DAYS):
        if rhythm.on(day, last) and not near_appointment(person, day):
            when = slot(person, day)
            if when < earliest:  # its place in the window has passed: now, if still open
                when = person.quiet.next_allowed(earliest, person.zone)
            if when < window_end(person, day):
                return when, day
        day += timedelta(days=1)
    return None


def prep_time(person: Person, now: datetime) -> datetime | None:
    """When to ask what they'd like to talk about: in their window the day before the
    appointment (or as soon as allowed that day); None if that day has passed."""
    appointment = person.next_appointment
    if appointment is None or not person.reachable:
        return None
    day = appointment - timedelta(days=1)
    if today(now, person.zone) > day:
        return None  # the appointment is today, or past
    due = max(slot(person, day), now)
    until = person.paused_until
    if until is not None and until > due:
        due = until
    due = person.quiet.next_allowed(due, person.zone)
    return due if today(due, person.zone) == day else None


def in_window(person: Person, after: datetime) -> datetime:
    """The first moment at or after `after` inside the window and outside quiet hours."""
    day = today(after, person.zone)
    for _ in range(3):
        start, end = at(day, person.window[0], person.zone), window_end(person, day)
        candidate = person.quiet.next_allowed(max(after, start), person.zone)
        if candidate < end:
            return candidate
        day += timedelta(days=1)
    return person.quiet.next_allowed(
        max(after, at(day, person.window[0], person.zone)), person.zone
    )
