"""Whole conversations about the plan PIN and supporters (tests/transcripts/privacy/*.yaml),
through the real assistant and the real admin pages on a real database, with a clock.

A step is one of:
  send: what the participant texts (by SMS); `from: <supporter phone>` sends as someone else
  wait: minutes that pass
  team: reset_pin | approve   what their practitioner does on the admin page
  check: what the store must (not) hold
and a sent step may carry `expect`, `reject` (anywhere in the replies), `first` (in the
first reply), `replies` (how many) and `outbox` (what was queued meanwhile, by number).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
import yaml
from sqlalchemy import select

from bot.engine.spec import Yaml12Loader
from bot.privacy import pin
from bot.types import Channel, Inbound
from store.models import AuditEvent, Conversation, Message, PlanPin, Supporter
from tests.admin_support import CHEAP, World, admin_world

TRANSCRIPTS = sorted((Path(__file__).parent / "transcripts" / "privacy").glob("*.yaml"))
PHONE = "+447400123456"  # Alex's, as the admin world enrols them


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    with admin_world(db_url) as w, patch.object(pin, "_hasher", CHEAP):
        yield w


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
def test_privacy_transcript(path: Path, world: World) -> None:
    script = yaml.load(path.read_text(encoding="utf-8"), Loader=Yaml12Loader)  # noqa: S506
    if "plan" in script:
        status = script.get("plan_status", "approved")
        world.plan_version("alex", sections=script["plan"], status=status)
    queued = _queued(world)
    for number, step in enumerate(script["steps"], start=1):
        where = f"{path.name} step {number}"
        if "wait" in step:
            world.clock.advance(minutes=step["wait"])
        elif "team" in step:
            _team(world, step["team"], where)
        elif "check" in step:
            _check(world, step["check"], where)
        else:
            replies = _send(world, str(step["send"]), step.get("from", PHONE))
            _expect(replies, step, where)
        if "outbox" in step:
            now = _queued(world)
            _expect(
                [m.body for m in now[len(queued) :] if m.address == str(step.get("to", PHONE))],
                step["outbox"],
                f"{where} (outbox)",
            )
            queued = now
        elif "team" in step or "send" in step:
            queued = _queued(world)


def _send(world: World, text: str, address: str) -> list[str]:
    world.sent += 1
    inbound = Inbound(Channel.SMS, address, text, f"privacy-{world.sent}")
    return list(world.assistant.handle(inbound).replies)


def _expect(replies: list[str], step: dict[str, Any], where: str) -> None:
    said = "\n---\n".join(replies)
    folded = said.casefold()
    if step.get("silent"):
        assert not replies, f"{where}: expected silence, got:\n{said}"
        return
    assert replies, f"{where}: nothing said"
    for expected in _as_list(step.get("expect")):
        assert str(expected).casefold() in folded, f"{where}: expected {expected!r} in:\n{said}"
    for rejected in _as_list(step.get("reject")):
        assert str(rejected).casefold() not in folded, f"{where}: {rejected!r} in:\n{said}"
    for expected in _as_list(step.get("first")):
        assert str(expected).casefold() in replies[0].casefold(), (
            f"{where}: expected {expected!r} in the first reply:\n{replies[0]}"
        )
    if "replies" in step:
        assert len(replies) == step["replies"], f"{where}: {len(replies)} replies:\n{said}"


def _team(world: World, action: str, where: str) -> None:
    pat = world.signed_in("pat")
    pid = world.ids["alex"]
    if action == "reset_pin":
        response = pat.submit(
            f"/admin/participants/{pid}/pin/reset", page=f"/admin/participants/{pid}"
        )
        assert "Their PIN is off" in pat.text, f"{where}: {response.status_code} {pat.text[:300]}"
    elif action == "approve":
        number = world.versions("alex")[-1].number
        review = f"/admin/participants/{pid}/plans/crisis"
        pat.submit(f"{review}/versions/{number}/approve", page=f"{review}/review")
        assert "Approved" in pat.text, f"{where}: {pat.text[:300]}"
    else:
        raise AssertionError(f"{where}: no team action {action!r}")


def _check(world: World, check: dict[str, Any], where: str) -> None:
    with world.db.read() as session:
        pid = world.ids["alex"]
        for digits in _as_list(check.get("never_stored")):
            sent = select(Message.body).where(
                Message.direction == "in", Message.body.contains(digits)
            )
            assert list(session.scalars(sent)) == [], f"{where}: {digits} stored in a message"
            for data in session.scalars(select(Conversation.data)):
                assert digits not in str(data), f"{where}: {digits} stored in a conversation"
            row = session.get(PlanPin, pid)
            assert row is None or digits not in str(vars(row)), f"{where}: {digits} in plan_pin"
        if "pin_set" in check:
            row = session.get(PlanPin, pid)
            has = row is not None and row.pin_hash is not None
            assert has is check["pin_set"], f"{where}: PIN set is {has}"
            if has:
                assert row is not None
                assert row.pin_hash is not None
                assert row.pin_hash.startswith("$argon2id$"), f"{where}: not an argon2id hash"
        for phone, status in check.get("supporters", {}).items():
            found = session.scalars(select(Supporter.status).where(Supporter.phone == phone))
            assert list(found) == _as_list(status), f"{where}: supporter {phone} is {found}"
        for action in _as_list(check.get("audited")):
            found = session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
            assert found, f"{where}: no audit event {action}"


def _queued(world: World) -> list[Message]:
    with world.db.read() as session:
        return list(
            session.scalars(
                select(Message).where(Message.status == "queued").order_by(Message.id)
            ).all()
        )


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
