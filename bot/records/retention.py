"""Retention: the texts of messages older than TOUCHPOINT_RETAIN_MESSAGES_DAYS are
removed, a small batch per write, every day; who, when and which channel stay, and so do
plans and the audit trail. Each batch is found in a read (no lock held) and emptied in
one short write, so a message step never waits long for the SQLite writer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import SQLAlchemyError

from store.db import Database
from store.models import Message

log = logging.getLogger(__name__)
BATCH = 100  # rows emptied in one write (bench/retention.py)
PAUSE_S = 0.005  # between two writes: another writer's turn
EVERY = timedelta(days=1)
_PENDING = ("queued", "sending")

_FIND = (
    select(Message.id)
    .where(
        Message.id > bindparam("after"),
        Message.created_at < bindparam("cutoff"),
        Message.body != "",
        Message.status.not_in(_PENDING),
    )
    .order_by(Message.id)
    .limit(bindparam("batch"))
)


@dataclass
class Sweep:
    """What one run did: rows emptied, and how long each write held the writer."""

    emptied: int = 0
    writes_ms: list[float] = field(default_factory=list)


def cutoff(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


def remove_old_texts(
    db: Database,
    now: datetime,
    days: int,
    *,
    batch: int = BATCH,
    pause: float = PAUSE_S,
    stop: Callable[[], bool] = lambda: False,
) -> Sweep:
    sweep = Sweep()
    if days <= 0:
        return sweep
    params = {"after": 0, "cutoff": cutoff(now, days), "batch": batch}
    while not stop():
        with db.read() as session:
            ids = list(session.scalars(_FIND, params).all())
        if not ids:
            break
        started = time.perf_counter()
        with db.write() as session:
            session.execute(
                update(Message)
                .where(Message.id.in_(ids), Message.created_at < params["cutoff"])
                .values(body="")
                .execution_options(synchronize_session=False)
            )
        sweep.writes_ms.append((time.perf_counter() - started) * 1000)
        sweep.emptied += len(ids)
        params["after"] = ids[-1]
        if len(ids) < batch:
            break
        time.sleep(pause)
    return sweep


async def daily(
    db: Database, clock: Callable[[], datetime], days: int, stop: asyncio.Event
) -> None:
    """The worker's loop: a sweep at start, then every day, until `stop` is set."""
    while days > 0 and not stop.is_set():
        try:
            sweep = await asyncio.to_thread(remove_old_texts, db, clock(), days, stop=stop.is_set)
            log.info("retention: %d message texts older than %d days removed", sweep.emptied, days)
        except SQLAlchemyError:
            log.warning("retention: the database is unavailable; trying again tomorrow")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=EVERY.total_seconds())
