"""Working hours: read from the team's text, and said back to a person at risk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bot.staff.hours import HoursError, is_open, next_read, parse


@dataclass
class Team:
    working_hours: str | None
    timezone: str = "Europe/London"


WEEKDAYS = Team("Mon-Fri 09:00-17:00")
# 2026-03-02 is a Monday; London is on GMT until 29 March, BST (UTC+1) after.
MONDAY = 2


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("team", "now", "phrase"),
    [
        (WEEKDAYS, at(MONDAY, 7, 30), "today after 9am"),
        (WEEKDAYS, at(MONDAY, 14), "today"),
        (WEEKDAYS, at(MONDAY, 16, 45), "tomorrow from 9am"),  # closing in 15 minutes
        (WEEKDAYS, at(MONDAY, 20), "tomorrow from 9am"),
        (WEEKDAYS, at(MONDAY + 4, 18), "on Monday from 9am"),  # Friday evening
        (WEEKDAYS, at(MONDAY + 5, 12), "on Monday from 9am"),  # Saturday
        (WEEKDAYS, at(MONDAY + 6, 12), "tomorrow from 9am"),  # Sunday
        (Team("Tue 09:30-12:00"), at(MONDAY + 1, 13), "next Tuesday from 9:30am"),
        (Team("Mon-Fri 13:00-17:00"), at(MONDAY, 10), "today after 1pm"),
        (Team(None), at(MONDAY, 14), "the next working day"),
        (Team("Mon-Fri 09:00-17:00", "America/New_York"), at(MONDAY, 13), "today after 9am"),
        # 30 March is a Monday in BST: 07:30 UTC is 08:30 in London.
        (WEEKDAYS, at(30, 7, 30), "today after 9am"),
        (WEEKDAYS, at(30, 8, 30), "today"),
    ],
)
def test_when_the_team_will_next_read_messages(team: Team, now: datetime, phrase: str) -> None:
    assert next_read(team, now) == phrase


def test_out_of_hours_is_outside_every_span_in_the_teams_zone() -> None:
    team = Team("Mon-Thu 09:00-17:00, Fri 09:00-16:30")
    assert is_open(team, at(MONDAY + 4, 16, 15))
    assert not is_open(team, at(MONDAY + 4, 16, 45))
    assert not is_open(team, at(MONDAY + 5, 12))
    assert is_open(Team(None), at(MONDAY + 5, 3))  # no hours: never "out of hours"
    assert len(parse("Sat-Mon 10:00-12:00")) == 3  # a range may wrap past Sunday


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Mon-Fri 9-5", "can't read 'Mon-Fri 9-5'"),
        ("Mon-Fry 09:00-17:00", "'fry' is not a day"),
        ("Mon-Fri 17:00-09:00", "the end comes before the start"),
        ("Mon 25:00-26:00", "not a time of day"),
        ("", "Give the hours"),
    ],
)
def test_hours_that_cannot_be_read_say_what_to_write(text: str, says: str) -> None:
    with pytest.raises(HoursError, match=says):
        parse(text)
