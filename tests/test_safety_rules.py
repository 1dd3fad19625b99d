"""The risk screen's slots, categories, severities, spelling and locales (issue 11)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.safety import DEFAULT_PHRASES, RiskScreen

SCREEN = RiskScreen.from_file(DEFAULT_PHRASES)


@pytest.mark.parametrize(
    ("text", "category", "severity"),
    [
        ("he said he'd kill me", "harm_from_others", "high"),
        ("my partner put his hands round my neck", "harm_from_others", "high"),
        ("my friend wants to die and has pills saved", "someone_else", "high"),
        ("my sister is cutting herself again", "someone_else", "high"),
        ("I want to die", "suicidal_intent", "high"),
        ("what's the point anymore", "hopelessness", "medium"),
        ("I tried to kill myself in 2015", "past_attempt", "low"),
        (
            "I tried to kill myself in 2015 and I feel like that again",
            "past_attempt_present",
            "high",
        ),
        ("I overdosed years ago and now I want to die", "past_attempt_present", "high"),
        ("I tried to hang myself last night", "urgent_danger", "high"),
        ("I've been saving up my tablets", "means", "high"),
        ("\U0001f48a\U0001f52a", "means", "high"),
    ],
)
def test_category_and_severity(text: str, category: str, severity: str) -> None:
    found = SCREEN.match(text)
    assert found is not None, text
    assert (found.category, found.severity) == (category, severity), (text, found)


@pytest.mark.parametrize(
    "text",
    [
        "shoot me a text when you're free",
        "I'm not suicidal, just tired",
        "I would never hurt myself",
        "\U0001f48a",  # one pill: a reply about medication
        "I want to pull myself together",  # "pull" is a word: never corrected to "pill"
        "my mum will kill me if I'm late",
        "she beat me at chess",
    ],
)
def test_look_alikes_do_not_match(text: str) -> None:
    assert SCREEN.match(text) is None, (text, SCREEN.match(text))


@pytest.mark.parametrize(
    "text",
    [
        "i wnat to die",  # two letters swapped
        "i want to kill myslef",
        "k i l l  m y s e l f",  # spaced out
        "\uff49\uff57\uff41\uff4e\uff54\uff54\uff4f\uff44\uff49\uff45",  # full-width, run together
        "wanna kms",  # text-speak
        "I want to k1ll myself",
        "i dont want to be here anymore",
    ],
)
def test_spelling_and_spacing_are_heard(text: str) -> None:
    assert SCREEN.match(text) is not None, (text, SCREEN.screened(text))


def test_lemmas_cover_other_forms_of_a_listed_word() -> None:
    assert "tablet" in SCREEN.screened("tablets").split("_")
    assert SCREEN.match("I've stockpiled my meds") is not None
    assert SCREEN.match("I have been stockpiling tablets") is not None


def test_the_screen_is_loaded_once_per_process() -> None:
    assert RiskScreen.from_file(DEFAULT_PHRASES) is SCREEN


def test_a_new_locale_is_data_only(tmp_path: Path) -> None:
    folder = tmp_path / "safety"
    shutil.copytree(DEFAULT_PHRASES, folder, ignore=shutil.ignore_patterns("eval"))
    (folder / "ga").mkdir()
    (folder / "ga" / "phrases.yaml").write_text(
        "version: 2\nlocale: ga\nlanguage: ga\n"
        "categories:\n"
        "  - id: suicidal_intent\n    severity: high\n"
        '    phrases:\n      - {id: ag_iarraidh_bas, phrase: "ag iarraidh bás"}\n',
        encoding="utf-8",
    )
    screen = RiskScreen.from_file(folder)
    assert screen.locales == ("en", "cy", "ga", "pl")
    found = screen.match("Táim ag iarraidh bás", "ga")
    assert found is not None
    assert found.phrase_id == "ag_iarraidh_bas"
    # Every locale is screened on every message: people write in a language that is not
    # the one they were enrolled in (docs/clinical-safety.md, H51).
    assert screen.match("Táim ag iarraidh bás") is not None
    assert screen.match("I want to die", "ga") is not None  # English is always screened


def test_a_broken_rule_names_the_file_and_the_rule(tmp_path: Path) -> None:
    bad = tmp_path / "phrases.yaml"
    bad.write_text(
        "version: 2\nlocale: en\ncategories:\n  - id: x\n    severity: high\n"
        '    phrases:\n      - {id: broken, phrase: "want (to die"}\n',
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"phrases\.yaml: phrase 'broken'"):
        RiskScreen.from_file(bad)
