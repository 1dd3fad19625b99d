"""The outbox and the worker: retries, permanent failures, order, opt-out, and recovery
from a worker that dies between claiming a message and hearing back from the provider."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from hypothesis import given
from hypothesis import strategies as st

from bot import outbox
from bot.assistant import Assistant
from bot.delivery import Dispatcher, build_senders
from bot.fakes import process_env
from bot.fakes.telegram import FakeTelegram
from bot.fakes.twilio import INVALID_NUMBER, FakeTwilio
from bot.outbox import Policy, Retry, Sent
from bot.settings import PROJECT_ROOT
from bot.types import Channel, Inbound
from bot.worker import run as run_worker
from store.db import Database
from store.models import Message, Participant
from tests.channel_helpers import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    BOT_TOKEN,
    CHAT_ID,
    PHONE,
    PUBLIC_URL,
    STATUS_PATH,
    Clock,
    channel_settings,
    enrol,
    messages,
)

OTHER_PHONE = "+447400111222"
POLICY = Policy(lease=timedelta(seconds=60), max_attempts=4)


@dataclass
class World:
    db: Database
    twilio: FakeTwilio
    telegram: FakeTelegram
    dispatcher: Dispatcher
    clock: Clock

    def queue(
        self,
        text: str,
        *,
        to: str = PHONE,
        channel: Channel = Channel.SMS,
        participant_id: int | None = None,
    ) -> int:
        with self.db.write() as session:
            [row] = outbox.enqueue(
                session,
                channel=channel,
                address=to,
                text=text,
                participant_id=participant_id,
                now=self.clock(),
            )
            session.flush()
            return row.id

    def row(self, message_id: int) -> Message:
        [row] = messages(self.db, id=message_id)
        return row

    def claim(self) -> outbox.Claim:
        claim = outbox.claim_next(self.db, self.clock(), POLICY, channels=["sms", "telegram"])
        assert claim is not None
        return claim


@pytest_asyncio.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as twilio, FakeTelegram(BOT_TOKEN) as telegram:
        settings = channel_settings(
            db_url, twilio_api_base_url=twilio.url, telegram_api_base_url=f"{telegram.url}/bot"
        )
        db = Database(db_url)
        clock = Clock()
        dispatcher = Dispatcher(
            db, build_senders(settings, timeout=1.0), clock=clock, policy=POLICY
        )
        try:
            yield World(db, twilio, telegram, dispatcher, clock)
        finally:
            await dispatcher.close()
            db.dispose()


# Sending and retrying


@pytest.mark.asyncio
async def test_an_sms_is_sent_with_a_callback_that_names_the_message(world: World) -> None:
    message_id = world.queue("Time for your check-in. Reply YES when ready.")
    assert await world.dispatcher.deliver_due() == 1
    [sms] = world.twilio.sent
    assert (sms.to, sms.body) == (PHONE, "Time for your check-in. Reply YES when ready.")
    assert sms.status_callback == f"{PUBLIC_URL}{STATUS_PATH}?message={message_id}"
    row = world.row(message_id)
    assert (row.status, row.external_id, row.attempts, row.claimed_until) == (
        "sent",
        sms.sid,
        1,
        None,
    )


@pytest.mark.asyncio
async def test_a_provider_error_is_retried_later_with_backoff(world: World) -> None:
    message_id = world.queue("Hello")
    world.twilio.fail_next(1, status=500)
    assert await world.dispatcher.deliver_due() == 1
    row = world.row(message_id)
    assert (row.status, row.attempts, row.error_code) == ("queued", 1, "20500")
    assert row.next_attempt_at is not None
    wait = row.next_attempt_at - world.clock()
    assert timedelta(seconds=15) <= wait <= timedelta(seconds=17)

    assert await world.dispatcher.deliver_due() == 0  # not yet
    world.clock.advance(seconds=17)
    assert await world.dispatcher.deliver_due() == 1
    assert world.row(message_id).status == "sent"
    assert len(world.twilio.sent) == 1


@pytest.mark.asyncio
async def test_out_of_attempts_a_message_fails(world: World) -> None:
    message_id = world.queue("Hello")
    world.twilio.fail_next(10, status=503)
    for _ in range(POLICY.max_attempts):
        assert await world.dispatcher.deliver_due() == 1
        world.clock.advance(hours=1)
    assert await world.dispatcher.deliver_due() == 0
    row = world.row(message_id)
    assert (row.status, row.attempts, row.error_code) == ("failed", POLICY.max_attempts, "20503")
    assert world.twilio.sent == []


def test_backoff_doubles_up_to_a_cap_and_respects_retry_after() -> None:
    policy = Policy()
    assert timedelta(seconds=15) <= policy.backoff(1) <= timedelta(seconds=16.5)
    assert timedelta(seconds=60) <= policy.backoff(3) <= timedelta(seconds=66)
    assert policy.backoff(30) <= timedelta(minutes=33)
    assert policy.backoff(1, retry_after=300) >= timedelta(seconds=300)


@pytest.mark.asyncio
async def test_an_invalid_number_fails_at_once(world: World) -> None:
    message_id = world.queue("Hello", to=INVALID_NUMBER)
    await world.dispatcher.deliver_due()
    row = world.row(message_id)
    assert (row.status, row.error_code, row.attempts) == ("failed", "21211", 1)


@pytest.mark.asyncio
async def test_an_unsubscribed_number_fails_at_once_and_opts_the_person_out(
    world: World,
) -> None:
    pid = enrol(world.db, phone=PHONE)
    world.twilio.opted_out(PHONE)
    message_id = world.queue("Hello", participant_id=pid)
    await world.dispatcher.deliver_due()
    assert (world.row(message_id).status, world.row(message_id).error_code) == ("failed", "21610")
    with world.db.read() as session:
        participant = session.get(Participant, pid)
        assert participant is not None
        assert participant.status == "opted_out"


@pytest.mark.asyncio
async def test_telegram_blocked_fails_at_once_and_flood_control_waits(world: World) -> None:
    blocked = world.queue("Hello", to=str(CHAT_ID), channel=Channel.TELEGRAM)
    world.telegram.blocked(CHAT_ID)
    await world.dispatcher.deliver_due()
    assert (world.row(blocked).status, world.row(blocked).error_code) == (
        "failed",
        "telegram_forbidden",
    )

    other = str(CHAT_ID + 1)
    flooded = world.queue("Hello", to=other, channel=Channel.TELEGRAM)
    world.telegram.fail_next(1, status=429, retry_after=120)
    await world.dispatcher.deliver_due()
    row = world.row(flooded)
    assert row.status == "queued"
    assert row.next_attempt_at is not None
    assert row.next_attempt_at - world.clock() >= timedelta(seconds=120)


@pytest.mark.asyncio
async def test_each_recipient_gets_their_messages_in_order(world: World) -> None:
    first = world.queue("first")
    second = world.queue("second")
    elsewhere = world.queue("for someone else", to=OTHER_PHONE)
    world.twilio.fail_next(1, status=500)

    assert await world.dispatcher.deliver_due() == 2  # first failed; second must wait
    assert world.row(second).status == "queued"
    assert world.row(elsewhere).status == "sent"

    world.clock.advance(minutes=1)
    await world.dispatcher.deliver_due()
    assert [s.body for s in world.twilio.sent] == ["for someone else", "first", "second"]
    assert world.row(first).status == world.row(second).status == "sent"


@pytest.mark.asyncio
async def test_someone_who_opted_out_gets_only_replies_to_what_they_send(
    world: World, db_url: str
) -> None:
    pid = enrol(world.db, telegram=CHAT_ID)
    reminder = world.queue(
        "A reminder", to=str(CHAT_ID), channel=Channel.TELEGRAM, participant_id=pid
    )
    settings = channel_settings(db_url)
    assistant = Assistant(settings, world.db, world.clock)
    world.clock.advance(seconds=1)
    inbound = Inbound(Channel.TELEGRAM, str(CHAT_ID), "STOP", "u1")
    assistant.handle(inbound, inline_limit=0)
    world.clock.advance(seconds=1)
    assistant.handle(Inbound(Channel.TELEGRAM, str(CHAT_ID), "CRISIS", "u2"), inline_limit=0)
    world.clock.advance(seconds=1)
    note = world.queue(
        "A note from your team", to=str(CHAT_ID), channel=Channel.TELEGRAM, participant_id=pid
    )

    await world.dispatcher.deliver_due()

    texts = [m.text for m in world.telegram.sent]
    assert "won't get any more messages" in texts[0]
    assert any("call 999" in text for text in texts[1:])
    assert "A reminder" not in texts
    assert "A note from your team" not in texts
    for suppressed in (reminder, note):
        assert (world.row(suppressed).status, world.row(suppressed).error_code) == (
            "failed",
            "opted_out",
        )


@given(st.text(max_size=3000), st.integers(min_value=20, max_value=500))
def test_split_keeps_every_word_within_the_limit(text: str, limit: int) -> None:
    parts = outbox.split(text, limit)
    assert all(outbox.utf16_len(part) <= limit for part in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())


# A worker that dies


@pytest.mark.asyncio
async def test_killed_after_claiming_and_before_calling_twilio(world: World) -> None:
    message_id = world.queue("Hello")
    world.claim()  # ... and the worker is gone

    assert await world.dispatcher.deliver_due() == 0  # the lease still holds
    world.clock.advance(seconds=61)
    assert await world.dispatcher.deliver_due() == 1

    assert len(world.twilio.sent) == 1  # not lost
    row = world.row(message_id)
    assert (row.status, row.attempts) == ("sent", 2)
    assert any(r.method == "GET" for r in world.twilio.received)  # looked up first


@pytest.mark.asyncio
async def test_killed_after_twilio_took_it_and_before_writing_it_down(world: World) -> None:
    message_id = world.queue("Hello")
    claim = world.claim()
    outcome = await world.dispatcher.senders["sms"].send(claim)  # ... and the worker is gone
    assert isinstance(outcome, Sent)

    world.clock.advance(seconds=61)
    assert await world.dispatcher.deliver_due() == 1

    assert len(world.twilio.sent) == 1  # not sent twice
    row = world.row(message_id)
    assert (row.status, row.external_id) == ("sent", outcome.external_id)


@pytest.mark.asyncio
async def test_two_identical_messages_are_told_apart_after_a_crash(world: World) -> None:
    first = world.queue("Reply YES when ready.")
    second = world.queue("Reply YES when ready.")
    await world.dispatcher.deliver_due(limit=1)
    claim = world.claim()
    assert claim.id == second
    # the worker dies before calling Twilio: the first message's copy must not count
    world.clock.advance(seconds=61)
    await world.dispatcher.deliver_due()
    assert len(world.twilio.sent) == 2
    assert world.row(first).external_id != world.row(second).external_id


@pytest.mark.asyncio
async def test_a_twilio_timeout_is_looked_up_before_sending_again(world: World) -> None:
    message_id = world.queue("Hello")
    world.twilio.hang_next(1, seconds=2)  # longer than the client's 1 s timeout

    await world.dispatcher.deliver_due()
    row = world.row(message_id)
    assert (row.status, row.error_code) == ("sending", "transport")
    world.twilio.wait_for_sent(1, timeout=10)  # Twilio did take it in the end

    world.clock.advance(minutes=1)
    await world.dispatcher.deliver_due()
    assert len(world.twilio.sent) == 1
    row = world.row(message_id)
    assert (row.status, row.external_id) == ("sent", world.twilio.sent[0].sid)


@pytest.mark.asyncio
async def test_when_twilio_cannot_be_asked_it_asks_again_later(world: World) -> None:
    message_id = world.queue("Hello")
    world.claim()
    world.clock.advance(seconds=61)
    world.twilio.fail_next(1, status=500)  # the look-up
    await world.dispatcher.deliver_due()
    assert (world.row(message_id).status, world.row(message_id).error_code) == (
        "sending",
        "lookup_failed",
    )
    assert world.twilio.sent == []
    world.clock.advance(minutes=5)
    await world.dispatcher.deliver_due()
    assert len(world.twilio.sent) == 1
    assert world.row(message_id).status == "sent"


@pytest.mark.asyncio
async def test_telegram_killed_before_the_call_sends_once(world: World) -> None:
    message_id = world.queue("Hello", to=str(CHAT_ID), channel=Channel.TELEGRAM)
    world.claim()
    world.clock.advance(seconds=61)
    await world.dispatcher.deliver_due()
    assert len(world.telegram.sent) == 1
    assert world.row(message_id).status == "sent"


@pytest.mark.asyncio
async def test_telegram_killed_after_the_call_sends_again(world: World) -> None:
    """The documented at-least-once window: Telegram can't be asked what it got."""
    message_id = world.queue("Hello", to=str(CHAT_ID), channel=Channel.TELEGRAM)
    claim = world.claim()
    await world.dispatcher.senders["telegram"].send(claim)
    world.clock.advance(seconds=61)
    await world.dispatcher.deliver_due()
    assert [m.text for m in world.telegram.sent] == ["Hello", "Hello"]
    assert world.row(message_id).status == "sent"


@pytest.mark.asyncio
async def test_a_stale_claim_cannot_settle(world: World) -> None:
    message_id = world.queue("Hello")
    stale = world.claim()
    world.clock.advance(seconds=61)
    fresh = world.claim()
    assert fresh.attempt == stale.attempt + 1
    assert fresh.unsure
    now = world.clock()
    assert outbox.settle(world.db, stale, Retry("late"), now, POLICY) == "sending"
    assert world.row(message_id).attempts == fresh.attempt
    assert outbox.settle(world.db, fresh, Sent("SM1"), now, POLICY) == "sent"


@pytest.mark.asyncio
async def test_a_status_callback_first_is_not_undone(world: World) -> None:
    from bot.channels.sms import record_status

    message_id = world.queue("Hello")
    claim = world.claim()
    record_status(world.db, "SM" + "9" * 32, "delivered", None, message_id, world.clock())
    status = outbox.settle(world.db, claim, Sent("SM" + "9" * 32), world.clock(), POLICY)
    assert status == "delivered"


# The worker as a process


def _env(db_url: str, twilio: FakeTwilio) -> dict[str, str]:
    settings = twilio.client_settings("+447700900001")
    return process_env(db_url, TOUCHPOINT_PUBLIC_URL=PUBLIC_URL, **settings)


@pytest.mark.slow
def test_a_worker_process_killed_mid_send_neither_loses_nor_doubles(
    world: World, db_url: str
) -> None:
    message_id = world.queue("Your appointment is tomorrow at 10.")
    world.twilio.hang_next(1, seconds=5)  # Twilio is slow; it takes the message in the end
    command = [sys.executable, "-m", "bot", "worker", "--lease", "6", "--poll-interval", "0.2"]
    worker = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=_env(db_url, world.twilio),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while not world.twilio.received and time.monotonic() < deadline:
            time.sleep(0.01)
        assert world.twilio.received, "the worker never called Twilio"
        worker.send_signal(signal.SIGKILL)  # mid-call: it never hears Twilio's answer
    finally:
        worker.wait(timeout=30)
        assert worker.stderr is not None
        worker.stderr.close()
    world.twilio.wait_for_sent(1, timeout=15)
    row = world.row(message_id)
    assert row.status == "sending"
    assert row.claimed_until is not None
    time.sleep(max(0.0, (row.claimed_until - datetime.now(UTC)).total_seconds()) + 0.2)

    again = subprocess.run(
        [*command[:4], "--once", "--lease", "6"],
        cwd=PROJECT_ROOT,
        env=_env(db_url, world.twilio),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert again.returncode == 0, again.stderr
    assert len(world.twilio.sent) == 1
    row = world.row(message_id)
    assert (row.status, row.external_id) == ("sent", world.twilio.sent[0].sid)


def test_the_worker_needs_a_channel(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    settings = channel_settings(db_url, twilio_account_sid=None, telegram_bot_token=None)
    assert run_worker(settings, once=True, poll_interval=0.1, lease=60) == 2
    assert "No channel is configured" in capsys.readouterr().err


def test_the_worker_once_delivers_what_is_due_and_exits(db_url: str) -> None:
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as twilio:
        settings = channel_settings(db_url, twilio_api_base_url=twilio.url, telegram_bot_token=None)
        db = Database(db_url)
        try:
            with db.write() as session:
                outbox.enqueue(
                    session,
                    channel=Channel.SMS,
                    address=PHONE,
                    text="Hi",
                    participant_id=None,
                    now=datetime.now(UTC),
                )
            assert run_worker(settings, once=True, poll_interval=0.1, lease=60) == 0
            assert [m.status for m in messages(db, direction="out")] == ["sent"]
        finally:
            db.dispose()
        assert [s.body for s in twilio.sent] == ["Hi"]
