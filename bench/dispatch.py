"""Dispatching due check-ins: 10,000 people whose check-in is due now, `touchpoint
worker` processes running them (start the check-in dialog, queue its question) and
sending them to the fake Twilio server. Reports messages per second with one worker and
with two, and the time until the first message reaches Twilio.

    python -m bench.dispatch                     # a throwaway PostgreSQL cluster, 10,000
    python -m bench.dispatch --postgres-url postgresql+psycopg://user@host/postgres
    python -m bench.dispatch --messages 500 --workers 1 2 --sqlite   # a quick look

Not a test: the figures depend on the machine. See docs/scheduling.md for a run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from datetime import time as wall
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, insert, select
from sqlalchemy.engine import make_url

from bot.assistant import load_service
from bot.enrolment import get_or_create_team
from bot.fakes import process_env
from bot.fakes.twilio import FakeTwilio
from bot.schedule.local import Quiet, today, zone
from bot.schedule.plan import Person
from bot.schedule.rhythm import Rhythm
from bot.settings import PROJECT_ROOT
from store.db import Database, upgrade
from store.models import ChannelIdentity, Job, Message, Participant, Schedule

ACCOUNT_SID = "AC" + "5" * 32
AUTH_TOKEN = "b" * 32
FROM = "+447700900777"
PUBLIC_URL = "https://touchpoint.example.org"
PHONE_BASE = 447500000000
CHUNK = 2000


@dataclass
class Run:
    workers: int
    messages: int
    seconds: float  # first message to last
    rate: float  # messages per second over that time
    first_after_s: float  # from starting the worker processes to the first message
    first_after_ready_s: float  # from the first worker being ready (started, connected)
    all_after_s: float  # from starting them to the last
    jobs_rate: float  # check-ins run (dialog started, question queued) per second
    sent_once: bool
    # CPU time per message (ms): the workers, PostgreSQL's processes, this process (the
    # fake Twilio server); their sum bounds what the machine's CPUs can do.
    cpu_ms_workers: float = 0.0
    cpu_ms_database: float = 0.0
    cpu_ms_fake_twilio: float = 0.0


def midday_zone(now: datetime) -> str:
    offset = 12 - now.hour
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def populate(url: str, count: int) -> None:
    """`count` onboarded people with an SMS number, a daily rhythm whose window is open
    now, and a check-in job due now: written in bulk, as a sweep would have planned them."""
    now = datetime.now(UTC)
    tz = midday_zone(now)
    rhythm = Rhythm(every_days=1, window_start=wall(10), window_end=wall(14))
    db = Database(url)
    try:
        with db.write() as session:
            team = get_or_create_team(
                session, "Benchmark team", load_service(PROJECT_ROOT / "dialogs")
            )
            team_id = team.id
        for start in range(0, count, CHUNK):
            size = min(CHUNK, count - start)
            with db.write() as session:
                rows = [
                    {
                        "team_id": team_id,
                        "display_name": f"Person {start + i}",
                        "timezone": tz,
                        "consented_at": now,
                        "onboarded_at": now,
                        "created_at": now,
                    }
                    for i in range(size)
                ]
                ids = list(session.scalars(insert(Participant).returning(Participant.id), rows))
                session.execute(
                    insert(ChannelIdentity),
                    [
                        {
                            "participant_id": pid,
                            "channel": "sms",
                            "address": f"+{PHONE_BASE + start + i}",
                            "verified_at": now,
                            "created_at": now,
                        }
                        for i, pid in enumerate(ids)
                    ],
                )
                session.execute(
                    insert(Schedule),
                    [
                        {
                            "participant_id": pid,
                            "every_days": 1,
                            "window_start": "10:00",
                            "window_end": "14:00",
                            "daily_cap": 2,
                            "created_at": now,
                            "updated_at": now,
                            "updated_by": "bench",
                        }
                        for pid in ids
                    ],
                )
                jobs = []
                for pid in ids:
                    person = Person(
                        id=pid,
                        zone=zone(tz),
                        quiet=Quiet.parse("21:00", "09:00"),
                        status="active",
                        onboarded=True,
                        paused_at=None,
                        next_appointment=None,
                        rhythm=rhythm,
                    )
                    day = today(now, person.zone)
                    jobs.append(
                        {
                            "kind": "check_in",
                            "participant_id": pid,
                            "key": f"check_in:{pid}:{day}",
                            "status": "pending",
                            "due_at": now,
                            "basis": person.basis(),
                            "for_date": day,
                            "attempts": 0,
                            "planned_at": now,
                            "created_at": now,
                        }
                    )
                session.execute(insert(Job), jobs)
    finally:
        db.dispose()


def _worker_env(url: str, twilio: FakeTwilio) -> dict[str, str]:
    return process_env(url, TOUCHPOINT_PUBLIC_URL=PUBLIC_URL, **twilio.client_settings(FROM))


def run(
    url: str,
    count: int,
    workers: int,
    folder: Path,
    timeout: float,
    worker_args: list[str],
    latency: float = 0.0,
) -> Run:
    upgrade(url)
    populate(url, count)
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as twilio:
        if latency:
            twilio.hang_next(count * 2, seconds=latency)  # Twilio's own time per request
        env = _worker_env(url, twilio)
        processes = []
        database_cpu, own_cpu = _cpu_of(_postgres_pids()), time.process_time()
        started = time.monotonic()
        for n in range(workers):
            log = (folder / f"worker-{workers}-{n}.log").open("wb")
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "bot", "worker", "--poll-interval", "0.1", *worker_args],
                    env=env,
                    cwd=folder,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
            log.close()
        try:
            twilio.wait_for_sent(1, timeout=timeout)
            first, first_wall = time.monotonic(), time.time()
            twilio.wait_for_sent(count, timeout=timeout)
            last = time.monotonic()
            workers_cpu = _cpu_of([p.pid for p in processes])
            database_cpu = _cpu_of(_postgres_pids()) - database_cpu
            own_cpu = time.process_time() - own_cpu
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=30)
        per_number = Counter(sms.to for sms in twilio.sent)
    jobs_rate = _jobs_rate(url)
    return Run(
        workers=workers,
        messages=count,
        seconds=round(last - first, 2),
        rate=round(count / max(last - first, 1e-9), 1),
        first_after_s=round(first - started, 2),
        first_after_ready_s=round(first_wall - _ready_at(folder, workers), 2),
        all_after_s=round(last - started, 2),
        jobs_rate=jobs_rate,
        sent_once=len(per_number) == count and set(per_number.values()) == {1},
        cpu_ms_workers=round(workers_cpu / count * 1000, 2),
        cpu_ms_database=round(database_cpu / count * 1000, 2),
        cpu_ms_fake_twilio=round(own_cpu / count * 1000, 2),
    )


def _postgres_pids() -> list[int]:
    """Every PostgreSQL server process on this machine (SQLite: none)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/comm"):
        try:
            if stat.read_text().strip() == "postgres":
                pids.append(int(stat.parent.name))
        except OSError:
            continue
    return pids


def _cpu_of(pids: list[int]) -> float:
    """User and system CPU seconds the processes have used so far (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def _ready_at(folder: Path, workers: int) -> float:
    """When the first worker said it had started (its log's clock, as a timestamp)."""
    times = []
    for log in folder.glob(f"worker-{workers}-*.log"):
        for line in log.read_text(errors="replace").splitlines():
            if " bot.worker worker " in line and " started" in line:
                stamp = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
                times.append(stamp.timestamp())
                break
    return min(times) if times else float("nan")


def _jobs_rate(url: str) -> float:
    db = Database(url)
    try:
        with db.read() as session:
            first, last, done = session.execute(
                select(func.min(Job.done_at), func.max(Job.done_at), func.count()).where(
                    Job.status == "done"
                )
            ).one()
            queued = session.scalar(
                select(func.count()).where(Message.status.in_(("queued", "sending")))
            )
        assert queued == 0, f"{queued} messages still in the outbox"
        span = (last - first).total_seconds() if first and last else 0
        return round(done / span, 1) if span else 0.0
    finally:
        db.dispose()


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A PostgreSQL cluster in a temporary folder (Debian's binaries), like scripts/test's."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        raise SystemExit("PostgreSQL is not installed: give --postgres-url, or use --sqlite.")
    binaries = found[-1].parent
    folder = Path(tempfile.mkdtemp(prefix="touchpoint-bench-pg."))
    as_pg: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        as_pg = ["runuser", "-u", "postgres", "--"]
    port = "54349"
    data = str(folder / "data")
    subprocess.run(
        [*as_pg, str(binaries / "initdb"), "-D", data, "-U", "touchpoint", "--auth=trust"],
        check=True,
        capture_output=True,
    )
    options = (
        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=200 "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    subprocess.run(
        [*as_pg, str(binaries / "pg_ctl"), "-D", data, "-l", str(folder / "log"), "-w",
         "-o", options, "start"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    try:
        yield f"postgresql+psycopg://touchpoint@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_pg, str(binaries / "pg_ctl"), "-D", data, "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def fresh_database(server: str | None, folder: Path) -> Iterator[str]:
    if server is None:
        yield f"sqlite:///{folder / f'dispatch-{uuid.uuid4().hex[:8]}.db'}"
        return
    name = f"tp_dispatch_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dispatch", description=__doc__)
    parser.add_argument("--messages", type=int, default=10_000, help="due check-ins")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts")
    parser.add_argument("--postgres-url", help="a server to create databases on")
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead (one machine)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per run, at most")
    parser.add_argument("--lanes", type=int, default=2, help="each worker's outbox lanes")
    parser.add_argument("--batch", type=int, default=50, help="jobs a worker claims at once")
    parser.add_argument(
        "--twilio-latency",
        type=float,
        default=0.0,
        help="seconds the fake Twilio takes per request (the real one: 0.1 to 0.3)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--keep-logs", type=Path, help="copy the workers' logs to this folder")
    args = parser.parse_args(argv)
    results: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="touchpoint-dispatch.") as tmp:
        folder = Path(tmp)
        with _server(args.postgres_url, args.sqlite) as server:
            engine = "SQLite" if server is None else "PostgreSQL"
            latency = (
                f", Twilio answering in {args.twilio_latency * 1000:.0f} ms"
                if args.twilio_latency
                else ""
            )
            print(
                f"Dispatching {args.messages:,} due check-ins on {engine}, "
                f"{os.cpu_count()} CPUs{latency}"
            )
            for workers in args.workers:
                with fresh_database(server, folder) as url:
                    extra = ["--lanes", str(args.lanes), "--batch", str(args.batch)]
                    result = run(
                        url,
                        args.messages,
                        workers,
                        folder,
                        args.timeout,
                        extra,
                        args.twilio_latency,
                    )
                results.append(result)
                if args.keep_logs is not None:
                    args.keep_logs.mkdir(parents=True, exist_ok=True)
                    for log in folder.glob(f"worker-{workers}-*.log"):
                        shutil.copy(log, args.keep_logs / log.name)
                print(
                    f"  {workers} worker{'s' if workers > 1 else ' '}: {result.rate:8.1f} msgs/s "
                    f"({result.seconds:.1f} s first to last; check-ins run "
                    f"{result.jobs_rate:.1f}/s); first message {result.first_after_ready_s:.2f} s "
                    f"after the worker was ready ({result.first_after_s:.2f} s after it was "
                    "started); "
                    f"each sent once: {'yes' if result.sent_once else 'NO'}",
                    flush=True,
                )
                cpu = (result.cpu_ms_workers, result.cpu_ms_database, result.cpu_ms_fake_twilio)
                print(
                    f"             CPU per message: workers {cpu[0]:.1f} ms, database "
                    f"{cpu[1]:.1f} ms, fake Twilio {cpu[2]:.1f} ms: at most "
                    f"{1000 * (os.cpu_count() or 1) / max(sum(cpu), 1e-9):.0f} msgs/s on "
                    f"{os.cpu_count()} CPUs",
                    flush=True,
                )
    if len(results) >= 2 and results[0].workers == 1:
        print(
            f"  ratio {results[-1].workers} workers / 1: {results[-1].rate / results[0].rate:.2f}"
        )
    if args.json is not None:
        payload: dict[str, Any] = {"engine": engine, "runs": [asdict(r) for r in results]}
        args.json.write_text(json.dumps(payload, indent=2))
    return 0 if all(r.sent_once for r in results) else 1


@contextmanager
def _server(url: str | None, sqlite: bool) -> Iterator[str | None]:
    if sqlite:
        yield None
    elif url is not None:
        yield url
    else:
        with throwaway_postgres() as started:
            yield started


if __name__ == "__main__":
    sys.exit(main())
