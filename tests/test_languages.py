"""Welsh and Polish: templates in the real SMS encoding, the crisis reply's numbers first,
keywords and answers per language, plurals through Babel, and `dialogs check`."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import crisis, gsm
from bot.cli import main
from bot.engine import answers
from bot.keywords import Keyword, keyword
from bot.language import catalogue, check, words
from bot.language.plurals import plural_form
from bot.plans import item
from bot.settings import PROJECT_ROOT
from store.models import Participant, Team
from tests.test_templates import NAMES, WORDING, _sample

LOCALES = ("cy", "pl")
# A prompt costs at most this many SMS segments in any language: 5 UCS-2 segments hold
# 335 characters, about what English's 320 GSM-7 characters say (tests/test_templates.py).
UCS2_SEGMENTS = 5
# Sent spelt in GSM-7 on SMS (bot/crisis.py): the safety message and its category words.
SPELT = ("safety/message", "safety/category/someone_else", "safety/category/harm_from_others")
# Letters that force UCS-2: Welsh circumflexes and Polish ogonki, strokes and accents.
FORCING = "ŵŷâêîôûąęłńśźżć"


def _team() -> Team:
    team = _sample()["team"]
    assert isinstance(team, Team)
    team.emergency_number = "999"
    team.languages = {"cy": {}, "pl": {}}
    return team


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", NAMES)
def test_every_template_fits_its_budget_in_the_real_encoding(locale: str, name: str) -> None:
    text = WORDING.render(name, locale, **(_sample() | {"team": _team()}))
    assert text.strip(), f"{locale}/{name} renders empty"
    assert gsm.needless_ucs2(text) == [], f"{locale}/{name}: {gsm.needless_ucs2(text)}"
    if name.startswith("crisis/"):
        return  # paginated into parts of three segments (below)
    if name in SPELT:
        assert gsm.segments(gsm.to_gsm7(text)) <= crisis.MAX_SEGMENTS, f"{locale}/{name}"
        return
    segments = gsm.segments(text)
    assert segments <= UCS2_SEGMENTS, f"{locale}/{name}: {segments} segments\n{text}"


def test_the_letters_of_welsh_and_polish_force_ucs2() -> None:
    for letter in FORCING:
        assert not gsm.is_gsm7(letter), letter
    welsh = WORDING.render("answers/back_at_start", "cy")
    assert "ô" in welsh  # 56 characters: one UCS-2 part
    assert gsm.segments(welsh) == 1
    assert len(welsh) <= 70 < 160


def _person(locale: str, name: str) -> Participant:
    return Participant(id=1, display_name=name, locale=locale, team_id=1)


@pytest.mark.parametrize(("locale", "name"), [("cy", "Siôn Llŷr Gwŷn"), ("pl", "Łucja Żółć")])
def test_the_first_crisis_part_opens_with_the_numbers_in_gsm7(
    locale: str, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    long = (
        "Dw i'n mynd am dro ar lan y môr gyda'r ci " * 3
        if locale == "cy"
        else ("Zadzwonię do siostry i pójdę na spacer z psem nad rzekę " * 3)
    )
    sections = {
        "people_help": [
            item(f"Mam Ŵyn {n} 07700 900{n:03d}", phone=f"+447700900{n:03d}") for n in range(3)
        ],
        "coping": [item(f"{long} {n}") for n in range(12)],
        "warning_signs": [item("Nie śpię, dużo myślę, źle się czuję żółć ąę") for _ in range(6)],
    }
    monkeypatch.setattr(crisis.plans, "for_crisis", lambda session, pid: (_Version(sections), True))
    team = _team()
    parts = crisis.crisis_parts(None, WORDING, _person(locale, name), team)  # type: ignore[arg-type]
    assert len(parts) > 1
    for part in parts:
        assert gsm.is_gsm7(part), part
        assert gsm.segments(part) <= crisis.MAX_SEGMENTS
        assert part.rstrip().endswith("999.")
    first = parts[0].splitlines()
    assert "999" in first[1]  # the line after the greeting: the emergency number
    assert "0800 123 4567" in first[2]  # then the team's crisis line
    telegram = crisis.crisis_parts(None, WORDING, _person(locale, name), team, sms=False)  # type: ignore[arg-type]
    assert name in telegram[0]  # the person's own letters where they cost nothing


class _Version:
    def __init__(self, sections: dict[str, list[dict[str, object]]]) -> None:
        self.sections = sections
        self.reviewed_at = datetime(2026, 12, 3, tzinfo=UTC)
        self.status = "approved"


@pytest.mark.parametrize("locale", LOCALES)
def test_the_safety_message_puts_the_numbers_first_within_three_parts(locale: str) -> None:
    team = _team()
    text = crisis.safety_message(
        None, WORDING, participant=_person(locale, "Siân Łucja"), team=team, service={}
    )
    assert gsm.is_gsm7(text)
    assert gsm.segments(text) <= crisis.MAX_SEGMENTS
    assert text.index("999") < text.index("0800 123 4567") < text.index("116 123")
    assert "CRISIS" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CYMORTH", Keyword.HELP),
        ("pomoc", Keyword.HELP),
        ("Argyfwng", Keyword.CRISIS),
        ("pomóż mi", Keyword.CRISIS),
        ("pomoz mi", Keyword.CRISIS),
        ("kryzys!", Keyword.CRISIS),
        ("CRISIS", Keyword.CRISIS),
        ("stopio", Keyword.STOP),
        ("STOP", Keyword.STOP),
        ("wypisz", Keyword.STOP),
        ("GORFFEN", Keyword.DONE),
        ("gotowe", Keyword.DONE),
        ("HEPGOR", Keyword.SKIP),
        ("pomiń", Keyword.SKIP),
        ("MWY", Keyword.MORE),
        ("WIECEJ", Keyword.MORE),
        ("nôl", Keyword.BACK),
        ("saib", Keyword.PAUSE),
        ("dewislen", Keyword.MENU),
        ("cofnij", Keyword.UNDO),
        ("chleb i masło", None),
        ("bara brith", None),
        # Asking for help in Welsh or Polish, as a whole message, is CRISIS...
        ("Dwi angen help", Keyword.CRISIS),
        ("Ffoniwch fi", Keyword.CRISIS),
        ("fy nghynllun argyfwng", Keyword.CRISIS),
        ("mój plan kryzysowy", Keyword.CRISIS),
        ("Pilnie potrzebuję pomocy", Keyword.CRISIS),
        ("zadzwońcie do mnie", Keyword.CRISIS),
        # ...and words that merely contain it are an answer.
        ("dw i angen help gyda fy nhŷ", None),
        ("pomoc z mieszkaniem", None),
    ],
)
def test_keywords_of_every_language_beside_english(text: str, expected: Keyword | None) -> None:
    assert keyword(text) is expected


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("CYMRAEG", "cy"),
        ("cymraeg", "cy"),
        ("Polski", "pl"),
        ("po polsku!", "pl"),
        ("ENGLISH", "en"),
    ],
)
def test_a_language_is_asked_for_by_its_own_name(text: str, locale: str) -> None:
    assert words.switch_to(text) == locale
    assert words.switch_to(f"I speak {text}") is None


@pytest.mark.parametrize(
    ("locale", "kind", "text", "value"),
    [
        ("cy", "yes_no", "ie", True),
        ("cy", "yes_no", "Iawn", True),
        ("cy", "yes_no", "na", False),
        ("cy", "yes_no", "nac ydw", False),
        ("pl", "yes_no", "tak", True),
        ("pl", "yes_no", "Nie, dziękuję", False),
        ("pl", "yes_no", "nie dziekuje", False),
        ("en", "yes_no", "no", False),
        ("cy", "scale", "saith", 7),
        ("cy", "scale", "saith allan o ddeg", 7),
        ("pl", "scale", "osiem", 8),
        ("pl", "scale", "pięć na dziesięć", 5),
        ("pl", "scale", "piec", 5),
        ("cy", "time", "hanner awr wedi naw", "09:30"),
        ("cy", "time", "am ddeg y bore", "10:00"),
        ("cy", "time", "naw o'r gloch y nos", "21:00"),
        ("pl", "time", "o dziewiątej wieczorem", "21:00"),
        ("pl", "time", "kwadrans po ósmej", "08:15"),
        ("pl", "time", "o 18", "18:00"),
    ],
)
def test_answers_are_read_in_the_persons_language(
    locale: str, kind: str, text: str, value: object
) -> None:
    said = words.for_parser(text, locale, kind)
    parse = {
        "yes_no": answers.parse_yes_no,
        "scale": answers.parse_scale,
        "time": answers.parse_time_of_day,
    }[kind]
    parsed = parse(said)
    assert parsed.ok, (text, said, parsed)
    got = parsed.value.strftime("%H:%M") if kind == "time" else parsed.value  # type: ignore[union-attr]
    assert got == value


def test_polish_no_is_asked_again_not_taken_as_english_no() -> None:
    # "no" is Polish for "well", or a spoken yes: it never declines consent by itself.
    assert answers.parse_yes_no(words.for_parser("no", "pl", "yes_no")).error == "not_yes_no"


@pytest.mark.parametrize(
    ("locale", "text", "means"),
    [
        ("cy", "dyna ni", "thats it"),
        ("cy", "DILEU 2", "remove 2"),
        ("pl", "To wszystko.", "thats it"),
        ("pl", "usuń 3", "remove 3"),
        ("pl", "później", "not now"),
        ("pl", "Chleb z masłem", "Chleb z masłem"),  # an item, kept as sent
    ],
)
def test_list_words_per_language(locale: str, text: str, means: str) -> None:
    assert words.for_list(text, locale) == means


@pytest.mark.parametrize(
    ("locale", "counts"),
    [
        ("pl", {1: "one", 2: "few", 4: "few", 5: "many", 12: "many", 22: "few", 25: "many"}),
        ("cy", {0: "zero", 1: "one", 2: "two", 3: "few", 6: "many", 4: "other", 11: "other"}),
    ],
)
def test_plural_rules_are_babels(locale: str, counts: dict[int, str]) -> None:
    for count, form in counts.items():
        assert plural_form(count, locale) == form, count


def test_counts_in_polish_templates_take_the_right_form() -> None:
    team = _team()
    said = {n: WORDING.render("privacy/wrong", "pl", left=n, team=team) for n in (1, 2, 5)}
    assert "jeszcze 1 raz." in said[1]
    assert "jeszcze 2 razy." in said[2]
    assert "jeszcze 5 razy." in said[5]
    kept = {
        n: WORDING.render("answers/list_kept", "cy", texts=["a"], skipped=True, count=n, hidden=0)
        for n in (2, 3)
    }
    assert "2 beth" in kept[2]  # Welsh mutates after dau, tri
    assert "3 pheth" in kept[3]


def test_the_crisis_reply_dates_are_in_the_persons_language() -> None:
    context = _sample() | {"team": _team(), "label": "changes_requested"}
    assert "3 Rhagfyr" in WORDING.render(
        "crisis/plan", "cy", **(context | {"reviewed_on": "3 Rhagfyr"})
    )
    from bot.language.plurals import day_month

    when = datetime(2026, 12, 3, tzinfo=UTC)
    assert (day_month(when, "en"), day_month(when, "cy"), day_month(when, "pl")) == (
        "3 December",
        "3 Rhagfyr",
        "3 grudnia",
    )


def test_translations_say_truthfully_they_are_not_reviewed() -> None:
    known = catalogue.languages()
    assert list(known) == ["en", "cy", "pl"]
    assert known["en"].reviewed
    assert known["en"].source
    for code in LOCALES:
        lang = known[code]
        assert not lang.reviewed, f"{code} is marked reviewed: only a fluent clinician can"
        assert "AI-assisted" in lang.translated_by


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    templates, dialogs = tmp_path / "templates", tmp_path / "dialogs"
    shutil.copytree(PROJECT_ROOT / "templates", templates)
    shutil.copytree(PROJECT_ROOT / "dialogs", dialogs)
    return templates, dialogs


def test_dialogs_check_passes_on_the_shipped_languages() -> None:
    assert check.problems(PROJECT_ROOT / "templates", PROJECT_ROOT / "dialogs") == []


def test_dialogs_check_fails_on_a_missing_template_or_keyword(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    templates, dialogs = _copy(tmp_path)
    (templates / "messages" / "pl" / "system" / "help.txt").unlink()
    text = (dialogs / "language" / "cy" / "words.yaml").read_text(encoding="utf-8")
    (dialogs / "language" / "cy" / "words.yaml").write_text(
        text.replace("  undo: [dadwneud]\n", ""), encoding="utf-8"
    )
    found = [str(p) for p in check.problems(templates, dialogs)]
    assert any("pl/system/help.txt:1: missing" in p for p in found), found
    assert any("cy/words.yaml:1: keyword 'undo' has no words" in p for p in found), found
    monkeypatch.setenv("TOUCHPOINT_TEMPLATES_DIR", str(templates))
    monkeypatch.setenv("TOUCHPOINT_DIALOGS_DIR", str(dialogs))
    from bot import settings

    settings.get_settings.cache_clear()
    try:
        assert main(["dialogs", "check"]) == 1
    finally:
        settings.get_settings.cache_clear()
    out = capsys.readouterr().out
    assert "help.txt:1: missing" in out
    assert "'undo'" in out


@pytest.mark.parametrize(
    ("locale", "rhythm", "said"),
    [
        (
            "cy",
            {"every": 7, "days": [], "from": "10:00", "to": "12:00"},
            "bob 7 diwrnod, rhwng 10:00 a 12:00",
        ),
        (
            "cy",
            {"every": 1, "days": [], "from": "09:00", "to": "11:00"},
            "bob dydd, rhwng 09:00 a 11:00",
        ),
        (
            "pl",
            {"every": None, "days": [0, 3], "from": "18:00", "to": "20:00"},
            "w poniedziałek i czwartek, między 18:00 a 20:00",
        ),
        (
            "pl",
            {"every": 3, "days": [], "from": "10:00", "to": "12:00"},
            "co 3 dni, między 10:00 a 12:00",
        ),
    ],
)
def test_how_often_says_the_rhythm_in_the_persons_language(
    locale: str, rhythm: dict[str, object], said: str
) -> None:
    answers_ = {"rhythm": "every 7 days, between 10:00 and 12:00", "rhythm_of": rhythm}
    for name in ("how_often/choose", "how_often/changed"):
        text = WORDING.render(name, locale, answers=answers_)
        assert said in text, text
        assert "between" not in text
