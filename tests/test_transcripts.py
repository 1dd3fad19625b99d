"""Whole conversations from tests/transcripts/*.yaml, run through the real stack.

Steps: `send` (with `expect`, `reject`, `replies`, `silent`, `segments`), `check` (the
store), `restart`, `wait` (the clock moves on: `{hours: 25}`) and `outreach` (the scheduler
runs what is due, as a worker would; `expect`/`reject` apply to what it queued).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from bot import gsm
from bot.engine.spec import Yaml12Loader
from bot.schedule import adjust
from bot.schedule.outreach import Outreach
from bot.schedule.scheduler import Scheduler
from store.models import Alert, Conversation, Message, Participant, Plan, PlanVersion
from tests.conftest import Stack

# A Monday morning in London, so that what the scheduler sends is inside people's hours.
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@dataclass
class _Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


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
    clock = _Clock()
    stack.clock = clock
    stack.restart()
    pid = stack.add_participant(
        who.get("name", "Alex"), onboarded=who.get("onboarded", True), phone=who.get("phone")
    )
    if "every_days" in who:
        with stack.db.write() as session:
            change = adjust.Change(every_days=who["every_days"])
            adjust.apply(session, pid, change, clock.now, actor="test")
    seen_out = 0
    for number, step in enumerate(script["steps"], start=1):
        where = f"{path.name} step {number}"
        if step.get("restart"):
            stack.restart()
            continue
        if "wait" in step:
            clock.now += timedelta(**step["wait"])
            continue
        if "outreach" in step:
            queued = _outreach(stack, clock, pid)[seen_out:]
            seen_out += len(queued)
            _expect(where, "the scheduler", queued, step["outreach"])
            continue
        if "check" in step:
            _check_store(stack, pid, step["check"], where)
            if "window" in step["check"]:
                with stack.db.read() as session:
                    rhythm = adjust.current(session, pid)
                    got = rhythm and (
                        rhythm.window_start.isoformat("minutes"),
                        rhythm.window_end.isoformat("minutes"),
                    )
                    assert list(got or []) == step["check"]["window"], f"{where}: window {got}"
            continue
        sent = str(step["send"])
        clock.now += timedelta(seconds=20)  # people take a moment to type
        replies = stack.send(pid, sent).replies
        said = "\n---\n".join(replies)
        if step.get("silent"):
            assert not replies, f"{where}: expected silence after {sent!r}, got:\n{said}"
            continue
        assert replies, f"{where}: no reply to {sent!r}"
        _expect(where, repr(sent), list(replies), step)


def _expect(where: str, after: str, replies: list[str], step: dict[str, Any]) -> None:
    said = "\n---\n".join(replies)
    folded = said.casefold()
    for expected in _as_list(step.get("expect")):
        assert str(expected).casefold() in folded, (
            f"{where}: after {after} expected {expected!r} in:\n{said}"
        )
    for rejected in _as_list(step.get("reject")):
        assert str(rejected).casefold() not in folded, (
            f"{where}: after {after} did not expect {rejected!r} in:\n{said}"
        )
    if "replies" in step:
        assert len(replies) == step["replies"], f"{where}: {len(replies)} replies:\n{said}"
    if "segments" in step:  # at most this many SMS segments in all
        counted = sum(gsm.segments(reply) for reply in replies)
        assert counted <= step["segments"], f"{where}: {counted} segments:\n{said}"


def _outreach(stack: Stack, clock: _Clock, pid: int) -> list[str]:
    """Run what the scheduler has due now; every message it has queued for them so far."""
    assistant = stack.assistant
    outreach = Outreach(stack.db, assistant.engine, assistant.wording, clock)
    Scheduler(stack.db, outreach, clock, worker="transcripts").run_until_idle()
    with stack.db.read() as session:
        return list(
            session.scalars(
                select(Message.body)
                .where(
                    Message.participant_id == pid,
                    Message.direction == "out",
                    Message.status == "queued",
                )
                .order_by(Message.id)
            )
        )


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
