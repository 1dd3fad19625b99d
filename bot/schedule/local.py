"""Wall-clock time in a person's own time zone, daylight saving included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

FALLBACK_ZONE = "Europe/London"


class BadTime(ValueError):
    """A sentence saying what is wrong with a time, window or time zone."""


def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name`, or BadTime saying how to write one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadTime(
            f"{name!r} is not a time zone I know. Use an IANA name such as Europe/London, "
            "America/New_York or Asia/Kolkata."
        ) from exc


def zone_or_default(name: str) -> ZoneInfo:
    try:
        return zone(name)
    except BadTime:
        return ZoneInfo(FALLBACK_ZONE)


def clock_time(text: str) -> time:
    """ "HH:MM" (24-hour) as a time, or BadTime."""
    hours, sep, minutes = text.strip().partition(":")
    if sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2:
        h, m = int(hours), int(minutes)
        if 0 <= h <= 23 and 0 <= m <= 59:
            return time(h, m)
    raise BadTime(f"{text!r} is not a time of day. Write it as HH:MM, for example 09:30 or 18:00.")


def hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def at(day: date, wall: time, where: ZoneInfo) -> datetime:
    """The instant (UTC) at which clocks in `where` show `wall` on `day`.

    The night the clocks go forward, a time in the skipped hour is read with the offset
    before the change, so it lands an hour later on the clock (01:30 -> 02:30). The night
    they go back, a time that happens twice is the first of the two."""
    return datetime.combine(day, wall, tzinfo=where).astimezone(UTC)


def local(instant: datetime, where: ZoneInfo) -> datetime:
    return instant.astimezone(where)


def today(instant: datetime, where: ZoneInfo) -> date:
    return instant.astimezone(where).date()


def start_of_day(day: date, where: ZoneInfo) -> datetime:
    return at(day, time(0, 0), where)


@dataclass(frozen=True)
class Quiet:
    """Quiet hours, local: nothing scheduled goes out from `start` until `end`."""

    start: time
    end: time

    @classmethod
    def parse(cls, start: str, end: str) -> Quiet:
        return cls(clock_time(start), clock_time(end))

    def covers(self, wall: time) -> bool:
        if self.start == self.end:
            return False  # no quiet hours
        if self.start < self.end:
            return self.start <= wall < self.end
        return wall >= self.start or wall < self.end

    def is_quiet(self, instant: datetime, where: ZoneInfo) -> bool:
        return self.covers(local(instant, where).time().replace(second=0, microsecond=0))

    def next_allowed(self, instant: datetime, where: ZoneInfo) -> datetime:
        """`instant` itself, or the end of the quiet hours it falls in."""
        if not self.is_quiet(instant, where):
            return instant
        here = local(instant, where)
        day = here.date()
        if self.start > self.end and here.time() >= self.start:
            day += timedelta(days=1)  # evening: quiet until tomorrow morning
        return at(day, self.end, where)
