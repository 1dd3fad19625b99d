"""The store's writer queue: a writer that cannot get its turn in time gives up."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

import store.db
from store.db import Database, upgrade


def test_a_writer_that_waits_too_long_gets_an_operational_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store.db, "WRITER_QUEUE_TIMEOUT_S", 0.2)
    url = f"sqlite:///{tmp_path / 'q.db'}"
    upgrade(url)
    db = Database(url)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with db.write():
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(10)
        with pytest.raises(OperationalError), db.write():
            pass
    finally:
        release.set()
        holder.join(10)
    with db.write():  # the queue is left in order: the next writer goes straight in
        pass
    db.dispose()


def test_writers_get_their_turn_in_the_order_they_asked(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fifo.db'}"
    upgrade(url)
    db = Database(url)
    order: list[int] = []
    release = threading.Event()

    def first() -> None:
        with db.write():
            order.append(0)
            release.wait(10)

    def later(n: int, asked: threading.Event) -> None:
        asked.set()
        with db.write():
            order.append(n)

    holder = threading.Thread(target=first)
    holder.start()
    waiters = []
    try:
        while not order:
            time.sleep(0.01)
        for n in range(1, 6):
            asked = threading.Event()
            waiter = threading.Thread(target=later, args=(n, asked))
            waiter.start()
            asked.wait(10)
            # Give the thread time to queue behind the holder before the next one asks.
            time.sleep(0.05)
            waiters.append(waiter)
    finally:
        release.set()
        holder.join(10)
        for waiter in waiters:
            waiter.join(10)
    assert order == [0, 1, 2, 3, 4, 5]
    db.dispose()


def test_a_nested_write_in_one_thread_does_not_wait_for_itself(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nested.db'}"
    upgrade(url)
    db = Database(url)
    turns = db._write_lock
    with turns, turns:  # re-entrant: the same thread is let through
        pass
    with db.write():  # and released fully afterwards
        pass
    db.dispose()


@pytest.mark.asyncio
async def test_a_step_runs_on_the_event_loop_on_sqlite_and_in_a_thread_elsewhere(
    db_url: str,
) -> None:
    db = Database(db_url)
    try:
        ran_in = await db.step(threading.get_ident)
    finally:
        db.dispose()
    if db.is_sqlite:
        assert ran_in == threading.get_ident()  # no hop to a thread: docs/performance.md
    else:
        assert ran_in != threading.get_ident()
