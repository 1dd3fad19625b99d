"""Real `touchpoint serve` and `touchpoint worker` processes on one database, with the
fake Twilio, for the tests of workers that die, a database that restarts, and scale-out."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, update

from bot.assistant import load_service
from bot.channels.sms import INBOUND_PATH
from bot.enrolment import add_participant, get_or_create_team
from bot.fakes import process_env
from bot.fakes.twilio import FakeTwilio, sign
from bot.schedule import adjust
from bot.settings import PROJECT_ROOT
from store.db import Database
from store.models import Job
from tests.channel_helpers import ACCOUNT_SID, AUTH_TOKEN, TWILIO_NUMBER, sms_form

TEAM = "Riverside community mental health team"
PUBLIC_URL = "https://touchpoint.example.org"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def midday_zone(now: datetime) -> str:
    """A fixed-offset zone where it is about midday now, so a window of 10:00-14:00 is
    open and quiet hours are far away whenever the test runs."""
    offset = 12 - now.hour  # -11 .. 12
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def phone(n: int) -> str:
    return f"+4474009{n:05d}"


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)

    def kill(self) -> None:
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=10)


@dataclass
class Cluster:
    """Processes on one database, with the fake Twilio and a way to text them."""

    db_url: str
    folder: Path
    twilio: FakeTwilio
    db: Database
    processes: list[Process] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        twilio = self.twilio.client_settings(TWILIO_NUMBER)
        return process_env(self.db_url, TOUCHPOINT_PUBLIC_URL=PUBLIC_URL, **twilio)

    def _spawn(self, name: str, *args: str) -> Process:
        log = self.folder / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [sys.executable, "-m", "bot", *args],
                cwd=self.folder,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def serve(self, *extra: str) -> Process:
        port = free_port()
        self.ports.append(port)
        return self._spawn(f"serve-{port}", "serve", "--port", str(port), *extra)

    def worker(self, name: str, *extra: str) -> Process:
        return self._spawn(name, "worker", "--poll-interval", "0.2", *extra)

    def wait_healthy(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        for port, process in zip(
            self.ports, [p for p in self.processes if p.name.startswith("serve")], strict=True
        ):
            while True:
                assert process.popen.poll() is None, f"{process.name} exited:\n{process.output()}"
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, (
                    f"{process.name} not healthy:\n{process.output()}"
                )
                time.sleep(0.1)

    def text(
        self, client: httpx.Client, port: int, sender: str, body: str, sid: str
    ) -> httpx.Response:
        form = sms_form(body, sid, from_=sender)
        headers = {"X-Twilio-Signature": sign(AUTH_TOKEN, PUBLIC_URL + INBOUND_PATH, form)}
        return client.post(f"http://127.0.0.1:{port}{INBOUND_PATH}", data=form, headers=headers)

    def enrol(self, count: int, *, first: int = 0, **change: Any) -> list[int]:
        """`count` onboarded people with SMS numbers phone(first..); with `change`, a schedule."""
        service = load_service(PROJECT_ROOT / "dialogs")
        now = datetime.now(UTC)
        ids = []
        with self.db.write() as session:
            team = get_or_create_team(session, TEAM, service)
            for n in range(first, first + count):
                person = add_participant(session, name=f"P{n}", team=team, now=now, phone=phone(n))
                person.consented_at = person.onboarded_at = now
                ids.append(person.id)
        if change:
            with self.db.write() as session:
                for pid in ids:
                    adjust.apply(session, pid, adjust.Change(**change), now, actor="test")
        return ids

    def due_now(self, ids: list[int]) -> None:
        """Their planned check-ins, due now (each still in its own window)."""
        with self.db.write() as session:
            session.execute(
                update(Job)
                .where(Job.participant_id.in_(ids), Job.status == "pending")
                .values(due_at=datetime.now(UTC) - timedelta(seconds=1))
            )

    def jobs(self, ids: list[int], kind: str = "check_in") -> list[Job]:
        with self.db.read() as session:
            return list(
                session.scalars(
                    select(Job)
                    .where(Job.participant_id.in_(ids), Job.kind == kind)
                    .order_by(Job.id)
                )
            )


def scheduled(now: datetime | None = None) -> dict[str, Any]:
    """A daily check-in whose window is open now, wherever the test runs."""
    return {
        "every_days": 1,
        "window": (clock_time(10), clock_time(14)),
        "timezone": midday_zone(now or datetime.now(UTC)),
    }


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@contextmanager
def cluster(db_url: str, folder: Path) -> Iterator[Cluster]:
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as twilio:
        db = Database(db_url)
        c = Cluster(db_url, folder, twilio, db)
        try:
            yield c
        finally:
            for process in c.processes:
                process.stop()
            db.dispose()
