"""Every answer kind: what it accepts, what it refuses and with which code, and no crash."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.engine.answers import (
    _NO_FOLDED,
    _YES_FOLDED,
    Contact,
    Parsed,
    parse_choice,
    parse_contact,
    parse_remove,
    parse_scale,
    parse_text,
    parse_time_of_day,
    parse_yes_no,
)


def ok(value: object) -> Parsed:
    return Parsed(ok=True, value=value)


def error(code: str, value: object = None) -> Parsed:
    return Parsed(ok=False, value=value, error=code)


# --- free text -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Going for a walk", ok("Going for a walk")),
        ("  Going for a walk \n", ok("Going for a walk")),
        ("Call   Sam,  then\nmake tea", ok("Call   Sam,  then\nmake tea")),  # inside: as sent
        ("MUSIC!!! 🎧", ok("MUSIC!!! 🎧")),
        ("\u200fשלום\u200f", ok("\u200fשלום\u200f")),  # RTL marks are part of the text
        ("a\x00b", ok("ab")),  # NUL cannot be stored in PostgreSQL text
        ("", error("empty")),
        ("   \n\t ", error("empty")),
        ("\u200b\u200f\ufeff", error("empty")),
        ("\u00a0\u2003", error("empty")),
        ("\x00", error("empty")),
        ("x" * 1000, ok("x" * 1000)),
        ("x" * 1001, error("too_long")),
        ("  " + "x" * 1000 + "  ", ok("x" * 1000)),
    ],
)
def test_parse_text(text: str, expected: Parsed) -> None:
    assert parse_text(text) == expected


def test_parse_text_max_length() -> None:
    assert parse_text("hello", max_length=5) == ok("hello")
    assert parse_text("hello!", max_length=5) == error("too_long")


# --- yes / no --------------------------------------------------------------------

YES = [
    # How people really text (issue 13): terse, hedged, half-hearted yeses count.
    "ye", "yeah ok", "yes i guess", "k", "K.", "go on", "ok then", "yeah sure", "i guess so",
    "yes", "Yes", "YES!", "y", "Y.", "yeah", "yea", "yep", "yup", "yes please", "Yes, please.",
    "ok", "OK", "okay", "Okay!", "sure", "correct", "that's right", "That’s right", "of course",
    "definitely", "alright", "👍", "👍🏽", "👍👍", "✅", "👌", "yesss", "yeahhh", "okkk",
    "yes 😊", "  yes  ", "yes\u200b", "ＹＥＳ",
]  # fmt: skip
NO = [
    "nah not now", "not yet", "not right now", "no sorry", "rather not",
    "no", "No", "NO!", "n", "N.", "nope", "nah", "no thanks", "No, thanks.", "no thank you",
    "not really", "Not really...", "not now", "no way", "👎", "❌", "nooo", "nope 😕",
    "I don't", "no, I don’t",
]  # fmt: skip
NEITHER = [
    "", " ", "maybe", "not sure", "yes and no", "yes no", "perhaps", "idk", "🤷", "yes?no",
    "yesterday", "nothing", "know", "now", "yes I think so but", "7", "😊",
]  # fmt: skip


@pytest.mark.parametrize("text", YES)
def test_yes(text: str) -> None:
    assert parse_yes_no(text) == ok(True)


@pytest.mark.parametrize("text", NO)
def test_no(text: str) -> None:
    assert parse_yes_no(text) == ok(False)


@pytest.mark.parametrize("text", NEITHER)
def test_neither_yes_nor_no(text: str) -> None:
    assert parse_yes_no(text) == error("not_yes_no")


def test_yes_and_no_words_stay_apart_after_collapsing_repeats() -> None:
    assert not _YES_FOLDED & _NO_FOLDED


# --- scale -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7", ok(7)),
        ("0", ok(0)),
        ("10", ok(10)),
        ("10!", ok(10)),
        ("7/10", ok(7)),
        ("7 / 10", ok(7)),
        ("7 out of 10", ok(7)),
        ("7 of 10", ok(7)),
        ("seven", ok(7)),
        ("Seven.", ok(7)),
        ("seven out of ten", ok(7)),
        ("about 7", ok(7)),
        ("around 7", ok(7)),
        ("maybe a 7", ok(7)),
        ("I'd say 7", ok(7)),
        ("I’m a 7", ok(7)),
        ("it's about a 7 out of 10", ok(7)),
        ("7ish", ok(7)),
        ("7-ish", ok(7)),
        ("7.0", ok(7)),
        ("7️⃣", ok(7)),
        ("🔟", ok(10)),
        ("７", ok(7)),  # fullwidth
        ("٧", ok(7)),  # Arabic-Indic
        ("zero", ok(0)),
        ("11", error("out_of_range")),
        ("eleven", error("out_of_range")),
        ("100", error("out_of_range")),
        ("-1", error("out_of_range")),
        ("9" * 5000, error("out_of_range")),  # int() would refuse past 4,300 digits
        ("7.5", error("not_whole")),
        ("7,5", error("not_whole")),
        ("7½", error("not_whole")),
        ("seven and a half", error("not_whole")),
        ("4/5", error("not_scale")),  # another scale: not rescaled
        ("7 out of 100", error("not_scale")),
        ("6-7", error("not_scale")),
        ("6 or 7", error("not_scale")),
        ("between 6 and 7", error("not_scale")),
        ("good", error("not_scale")),
        ("", error("not_scale")),
        ("7 today", error("not_scale")),
        ("a", error("not_scale")),
    ],
)
def test_parse_scale(text: str, expected: Parsed) -> None:
    assert parse_scale(text) == expected


def test_parse_scale_other_ranges() -> None:
    assert parse_scale("0", low=1, high=5) == error("out_of_range")
    assert parse_scale("5", low=1, high=5) == ok(5)
    assert parse_scale("4/5", low=1, high=5) == ok(4)
    assert parse_scale("7/10", low=1, high=5) == error("not_scale")
    assert parse_scale("-2", low=-5, high=5) == ok(-2)


@given(st.integers(min_value=-50, max_value=50), st.integers(0, 5), st.integers(5, 30))
def test_parse_scale_reads_every_whole_number(number: int, low: int, high: int) -> None:
    inside = low <= number <= high
    assert parse_scale(str(number), low, high) == (ok(number) if inside else error("out_of_range"))
    if inside:
        assert parse_scale(f" {number} / {high} ", low, high) == ok(number)
        assert parse_scale(f"about {number} out of {high}!", low, high) == ok(number)


# --- time of day -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9", time(9)),
        ("9am", time(9)),
        ("9 am", time(9)),
        ("9AM", time(9)),
        ("9 a.m.", time(9)),
        ("9a.m", time(9)),
        ("9:30", time(9, 30)),
        ("09:30", time(9, 30)),
        ("9.30pm", time(21, 30)),
        ("9.30 p.m.", time(21, 30)),
        ("21:30", time(21, 30)),
        ("21.30", time(21, 30)),
        ("21:30pm", time(21, 30)),
        ("9h30", time(9, 30)),
        ("930", time(9, 30)),
        ("0930", time(9, 30)),
        ("2130", time(21, 30)),
        ("noon", time(12)),
        ("Midday", time(12)),
        ("12 noon", time(12)),
        ("midnight", time(0)),
        ("12am", time(0)),
        ("12pm", time(12)),
        ("12", time(12)),
        ("0", time(0)),
        ("00:15", time(0, 15)),
        ("half past nine", time(9, 30)),
        ("half nine", time(9, 30)),
        ("quarter past 10", time(10, 15)),
        ("quarter to seven", time(6, 45)),
        ("quarter to 1", time(12, 45)),
        ("nine", time(9)),
        ("nine thirty", time(9, 30)),
        ("nine pm", time(21)),
        ("9 o'clock", time(9)),
        ("at 9pm", time(21)),
        ("around 8", time(8)),
        ("9 in the morning", time(9)),
        ("8 in the evening", time(20)),
        ("9 at night", time(21)),
        ("12 at night", time(0)),
        ("9am!", time(9)),
        ("٩:٣٠", time(9, 30)),
        # Without am/pm, 1-6 are taken as the afternoon or evening.
        ("3", time(15)),
        ("6:30", time(18, 30)),
        ("1", time(13)),
        ("7", time(7)),
        ("03:30", time(3, 30)),  # a leading zero is the 24-hour clock
        ("3am", time(3)),
    ],
)
def test_parse_time_of_day(text: str, expected: time) -> None:
    assert parse_time_of_day(text) == ok(expected)


@pytest.mark.parametrize(
    "text",
    [
        "", "morning", "evening", "tonight", "after lunch", "now", "24:00", "25", "7:60", "9:5",
        "13am", "0am", "10.5", "9:30:15", "half past 9 thirty", "9 or 10", "quarter to 21",
        "99999999999", "nine hundred",
    ],
)  # fmt: skip
def test_not_a_time(text: str) -> None:
    assert parse_time_of_day(text) == error("not_time")


@given(st.integers(0, 23), st.integers(0, 59))
def test_every_24_hour_time_reads_back(hour: int, minute: int) -> None:
    assert parse_time_of_day(f"{hour:02d}:{minute:02d}") == ok(time(hour, minute))
    assert parse_time_of_day(f"{hour:02d}.{minute:02d}") == ok(time(hour, minute))


@given(st.integers(1, 12), st.integers(0, 59), st.sampled_from(["am", "pm", " AM", " p.m."]))
def test_every_12_hour_time_reads_back(hour: int, minute: int, period: str) -> None:
    expected = time(hour % 12 + (12 if "p" in period.lower() else 0), minute)
    assert parse_time_of_day(f"{hour}:{minute:02d}{period}") == ok(expected)


# --- choice ----------------------------------------------------------------------

OPTIONS = ["Text me", "Call me", "Telegram message", "Email"]


@pytest.mark.parametrize(
    ("text", "index"),
    [
        ("1", 0),
        ("2", 1),
        ("2.", 1),
        ("2)", 1),
        ("(2)", 1),
        ("#2", 1),
        ("# 2", 1),
        ("option 2", 1),
        ("Option 2!", 1),
        ("no. 2", 1),
        ("number 4", 3),
        ("２", 1),
        ("2️⃣", 1),
        ("call me", 1),
        ("CALL ME!", 1),
        ("call-me", 1),
        ("  call   me  ", 1),
        ("Text", 0),  # unique prefix of 4+
        ("call", 1),
        ("callme", 1),
        ("tele", 2),
        ("telegram", 2),
        ("e-mail", 3),  # punctuation-insensitive
        ("email.", 3),
        ("two", 1),
        ("option three", 2),
        ("the second one", 1),
        ("third", 2),
    ],
)
def test_parse_choice(text: str, index: int) -> None:
    assert parse_choice(text, OPTIONS) == ok(index)


@pytest.mark.parametrize(
    "text",
    [
        "", "0", "5", "-1", "99999999999999", "five", "fifth", "me", "tex", "t", "cal",
        "phone me", "no 2", "1 or 2", "1 and 2", "text me please", "Telegrams",
    ],
)  # fmt: skip
def test_not_a_choice(text: str) -> None:
    assert parse_choice(text, OPTIONS) == error("not_choice")


def test_an_ambiguous_prefix_is_not_a_choice() -> None:
    options = ["Walking the dog", "Walking alone"]
    assert parse_choice("walk", options) == error("not_choice")
    assert parse_choice("walking a", options) == ok(1)
    assert parse_choice("walking alone", options) == ok(1)


def test_digits_win_over_a_label_that_is_a_number() -> None:
    assert parse_choice("2", ["3", "5"]) == ok(1)
    assert parse_choice("5", ["3", "5"]) == error("not_choice")


def test_a_full_label_wins_over_a_prefix_of_another() -> None:
    assert parse_choice("call", ["Call", "Call me back"]) == ok(0)


def test_no_options_means_no_choice() -> None:
    assert parse_choice("1", []) == error("not_choice")


@given(st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=12), st.data())
def test_every_position_is_chosen_by_its_number(options: list[str], data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(options) - 1))
    assert parse_choice(str(index + 1), options) == ok(index)
    assert parse_choice(f"option {index + 1}.", options) == ok(index)


# --- contact ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "phone"),
    [
        ("Mum 07400 123456", "Mum", "+447400123456"),
        ("Mum 07400123456", "Mum", "+447400123456"),
        ("Mum: 07400-123-456", "Mum", "+447400123456"),
        ("Mum, 07400 123456.", "Mum", "+447400123456"),
        ("Mum - 07400 123456", "Mum", "+447400123456"),
        ("07400 123456 Mum", "Mum", "+447400123456"),
        ("Mum (07400 123456)", "Mum", "+447400123456"),
        ("Mum [07400 123456]", "Mum", "+447400123456"),
        ("Call Sam on 07400 123456", "Sam", "+447400123456"),
        ("Sam's number is 07400 123456", "Sam's", "+447400123456"),
        ("07400 123456 is Sam's", "Sam's", "+447400123456"),
        ("Dad: 020 7946 0000", "Dad", "+442079460000"),
        ("Aunty Jo 0161 496 0000", "Aunty Jo", "+441614960000"),
        ("Mum +44 7400 123456", "Mum", "+447400123456"),
        ("Mum 0044 7400 123456", "Mum", "+447400123456"),
        ("Bob +1 415 555 2671", "Bob", "+14155552671"),
        ("Mum ０７４００ １２３４５６", "Mum", "+447400123456"),
        ("Sam on 07400 123456 (mobile)", "Sam (mobile)", "+447400123456"),
        ("Mum (mobile: 07400 123456)", "Mum (mobile)", "+447400123456"),
        ("07400 123456", "", "+447400123456"),
        ("Mobile 07400 123456", "", "+447400123456"),
        # Only the first number is the phone; nothing typed is lost.
        ("Jo 07400123456, Ann 07400123457", "Jo, Ann 07400123457", "+447400123456"),
    ],
)
def test_parse_contact(text: str, name: str, phone: str) -> None:
    assert parse_contact(text, "GB") == ok(Contact(name=name, phone=phone, raw=text.strip()))


def test_parse_contact_region_any_case() -> None:
    assert parse_contact("Mum 07400 123456", "gb") == ok(
        Contact(name="Mum", phone="+447400123456", raw="Mum 07400 123456")
    )


def test_parse_contact_reads_national_numbers_of_the_region() -> None:
    text = "Bob (415) 555-2671"
    assert parse_contact(text, "US") == ok(Contact(name="Bob", phone="+14155552671", raw=text))
    assert parse_contact(text, "GB").error == "no_phone"


@pytest.mark.parametrize(
    "text",
    [
        "Sam",
        "  Sam  ",
        "Mum 123",
        "Mum 0740012345",  # a digit short
        "Samaritans 116 123",  # a short service number, not a phone number
        "NHS 111",
        "Mum 07700 900123",  # Ofcom's drama range is not a valid number
        "12/03/2024",
        "my sister, she knows",
    ],
)
def test_no_phone_keeps_the_text_as_typed(text: str) -> None:
    raw = text.strip()
    assert parse_contact(text, "GB") == error("no_phone", Contact(name=raw, phone=None, raw=raw))


@pytest.mark.parametrize("text", ["", "   ", "\u200b", "\x00"])
def test_parse_contact_empty(text: str) -> None:
    assert parse_contact(text, "GB") == error("empty")


# --- remove ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("REMOVE 2", 2),
        ("remove 2", 2),
        ("Remove 2.", 2),
        ("delete 2", 2),
        ("DELETE 12", 12),
        ("remove #2", 2),
        ("remove # 2", 2),
        ("remove number 3", 3),
        ("remove no. 3", 3),
        ("remove item 1", 1),
        ("remove2", 2),
        ("remove two", 2),
        ("  remove   3  ", 3),
        ("remove 0", None),
        ("remove", None),
        ("remove 2 and 3", None),
        ("remove 2, 3", None),
        ("remove it", None),
        ("please remove 2", None),
        ("2", None),
        ("removed 2", None),
        ("remove 99999999999", None),
        ("", None),
    ],
)
def test_parse_remove(text: str, expected: int | None) -> None:
    assert parse_remove(text) == expected


@given(st.integers(1, 10_000))
def test_parse_remove_reads_every_position(position: int) -> None:
    assert parse_remove(f"remove {position}") == position
    assert parse_remove(f"DELETE #{position}!") == position


# --- no text raises --------------------------------------------------------------

single_nasty = st.sampled_from(
    ["\x00", "\u200f", "\u202e", "\u200b", "\ufeff", "🆘", "\ufe0f", "\u20e3", "\n", "ﷺ", "½"]
)
pieces = st.sampled_from(
    ["7", "/", "10", "out of", " ", "am", ":", "30", "remove", "+44", "07400 123456", "yes",
     "half past", "(", ")", "#", "option", "👍🏽", "٧", "9" * 40, ".", ",", "-"]
)  # fmt: skip
texts = st.one_of(
    st.text(),
    st.text(alphabet=st.one_of(st.characters(), single_nasty)),
    st.lists(st.one_of(pieces, single_nasty), max_size=30).map("".join),
    st.builds(lambda s: (s * 5000)[:5000], st.text(min_size=1, max_size=12)),
)

PARSERS: list[Callable[[str], object]] = [
    parse_text,
    parse_yes_no,
    parse_scale,
    parse_time_of_day,
    lambda text: parse_choice(text, OPTIONS),
    lambda text: parse_contact(text, "GB"),
    lambda text: parse_contact(text, "US"),
    parse_remove,
]


@given(texts)
def test_no_parser_raises(text: str) -> None:
    for parse in PARSERS:
        result = parse(text)
        if isinstance(result, Parsed):
            assert result.ok is (result.error is None)


@given(texts)
def test_parse_text_keeps_the_words_as_sent(text: str) -> None:
    result = parse_text(text)
    if result.ok:
        assert result.value == text.replace("\x00", "").strip()
        assert 0 < len(str(result.value)) <= 1000
    else:
        assert result.error in {"empty", "too_long"}


@given(texts, st.lists(st.text(max_size=40), max_size=10))
def test_parse_choice_never_raises_and_stays_in_range(text: str, options: list[str]) -> None:
    result = parse_choice(text, options)
    if result.ok:
        assert isinstance(result.value, int)
        assert 0 <= result.value < len(options)


@given(texts, st.integers(-100, 100), st.integers(-100, 100))
def test_parse_scale_never_raises_and_stays_in_range(text: str, low: int, high: int) -> None:
    result = parse_scale(text, low, high)
    if result.ok:
        assert isinstance(result.value, int)
        assert low <= result.value <= high
    else:
        assert result.error in {"not_scale", "not_whole", "out_of_range"}


@given(texts, st.sampled_from(["GB", "US", "DE", "IN", "gb", "", "ZZ", "XX"]))
def test_parse_contact_never_raises(text: str, region: str) -> None:
    result = parse_contact(text, region)
    if result.ok:
        assert isinstance(result.value, Contact)
        assert result.value.phone is not None
        assert result.value.phone.startswith("+")
    else:
        assert result.error in {"empty", "no_phone"}
