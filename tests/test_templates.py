"""Every message template renders with sample data, short, and in plain GSM-7."""

from __future__ import annotations

import pytest

from bot import gsm
from bot.plans import Sections, item
from bot.settings import PROJECT_ROOT
from bot.wording import Wording
from store.models import Team

WORDING = Wording(PROJECT_ROOT / "templates")
PROMPT_LIMIT = 320  # two SMS segments
LONG_ONES = ("crisis/plan", "safety/message")  # fitted to at most three segments by bot/crisis.py


def _team() -> Team:
    return Team(
        name="Riverside community mental health team",
        region="GB",
        emergency_number="999",
        crisis_line_name="Riverside crisis line",
        crisis_line_number="0800 123 4567",
        crisis_line_hours="24 hours",
        national_lines=[
            {"name": "Samaritans", "number": "116 123", "hours": "any time"},
            {"name": "NHS 111, option 2", "number": "111", "hours": "any time"},
        ],
    )


def _sample() -> dict[str, object]:
    three = [item("Going for a walk"), item("Calling my sister"), item("A hot bath")]
    return {
        "name": "Alexandra",
        "team": _team(),
        "answers": {
            "name": "Alexandra",
            "rating": 7,
            "sent": "sent",
            "best_time": "18:00",
            "moved": "moved",
            # Choosing supporters (dialogs/supporters.yaml).
            "candidate": {"name": "Mum", "phone": "+447700900111", "has_copy": False},
            "titles": ["My warning signs", "Things I can do", "People I can call"],
            "section_names": ["Things I can do"],
            "left_out": ["Dad"],
        },
        # A list's echo, read-back and removal (bot/engine/readback.py fits them).
        "item": "Going for a walk",
        "question": "What has gone well since we last spoke?",
        "word": "END",
        "sorry": True,
        "resuming": True,
        "texts": ["Going for a walk", "Calling my sister", "A hot bath"],
        "hidden": 2,
        "removed": "A hot bath",
        "skipped": True,
        "items": three,
        "sections": Sections(
            {
                "goals": [item("Get back to swimming at the leisure centre")],
                "people_help": [item("Sam 07400 123456", name="Sam", phone="+447400123456")],
                "matters": [item("My kids and my allotment")],
            }
        ),
        "suspended": ["crisis_plan"],
        "service": {"emergency_number": "999", "national_lines": _team().national_lines},
        "count": 3,
        "limit": 30,
        "kind": "text",
        "optional": True,
        "dialog": "crisis_plan",
        "was_out": True,
        "contacts": ["Sam 07400 123456"],
        "lines": [
            {"name": "Samaritans", "number": "116 123", "hours": "any time"},
            {"name": "Shout", "number": "text SHOUT to 85258", "hours": "any time"},
        ],
        "first_line": {"name": "Riverside crisis line", "number": "0800 123 4567"},
        "crisis_line": {"name": "Riverside crisis line", "number": "0800 123 4567"},
        "emergency": "999",
        "seen": "the next working day",
        "label": "changes_requested",
        "reviewed_on": "3 December",
        "keepable": True,
        "opted_out": False,
        "contact": lambda c: c["text"],
        "category_lines": [
            {"name": "National Domestic Abuse Helpline", "number": "0808 2000 247"},
            {"name": "Childline, if you are under 19", "number": "0800 1111"},
        ],
        "crisis": True,
        "approved": False,
        "has_plan": True,
        # The messages the admin page sends about a plan (templates/messages/*/reviewed/).
        "plan_name": "crisis plan",
        "note": "Could you add who you would call at night? " * 3,
        "changes": ['changed "Not sleeping" to "Not sleeping well"', 'added "A walk"'],
        "more": 4,
        # The plan PIN (templates/messages/*/privacy/).
        "then": "crisis",
        "reason": "obvious",
        "left": 2,
        "minutes": 30,
        # What supporters are sent (templates/messages/*/supporters/).
        "supporter": {"name": "Mum", "phone": "+447700900111"},
        "shown": [("Things I can do", [item("Going for a walk")])],
        "invited": True,
        "sent": True,
    }


NAMES = [n for n in WORDING.names() if not n.split("/")[-1].startswith("_")]


def test_there_are_templates() -> None:
    assert len(NAMES) > 60


@pytest.mark.parametrize("name", NAMES)
def test_template_is_short_and_plain(name: str) -> None:
    text = WORDING.render(name, "en", **_sample())
    assert text.strip(), f"{name} renders empty"
    assert gsm.needless_ucs2(text) == [], f"{name}: {gsm.needless_ucs2(text)} force UCS-2"
    assert gsm.is_gsm7(text), f"{name} is not GSM-7"
    if name not in LONG_ONES:
        length = gsm.gsm7_length(text)
        assert length <= PROMPT_LIMIT, f"{name} is {length} characters:\n{text}"


@pytest.mark.parametrize("name", NAMES)
def test_template_renders_for_an_empty_plan(name: str) -> None:
    context = _sample() | {"sections": Sections(), "items": [], "suspended": []}
    assert WORDING.render(name, "en", **context).strip()


def test_every_locale_has_every_template() -> None:
    for locale in WORDING.locales:
        assert set(WORDING.names(locale)) == set(WORDING.names("en")), locale
