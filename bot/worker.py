"""`touchpoint worker`: the scheduler (check-ins, appointment prep, reminders) and the
outbox (delivery, with retries), side by side until stopped (or once). `touchpoint serve
--with-worker` runs the same loops inside the web process (`background`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError

from bot import inline
from bot.assistant import Assistant, Clock, utc_now
from bot.delivery import Dispatcher, build_senders
from bot.outbox import Policy
from bot.records import retention
from bot.schedule.outreach import Outreach
from bot.schedule.scheduler import Scheduler
from bot.settings import Settings
from bot.staff import loop as staff
from bot.staff.mail import MailSettingsError, build_mailer
from store.db import Database

log = logging.getLogger(__name__)
BATCH = 20  # outbox claims between two looks at the stop signal
JOB_BATCH = 50  # jobs claimed at once by the scheduler
LANES = 2  # jobs run, and outbox messages sent, at once (each claimed on its own)
SWEEP_EVERY = 30.0  # seconds between two looks for jobs to plan
HAND_OVER_EVERY = 20.0  # seconds between two looks for inline replies nothing confirmed


def build_scheduler(
    settings: Settings,
    db: Database,
    clock: Clock,
    *,
    lease: float,
    batch: int = JOB_BATCH,
    sweep_every: float = SWEEP_EVERY,
    assistant: Assistant | None = None,
) -> Scheduler:
    assistant = assistant or Assistant(settings, db, clock)
    outreach = Outreach(db, assistant.engine, assistant.wording, clock)
    return Scheduler(
        db,
        outreach,
        clock,
        lease=timedelta(seconds=lease),
        batch=batch,
        sweep_every=timedelta(seconds=sweep_every),
    )


def run(
    settings: Settings,
    *,
    once: bool,
    poll_interval: float,
    lease: float,
    batch: int = JOB_BATCH,
    sweep_every: float = SWEEP_EVERY,
    lanes: int = LANES,
) -> int:
    # The lease must outlast a provider call, or a slow call could be claimed twice.
    timeout = min(10.0, lease / 3)
    db = Database(settings.database_url)
    senders = build_senders(settings, timeout=timeout, db=db)
    try:
        mailer = build_mailer(settings, timeout=timeout)
    except MailSettingsError as exc:
        print(exc, file=sys.stderr)
        db.dispose()
        return 2
    if not senders and mailer is None:
        print(
            "No channel is configured to send with. Set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN "
            "and TWILIO_FROM_NUMBER for SMS, TELEGRAM_BOT_TOKEN for Telegram, or "
            "TOUCHPOINT_SMTP_URL and TOUCHPOINT_MAIL_FROM for alert emails.",
            file=sys.stderr,
        )
        db.dispose()
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # The Twilio library logs a dozen lines (headers, URLs) for every message it sends.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    try:
        db.check_migrated()
        policy = Policy(lease=timedelta(seconds=lease))
        dispatcher = Dispatcher(db, senders, clock=utc_now, policy=policy)
        scheduler = build_scheduler(
            settings, db, utc_now, lease=lease, batch=batch, sweep_every=sweep_every
        )
        desk = staff.Desk(db, mailer, clock=utc_now, public_url=settings.public_url, policy=policy)
        return asyncio.run(
            _main(
                dispatcher,
                scheduler,
                desk,
                once=once,
                poll_interval=poll_interval,
                lanes=lanes,
                retain_days=settings.retain_messages_days,
            )
        )
    finally:
        db.dispose()


async def _main(
    dispatcher: Dispatcher,
    scheduler: Scheduler,
    desk: staff.Desk,
    *,
    once: bool,
    poll_interval: float,
    lanes: int = LANES,
    retain_days: int = 0,
) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    log.info(
        "worker %s started: channels %s", scheduler.worker, ", ".join(sorted(dispatcher.senders))
    )
    try:
        if once:
            return await _once(dispatcher, scheduler, desk)
        await run_loops(dispatcher, scheduler, stop, poll_interval, lanes, desk, retain_days)
    finally:
        await dispatcher.close()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
    log.info("worker stopped")
    return 0


async def _once(
    dispatcher: Dispatcher, scheduler: Scheduler, desk: staff.Desk | None = None
) -> int:
    """What is due now: the jobs, staff notifications, then the outbox; 1 if the database
    is unavailable."""
    try:
        await asyncio.to_thread(scheduler.run_until_idle)
        await asyncio.to_thread(inline.hand_over_unconfirmed, dispatcher.db, dispatcher.clock())
        while desk is not None and await desk.tick() >= BATCH:
            pass
        while await dispatcher.deliver_due(limit=BATCH) >= BATCH:
            pass
    except SQLAlchemyError:
        log.warning("the database is unavailable")
        return 1
    return 0


async def run_loops(
    dispatcher: Dispatcher | None,
    scheduler: Scheduler,
    stop: asyncio.Event,
    poll_interval: float,
    lanes: int = LANES,
    desk: staff.Desk | None = None,
    retain_days: int = 0,
) -> None:
    """The scheduler and the outbox, `lanes` loops each, until `stop` is set: while one
    waits for the database or the provider, another works. Each loop claims its own jobs
    and messages; a recipient's messages still go one at a time, in order (a message is
    not claimed while an older one to the same address is pending). One loop sweeps.
    With `desk`, one more loop for staff notifications (escalation, SMS, email)."""
    loops = [_schedule_loop(scheduler, stop, poll_interval, sweeps=n == 0) for n in range(lanes)]
    if dispatcher is not None:
        loops += [_outbox_loop(dispatcher, stop, poll_interval) for _ in range(lanes)]
        loops.append(_hand_over_loop(dispatcher, stop))
    if desk is not None:
        loops.append(staff.run(desk, stop, poll_interval))
    # Message texts past TOUCHPOINT_RETAIN_MESSAGES_DAYS, once a day (bot/records/retention.py).
    loops.append(retention.daily(scheduler.db, scheduler.clock, retain_days, stop))
    await asyncio.gather(*loops)


async def _hand_over_loop(dispatcher: Dispatcher, stop: asyncio.Event) -> None:
    """Inline replies that no status callback confirmed become the outbox's (bot/inline.py)."""
    while not stop.is_set():
        try:
            moved = await asyncio.to_thread(
                inline.hand_over_unconfirmed, dispatcher.db, dispatcher.clock()
            )
        except SQLAlchemyError:
            log.warning("the database is unavailable; trying again shortly")
            moved = 0
        if moved:
            log.info("%d inline replies were not confirmed; the outbox sends them", moved)
        await _pause(stop, HAND_OVER_EVERY)


async def _outbox_loop(dispatcher: Dispatcher, stop: asyncio.Event, poll_interval: float) -> None:
    while not stop.is_set():
        try:
            handled = await dispatcher.deliver_due(limit=BATCH)
        except SQLAlchemyError:
            log.warning("the database is unavailable; trying again shortly")
            handled = 0
        if handled < BATCH:
            await _pause(stop, poll_interval)


async def _schedule_loop(
    scheduler: Scheduler, stop: asyncio.Event, poll_interval: float, *, sweeps: bool
) -> None:
    while not stop.is_set():
        try:
            handled = await asyncio.to_thread(scheduler.tick, stop.is_set, sweeps=sweeps)
        except SQLAlchemyError:
            log.warning("the database is unavailable; trying again shortly")
            handled = 0
        except Exception:
            log.exception("the scheduler failed; trying again shortly")
            handled = 0
        if handled < scheduler.batch:
            await _pause(stop, poll_interval)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


@asynccontextmanager
async def background(
    settings: Settings,
    db: Database,
    assistant: Assistant,
    clock: Clock = utc_now,
    *,
    poll_interval: float = 1.0,
    lease: float = 60.0,
) -> AsyncIterator[None]:
    """The worker's loops as a task of the web app (`touchpoint serve --with-worker`)."""
    senders = build_senders(settings, timeout=min(10.0, lease / 3), db=db, clock=clock)
    policy = Policy(lease=timedelta(seconds=lease))
    dispatcher = Dispatcher(db, senders, clock=clock, policy=policy) if senders else None
    scheduler = build_scheduler(settings, db, clock, lease=lease, assistant=assistant)
    desk = staff.Desk(
        db,
        build_mailer(settings, timeout=min(10.0, lease / 3)),
        clock=clock,
        public_url=settings.public_url,
        policy=policy,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_loops(
            dispatcher,
            scheduler,
            stop,
            poll_interval,
            desk=desk,
            retain_days=settings.retain_messages_days,
        )
    )
    log.info("worker %s started inside the web process", scheduler.worker)
    try:
        yield
    finally:
        stop.set()
        await task
        if dispatcher is not None:
            await dispatcher.close()
