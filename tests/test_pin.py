"""The plan PIN around the transcripts: what scheduled messages and the safety message say
while one is set, which PINs are refused, and a PIN never stored when handling fails."""

from __future__ import annotations

from collections.abc import Iterator
from unittest.mock import patch

import pytest
from sqlalchemy import select

from bot import plans
from bot.privacy import pin
from bot.router import Router
from bot.types import Channel, Inbound
from store.models import Message
from tests.admin_support import CHEAP
from tests.schedule_support import World, world


@pytest.fixture
def w(db_url: str) -> Iterator[World]:
    with world(db_url) as w, patch.object(pin, "_hasher", CHEAP):
        yield w


def _with_pin(w: World, pid: int, digits: str = "3907") -> None:
    w.say(pid, "PIN")
    w.say(pid, digits)
    assert "Your PIN is set" in "\n".join(w.say(pid, digits))


def _plan(w: World, pid: int) -> None:
    with w.db.write() as session:
        draft = plans.draft(session, pid, "crisis")
        mum = plans.item("Mum 07400 900111", name="Mum", phone="+447400900111")
        plans.set_section(draft, "people_help", [mum])
        plans.set_section(draft, "coping", [plans.item("Bath with the radio on")])
        plans.submit(session, draft, w.clock())


def test_a_check_in_opens_with_a_neutral_line_while_a_pin_is_set(w: World) -> None:
    pid = w.enrol("Alex", every=1)
    _with_pin(w, pid)
    [job] = w.pending(pid)
    w.clock.to(job.due_at)
    assert w.run() == 1
    [opening] = w.queued(pid)
    assert "Reply with your PIN" in opening
    for personal in ("Alex", "check", "plan", "feel", "crisis", "mental"):
        assert personal.casefold() not in opening.casefold()
    assert w.active(pid) == "check_in.rating"
    # The PIN, typed unasked hours later, brings the question back.
    w.clock.advance(hours=2)
    said = "\n".join(w.say(pid, "3907"))
    assert "How have things been since we last spoke?" in said


def test_without_a_pin_the_check_in_is_as_it_was(w: World) -> None:
    pid = w.enrol("Alex", every=1)
    [job] = w.pending(pid)
    w.clock.to(job.due_at)
    w.run()
    [opening] = w.queued(pid)
    assert "Hi Alex. How have things been since we last spoke?" in opening


def test_the_safety_message_leaves_out_their_people_while_the_plan_is_locked(w: World) -> None:
    pid = w.enrol("Alex", every=None)
    _plan(w, pid)
    risky = "I want to end my life"
    assert "07400 900111" in "\n".join(w.say(pid, risky))
    _with_pin(w, pid)
    w.clock.advance(minutes=16)
    said = "\n".join(w.say(pid, risky))
    assert "999" in said
    assert "07400 900111" not in said
    w.say(pid, "3907")
    assert "07400 900111" in "\n".join(w.say(pid, risky))  # given: shown again


@pytest.mark.parametrize(
    "digits", ["0000", "1111", "1234", "4321", "123456", "654321", "1212", "123123", "1990"]
)
def test_obvious_pins_are_refused(digits: str) -> None:
    assert pin.refusal(digits) is not None


@pytest.mark.parametrize("digits", ["3907", "58214", "720946"])
def test_other_pins_are_taken(digits: str) -> None:
    assert pin.refusal(digits) is None


def test_a_pin_is_not_stored_even_when_handling_fails(w: World) -> None:
    pid = w.enrol("Alex", every=None)
    with patch.object(Router, "route", side_effect=RuntimeError("boom")):
        reply = w.assistant.handle(Inbound(Channel.SMS, w.phones[pid], "3907", "SM-fails"))
    assert reply.replies  # the fallback still answers
    with w.db.read() as session:
        bodies = list(session.scalars(select(Message.body).where(Message.direction == "in")))
    assert bodies
    assert all("3907" not in b for b in bodies)
