"""The jobs table: idempotency keys, claims with a lease, fencing, and several claimers
at once (SKIP LOCKED on PostgreSQL, the single writer on SQLite)."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from bot import jobs
from bot.delivery import Dispatcher, build_senders
from bot.fakes.twilio import FakeTwilio
from bot.schedule.scheduler import MAX_ATTEMPTS
from bot.worker import _once, build_scheduler
from store.db import Database
from store.models import Job
from tests.channel_helpers import ACCOUNT_SID, AUTH_TOKEN, channel_settings
from tests.schedule_support import world

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


def _add(db: Database, pid: int, key: str, due: datetime = NOW) -> bool:
    with db.write() as session:
        return jobs.add(session, jobs.NewJob("check_in", pid, key, due), NOW)


def _count(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(Job)) or 0)


def test_a_key_is_planned_once(db_url: str) -> None:
    with world(db_url) as w:
        pid = w.enrol(every=None)
        assert _add(w.db, pid, "k1")
        assert not _add(w.db, pid, "k1")
        assert _count(w.db) == 1


def test_only_due_jobs_are_claimed_and_a_claim_is_held_for_its_lease(db_url: str) -> None:
    with world(db_url) as w:
        pid = w.enrol(every=None)
        _add(w.db, pid, "now")
        _add(w.db, pid, "later", NOW + timedelta(hours=1))
        [claim] = jobs.claim(w.db, NOW, lease=LEASE, worker="a", limit=10)
        assert claim.attempt == 1
        assert (
            jobs.claim(w.db, NOW + timedelta(seconds=29), lease=LEASE, worker="b", limit=10) == []
        )
        # The lease ran out (worker "a" died): claimed again, and "a" can't settle it any more.
        [again] = jobs.claim(w.db, NOW + timedelta(seconds=31), lease=LEASE, worker="b", limit=10)
        assert (again.id, again.attempt) == (claim.id, 2)
        with w.db.write() as session:
            assert jobs.hold(session, claim) is None
            job = jobs.hold(session, again)
            assert job is not None
            jobs.finish(job, "sent", NOW)
        with w.db.write() as session:
            assert jobs.hold(session, again) is None  # settled: nobody runs it again


def test_a_stopping_worker_gives_its_claims_back(db_url: str) -> None:
    with world(db_url) as w:
        pid = w.enrol(every=None)
        for n in range(3):
            _add(w.db, pid, f"k{n}")
        claims = jobs.claim(w.db, NOW, lease=LEASE, worker="a", limit=10)
        jobs.release(w.db, claims, NOW)
        assert len(jobs.claim(w.db, NOW, lease=LEASE, worker="b", limit=10)) == 3


def test_claimers_at_once_never_share_a_job(db_url: str) -> None:
    with world(db_url) as w:
        pid = w.enrol(every=None)
        with w.db.write() as session:
            for n in range(200):
                jobs.add(session, jobs.NewJob("check_in", pid, f"k{n}", NOW), NOW)
        got: list[list[int]] = [[] for _ in range(4)]
        start = threading.Barrier(4)

        def claimer(index: int) -> None:
            db = Database(db_url)  # a process of its own, as far as the database can tell
            try:
                start.wait()
                while claims := jobs.claim(db, NOW, lease=LEASE, worker=f"w{index}", limit=7):
                    got[index].extend(c.id for c in claims)
            finally:
                db.dispose()

        threads = [threading.Thread(target=claimer, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        everything = [job for part in got for job in part]
        assert len(everything) == 200
        assert len(set(everything)) == 200


def test_a_job_that_keeps_failing_is_settled_as_failed(db_url: str) -> None:
    with world(db_url) as w:
        pid = w.enrol(every=1, window=(time(10), time(18)))
        w.clock.to(w.pending(pid)[0].due_at)

        def broken(*_args: Any, **_kwargs: Any) -> Any:
            raise RuntimeError("a bug")

        w.scheduler.outreach.engine.start = broken  # type: ignore[method-assign]
        outcomes = []
        for _ in range(MAX_ATTEMPTS + 2):
            w.run()
            outcomes = [j.outcome for j in w.jobs(pid, "check_in") if j.status == "done"]
            w.clock.advance(minutes=6)
        assert outcomes == ["failed:error"]
        assert w.queued(pid) == []


def test_the_worker_once_runs_due_jobs_and_delivers_them(db_url: str) -> None:
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as twilio:
        settings = channel_settings(db_url, twilio_api_base_url=twilio.url, telegram_bot_token=None)
        with world(db_url) as w:
            pid = w.enrol("Alex", every=1)
            [job] = w.pending(pid)
            w.clock.to(job.due_at)
            scheduler = build_scheduler(settings, w.db, w.clock, lease=60)
            dispatcher = Dispatcher(w.db, build_senders(settings), clock=w.clock)

            async def once() -> int:
                try:
                    return await _once(dispatcher, scheduler)
                finally:
                    await dispatcher.close()

            assert asyncio.run(once()) == 0
            [sms] = twilio.sent
            assert sms.to == w.phones[pid]
            assert "How have things been" in sms.body


def test_settled_jobs_are_kept_for_half_a_year(db_url: str) -> None:
    with world(db_url) as w:
        pid = w.enrol(every=1, window=(time(10), time(18)))
        for _ in range(3):
            [job] = w.pending(pid)
            w.clock.to(job.due_at)
            w.run()
            w.finish_check_in(pid)
        first_three = {j.id for j in w.jobs(pid) if j.status == "done"}
        assert len(first_three) == 3
        w.clock.advance(days=181)
        w.sweep_now()
        w.run()
        left = {j.id for j in w.jobs(pid) if j.status == "done"}
        assert left
        assert not left & first_three
