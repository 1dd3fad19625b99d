"""The risk screen on its evaluation set: no figure may fall below the recorded one,
and `touchpoint safety eval` prints what a clinical safety officer needs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot import crisis
from bot.assistant import load_service
from bot.cli import main
from bot.safety import DEFAULT_PHRASES, RiskMatch, RiskScreen
from bot.safety.evaluation import RECORDED, figures, read, score
from bot.wording import Wording
from store.models import Alert
from tests.conftest import Stack

ROOT = Path(__file__).resolve().parents[1]
EVAL = DEFAULT_PHRASES / "eval"


def test_no_figure_falls_below_the_recorded_one() -> None:
    recorded = yaml.safe_load((EVAL / RECORDED).read_text(encoding="utf-8"))
    now = figures(score(RiskScreen.from_file(DEFAULT_PHRASES), read(EVAL)))
    assert set(now) == set(recorded), "a part of the set was added or removed: record again"
    for part, was in recorded.items():
        for name, value in was.items():
            if name == "false_alarms":
                assert now[part][name] <= value, (part, name, now[part][name], value)
            else:
                assert now[part][name] >= value, (part, name, now[part][name], value)


def test_the_set_is_big_enough_and_labelled_with_known_categories() -> None:
    examples = read(EVAL)
    assert len(examples) >= 600
    assert len([e for e in examples if e.part == "held_out"]) >= 150
    known = {*RiskScreen.from_file(DEFAULT_PHRASES).categories, "none"}
    assert {e.category for e in examples} <= known


def test_the_command_prints_recall_false_alarms_and_every_miss(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labelled = tmp_path / "mine.yaml"
    labelled.write_text(
        "version: 1\nfamilies:\n"
        "  - {family: plain, category: suicidal_intent, messages: [I want to die, blue sky]}\n"
        "  - {family: idioms, category: none, messages: [this homework is killing me]}\n",
        encoding="utf-8",
    )
    assert main(["safety", "eval", str(labelled)]) == 1  # "blue sky" is a miss
    out = capsys.readouterr().out
    assert "suicidal_intent" in out
    assert "50.0%" in out
    assert "false alarms: 0 of 1" in out
    assert "'blue sky'" in out
    assert "Targets NOT met" in out


def test_an_alert_records_category_severity_and_rule(stack: Stack) -> None:
    pid = stack.add_participant()
    assert stack.send(pid, "he said he'd kill me").safety_alert
    with stack.db.read() as session:
        alert = session.scalars(select(Alert).where(Alert.participant_id == pid)).one()
    assert (alert.category, alert.severity, alert.rule) == (
        "harm_from_others",
        "high",
        "threat_to_kill",
    )


def test_the_categories_with_their_own_words() -> None:
    service = load_service(ROOT / "dialogs")
    wording = Wording(ROOT / "templates")
    abuse = crisis.category_message(wording, RiskMatch("harm_from_others", "x"), "en", service)
    assert abuse is not None
    assert "999" in abuse
    assert "press 55" in abuse
    assert "0808 2000 247" in abuse
    assert "0800 1111" in abuse
    other = crisis.category_message(wording, RiskMatch("someone_else", "x"), "en", service)
    assert other is not None
    assert "116 123" in other
    assert "stay with them" in other
    assert (
        crisis.category_message(wording, RiskMatch("suicidal_intent", "x"), "en", service) is None
    )
