"""Whole conversations from tests/transcripts/*.yaml, run through the real stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from bot.engine.spec import Yaml12Loader
from store.models import Alert, Conversation, Participant, Plan, PlanVersion
from tests.conftest import Stack

TRANSCRIPTS = sorted((Path(__file__).parent / "transcripts").glob("*.yaml"))


def _load(path: Path) -> dict[str, Any]:
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=Yaml12Loader)  # noqa: S506
    assert isinstance(data, dict), f"{path.name}: not a mapping"
    assert "steps" in data, f"{path.name}: needs `steps`"
    return data


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
def test_transcript(path: Path, stack: Stack) -> None:
    script = _load(path)
    who = script.get("participant", {})
    pid = stack.add_participant(who.get("name", "Alex"), onboarded=who.get("onboarded", True))
    for number, step in enumerate(script["steps"], start=1):
        where = f"{path.name} step {number}"
        if step.get("restart"):
            stack.restart()
            continue
        if "check" in step:
            _check_store(stack, pid, step["check"], where)
            continue
        sent = str(step["send"])
        replies = stack.send(pid, sent).replies
        said = "\n---\n".join(replies)
        folded = said.casefold()
        if step.get("silent"):
            assert not replies, f"{where}: expected silence after {sent!r}, got:\n{said}"
            continue
        assert replies, f"{where}: no reply to {sent!r}"
        for expected in _as_list(step.get("expect")):
            assert str(expected).casefold() in folded, (
                f"{where}: after {sent!r} expected {expected!r} in:\n{said}"
            )
        for rejected in _as_list(step.get("reject")):
            assert str(rejected).casefold() not in folded, (
                f"{where}: after {sent!r} did not expect {rejected!r} in:\n{said}"
            )
        if "replies" in step:
            assert len(replies) == step["replies"], f"{where}: {len(replies)} replies:\n{said}"


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _check_store(stack: Stack, pid: int, check: dict[str, Any], where: str) -> None:
    with stack.db.read() as session:
        participant = session.get(Participant, pid)
        assert participant is not None
        for field_name, expected in check.get("participant", {}).items():
            actual = getattr(participant, field_name)
            if expected == "set":
                assert actual is not None, f"{where}: participant.{field_name} is not set"
            elif expected == "unset":
                assert actual is None, f"{where}: participant.{field_name} is {actual!r}"
            else:
                assert actual == expected, f"{where}: participant.{field_name} is {actual!r}"
        if "alerts" in check:
            kinds = sorted(
                a.kind for a in session.scalars(select(Alert).where(Alert.participant_id == pid))
            )
            assert kinds == sorted(check["alerts"]), f"{where}: alerts are {kinds}"
        if "conversation" in check:
            conv = session.scalars(
                select(Conversation).where(
                    Conversation.participant_id == pid, Conversation.status == "active"
                )
            ).one_or_none()
            expected_conv = check["conversation"]
            if expected_conv is None:
                assert conv is None, f"{where}: still in {conv.dialog if conv else None}"
            else:
                assert conv is not None, f"{where}: no active conversation"
                assert f"{conv.dialog}.{conv.state}" == expected_conv, (
                    f"{where}: in {conv.dialog}.{conv.state}"
                )
        for kind, expected_plan in check.get("plans", {}).items():
            plan = session.scalars(
                select(Plan).where(Plan.participant_id == pid, Plan.kind == kind)
            ).one()
            versions = list(
                session.scalars(
                    select(PlanVersion)
                    .where(PlanVersion.plan_id == plan.id)
                    .order_by(PlanVersion.number)
                )
            )
            statuses = [v.status for v in versions]
            if "statuses" in expected_plan:
                assert statuses == expected_plan["statuses"], f"{where}: {kind} plan {statuses}"
            latest = versions[-1]
            for section, items in expected_plan.get("sections", {}).items():
                got = [i["text"] for i in latest.sections.get(section, [])]
                assert got == items, f"{where}: {kind}.{section} is {got}"
            for section, phones in expected_plan.get("phones", {}).items():
                got = [i.get("phone") for i in latest.sections.get(section, [])]
                assert got == phones, f"{where}: {kind}.{section} phones are {got}"
            for item in latest.sections.get("warning_signs", []):
                assert item["by"] == "participant"
