"""Edges of the safety path found in review: nothing may end in silence or run long."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import gsm, outbox, plans
from bot.crisis import MAX_SEGMENTS
from bot.types import Channel, Inbound
from store.models import Alert, ChannelIdentity, Message, Participant
from tests.conftest import Stack


def _link_telegram(session: Session, pid: int, now: datetime) -> None:
    session.add(
        ChannelIdentity(
            participant_id=pid, channel="telegram", address="555", verified_at=now, created_at=now
        )
    )


def _broken(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError("simulated fault")


def _long_plan(stack: Stack, pid: int) -> None:
    with stack.db.write() as session:
        draft = plans.draft(session, pid, "crisis")
        for section in plans.CRISIS_SECTIONS:
            plans.set_section(draft, section, [plans.item(f"{section} " + "words " * 40)])


def test_more_still_answers_after_stop_when_crisis_left_parts(stack: Stack) -> None:
    pid = stack.add_participant()
    _long_plan(stack, pid)
    assert "won't get any more messages" in stack.say(pid, "STOP")
    assert "Reply MORE" in stack.say(pid, "CRISIS")
    assert "call 999" in stack.say(pid, "MORE")
    assert stack.send(pid, "hello").replies == ()


@pytest.mark.parametrize("name", ["Zo\u00eb", "Si\u00e2n", "\u0141ukasz", "\u6c34\u6237"])
def test_the_safety_message_fits_three_segments_whatever_the_name(stack: Stack, name: str) -> None:
    pid = stack.add_participant(name)
    with stack.db.write() as session:
        draft = plans.draft(session, pid, "crisis")
        plans.set_section(
            draft,
            "people_help",
            [plans.item("Siobh\u00e1n 07400 123456", phone="+447400123456")] * 2,
        )
    replies = stack.send(pid, "I want to die").replies
    assert "call 999" in replies[0]
    assert gsm.segments(replies[0]) <= MAX_SEGMENTS, replies[0]


def test_a_crisis_part_of_emoji_stays_within_three_segments(stack: Stack) -> None:
    pid = stack.add_participant()
    with stack.db.write() as session:
        draft = plans.draft(session, pid, "crisis")
        plans.set_section(draft, "coping", [plans.item("\U0001f33b" * 300)])
    parts = [stack.say(pid, "CRISIS")]
    while "Reply MORE" in parts[-1]:
        parts.append(stack.say(pid, "MORE"))
    for part in parts:
        assert gsm.segments(part) <= MAX_SEGMENTS, part
        assert part.endswith("call 999.")


def test_an_unknown_sender_asking_for_crisis_gets_national_numbers(stack: Stack) -> None:
    step = stack.send(0, "CRISIS", channel=Channel.SMS, address="+447400999999")
    said = "\n".join(step.replies)
    assert "999" in said
    assert "Samaritans" in said
    assert "Reply CRISIS for your plan" not in said
    assert "isn't linked to anyone we know" in said


def test_a_failure_while_handling_crisis_still_gives_the_numbers(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = stack.add_participant()

    monkeypatch.setattr("bot.crisis.crisis_parts", _broken)
    said = "\n".join(stack.send(pid, "CRISIS").replies)
    assert "0800 123 4567" in said  # the team's crisis line
    assert "call 999" in said
    assert "something went wrong" in said


def test_a_failure_on_telegram_queues_the_fallback_for_the_worker(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = stack.add_participant()
    now = datetime.now(UTC)
    with stack.db.write() as session:
        _link_telegram(session, pid, now)

    monkeypatch.setattr("bot.router.Router.route", _broken)
    step = stack.assistant.handle(
        Inbound(Channel.TELEGRAM, "555", "I want to die", "upd-1"), inline_limit=0
    )
    assert step.replies == ()
    with stack.db.read() as session:
        statuses = list(
            session.scalars(
                select(Message.status).where(Message.direction == "out", Message.address == "555")
            )
        )
        alerts = list(session.scalars(select(Alert.kind).where(Alert.participant_id == pid)))
    assert statuses == ["queued", "queued"]
    assert alerts == ["risk_language"]


def test_an_unsure_older_send_does_not_hold_back_a_crisis_reply(stack: Stack) -> None:
    pid = stack.add_participant()
    now = datetime.now(UTC)
    with stack.db.write() as session:
        _link_telegram(session, pid, now)
        session.add(
            Message(
                participant_id=pid,
                channel="telegram",
                address="555",
                direction="out",
                body="Time for your check-in",
                status="sending",
                attempts=3,
                error_code="timeout",
                claimed_until=now + timedelta(minutes=30),
                created_at=now - timedelta(minutes=5),
            )
        )
    stack.assistant.handle(Inbound(Channel.TELEGRAM, "555", "CRISIS", "upd-2"), inline_limit=0)
    later = datetime.now(UTC)
    outbox.hurry(stack.db, "telegram", "555", later)
    policy = outbox.Policy()
    first = outbox.claim_next(
        stack.db, later, policy, channels=["telegram"], address=("telegram", "555")
    )
    assert first is not None
    assert first.unsure  # looked up before it is sent again
    outbox.settle(stack.db, first, outbox.Sent(external_id=None), later, policy)
    second = outbox.claim_next(
        stack.db, later, policy, channels=["telegram"], address=("telegram", "555")
    )
    assert second is not None
    assert "crisis" in second.body.lower()


def test_risk_language_past_the_stored_length_is_still_screened(stack: Stack) -> None:
    pid = stack.add_participant()
    step = stack.send(pid, "x " * 15_000 + "I want to die")
    assert step.safety_alert
    with stack.db.read() as session:
        assert session.get(Participant, pid) is not None
