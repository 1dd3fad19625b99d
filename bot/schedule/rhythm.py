"""A person's rhythm: every N days or on chosen weekdays, in a preferred window."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, time

from bot.schedule.local import BadTime, clock_time, hhmm

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")
# LESS and OFTEN move one step along this ladder (days between check-ins).
LADDER = (1, 2, 3, 7, 14, 28)
FIRST_STEP = 7  # OFTEN, from no regular check-ins
MAX_EVERY = 28
DEFAULT_WINDOW = (time(10, 0), time(12, 0))
DEFAULT_CAP = 2
MAX_CAP = 10


@dataclass(frozen=True)
class Rhythm:
    every_days: int | None = None
    weekdays: frozenset[int] = frozenset()  # 0 is Monday
    window_start: time = DEFAULT_WINDOW[0]
    window_end: time = DEFAULT_WINDOW[1]
    daily_cap: int = DEFAULT_CAP

    def __post_init__(self) -> None:
        if (self.every_days is None) == (not self.weekdays):
            raise BadTime("Choose either every so many days or some days of the week.")
        if self.every_days is not None and not 1 <= self.every_days <= MAX_EVERY:
            raise BadTime(f"Check in every 1 to {MAX_EVERY} days.")
        if self.window_start >= self.window_end:
            raise BadTime(
                "The window must start before it ends on the same day, for example 10:00-12:00."
            )
        if not 1 <= self.daily_cap <= MAX_CAP:
            raise BadTime(f"Allow 1 to {MAX_CAP} scheduled messages a day.")

    def on(self, day: date, last: date | None) -> bool:
        """Whether `day` is a check-in day, when the last one was planned for `last`."""
        if self.every_days is not None:
            return last is None or (day - last).days >= self.every_days
        return day.weekday() in self.weekdays and (last is None or day > last)

    @property
    def window_minutes(self) -> int:
        start = self.window_start.hour * 60 + self.window_start.minute
        return self.window_end.hour * 60 + self.window_end.minute - start

    def describe(self) -> str:
        """In plain words, for the person and the practitioner."""
        if self.every_days == 1:
            often = "every day"
        elif self.every_days is not None:
            often = f"every {self.every_days} days"
        else:
            names = [DAY_NAMES[d] for d in sorted(self.weekdays)]
            often = "on " + (
                names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            )
        return f"{often}, between {hhmm(self.window_start)} and {hhmm(self.window_end)}"

    @property
    def weekday_text(self) -> str | None:
        return ",".join(WEEKDAYS[d] for d in sorted(self.weekdays)) if self.weekdays else None

    def more_often(self) -> Rhythm:
        return replace(self, every_days=_step(self._as_days(), -1), weekdays=frozenset())

    def less_often(self) -> Rhythm:
        return replace(self, every_days=_step(self._as_days(), +1), weekdays=frozenset())

    def _as_days(self) -> int:
        if self.every_days is not None:
            return self.every_days
        return max(1, round(7 / len(self.weekdays)))


def _step(days: int, direction: int) -> int:
    nearest = min(range(len(LADDER)), key=lambda i: (abs(LADDER[i] - days), LADDER[i]))
    if LADDER[nearest] != days and (LADDER[nearest] - days) * direction > 0:
        return LADDER[nearest]  # between two steps: the nearest one that way
    return LADDER[max(0, min(len(LADDER) - 1, nearest + direction))]


def parse_weekdays(text: str) -> frozenset[int]:
    """ "mon,thu" (or "Monday Thursday") as weekday numbers, or BadTime."""
    days: set[int] = set()
    for word in text.replace(",", " ").split():
        key = word.strip().lower()[:3]
        if key not in WEEKDAYS:
            raise BadTime(f"{word!r} is not a day of the week. Write days as mon,tue,...,sun.")
        days.add(WEEKDAYS.index(key))
    if not days:
        raise BadTime("Give at least one day of the week, for example mon,thu.")
    return frozenset(days)


def parse_window(text: str) -> tuple[time, time]:
    """ "10:00-12:00" as two times, or BadTime."""
    start, sep, end = text.partition("-")
    if not sep:
        raise BadTime(
            f"{text!r} is not a window. Write it as HH:MM-HH:MM, for example 10:00-12:00."
        )
    return clock_time(start), clock_time(end)


def rhythm_from_row(
    every_days: int | None,
    weekdays: str | None,
    window_start: str,
    window_end: str,
    daily_cap: int,
) -> Rhythm | None:
    """The stored rhythm, or None when the row says nothing usable."""
    try:
        return Rhythm(
            every_days=every_days,
            weekdays=parse_weekdays(weekdays) if weekdays else frozenset(),
            window_start=clock_time(window_start),
            window_end=clock_time(window_end),
            daily_cap=daily_cap,
        )
    except BadTime:
        return None
