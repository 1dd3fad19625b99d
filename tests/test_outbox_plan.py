"""The outbox claim costs the same whatever the backlog: it walks the pending rows in id
order and stops at the first that may go (no sort of the backlog, no scan of the table)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from bot import outbox
from bot.outbox import Policy
from store.db import Database
from store.models import Message
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
        {**row, "status": "delivered", "next_attempt_at": None}
        for row in rows[: settled // 2] * 2
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
