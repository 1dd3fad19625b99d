"""The worker's staff loop: escalate what is due, hand duty SMS to the outbox, send the
emails. Runs beside the scheduler and the outbox in `touchpoint worker` (bot/worker.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from bot.outbox import Policy
from bot.staff import escalate, mailbox
from bot.staff.mail import Mailer
from store.db import Database

log = logging.getLogger(__name__)


class Desk:
    """Where a worker does staff notifications: one `tick` does what is due now."""

    def __init__(
        self,
        db: Database,
        mailer: Mailer | None,
        *,
        clock: Callable[[], datetime],
        public_url: str,
        policy: Policy | None = None,
    ) -> None:
        self.db = db
        self.mailer = mailer
        self.clock = clock
        self.public_url = public_url
        self.policy = policy or Policy()

    async def tick(self, limit: int = mailbox.BATCH) -> int:
        now = self.clock()
        done = await asyncio.to_thread(escalate.escalate_due, self.db, now)
        done += await asyncio.to_thread(mailbox.hand_sms, self.db, now, self.public_url)
        if self.mailer is None:
            return done
        for _ in range(limit):
            claim = await asyncio.to_thread(
                mailbox.claim_email,
                self.db,
                self.clock(),
                self.policy,
                self.mailer.sender,
                self.public_url,
            )
            if claim is None:
                break
            message = self.mailer.message(claim.to, claim.subject, claim.body, claim.message_id)
            outcome = await self.mailer.send(message)
            status = await asyncio.to_thread(
                mailbox.settle, self.db, claim, outcome, self.clock(), self.policy
            )
            if status != "sent":
                log.warning("alert email %s: %s (%s)", claim.id, status, outcome)
            done += 1
        return done


async def run(desk: Desk, stop: asyncio.Event, poll_interval: float) -> None:
    while not stop.is_set():
        try:
            await desk.tick()
        except SQLAlchemyError:
            log.warning("the database is unavailable; trying again shortly")
        except Exception:
            log.exception("staff notifications failed; trying again shortly")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=poll_interval)
