"""GSM-7 and segment arithmetic against the GSM 03.38 tables."""

from __future__ import annotations

import math
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.gsm import SUBSTITUTES, gsm7_length, is_gsm7, needless_ucs2, segments

BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENSION = "\x0c^{}\\[~]|€"

gsm_text = st.text(alphabet=st.sampled_from(BASIC + EXTENSION))
any_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()))


def test_the_tables_hold_127_basic_characters_and_10_extension_characters() -> None:
    assert len(BASIC) == len(set(BASIC)) == 127
    assert all(is_gsm7(char) for char in BASIC + EXTENSION)
    assert [gsm7_length(char) for char in BASIC] == [1] * 127
    assert [gsm7_length(char) for char in EXTENSION] == [2] * 10


def test_ascii_is_gsm7_but_for_the_backtick() -> None:
    printable = set(string.printable) - set("\t\x0b")
    assert {char for char in printable if not is_gsm7(char)} == {"`"}


@pytest.mark.parametrize(
    "char",
    ["\x1b", "\t", "ç", "á", "í", "ó", "ú", "ê", "’", "—", "…", "\u00a0", "😀", "中", "\u2126"],
)
def test_characters_outside_gsm7(char: str) -> None:
    assert not is_gsm7(char)
    assert not is_gsm7(f"plain text {char}")
    with pytest.raises(ValueError, match="not a GSM-7 character"):
        gsm7_length(char)


def test_greek_capital_omega_not_the_ohm_sign() -> None:
    assert is_gsm7("\u03a9")  # GREEK CAPITAL LETTER OMEGA, in the table
    assert not is_gsm7("\u2126")  # OHM SIGN, which looks the same


@pytest.mark.parametrize(
    ("text", "septets"),
    [("", 0), ("abc", 3), ("€5", 3), ("a{b}", 6), ("[x]", 5), ("\r\n", 2), ("Ça va? Ñ", 8)],
)
def test_gsm7_length_counts_extension_characters_twice(text: str, septets: int) -> None:
    assert gsm7_length(text) == septets


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("", 0),
        ("a", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("a" * 459, 3),
        ("a" * 460, 4),
        ("€" * 80, 1),  # 160 septets
        ("€" * 81, 2),
        ("a" * 159 + "€", 2),  # 161 septets
        # 306 septets fit two parts of 153, but the escape sequence may not be
        # split: the € moves whole to part two, which then overflows.
        ("a" * 152 + "€" + "a" * 152, 3),
        ("a" * 151 + "€" + "a" * 153, 2),
        ("ç", 1),
        ("ç" * 70, 1),
        ("ç" * 71, 2),
        ("ç" * 134, 2),
        ("ç" * 135, 3),
        ("a" * 159 + "ç", 3),  # one non-GSM character makes the whole text UCS-2
        ("😀" * 35, 1),  # 70 UTF-16 code units
        ("😀" * 36, 2),
        # A surrogate pair is never split across parts either.
        ("ç" * 66 + "😀" + "ç" * 66, 3),
        ("ç" * 65 + "😀" + "ç" * 67, 2),
    ],
)
def test_segments(text: str, count: int) -> None:
    assert segments(text) == count


@pytest.mark.parametrize(
    ("text", "offending"),
    [
        ("Plain text, nothing to see.", []),
        ("It’s fine", ["’"]),
        ("“Quoted” — and … more", ["“", "”", "—", "…"]),
        ("‘a’ ‘b’", ["‘", "’"]),
        ("– en – en", ["–"]),
        ("no\u00a0break", ["\u00a0"]),
        ("zero\u200bwidth", ["\u200b"]),
        ("• one\n• two", ["•"]),
        ("Thanks 😊", ["😊"]),
        ("👍🏽", ["👍", "🏽"]),
        ("❤️", ["❤", "\ufe0f"]),
        ("tab\there", ["\t"]),
        ("`code`", ["`"]),
        ("café ç", []),  # accented letters are spelling, not typography
        ("中文 “引号”", ["“", "”"]),
        ("1 → 2 ©", ["→", "©"]),
    ],
)
def test_needless_ucs2(text: str, offending: list[str]) -> None:
    assert needless_ucs2(text) == offending


def test_substitutes_are_gsm7_and_replace_only_non_gsm7_characters() -> None:
    assert all(not is_gsm7(char) for char in SUBSTITUTES)
    assert all(is_gsm7(replacement) for replacement in SUBSTITUTES.values())


@given(any_text)
def test_no_text_raises(text: str) -> None:
    is_gsm7(text)
    needless_ucs2(text)
    assert segments(text) >= (1 if text else 0)
    if is_gsm7(text):
        assert gsm7_length(text) >= len(text)
    else:
        with pytest.raises(ValueError, match="not a GSM-7 character"):
            gsm7_length(text)


@given(gsm_text)
def test_gsm7_segments_agree_with_the_length(text: str) -> None:
    septets = gsm7_length(text)
    assert septets == len(text) + sum(char in EXTENSION for char in text)
    if septets <= 160:
        assert segments(text) == (1 if text else 0)
    else:
        # An escape sequence moved whole to the next part wastes at most one septet a part.
        assert math.ceil(septets / 153) <= segments(text) <= math.ceil(septets / 152)


@given(st.text(alphabet=st.sampled_from(BASIC + "".join(SUBSTITUTES))))
def test_substituting_the_needless_characters_makes_text_gsm7(text: str) -> None:
    fixed = "".join(SUBSTITUTES.get(char, char) for char in text)
    assert is_gsm7(fixed)
    assert set(needless_ucs2(text)) == {char for char in text if not is_gsm7(char)}


@given(st.text(alphabet=st.sampled_from("çé€😀a"), min_size=1, max_size=400))
def test_segments_within_a_unit_a_part_of_plain_division(text: str) -> None:
    if is_gsm7(text):
        units, single, part = gsm7_length(text), 160, 153
    else:
        units, single, part = len(text.encode("utf-16-le")) // 2, 70, 67
    if units <= single:
        assert segments(text) == 1
    else:
        assert math.ceil(units / part) <= segments(text) <= math.ceil(units / (part - 1))
