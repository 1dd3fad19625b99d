"""`touchpoint worker`: deliver the outbox, with retries, until stopped (or once)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError

from bot.assistant import utc_now
from bot.delivery import Dispatcher, build_senders
from bot.outbox import Policy
from bot.settings import Settings
from store.db import Database

log = logging.getLogger(__name__)
BATCH = 20  # claims between two looks at the stop signal


def run(settings: Settings, *, once: bool, poll_interval: float, lease: float) -> int:
    # The lease must outlast a provider call, or a slow call could be claimed twice.
    timeout = min(10.0, lease / 3)
    senders = build_senders(settings, timeout=timeout)
    if not senders:
        print(
            "No channel is configured to send with. Set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN "
            "and TWILIO_FROM_NUMBER for SMS, or TELEGRAM_BOT_TOKEN for Telegram.",
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    db = Database(settings.database_url)
    try:
        db.check_migrated()
        policy = Policy(lease=timedelta(seconds=lease))
        dispatcher = Dispatcher(db, senders, clock=utc_now, policy=policy)
        return asyncio.run(_loop(dispatcher, once=once, poll_interval=poll_interval))
    finally:
        db.dispose()


async def _loop(dispatcher: Dispatcher, *, once: bool, poll_interval: float) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    log.info("worker started: channels %s", ", ".join(sorted(dispatcher.senders)))
    try:
        while not stop.is_set():
            try:
                handled = await dispatcher.deliver_due(limit=BATCH)
            except SQLAlchemyError:
                log.warning("the database is unavailable; trying again shortly")
                if once:
                    return 1
                handled = 0
            if once and handled < BATCH:
                return 0
            if handled < BATCH:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=poll_interval)
    finally:
        await dispatcher.close()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
    log.info("worker stopped")
    return 0
