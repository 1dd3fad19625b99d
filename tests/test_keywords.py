"""Global keywords: whole messages only, typos where they are safe, consent exact."""

from __future__ import annotations

import re
import string
import time
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.keywords import (
    _NOT_TYPOS,
    _PHRASES,
    _TOLERANT,
    Keyword,
    _fold,
    _invisible,
    _one_edit,
    keyword,
)

ALL_PHRASES = [(phrase, key) for key, phrases in _PHRASES.items() for phrase in phrases]
EXACT_FAMILIES = [key for key in Keyword if key not in _TOLERANT]
ALPHABET = string.ascii_lowercase + " "


def one_edits(word: str) -> set[str]:
    """Every string one insertion, deletion, substitution or adjacent swap from word."""
    edits = {word[:i] + word[i + 1 :] for i in range(len(word))}
    edits |= {word[:i] + c + word[i:] for i in range(len(word) + 1) for c in ALPHABET}
    edits |= {word[:i] + c + word[i + 1 :] for i in range(len(word)) for c in ALPHABET}
    edits |= {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}
    return edits - {word}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CRISIS", Keyword.CRISIS),
        ("crisis", Keyword.CRISIS),
        ("Crisis.", Keyword.CRISIS),
        ("  crisis!!  ", Keyword.CRISIS),
        ("¿crisis?", Keyword.CRISIS),
        ("SOS", Keyword.CRISIS),
        ("sos!", Keyword.CRISIS),
        ("Safety", Keyword.CRISIS),
        ("MY PLAN", Keyword.CRISIS),
        ("my   plan", Keyword.CRISIS),
        ("my\nplan", Keyword.CRISIS),
        ("myplan", Keyword.CRISIS),
        ("my-plan", Keyword.CRISIS),
        ("Safety plan", Keyword.CRISIS),
        ("crisis plan", Keyword.CRISIS),
        ("help me", Keyword.CRISIS),
        ("HELP ME!", Keyword.CRISIS),
        ("please help me", Keyword.CRISIS),
        ("🆘", Keyword.CRISIS),
        ("🆘🆘🆘", Keyword.CRISIS),
        ("crisis 😢", Keyword.CRISIS),
        ("\u200fCRISIS\u200f", Keyword.CRISIS),  # right-to-left marks
        ("CRI\u200bSIS", Keyword.CRISIS),  # a zero-width space inside
        ("ＣＲＩＳＩＳ", Keyword.CRISIS),  # fullwidth, folded by NFKC
        ("CRİSİS", Keyword.CRISIS),  # Turkish dotted capital I
        ("crísis", Keyword.CRISIS),  # accents dropped
        ("cri\u0301sis", Keyword.CRISIS),  # a combining accent too
        ("crises", Keyword.CRISIS),
        ("STOP", Keyword.STOP),
        ("Stop.", Keyword.STOP),
        ("stopall", Keyword.STOP),
        ("UNSUBSCRIBE", Keyword.STOP),
        ("cancel", Keyword.STOP),
        ("End", Keyword.STOP),
        ("quit", Keyword.STOP),
        ("revoke", Keyword.STOP),
        ("optout", Keyword.STOP),
        ("START", Keyword.START),
        ("unstop", Keyword.START),
        ("HELP", Keyword.HELP),
        ("help?", Keyword.HELP),
        ("info", Keyword.HELP),
        ("PAUSE", Keyword.PAUSE),
        ("menu", Keyword.MENU),
        ("Back", Keyword.BACK),
        ("skip", Keyword.SKIP),
        ("DONE", Keyword.DONE),
        ("done ✅", Keyword.DONE),
        ("finished", Keyword.DONE),
        ("more", Keyword.MORE),
        ("review", Keyword.REVIEW),
    ],
)
def test_keywords(text: str, expected: Keyword) -> None:
    assert keyword(text) is expected


@pytest.mark.parametrize(
    ("typo", "expected"),
    [
        ("crisus", Keyword.CRISIS),
        ("crsis", Keyword.CRISIS),
        ("crisiss", Keyword.CRISIS),
        ("cirsis", Keyword.CRISIS),
        ("crisi", Keyword.CRISIS),
        ("cr1sis", Keyword.CRISIS),
        ("saftey", Keyword.CRISIS),
        ("safty", Keyword.CRISIS),
        ("my plna", Keyword.CRISIS),
        ("safety paln", Keyword.CRISIS),
        ("hlep me", Keyword.CRISIS),
        ("pasue", Keyword.PAUSE),
        ("puase", Keyword.PAUSE),
        ("paused", Keyword.PAUSE),
        ("reveiw", Keyword.REVIEW),
        ("reviw", Keyword.REVIEW),
        ("finshed", Keyword.DONE),
        ("finsihed", Keyword.DONE),
    ],
)
def test_one_typo_is_tolerated_in_long_keywords(typo: str, expected: Keyword) -> None:
    assert keyword(typo) is expected
    assert keyword(typo.upper() + "!") is expected


@pytest.mark.parametrize(
    "text",
    [
        # Short keywords match exactly.
        "stpo",
        "sotp",
        "men",
        "menus",
        "hepl",
        "skp",
        "bakc",
        "dine",
        "mroe",
        "so",
        "sis",
        # STOP and START families are exact: consent never changes by a typo.
        "unsubscibe",
        "unsubscribee",
        "cancer",
        "cancle",
        "stat",
        "smart",
        "stars",
        "unstpo",
        "optuot",
        "revok",
        # Real words one edit from a tolerant keyword are answers, not typos.
        "cause",
        "parse",
        "passe",
        "preview",
        "finisher",
        "crisps",
        "safely",
        "my plant",
        "my plane",
        # Two edits is not a typo.
        "crsiis s",
        "cisis plan xyz",
        # YES is an ordinary answer here, though Twilio also treats it as opt-in.
        "yes",
        "y",
        "no",
        "ok",
        # A keyword inside a sentence is not a keyword.
        "I had a crisis last week",
        "stop it",
        "please stop",
        "crisis plan please review",
        "help",  # listed below as HELP; here only to be sure it is not CRISIS
    ],
)
def test_not_a_keyword(text: str) -> None:
    if text == "help":
        assert keyword(text) is Keyword.HELP
    else:
        assert keyword(text) is None


@pytest.mark.parametrize(
    "text", ["", " ", "\n\t", "...", "!?", "😀", "\u200b", "\x00", "7", "12:30"]
)
def test_nothing_is_not_a_keyword(text: str) -> None:
    assert keyword(text) is None


@pytest.mark.parametrize(("phrase", "key"), ALL_PHRASES)
def test_every_phrase_survives_case_space_and_punctuation(phrase: str, key: Keyword) -> None:
    assert keyword(phrase) is key
    assert keyword(f"  {phrase.upper()}!!! ") is key
    assert keyword(f"{phrase.title()}.\n") is key
    assert keyword(phrase.replace(" ", "  ")) is key


@pytest.mark.parametrize(("phrase", "key"), ALL_PHRASES)
def test_every_phrase_inside_a_sentence_is_not_a_keyword(phrase: str, key: Keyword) -> None:
    assert keyword(f"I think {phrase} would be good") is None
    assert keyword(f"{phrase} and something else entirely") is None


@pytest.mark.parametrize(("phrase", "key"), [(p, k) for p, k in ALL_PHRASES if k in EXACT_FAMILIES])
def test_exact_families_take_no_typo(phrase: str, key: Keyword) -> None:
    """No edit of a STOP, START, HELP, MENU... phrase is read as that keyword."""
    exact = {p for p, k in ALL_PHRASES if k is key}
    for edit in one_edits(phrase):
        # A doubled space inside a phrase of two words ("wypisz  mnie") is the phrase.
        if " ".join(edit.split()) not in exact:
            assert keyword(edit) is not key, edit


@pytest.mark.parametrize(("phrase", "key"), [(p, k) for p, k in ALL_PHRASES if k in _TOLERANT])
def test_tolerant_phrases_of_five_letters_take_every_typo(phrase: str, key: Keyword) -> None:
    letters = sum(char.isalpha() for char in phrase)
    for edit in one_edits(phrase):
        found = keyword(edit)
        if letters < 5:
            # A doubled letter is the same word to the screen's normalisation ("soos").
            same = re.sub(r"(.)\1+", r"\1", edit.strip().casefold()) == phrase
            assert found is not key or edit.strip() == phrase or same, edit
        elif edit.strip() not in _NOT_TYPOS and edit.strip():
            assert found is not None, edit


def test_no_typo_of_a_tolerant_phrase_is_an_exact_keyword_of_another_family() -> None:
    """Otherwise the order of the lookups would decide between two meanings."""
    for phrase, key in ALL_PHRASES:
        if key not in _TOLERANT:
            continue
        for other, other_key in ALL_PHRASES:
            if other_key is not key:
                assert not _one_edit(other, phrase), (other, phrase)


def test_every_excluded_word_is_one_edit_from_a_tolerant_phrase() -> None:
    """The exclusion list must not rot: each entry stops a real typo match."""
    tolerant = [p for p, k in ALL_PHRASES if k in _TOLERANT]
    for word in _NOT_TYPOS:
        assert any(_one_edit(word, phrase) for phrase in tolerant), word


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("crisis", "crisis", False),  # zero edits
        ("crisus", "crisis", True),
        ("crsis", "crisis", True),
        ("crisiss", "crisis", True),
        ("cirsis", "crisis", True),
        ("rcisis", "crisis", True),
        ("icrsis", "crisis", False),  # a rotation, not a swap
        ("crissi", "crisis", True),
        ("xcrisis", "crisis", True),
        ("crisisx", "crisis", True),
        ("risis", "crisis", True),
        ("crisi", "crisis", True),
        ("cisirs", "crisis", False),
        ("crisisxx", "crisis", False),
        ("cris", "crisis", False),
        ("sicris", "crisis", False),
        ("", "a", True),
        ("", "ab", False),
    ],
)
def test_one_edit(a: str, b: str, expected: bool) -> None:
    assert _one_edit(a, b) is expected
    assert _one_edit(b, a) is expected


nasty = st.sampled_from(
    ["\x00", "\u200f", "\u202e", "\u200b", "\ufeff", "🆘", "\ufe0f", "\n", "ﷺ", "İ", "ß", "\u0301"]
)
texts = st.one_of(
    st.text(),
    st.text(alphabet=st.one_of(st.characters(), nasty)),
    st.lists(
        st.one_of(nasty, st.sampled_from(["my", " ", "plan", ".", "stop", "👍🏽", "crisis"]))
    ).map("".join),
    st.builds(lambda s, n: (s * n)[:5000], st.text(min_size=1, max_size=8), st.just(5000)),
)


@given(texts)
def test_never_raises(text: str) -> None:
    found = keyword(text)
    assert found is None or isinstance(found, Keyword)


@given(st.sampled_from(ALL_PHRASES), st.text(alphabet=" .!?,;:-\n\t\u200b\u200f", max_size=5))
def test_edge_punctuation_never_changes_a_keyword(pair: tuple[str, Keyword], edge: str) -> None:
    phrase, key = pair
    assert keyword(edge + phrase + edge) is key
    assert keyword(edge + phrase.upper() + edge[::-1]) is key


def test_long_messages_are_fast() -> None:
    long_text = "I have been having a really hard week and I do not know what to do " * 70
    start = time.perf_counter()
    for _ in range(100):
        assert keyword(long_text) is None
        assert keyword("crisus") is Keyword.CRISIS
    assert time.perf_counter() - start < 0.5


def test_no_ascii_character_is_invisible() -> None:
    """_fold skips dropping invisible characters (Cf, Mn) from ASCII text: none is."""
    assert not any(_invisible(chr(code)) for code in range(128))


@given(st.text(max_size=40))
def test_fold_is_the_same_with_and_without_the_ascii_shortcut(text: str) -> None:
    folded = unicodedata.normalize("NFKD", text).casefold()
    visible = "".join(char for char in folded if not _invisible(char))
    assert _fold(text) == " ".join(visible.split())
