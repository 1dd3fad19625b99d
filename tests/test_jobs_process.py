"""Workers as real processes: one killed with SIGKILL in the middle of a batch, and
PostgreSQL restarted under load. Nothing is lost, nothing is sent twice."""

from __future__ import annotations

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
from store.spool import Spool
from tests.postgres_server import throwaway_postgres
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


@pytest.mark.postgres
def test_postgres_restarted_under_load(tmp_path: Path) -> None:
    # A server of the test's own: stopping the one the rest of the suite uses would fail
    # whatever else runs on it at the time.
    with throwaway_postgres() as server, cluster(server.url, tmp_path) as c:
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
            server.stop()
            down_from = len(results)
            time.sleep(2)
            with httpx.Client(timeout=15) as client:
                assert client.get(f"http://127.0.0.1:{port}/healthz").status_code == 503
            down_to = len(results)
            server.start()
            wait_for(
                lambda: any(s == 200 for _, s in results[down_to:]), 30, "webhooks to work again"
            )
        finally:
            stop.set()
            loader.join(30)
        while_down = [s for _, s in results[down_from + 1 : down_to]]
        assert while_down
        # Kept in the spool and answered (docs/deployment.md); replayed once it is back.
        assert set(while_down) == {200}, Counter(while_down)
        assert {s for _, s in results} == {200}  # no 500, no request dropped or timed out
        spool = Spool(tmp_path / "touchpoint-spool")
        wait_for(lambda: not spool.waiting(), 30, "serve to replay its spool")
        with c.db.read() as session:
            stored = Counter(
                session.scalars(select(Message.external_id).where(Message.direction == "in"))
            )
        for sid, _status in results:
            assert stored.get(sid, 0) == 1, sid
        # Twilio sends a message again: it is taken once.
        again = results[down_from + 1][0]
        with httpx.Client(timeout=15) as client:
            assert c.text(client, port, phone(1), "MENU", again).status_code == 200
        with c.db.read() as session:
            assert session.scalar(select(func.count()).where(Message.external_id == again)) == 1
        # The worker lived through it: check-ins due after the restart go out, once each,
        # after the replies to what was spooled.
        c.due_now(late)
        wait_for(
            lambda: len([s for s in c.twilio.sent if s.to >= phone(100)]) >= 5,
            60,
            "the check-ins after the restart",
        )
        wait_for(lambda: _settled(c), 60, "the outbox to empty")
        assert Counter(s.to for s in c.twilio.sent if s.to >= phone(100)) == Counter(
            {phone(n): 1 for n in range(100, 105)}
        )
        assert texters
