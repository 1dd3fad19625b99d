"""Every English message reads plainly: Flesch reading ease of at least 70 ("fairly
easy", about age 12), measured on each template rendered with sample data and with
the optional data left out. The exceptions say why."""

from __future__ import annotations

import pytest
import textstat

from bot.plans import Sections
from tests.test_templates import NAMES, WORDING, _sample

PLAIN = 70.0
# template -> why it may read harder (none yet: add one only with a reason).
EXCEPTIONS: dict[str, str] = {}


@pytest.mark.parametrize("name", NAMES)
def test_template_reads_plainly(name: str) -> None:
    full = _sample()
    empty = full | {"sections": Sections(), "items": [], "suspended": [], "texts": []}
    for context in (full, empty):
        text = WORDING.render(name, "en", **context)
        score = textstat.flesch_reading_ease(text)
        if name in EXCEPTIONS:
            continue
        assert score >= PLAIN, f"{name} reads at {score:.0f} (below {PLAIN:.0f}):\n{text}"


def test_every_exception_is_a_template() -> None:
    assert set(EXCEPTIONS) <= set(NAMES)


def test_the_professionals_question_is_true_without_a_team_crisis_line() -> None:
    team = _sample()["team"]
    bare = type(team)(name="Riverside team", region="GB", emergency_number="999")
    with_line = WORDING.render("crisis_plan/professionals", "en", **_sample())
    without = WORDING.render("crisis_plan/professionals", "en", **(_sample() | {"team": bare}))
    assert "team's crisis line" in with_line
    assert "team's crisis line" not in without
    assert "National crisis numbers" in without


@pytest.mark.parametrize("sent", ["sent", "unchanged", "empty"])
def test_the_end_of_the_crisis_plan_says_what_happened(sent: str) -> None:
    context = _sample()
    context["answers"] = {"sent": sent}
    text = WORDING.render("crisis_plan/finished", "en", **context)
    assert ("sent it to" in text) == (sent == "sent")
