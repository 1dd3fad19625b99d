"""The outbox claim costs the same whatever the backlog: it walks the pending rows in id
order and stops at the first that may go (no sort of the backlog, no scan of the table);
and the Twilio sender sends message after message over one connection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from bot import outbox
from bot.delivery import Dispatcher, build_senders
from bot.fakes.twilio import FakeTwilio
from bot.outbox import Policy
from bot.types import Channel
from store.db import Database, upgrade
from store.models import Message
from tests.channel_helpers import ACCOUNT_SID, AUTH_TOKEN, Clock, channel_settings
from tests.query_plans import capture, plan

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def _fill(db: Database, pending: int, settled: int) -> None:
    rows = [
        {
            "channel": "sms",
            "address": f"+4474001{n % (pending // 2):05d}",
            "direction": "out",
            "body": "How have things been?",
            "status": "queued",
            "attempts": 0,
            "next_attempt_at": NOW - timedelta(seconds=n % 7),
            "created_at": NOW,
            "updated_at": NOW,
        }
        for n in range(pending)
    ]
    rows += [
        {**row, "status": "delivered", "next_attempt_at": None} for row in rows[: settled // 2] * 2
    ]
    with db.write() as session:
        session.execute(insert(Message), rows)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


def test_the_claim_walks_the_pending_index_and_stops(db_url: str) -> None:
    db = Database(db_url)
    try:
        _fill(db, pending=2000, settled=6000)
        with capture(db.engine) as seen:
            claim = outbox.claim_next(db, NOW, Policy(), channels=["sms", "telegram"])
        assert claim is not None
        [due] = [q for q in seen.selects() if "FROM message" in q.sql]
        steps = plan(db.engine, due)
        if db.is_sqlite:
            assert steps[0] == "SCAN message USING INDEX ix_message_pending", steps
            assert not any("TEMP B-TREE" in s for s in steps), steps
        else:
            assert any(s.startswith("Index") and "ix_message_pending" in s for s in steps), steps
            assert not any(s.startswith(("Sort", "Seq Scan")) for s in steps), steps
    finally:
        db.dispose()


@pytest.mark.asyncio
async def test_the_twilio_sender_keeps_one_connection_for_many_messages(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'touchpoint.db'}"
    upgrade(url)
    db = Database(url)
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, keep_alive=True) as twilio:
        settings = channel_settings(url, twilio_api_base_url=twilio.url)
        dispatcher = Dispatcher(db, build_senders(settings, channels=("sms",)), clock=Clock())
        try:
            with db.write() as session:
                for n in range(6):
                    outbox.enqueue(
                        session,
                        channel=Channel.SMS,
                        address=f"+4474001000{n:02d}",
                        text="How have things been?",
                        participant_id=None,
                        now=dispatcher.clock(),
                    )
            assert await dispatcher.deliver_due() == 6
        finally:
            await dispatcher.close()
            db.dispose()
    assert len(twilio.sent) == 6
    assert twilio.connections == 1  # one TCP connection (and TLS handshake) for all six


@pytest.mark.asyncio
async def test_a_batch_is_given_back_when_the_provider_is_slow(tmp_path: Path) -> None:
    """Claims taken together are sent in turn; once half their lease has gone, the rest
    go back to the queue unsent rather than being held past the lease."""
    url = f"sqlite:///{tmp_path / 'touchpoint.db'}"
    upgrade(url)
    db = Database(url)
    ticks = iter(range(1000))

    def slow_clock() -> datetime:  # 20 seconds pass between any two looks at the clock
        return NOW + timedelta(seconds=20 * next(ticks))

    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, keep_alive=True) as twilio:
        settings = channel_settings(url, twilio_api_base_url=twilio.url)
        policy = Policy(lease=timedelta(seconds=60))
        senders = build_senders(settings, channels=("sms",))
        dispatcher = Dispatcher(db, senders, clock=slow_clock, policy=policy)
        try:
            with db.write() as session:
                for n in range(4):
                    outbox.enqueue(
                        session,
                        channel=Channel.SMS,
                        address=f"+4474001000{n:02d}",
                        text="How have things been?",
                        participant_id=None,
                        now=NOW,
                    )
            assert await dispatcher.deliver_due(limit=4) == 4
        finally:
            await dispatcher.close()
    with db.read() as session:
        rows = session.scalars(select(Message).order_by(Message.id)).all()
        states = [(r.status, r.error_code) for r in rows]
    db.dispose()
    assert len(twilio.sent) == 2
    assert states == [("sent", None)] * 2 + [("queued", "not_sent")] * 2
