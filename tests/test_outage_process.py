"""The database unavailable under real traffic, as real processes: SQLite locked by another
writer past the busy timeout, and PostgreSQL stopped and started again (a throwaway
server of the test's own). Every message answered with 200 ends up stored exactly once,
CRISIS and risk texts are answered with the numbers meanwhile, and the spool empties by
itself (`touchpoint serve` replays it); `touchpoint spool replay` does the same on demand."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.fakes.twilio import new_sid
from bot.types import Channel
from store.db import Database
from store.models import Alert, Message
from store.spool import Spool, Spooled
from tests.channel_helpers import PHONE, replies_of, write_lock
from tests.postgres_server import throwaway_postgres
from tests.schedule_processes import Cluster, Process, cluster, free_port, phone, wait_for

pytestmark = pytest.mark.slow

# `touchpoint serve` with SQLite's busy timeout at half a second (5 s in production), so
# that a test can hold the lock past it many times in a few seconds.
_SHORT_BUSY_TIMEOUT = (
    "import sys, store.db; store.db.SQLITE_BUSY_TIMEOUT_S = 0.5; "
    "from bot.cli import main; sys.exit(main(sys.argv[1:]))"
)
TEXTS = ("MENU", "CRISIS", "I want to end my life", "hello")


@dataclass
class Sent:
    sid: str
    body: str
    status: int
    replies: list[str]
    while_down: bool


def _serve_with_short_busy_timeout(c: Cluster) -> Process:
    port = free_port()
    c.ports.append(port)
    log = c.folder / f"serve-{port}.log"
    with log.open("wb") as out:
        popen = subprocess.Popen(
            [sys.executable, "-c", _SHORT_BUSY_TIMEOUT, "serve", "--port", str(port)],
            cwd=c.folder,
            env=c.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    process = Process(f"serve-{port}", popen, log)
    c.processes.append(process)
    return process


class Traffic:
    """Three people texting in turn, until stopped; what each message got back."""

    def __init__(self, c: Cluster, first: int) -> None:
        self.c = c
        self.first = first
        self.sent: list[Sent] = []
        self.down = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(60)

    def answered(self, *, while_down: bool | None = None) -> list[Sent]:
        return [
            s
            for s in list(self.sent)
            if s.status == 200 and (while_down is None or s.while_down == while_down)
        ]

    def _run(self) -> None:
        n = 0
        with httpx.Client(timeout=20) as client:
            while not self._stop.is_set():
                body, sid, down = TEXTS[n % len(TEXTS)], new_sid(), self.down.is_set()
                try:
                    response = self.c.text(
                        client, self.c.ports[0], phone(self.first + n % 3), body, sid
                    )
                    status, replies = (
                        response.status_code,
                        replies_of(response.text or "<Response/>"),
                    )
                except httpx.TransportError:
                    status, replies = 0, []
                self.sent.append(Sent(sid, body, status, replies, down))
                n += 1
                time.sleep(0.02)


def _counts(c: Cluster, traffic: Traffic) -> dict[str, int]:
    with c.db.read() as session:
        stored = Counter(
            session.scalars(select(Message.external_id).where(Message.direction == "in"))
        )
    answered = traffic.answered()
    return {
        "sent": len(traffic.sent),
        "answered": len(answered),
        "answered_while_down": len(traffic.answered(while_down=True)),
        "stored": sum(1 for s in answered if stored.get(s.sid, 0) >= 1),
        "lost": sum(1 for s in answered if stored.get(s.sid, 0) == 0),
        "doubled": sum(1 for s in answered if stored.get(s.sid, 0) > 1),
        "refused": sum(1 for s in traffic.sent if s.status != 200),
    }


def _check_outage_answers(traffic: Traffic) -> None:
    down = traffic.answered(while_down=True)
    assert down, "no message was answered while the database was unavailable"
    for sent in down:
        said = "\n".join(sent.replies)
        if sent.body in ("CRISIS", "I want to end my life"):
            assert "999" in said, said
            assert "116 123" in said, said
        elif "reply as soon as I can" in said:
            assert "999" in said, said


def _spool_empty(c: Cluster) -> bool:
    return not Spool(c.folder / "touchpoint-spool").waiting()


def test_sqlite_locked_past_the_busy_timeout(migrated_template: Path, tmp_path: Path) -> None:
    shutil.copyfile(migrated_template, tmp_path / "touchpoint.db")
    url = f"sqlite:///{tmp_path / 'touchpoint.db'}"
    with cluster(url, tmp_path) as c:
        c.enrol(3, first=0)
        _serve_with_short_busy_timeout(c)
        c.wait_healthy()
        with Traffic(c, first=0) as traffic:
            wait_for(lambda: len(traffic.answered()) >= 10, 30, "traffic")
            with write_lock(url):
                traffic.down.set()
                wait_for(lambda: len(traffic.answered(while_down=True)) >= 8, 30, "spooling")
                traffic.down.clear()
            wait_for(lambda: len(traffic.answered(while_down=False)) >= 20, 30, "recovery")
        wait_for(lambda: _spool_empty(c), 30, "serve to replay its spool")
        counts = _counts(c, traffic)
        print(f"SQLite locked: {counts}")
        _check_outage_answers(traffic)
        assert counts["lost"] == counts["doubled"] == counts["refused"] == 0, counts
        assert counts["stored"] == counts["answered"] == counts["sent"], counts
        _alerts_carry_the_original_times(c.db, traffic)


def _alerts_carry_the_original_times(db: Database, traffic: Traffic) -> None:
    crisis = [s.sid for s in traffic.answered(while_down=True) if s.body == "CRISIS"]
    with db.read() as session:
        rows = session.execute(
            select(Message.created_at, Alert.created_at)
            .join(Alert, Alert.message_id == Message.id)
            .where(Message.external_id.in_(crisis))
        ).all()
    assert rows, "no alert for the CRISIS messages spooled"
    assert all(received == alerted for received, alerted in rows)


@pytest.mark.postgres
def test_postgres_stopped_during_traffic(tmp_path: Path) -> None:
    with throwaway_postgres() as server, cluster(server.url, tmp_path) as c:
        c.enrol(3, first=0)
        c.serve()
        c.wait_healthy()
        with Traffic(c, first=0) as traffic:
            wait_for(lambda: len(traffic.answered()) >= 10, 30, "traffic")
            traffic.down.set()
            server.stop()
            wait_for(lambda: len(traffic.answered(while_down=True)) >= 8, 30, "spooling")
            server.start()
            traffic.down.clear()
            wait_for(lambda: len(traffic.answered(while_down=False)) >= 30, 60, "recovery")
        wait_for(lambda: _spool_empty(c), 30, "serve to replay its spool")
        counts = _counts(c, traffic)
        print(f"PostgreSQL stopped: {counts}")
        _check_outage_answers(traffic)
        assert counts["lost"] == counts["doubled"] == counts["refused"] == 0, counts
        assert counts["stored"] == counts["answered"] == counts["sent"], counts
        _alerts_carry_the_original_times(c.db, traffic)


def test_spool_replay_on_the_command_line(migrated_template: Path, tmp_path: Path) -> None:
    shutil.copyfile(migrated_template, tmp_path / "touchpoint.db")
    url = f"sqlite:///{tmp_path / 'touchpoint.db'}"
    received = datetime.now(UTC) - timedelta(hours=1)
    spool = Spool(tmp_path / "touchpoint-spool")
    for sid in ("SM1", "SM2", "SM1"):  # the provider sent SM1 twice
        spool.append(Spooled(Channel.SMS.value, PHONE, "CRISIS", sid, received))

    def run(database: str) -> subprocess.CompletedProcess[str]:
        with cluster(database, tmp_path) as c:
            return subprocess.run(
                [sys.executable, "-m", "bot", "spool", "replay"],
                cwd=tmp_path,
                env=c.env,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )

    down = run("sqlite:////nonexistent-folder/touchpoint.db")
    assert down.returncode == 1
    assert "database is unavailable" in down.stderr
    done = run(url)
    assert done.returncode == 0, done.stderr
    assert "Replayed 2 messages" in done.stdout
    db = Database(url)
    try:
        with db.read() as session:
            stored = list(session.scalars(select(Message).where(Message.direction == "in")))
        assert sorted(m.external_id for m in stored) == ["SM1", "SM2"]
        assert {m.created_at for m in stored} == {received}
    finally:
        db.dispose()
    assert not spool.waiting()
