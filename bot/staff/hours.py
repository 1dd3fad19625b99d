"""A team's working hours ("Mon-Fri 09:00-17:00"): whether someone reads messages now,
and, in a phrase for the person at risk, when they next will. Pure functions of the text,
the time zone and `now`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
UNKNOWN = "the next working day"
# Closing this soon, a message may not be read until the next opening.
CLOSING_MARGIN = timedelta(minutes=30)
_SPAN = re.compile(
    r"(?P<first>[a-z]{3})[a-z]*(?:\s*-\s*(?P<last>[a-z]{3})[a-z]*)?\s+"
    r"(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})"
)
_EXAMPLE = 'for example "Mon-Fri 09:00-17:00" or "Mon-Thu 09:00-17:00, Fri 09:00-16:30"'


class HoursError(ValueError):
    """A sentence saying what is wrong with the hours given."""


class HasHours(Protocol):
    """What these functions need of a team (store.models.Team has both)."""

    @property
    def working_hours(self) -> str | None: ...

    @property
    def timezone(self) -> str: ...


@dataclass(frozen=True)
class Span:
    weekday: int  # Monday 0
    start: time
    end: time


def parse(text: str) -> tuple[Span, ...]:
    """The spans of "Mon-Fri 09:00-17:00[, Sat 10:00-12:00 ...]"; HoursError if unreadable."""
    spans: list[Span] = []
    for given in re.split(r"[,;]", text):
        part = given.strip()
        if not part:
            continue
        found = _SPAN.fullmatch(part.lower())
        if found is None or found["first"] not in DAYS:
            raise HoursError(f"I can't read {part!r} as working hours: {_EXAMPLE}.")
        last = found["last"] or found["first"]
        if last not in DAYS:
            raise HoursError(f"{last!r} is not a day: use Mon, Tue, Wed, Thu, Fri, Sat or Sun.")
        start, end = _clock(found["start"]), _clock(found["end"])
        if end <= start:
            raise HoursError(f"In {part!r} the end comes before the start.")
        first_day, last_day = DAYS.index(found["first"]), DAYS.index(last)
        days = range(first_day, (last_day if last_day >= first_day else last_day + 7) + 1)
        spans.extend(Span(day % 7, start, end) for day in days)
    if not spans:
        raise HoursError(f"Give the hours someone reads messages, {_EXAMPLE}.")
    return tuple(sorted(spans, key=lambda s: (s.weekday, s.start)))


def _clock(text: str) -> time:
    hours, minutes = (int(n) for n in text.split(":"))
    if hours > 23 or minutes > 59:
        raise HoursError(f"{text} is not a time of day: use 24-hour times such as 09:00.")
    return time(hours, minutes)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/London")


def _spans(team: HasHours | None) -> tuple[Span, ...]:
    if team is None or not team.working_hours:
        return ()
    try:
        return parse(team.working_hours)
    except HoursError:
        return ()  # saved hours are checked first; unreadable ones count as none


def is_open(team: HasHours | None, now: datetime) -> bool:
    """Someone is reading messages now. A team without hours is never "out of hours"."""
    spans = _spans(team)
    if not spans:
        return True
    assert team is not None
    local = now.astimezone(zone(team.timezone))
    return any(s.weekday == local.weekday() and s.start <= local.time() < s.end for s in spans)


def has_hours(team: HasHours | None) -> bool:
    return bool(_spans(team))


def next_read(team: HasHours | None, now: datetime) -> str:
    """When the team will next read messages, as a short plain phrase: "today",
    "today after 9am", "tomorrow from 9am", "on Monday from 9am", "next Tuesday from
    9am"; "the next working day" when the team has not said when it works."""
    spans = _spans(team)
    if not spans:
        return UNKNOWN
    assert team is not None
    local = now.astimezone(zone(team.timezone))
    today = local.weekday()
    for s in spans:
        if s.weekday == today and s.start <= local.time() < s.end:
            closes = local.replace(hour=s.end.hour, minute=s.end.minute, second=0)
            if closes - local >= CLOSING_MARGIN:
                return "today"
    for ahead in range(8):
        day = (today + ahead) % 7
        for s in spans:
            if s.weekday != day or (ahead == 0 and s.start <= local.time()):
                continue
            if ahead == 0:
                return f"today after {_spoken(s.start)}"
            if ahead == 1:
                return f"tomorrow from {_spoken(s.start)}"
            when = "next" if ahead == 7 else "on"
            return f"{when} {DAY_NAMES[day]} from {_spoken(s.start)}"
    return UNKNOWN  # pragma: no cover - a week always holds one of the spans


def _spoken(at: time) -> str:
    """9am, 9:30am, 12pm, 1:15pm."""
    suffix = "am" if at.hour < 12 else "pm"
    hour = at.hour % 12 or 12
    return f"{hour}{suffix}" if at.minute == 0 else f"{hour}:{at.minute:02d}{suffix}"
