"""One step of the scheduler, as a worker runs it over and over: now and then a sweep
(plan what is missing), then claim a batch of due jobs and run each in turn."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.exc import OperationalError

from bot import jobs
from bot.schedule.outreach import Outreach
from bot.schedule.rules import Rules
from bot.schedule.sweep import sweep
from store.db import Database

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # a job that fails this often is settled as failed, not retried forever
_RETRY_AFTER = timedelta(minutes=5)


def worker_name() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Scheduler:
    def __init__(
        self,
        db: Database,
        outreach: Outreach,
        clock: Callable[[], datetime],
        *,
        lease: timedelta = timedelta(seconds=60),
        batch: int = 50,
        sweep_every: timedelta = timedelta(seconds=30),
        rules: Rules | None = None,
        worker: str | None = None,
    ) -> None:
        self.db = db
        self.outreach = outreach
        self.clock = clock
        self.lease = lease
        self.batch = batch
        self.sweep_every = sweep_every
        self.rules = rules or Rules()
        self.worker = worker or worker_name()
        self._last_sweep: datetime | None = None
        self.planned = 0  # what the last sweep planned or checked

    def tick(self, stopping: Callable[[], bool] = lambda: False, *, sweeps: bool = True) -> int:
        """Run one batch of due jobs, then sweep if it is time (and `sweeps`); returns the
        jobs claimed. Jobs first: a worker that starts sends what is due at once."""
        claims = jobs.claim(
            self.db, self.clock(), lease=self.lease, worker=self.worker, limit=self.batch
        )
        for index, claim in enumerate(claims):
            if stopping():
                jobs.release(self.db, claims[index:], self.clock())
                return len(claims)
            self._run(claim)
        self.planned = 0
        now, last = self.clock(), self._last_sweep
        # A clock that went back sweeps at once rather than waiting for it to catch up.
        if sweeps and (last is None or now >= last + self.sweep_every or now < last):
            swept = sweep(self.db, now, self.rules)
            self._last_sweep, self.planned = now, swept.total
            if swept.total:
                log.info("sweep planned or checked %s", swept)
        return len(claims)

    def _run(self, claim: jobs.Claim) -> None:
        try:
            self.outreach.run(claim)
        except OperationalError:
            raise  # the database is away: the claim's lease brings it back later
        except Exception:
            log.exception("job %s (%s) failed", claim.id, claim.kind)
            self._failed(claim)

    def _failed(self, claim: jobs.Claim) -> None:
        now = self.clock()
        with self.db.write() as session:
            job = jobs.hold(session, claim)
            if job is None:
                return
            if claim.attempt >= MAX_ATTEMPTS:
                jobs.finish(job, "failed:error", now)
            else:
                jobs.defer(job, now + _RETRY_AFTER, now)

    def run_until_idle(self, limit: int = 1000) -> int:
        """Run every job that is due now (tests, `touchpoint worker --once`)."""
        total = 0
        for _ in range(limit):
            handled = self.tick()
            total += handled
            if handled == 0 and not self.planned:
                break
        return total
