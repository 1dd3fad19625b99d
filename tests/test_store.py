"""The store's writer queue: a writer that cannot get its turn in time gives up."""

from __future__ import annotations

import threading
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
