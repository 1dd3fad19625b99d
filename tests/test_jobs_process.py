"""Workers as real processes: one killed with SIGKILL in the middle of a batch, and
PostgreSQL restarted under load. Nothing is lost, nothing is sent twice."""

from __future__ import annotations

import os
import shlex
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text

from store.models import Job, Message
from tests.schedule_processes import Cluster, cluster, phone, scheduled, wait_for

pytestmark = pytest.mark.slow

PEOPLE = 150


def _done(c: Cluster, ids: list[int]) -> int:
    return sum(1 for job in c.jobs(ids) if job.status == "done")


def _settled(c: Cluster) -> bool:
    with c.db.read() as session:
        busy = session.scalar(
            select(func.count()).where(
                Message.direction == "out", Message.status.in_(("queued", "sending"))
            )
        )
        running = session.scalar(select(func.count()).where(Job.status == "running"))
    return busy == 0 and running == 0


def _running_and_done(c: Cluster, ids: list[int]) -> tuple[int, int]:
    statuses = Counter(job.status for job in c.jobs(ids))
    return statuses["running"], statuses["done"]


@contextmanager
def _blocking_one_job(c: Cluster, ids: list[int]) -> Iterator[None]:
    """PostgreSQL: the 10th person locked, so the worker stops there, mid-batch, for sure.
    SQLite has no row locks; its worker is watched closely instead (jobs take ms each)."""
    if c.db.is_sqlite:
        yield
        return
    tenth = sorted(c.jobs(ids), key=lambda j: (j.due_at, j.id))[9].participant_id
    with c.db.engine.connect() as conn, conn.begin():
        conn.execute(text("SELECT id FROM participant WHERE id = :id FOR UPDATE"), {"id": tenth})
        yield


def test_a_worker_killed_mid_batch_loses_and_doubles_nothing(db_url: str, tmp_path: Path) -> None:
    with cluster(db_url, tmp_path) as c:
        ids = c.enrol(PEOPLE, **scheduled())
        c.due_now(ids)
        with _blocking_one_job(c, ids):
            first = c.worker("worker-1", "--lease", "4", "--batch", str(PEOPLE), "--lanes", "1")
            deadline = time.monotonic() + 60
            while True:
                running, done = _running_and_done(c, ids)
                if running and done >= 5:
                    first.kill()  # in the middle of its batch
                    break
                assert time.monotonic() < deadline, f"no batch under way\n{first.output()}"
                time.sleep(0.001)
        claimed = [j for j in c.jobs(ids) if j.status == "running"]
        assert claimed, "the kill did not land in the middle of a batch"
        second = c.worker("worker-2", "--lease", "4", "--batch", "20")
        wait_for(lambda: _done(c, ids) == PEOPLE, 60, f"the rest\n{second.output()}")
        wait_for(lambda: _settled(c), 60, "the outbox to empty")
        per_phone = Counter(sms.to for sms in c.twilio.sent)
        assert per_phone == Counter({phone(n): 1 for n in range(PEOPLE)})
        outcomes = Counter(j.outcome for j in c.jobs(ids) if j.status == "done")
        assert outcomes == Counter({"sent": PEOPLE})
        # The killed worker's claims were taken over after their lease, not before.
        taken_over = {x.id for x in claimed}
        assert all(j.attempts == 2 for j in c.jobs(ids) if j.id in taken_over)


# -- PostgreSQL restarted under load ---------------------------------------------------------


def _as_postgres() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _pg_ctl(*args: str) -> None:
    binary = os.environ["TOUCHPOINT_TEST_POSTGRES_BIN"]
    subprocess.run(
        [*_as_postgres(), f"{binary}/pg_ctl", *args], check=True, capture_output=True, timeout=60
    )


def _restart_options(data: str) -> str:
    """The options the server was started with (postmaster.opts), minus the data folder."""
    words = shlex.split(Path(data, "postmaster.opts").read_text())[1:]
    if "-D" in words:
        at = words.index("-D")
        del words[at : at + 2]
    return shlex.join(words)


@pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_postgres_restarted_under_load(db_url: str, tmp_path: Path) -> None:
    data = os.environ.get("TOUCHPOINT_TEST_POSTGRES_DATA")
    if not data or not os.environ.get("TOUCHPOINT_TEST_POSTGRES_BIN"):
        pytest.skip(
            "Restarting PostgreSQL needs the server scripts/test starts (it sets "
            "TOUCHPOINT_TEST_POSTGRES_BIN and TOUCHPOINT_TEST_POSTGRES_DATA)."
        )
    options = _restart_options(data)
    with cluster(db_url, tmp_path) as c:
        texters = c.enrol(10, first=0)
        late = c.enrol(5, first=100, **scheduled())
        c.serve()
        c.worker("worker", "--lease", "5")
        c.wait_healthy()
        port = c.ports[0]
        results: list[tuple[str, int]] = []
        stop = threading.Event()

        def load() -> None:
            n = 0
            with httpx.Client(timeout=15) as client:
                while not stop.is_set():
                    n += 1
                    sid = f"SM{n:032d}"
                    try:
                        status = c.text(client, port, phone(n % 10), "MENU", sid).status_code
                    except httpx.TransportError:
                        status = 0
                    results.append((sid, status))
                    time.sleep(0.02)

        loader = threading.Thread(target=load)
        loader.start()
        try:
            wait_for(lambda: sum(s == 200 for _, s in results) >= 20, 30, "load to start")
            _pg_ctl("-D", data, "-m", "fast", "-w", "stop")
            down_from = len(results)
            time.sleep(2)
            with httpx.Client(timeout=15) as client:
                assert client.get(f"http://127.0.0.1:{port}/healthz").status_code == 503
            down_to = len(results)
            _pg_ctl(
                "-D",
                data,
                "-l",
                str(Path(data).parent / "restart.log"),
                "-w",
                "-o",
                options,
                "start",
            )
            wait_for(
                lambda: any(s == 200 for _, s in results[down_to:]), 30, "webhooks to work again"
            )
        finally:
            stop.set()
            loader.join(30)
        while_down = [s for _, s in results[down_from + 1 : down_to]]
        assert while_down
        assert set(while_down) == {503}, Counter(while_down)
        assert 500 not in {s for _, s in results}
        assert 0 not in {s for _, s in results}  # no request dropped or timed out
        # What was acknowledged is stored once; what got 503 is not stored at all.
        with c.db.read() as session:
            stored = Counter(
                session.scalars(select(Message.external_id).where(Message.direction == "in"))
            )
        for sid, status in results:
            assert stored.get(sid, 0) == (1 if status == 200 else 0), (sid, status)
        # Twilio sends a 503'd message again: now it is taken, once.
        retry_sid = next(sid for sid, status in results if status == 503)
        with httpx.Client(timeout=15) as client:
            assert c.text(client, port, phone(1), "MENU", retry_sid).status_code == 200
            assert c.text(client, port, phone(1), "MENU", retry_sid).status_code == 200
        with c.db.read() as session:
            assert session.scalar(select(func.count()).where(Message.external_id == retry_sid)) == 1
        # The worker lived through it: check-ins due after the restart go out, once each.
        c.due_now(late)
        wait_for(lambda: len(c.twilio.sent) >= 5, 60, "the check-ins after the restart")
        wait_for(lambda: _settled(c), 60, "the outbox to empty")
        assert Counter(sms.to for sms in c.twilio.sent) == Counter(
            {phone(n): 1 for n in range(100, 105)}
        )
        assert texters
