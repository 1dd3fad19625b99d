"""When the team will next read messages, in the person's language.

bot/staff/hours.py says it in English ("tomorrow from 9am"); the safety message of a
Welsh or Polish speaker says it in theirs, from the `seen` table of their words.yaml.
"""

from __future__ import annotations

import re
from typing import Final

from bot.language.words import words

_DAYS: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_PHRASE: Final = re.compile(
    r"(?P<when>today|tomorrow|on (?P<on>\w+)|next (?P<next>\w+))"
    r"(?: (?:after|from) (?P<hour>\d{1,2})(?::(?P<minute>\d\d))?(?P<half>am|pm))?"
)


def seen_in(phrase: str, locale: str) -> str:
    """`phrase` ("today after 9am", "on Monday from 9am") said in `locale`; unchanged
    in English or when the locale has no table."""
    table = words(locale).seen
    if not table:
        return phrase
    match = _PHRASE.fullmatch(phrase.strip().casefold())
    if match is None:
        return table["unknown"]
    clock = _clock(match)
    day_name = match["on"] or match["next"]
    day = ""
    if day_name in _DAYS:
        day = words(locale).days[_DAYS.index(day_name)]
    if match["when"] == "today":
        return table["today_after"].format(time=clock) if clock else table["today"]
    if match["when"] == "tomorrow":
        return table["tomorrow_from"].format(time=clock)
    key = "on_day_from" if match["on"] else "next_day_from"
    return table[key].format(day=day, time=clock)


def _clock(match: re.Match[str]) -> str:
    if match["hour"] is None:
        return ""
    hour = int(match["hour"]) % 12 + (12 if match["half"] == "pm" else 0)
    return f"{hour:02d}:{match['minute'] or '00'}"
