"""Which inline replies the worker takes over: only SMS replies written with a status
callback of their own, once nothing has confirmed them for CONFIRM_WITHIN."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from bot.inline import CONFIRM_WITHIN, UNCONFIRMED, hand_over_unconfirmed
from bot.types import Channel
from store.models import Message
from tests.channel_helpers import PHONE, messages
from tests.conftest import Stack


def test_only_unconfirmed_sms_replies_with_their_own_callback_are_handed_over(
    stack: Stack,
) -> None:
    pid = stack.add_participant(phone=PHONE)
    stack.send(pid, "hello", channel=Channel.SMS, address=PHONE)  # an SMS reply, inline
    stack.send(pid, "hello")  # a console reply, inline too
    with stack.db.write() as session:  # a reply written before migration 0006
        session.add(
            Message(
                participant_id=pid,
                channel="sms",
                address=PHONE,
                direction="out",
                body="an old reply",
                status="inline",
            )
        )
    now = datetime.now(UTC)
    assert hand_over_unconfirmed(stack.db, now) == 0  # too soon for any of them
    with stack.db.write() as session:
        session.execute(update(Message).values(created_at=now - CONFIRM_WITHIN - timedelta(1)))

    assert hand_over_unconfirmed(stack.db, now) == 1

    out = {(m.channel, m.body == "an old reply"): m for m in messages(stack.db, direction="out")}
    taken = out[("sms", False)]
    assert (taken.status, taken.error_code, taken.claimed_until) == ("sending", UNCONFIRMED, now)
    assert out[("sms", True)].status == "inline"
    assert out[("console", False)].status == "inline"
    assert hand_over_unconfirmed(stack.db, now) == 0  # once
