"""Parsing a reply into the value a question asked for, or an error code.

Error codes are short snake_case strings; the wording for each lives in the
templates. No parser raises on any text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from typing import Final

import phonenumbers


@dataclass(frozen=True)
class Parsed:
    ok: bool
    value: object = None
    error: str | None = None


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str | None
    raw: str


def _ok(value: object) -> Parsed:
    return Parsed(ok=True, value=value)


def _error(code: str, value: object = None) -> Parsed:
    return Parsed(ok=False, value=value, error=code)


# --- shared folding --------------------------------------------------------------

_APOSTROPHES: Final = str.maketrans("", "", "'’‘`´")
_SKIN_TONES: Final = range(0x1F3FB, 0x1F400)


def _invisible(char: str) -> bool:
    # Format characters (zero-width, direction marks, BOM, soft hyphen), emoji
    # variation selectors, the keycap enclosure of 7️⃣ and skin-tone modifiers.
    return (
        unicodedata.category(char) == "Cf"
        or "\ufe00" <= char <= "\ufe0f"
        or char == "\u20e3"
        or ord(char) in _SKIN_TONES
    )


def _blank(text: str) -> bool:
    return all(char.isspace() or _invisible(char) for char in text)


def _fold(text: str) -> str:
    """NFKC, casefold, apostrophes and invisible characters dropped, spaces made single."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    return " ".join("".join(c for c in folded if not _invisible(c)).split())


def _words(text: str) -> str:
    """_fold, then every punctuation mark a space: 'No, thanks!' -> 'no thanks'."""
    spaced = "".join(" " if unicodedata.category(c)[0] == "P" else c for c in _fold(text))
    return " ".join(spaced.split())


def plain_words(text: str) -> str:
    """The words of a message, folded, punctuation gone: "That's it!" -> "thats it"."""
    return _words(text)


def _compact(text: str) -> str:
    """_fold without punctuation or spaces at all: 'E-mail me!' -> 'emailme'."""
    return "".join(c for c in _fold(text) if c != " " and unicodedata.category(c)[0] != "P")


def _collapse_repeats(text: str) -> str:
    """Runs of one character made one: 'yesss' -> 'yes', '👍👍' -> '👍'."""
    return re.sub(r"(.)\1+", r"\1", text, flags=re.DOTALL)


# fmt: off
_NUMBER_WORDS: Final[dict[str, int]] = {
    word: number
    for number, word in enumerate((
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
        "eighteen", "nineteen", "twenty",
    ))
}
# fmt: on
_NUMBER_WORD: Final = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_MAX_DIGITS: Final = 9  # int() refuses over 4,300 digits; no answer needs more than this


def _number(token: str) -> int | None:
    if token in _NUMBER_WORDS:
        return _NUMBER_WORDS[token]
    if token.isdecimal() and len(token) <= _MAX_DIGITS:
        return int(token)
    return None


# --- free text -------------------------------------------------------------------


def parse_text(text: str, *, max_length: int = 1000) -> Parsed:
    """The person's own words, kept as sent but for surrounding whitespace.

    NUL characters are dropped: no keyboard types them and PostgreSQL text
    cannot store them.
    """
    value = text.replace("\x00", "").strip()
    if _blank(value):
        return _error("empty")
    if len(value) > max_length:
        return _error("too_long")
    return _ok(value)


# --- yes / no --------------------------------------------------------------------

# fmt: off
_YES: Final = frozenset({
    "yes", "y", "yeah", "yea", "yah", "ya", "yep", "yup", "yas", "aye", "ok", "okay", "okey",
    "okie", "oki", "sure", "sure thing", "correct", "thats correct", "thats right", "yes please",
    "yes thanks", "yes thank you", "ok thanks", "okay thanks", "yes ok", "yes okay", "yes sure",
    "yes i do", "i do", "of course", "definitely", "absolutely", "certainly", "indeed", "alright",
    "all right", "please", "please do", "go ahead", "sounds good", "👍", "👌", "✅", "✔", "☑", "🆗",
    "ye", "yeh", "yh", "yee", "k", "kk", "okey dokey", "go on", "go on then", "why not",
    "i guess", "i guess so", "guess so", "i suppose", "i suppose so", "suppose so", "yes i guess",
    "yeah i guess", "yes i suppose", "yeah ok", "yeah okay", "yeah sure", "yeah go on", "yep ok",
    "ok then", "okay then", "alright then", "fine", "thats fine", "thats ok", "its ok", "cool",
    "yes go on", "lets go", "lets do it", "ready", "im ready", "yes im ready", "yes please do",
    "yeah thats right", "yes thats right", "yes that is right", "right", "yess please", "ja",
})
_NO: Final = frozenset({
    "no", "n", "nope", "nah", "naw", "nay", "no thanks", "no thank you", "not really",
    "no not really", "nope not really", "not now", "not today", "not at all", "no way",
    "definitely not", "absolutely not", "certainly not", "of course not", "i dont", "no i dont",
    "👎", "❌", "✖", "🙅",
    "nah thanks", "nah not now", "no not now", "not now thanks", "not yet", "not right now",
    "no ta", "nah ta", "no thx", "no thanks x", "nope not now", "i dont think so", "dont think so",
    "rather not", "id rather not", "not really no", "no sorry", "nah sorry", "not at the moment",
})
# fmt: on
# Matched after repeated letters collapse ("yesss", "nooo", "okkk", "👍👍").
_YES_FOLDED: Final = frozenset(_collapse_repeats(word) for word in _YES)
_NO_FOLDED: Final = frozenset(_collapse_repeats(word) for word in _NO)


def parse_yes_no(text: str) -> Parsed:
    """True or False; "maybe", "not sure" and "yes and no" are "not_yes_no".

    Emoji beside words are ignored ("yes 😊"); on their own they count ("👍").
    """
    words = _words(text)
    without_emoji = " ".join("".join(c for c in words if unicodedata.category(c) != "So").split())
    answer = _collapse_repeats(without_emoji or words)
    if answer in _YES_FOLDED:
        return _ok(True)
    if answer in _NO_FOLDED:
        return _ok(False)
    return _error("not_yes_no")


# --- scale -----------------------------------------------------------------------

_HEDGE: Final = (
    r"(?:about|around|roughly|approximately|approx|maybe|probably|prob|like|say|honestly"
    r"|i|id|im|am|its|it|is|a|an|think|guess|would|feel|feeling|hmm+|um+|erm+|uh+)"
)
_SCALE: Final = re.compile(
    rf"(?:{_HEDGE}\s+)*"
    rf"(?P<number>-?(?:\d+|{_NUMBER_WORD}))"
    r"(?:[.,](?P<fraction>\d+)|(?P<half>\s+and\s+a\s+half))?"
    r"(?:\s*-?\s*ish)?"
    rf"(?:\s*(?:/|out\s+of|of)\s*(?P<out_of>\d+|{_NUMBER_WORD}))?"
)
_SCALE_EDGES: Final = " .!?,;:~*"


def parse_scale(text: str, low: int = 0, high: int = 10) -> Parsed:
    """A whole number from low to high: "7", "7/10", "7 out of 10", "seven", "about 7".

    "7.5" is not rounded but refused as "not_whole": rounding would put a
    number on the person's answer that they did not give, and asking again
    costs one message. "7.0" is 7. "7/10" on a 0-5 scale is "not_scale" rather
    than rescaled; a range ("6-7", "6 or 7") is "not_scale" too.
    """
    folded = _fold(text.replace("🔟", "10").replace("½", " and a half")).strip(_SCALE_EDGES)
    match = _SCALE.fullmatch(folded)
    if match is None:
        return _error("not_scale")
    if match["out_of"] is not None and _number(match["out_of"]) != high:
        return _error("not_scale")
    if match["half"] is not None:
        return _error("not_whole")
    fraction = match["fraction"]
    if fraction is not None and any(unicodedata.digit(c) != 0 for c in fraction):
        return _error("not_whole")
    token = match["number"]
    negative = token.startswith("-")
    number = _number(token.removeprefix("-"))
    if number is None:  # more digits than any scale has
        return _error("out_of_range")
    value = -number if negative else number
    if not low <= value <= high:
        return _error("out_of_range")
    return _ok(value)


# --- time of day -----------------------------------------------------------------

_HOUR_WORDS: Final = {word: n for word, n in _NUMBER_WORDS.items() if 1 <= n <= 12}
_HOUR_WORD: Final = "|".join(sorted(_HOUR_WORDS, key=len, reverse=True))
_MINUTE_WORDS: Final = {
    "oh five": 5,
    "ten": 10,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "forty five": 45,
    "fifty": 50,
}
_MINUTE_WORD: Final = "|".join(sorted(_MINUTE_WORDS, key=len, reverse=True))

_NAMED_TIMES: Final = {
    "noon": time(12),
    "midday": time(12),
    "12 noon": time(12),
    "12 midday": time(12),
    "midnight": time(0),
    "12 midnight": time(0),
}
_PERIODS: Final = {
    "am": "am",
    "pm": "pm",
    "in the morning": "am",
    "in the afternoon": "pm",
    "in the evening": "pm",
    "at night": "night",
}
_PERIOD: Final = "|".join(sorted(_PERIODS, key=len, reverse=True))
_TIME_PREFIX: Final = r"(?:(?:at|around|about|by|say|maybe|from)\s+)*"
_CLOCK: Final = re.compile(
    _TIME_PREFIX
    + r"(?P<hour>\d{1,2})(?:\s*[:.h]\s*(?P<minute>\d{2}))?"
    + rf"(?:\s*o\s?clock)?(?:\s*(?P<period>{_PERIOD}))?"
)
_COMPACT: Final = re.compile(
    _TIME_PREFIX + rf"(?P<hour>\d{{1,2}})(?P<minute>\d{{2}})(?:\s*(?P<period>{_PERIOD}))?"
)
_SPOKEN: Final = re.compile(
    _TIME_PREFIX
    + r"(?:(?P<past>half\s+past|quarter\s+past|quarter\s+to|half)\s+)?"
    + rf"(?P<hour>\d{{1,2}}|{_HOUR_WORD})"
    + rf"(?:\s+(?P<minute>{_MINUTE_WORD}))?"
    + rf"(?:\s*o\s?clock)?(?:\s*(?P<period>{_PERIOD}))?"
)
_AM_PM: Final = re.compile(r"(?<![a-z])([ap])\s?\.?\s?m(?![a-z])\.?")
_TIME_EDGES: Final = " .!?,;~"
_FIRST_PM_HOUR, _LAST_PM_GUESS = 1, 6


def parse_time_of_day(text: str) -> Parsed:
    """A datetime.time: "9", "9am", "9:30", "09:30", "9.30pm", "21:30", "noon", "half past nine".

    An hour without am/pm and without a leading zero is a guess, taken as a
    person arranging a message would mean it: 7-11 and 12 as written (morning,
    noon), 1-6 as the afternoon or evening ("3" is 15:00, "6:30" is 18:30),
    13-23 and 0 on the 24-hour clock. A leading zero ("03:30") is the 24-hour
    clock. Callers should read the time back. Vague words ("morning",
    "after lunch") are "not_time".
    """
    folded = _AM_PM.sub(r"\1m", _fold(text)).strip(_TIME_EDGES)
    if folded in _NAMED_TIMES:
        return _ok(_NAMED_TIMES[folded])
    for pattern in (_CLOCK, _COMPACT, _SPOKEN):
        match = pattern.fullmatch(folded)
        if match is not None:
            found = _clock_time(match)
            return _ok(found) if found is not None else _error("not_time")
    return _error("not_time")


def _clock_time(match: re.Match[str]) -> time | None:
    hour_text = match["hour"]
    hour = _HOUR_WORDS[hour_text] if hour_text in _HOUR_WORDS else int(hour_text)
    minute_text = match["minute"]
    if minute_text is None:
        minute = 0
    elif minute_text in _MINUTE_WORDS:
        minute = _MINUTE_WORDS[minute_text]
    else:
        minute = int(minute_text)
    leading_zero = len(hour_text) == 2 and unicodedata.digit(hour_text[0], None) == 0
    spoken_hour = _with_period(hour, match["period"], guess=not leading_zero)
    if spoken_hour is None or not 0 <= spoken_hour <= 23 or not 0 <= minute <= 59:
        return None
    past = match.groupdict().get("past")
    if past is None:
        return time(spoken_hour, minute)
    if minute_text is not None or hour > 12:  # "half past nine thirty", "quarter to 21"
        return None
    past = " ".join(past.split())
    if past == "quarter to":
        return time((spoken_hour - 1) % 24, 45)
    return time(spoken_hour, 15 if past == "quarter past" else 30)


def _with_period(hour: int, period_text: str | None, *, guess: bool) -> int | None:
    period = _PERIODS.get(period_text or "")
    if period is None:
        if guess and _FIRST_PM_HOUR <= hour <= _LAST_PM_GUESS:
            return hour + 12
        return hour
    if period == "pm" and 13 <= hour <= 23:  # "21:30pm" says the same twice
        return hour
    if not 1 <= hour <= 12:
        return None
    if period == "night":  # 12 at night is midnight, 1-5 before dawn, 6-11 evening
        period = "am" if hour == 12 or hour <= 5 else "pm"
    if period == "am":
        return 0 if hour == 12 else hour
    return hour if hour == 12 else hour + 12


# --- choice ----------------------------------------------------------------------

_CHOICE_NUMBER: Final = re.compile(
    r"(?:(?:option|opt|number|num|no\.|choice)\s*)?#?\s*(?P<number>\d+)"
)
_CHOICE_WORD: Final = re.compile(
    rf"(?:(?:option|number|choice)\s+)?(?P<number>{_NUMBER_WORD})",
)
# fmt: off
_ORDINALS: Final = {
    word: n
    for n, word in enumerate((
        "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
        "tenth",
    ), start=1)
}
# fmt: on
_ORDINAL: Final = re.compile(
    r"(?:the\s+)?(?P<ordinal>" + "|".join(_ORDINALS) + r")(?:\s+(?:one|option))?"
)
_CHOICE_EDGES: Final = " .!?,;:()[]{}"
_MIN_PREFIX: Final = 4


def parse_choice(text: str, options: Sequence[str]) -> Parsed:
    """The 0-based index of the option chosen, by number ("2", "#2", "option 2") or label.

    Digits win over a label: prompts ask for the number, so with options
    ["3", "5"] a reply of "2" is the second option. A label matches when typed
    in full or by a unique prefix of at least four letters, ignoring case,
    punctuation and spaces ("e-mail" is "Email"); then number words and ordinals ("two", "the
    second one") are tried. A number past the last option is "not_choice".
    """
    folded = _fold(text).strip(_CHOICE_EDGES)
    number: int | None = None
    if match := _CHOICE_NUMBER.fullmatch(folded):
        number = _number(match["number"])
    else:
        number = _label_choice(_compact(text), [_compact(option) for option in options])
        if number is None:
            number = _spoken_choice(folded)
    if number is None or not 1 <= number <= len(options):
        return _error("not_choice")
    return _ok(number - 1)


def _label_choice(typed: str, labels: list[str]) -> int | None:
    if not typed:
        return None
    if typed in labels:
        return labels.index(typed) + 1
    if len(typed) < _MIN_PREFIX:
        return None
    prefixed = [n for n, label in enumerate(labels, start=1) if label.startswith(typed)]
    return prefixed[0] if len(prefixed) == 1 else None


def _spoken_choice(folded: str) -> int | None:
    if match := _CHOICE_WORD.fullmatch(folded):
        return _NUMBER_WORDS[match["number"]]
    if match := _ORDINAL.fullmatch(folded):
        return _ORDINALS[match["ordinal"]]
    return None


# --- contact ---------------------------------------------------------------------

_NAME_EDGES: Final = " \t\r\n,-–—:;/|.=~*"
_CONNECTORS: Final = frozenset(
    {"on", "is", "at", "number", "no", "num", "tel", "phone", "mobile", "mob", "cell"}
    | {"call", "ring", "text", "ph"}
)


def parse_contact(text: str, region: str) -> Parsed:
    """A name and a phone number, the number as E.164 ("+447400123456").

    The first valid number in the text is the phone; everything else, trimmed
    of separators and linking words ("on", "is", "number"...), is the name, so
    nothing typed is lost (a second number stays in the name). The name may be
    empty ("07400 123456" alone). Without a valid number: "no_phone", with the
    text kept as typed in value. Short service numbers (111, 116 123) and the
    Ofcom drama range (07700 900xxx) are not valid numbers.
    """
    raw = text.replace("\x00", "").strip()
    if _blank(raw):
        return _error("empty")
    found = _first_number(raw, region.upper())
    if found is None:
        return _error("no_phone", Contact(name=raw, phone=None, raw=raw))
    start, end, phone = found
    return _ok(Contact(name=_name_around(raw[:start], raw[end:]), phone=phone, raw=raw))


def _name_around(before: str, after: str) -> str:
    """The name from the text before and after the number: "Mum (mobile)", "Jo, Ann"."""
    head, tail = _trim_name(before), _trim_name(after)
    if after.lstrip().startswith(")") and head.count("(") > head.count(")"):
        head += ")"  # "Mum (mobile: 07400 123456)": the bracket closes the name
    if head and tail:
        comma = after.lstrip().startswith((",", ";"))
        return f"{head}, {tail}" if comma else f"{head} {tail}"
    return head or tail


def _first_number(text: str, region: str) -> tuple[int, int, str] | None:
    for match in phonenumbers.PhoneNumberMatcher(text, region):
        e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        return match.start, match.end, str(e164)
    return None


def _trim_name(name: str) -> str:
    while True:
        before = name
        name = _trim_brackets(name.strip(_NAME_EDGES))
        words = name.split()
        if words and words[-1].casefold() in _CONNECTORS:
            name = name[: name.rfind(words[-1])]
        elif words and words[0].casefold() in _CONNECTORS:
            name = name[name.find(words[0]) + len(words[0]) :]
        if name == before:
            return name


def _trim_brackets(name: str) -> str:
    """Drop a bracket at either end that the number took its partner from."""
    if name.endswith(("(", "[")) or name.startswith((")", "]")):
        return name[1:] if name.startswith((")", "]")) else name[:-1]
    if name.endswith(")") and name.count("(") < name.count(")"):
        return name[:-1]
    if name.endswith("]") and name.count("[") < name.count("]"):
        return name[:-1]
    if name.startswith("(") and name.count("(") > name.count(")"):
        return name[1:]
    if name.startswith("[") and name.count("[") > name.count("]"):
        return name[1:]
    return name


# --- remove ----------------------------------------------------------------------

_REMOVE: Final = re.compile(
    r"(?:remove|delete|del)\s*(?:(?:item|number|num|no\.|option)\s*)?#?\s*"
    rf"(?P<number>\d+|{_NUMBER_WORD})"
)
_REMOVE_EDGES: Final = " .!?,;:()[]"


def parse_remove(text: str) -> int | None:
    """The 1-based position in "REMOVE 2", "delete #2", "remove two"; else None (0 too)."""
    match = _REMOVE.fullmatch(_fold(text).strip(_REMOVE_EDGES))
    if match is None:
        return None
    number = _number(match["number"])
    return number if number else None
