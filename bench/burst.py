"""A delivery burst: `count` messages queued at once (a morning's check-ins), one
`touchpoint worker` sending them to the fake Twilio server (keep-alive, as Twilio's API
is), the worker's CPU per message read by slice of the backlog; meanwhile a `touchpoint
serve` process answers CRISIS texts and a team lead pages back through the audit log.
The CRISIS figure is the server's own histogram (touchpoint_crisis_reply_latency_seconds).

Run by bench.admin; on SQLite, and on PostgreSQL when given a server.
"""

from __future__ import annotations

import secrets
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert
from sqlalchemy.engine import make_url

from bench.servers import HOST, Server, free_port, python_module
from bot.admin import sessions
from bot.assistant import load_service
from bot.enrolment import add_participant, get_or_create_team
from bot.fakes import process_env
from bot.fakes.twilio import FakeTwilio, sign
from bot.settings import PROJECT_ROOT
from store.db import Database, upgrade
from store.models import AdminSession, AuditEvent, Message, Practitioner

ACCOUNT_SID, AUTH_TOKEN, FROM = "AC" + "7" * 32, "c" * 32, "+447700900111"
PUBLIC_URL = "https://touchpoint.example.org"
METRICS_TOKEN = secrets.token_urlsafe(24)
PEOPLE = 20  # who text CRISIS during the burst
SLICES = 5
LEAD_TOKEN = "bench-burst-lead"  # noqa: S105 - a throwaway database's session
CRISIS_LIMIT_MS = 25.0


@dataclass(frozen=True)
class Slice:
    backlog: int  # queued when the slice began
    messages: int
    cpu_ms_per_message: float
    rate: float  # messages per second


@dataclass(frozen=True)
class Burst:
    database: str
    messages: int
    seconds: float
    rate: float
    slices: list[Slice]
    crisis_count: int
    crisis_p50_ms: float | None  # the bucket bound the median fell under
    crisis_p99_ms: float | None  # the bucket bound the 99th percentile fell under
    crisis_within_25ms: float | None  # the share of CRISIS replies within 25 ms
    audit_pages: int


def prepare(url: str, count: int) -> None:
    """People who may text CRISIS, a team lead signed in, 200,000 audit events, and
    `count` messages queued to as many numbers."""
    upgrade(url)
    db = Database(url)
    now = datetime.now(UTC)
    service = load_service(PROJECT_ROOT / "dialogs")
    try:
        with db.write() as session:
            team = get_or_create_team(session, "Burst team", service)
            team.crisis_line_name, team.crisis_line_number = "Burst crisis line", "0800 111 2222"
            lead = Practitioner(
                name="Lee Lead", email="lead@burst.example", team=team, role="team_lead"
            )
            session.add(lead)
            session.flush()
            for n in range(PEOPLE):
                person = add_participant(
                    session, name=f"Person {n}", team=team, now=now, phone=_phone(n)
                )
                person.consented_at = person.onboarded_at = now
            session.add(
                AdminSession(
                    token_hash=sessions.digest(LEAD_TOKEN),
                    practitioner_id=lead.id,
                    stage=sessions.OK,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + timedelta(days=1),
                )
            )
            actor = f"practitioner:{lead.id}"
        events = [
            {"at": now, "actor": actor, "action": "participant.view", "record_type": "participant",
             "record_id": 1 + e % PEOPLE, "address": "10.0.0.1", "detail": {}}
            for e in range(200_000)
        ]  # fmt: skip
        queued = [
            {"channel": "sms", "address": f"+4475{n:08d}", "direction": "out",
             "body": "Hello, it's Touchpoint. How have things been since we last spoke? "
             "A number from 0 (very hard) to 10 (really good).",
             "status": "queued", "attempts": 0, "next_attempt_at": now, "created_at": now,
             "updated_at": now}
            for n in range(count)
        ]  # fmt: skip
        with db.write() as session:
            session.execute(insert(AuditEvent), events)
            session.execute(insert(Message), queued)
        if not db.is_sqlite:
            # What autovacuum would have done by the time a morning's check-ins go out.
            with db.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
                conn.commit()
    finally:
        db.dispose()


def _phone(n: int) -> str:
    return f"+4474009{n:05d}"


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks


def run(url: str, count: int, folder: Path, say: Callable[[str], None]) -> Burst:
    prepare(url, count)
    stop = threading.Event()
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN, keep_alive=True) as twilio:
        env = process_env(
            url,
            TOUCHPOINT_PUBLIC_URL=PUBLIC_URL,
            TOUCHPOINT_METRICS_TOKEN=METRICS_TOKEN,
            **twilio.client_settings(FROM),
        )
        port = free_port()
        serve = Server(
            "serve",
            python_module("bot", "serve", "--host", HOST, "--port", str(port)),
            port=port,
            env=env,
            cwd=folder,
            log=folder / "serve.log",
        )
        with serve:
            before = _crisis_histogram(serve.url)
            texts = threading.Thread(target=_crisis_texts, args=(serve.url, stop), daemon=True)
            pages: list[int] = [0]
            reader = threading.Thread(target=_page_audit, args=(serve.url, stop, pages))
            with (folder / "worker.log").open("ab") as log:
                worker = subprocess.Popen(
                    python_module("bot", "worker", "--poll-interval", "0.1"),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=folder,
                )
            try:
                texts.start()
                reader.start()
                # From the first message sent: the worker's start-up is not delivery.
                while not twilio.sent and worker.poll() is None:
                    time.sleep(0.05)
                samples = [(time.monotonic(), len(twilio.sent), _cpu_s(worker.pid))]
                deadline = time.monotonic() + 1800
                while len(twilio.sent) < count and worker.poll() is None:
                    time.sleep(0.25)
                    samples.append((time.monotonic(), len(twilio.sent), _cpu_s(worker.pid)))
                    if time.monotonic() > deadline:
                        break
            finally:
                stop.set()
                worker.send_signal(signal.SIGINT)
                worker.wait(timeout=30)
                texts.join()
                reader.join()
            after = _crisis_histogram(serve.url)
    observed = {k: v - before.get(k, 0) for k, v in after.items()} if after else {}
    total = observed.get(float("inf"), 0)

    def bound(q: float) -> float | None:
        return next((b * 1000 for b in sorted(observed) if observed[b] >= q * total), None)

    within = observed.get(CRISIS_LIMIT_MS / 1000)
    first = next((s for s in samples if s[1] > 0), samples[0])
    last = samples[-1]
    seconds = last[0] - first[0]
    return Burst(
        database=make_url(url).get_backend_name(),
        messages=last[1],
        seconds=round(seconds, 1),
        rate=round(last[1] / max(seconds, 1e-9), 1),
        slices=_slices(samples, count),
        crisis_count=int(total),
        crisis_p50_ms=bound(0.5) if total else None,
        crisis_p99_ms=bound(0.99) if total else None,
        crisis_within_25ms=round(within / total, 3) if total and within is not None else None,
        audit_pages=pages[0],
    )


def _slices(samples: list[tuple[float, int, float]], count: int) -> list[Slice]:
    found = []
    size = max(1, count // SLICES)
    for k in range(SLICES):
        inside = [s for s in samples if k * size <= s[1] <= (k + 1) * size]
        if len(inside) < 2:
            continue
        (t0, n0, c0), (t1, n1, c1) = inside[0], inside[-1]
        if n1 == n0:
            continue
        found.append(
            Slice(
                backlog=count - n0,
                messages=n1 - n0,
                cpu_ms_per_message=round((c1 - c0) / (n1 - n0) * 1000, 2),
                rate=round((n1 - n0) / max(t1 - t0, 1e-9), 1),
            )
        )
    return found


def _crisis_texts(url: str, stop: threading.Event) -> None:
    """Five CRISIS texts a second, from enrolled people in turn."""
    n = 0
    while not stop.wait(0.2):
        form = {
            "MessageSid": "SM" + uuid.uuid4().hex,
            "AccountSid": ACCOUNT_SID,
            "From": _phone(n % PEOPLE),
            "To": FROM,
            "Body": "CRISIS",
            "NumMedia": "0",
        }
        target = PUBLIC_URL + "/webhooks/twilio/sms"
        request = urllib.request.Request(  # noqa: S310 - our own server
            url + "/webhooks/twilio/sms",
            data=urllib.parse.urlencode(form).encode(),
            headers={"X-Twilio-Signature": sign(AUTH_TOKEN, target, form)},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                response.read()
        except OSError:
            pass
        n += 1


def _page_audit(url: str, stop: threading.Event, pages: list[int]) -> None:
    """A team lead reading back through the audit log, a page a second."""
    before = ""
    while not stop.wait(1.0):
        request = urllib.request.Request(  # noqa: S310 - our own server
            f"{url}/admin/audit{before}", headers={"Cookie": f"tp_session={LEAD_TOKEN}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                body = response.read().decode()
            pages[0] += 1
            marker = 'rel="next"'
            if marker in body:
                link = body.split(marker)[0].rsplit('href="', 1)[1].split('"', 1)[0]
                before = "?" + link.split("?", 1)[1].replace("&amp;", "&")
            else:
                before = ""
        except OSError:
            pass


def _crisis_histogram(url: str) -> dict[float, float]:
    scrape = urllib.request.Request(  # noqa: S310 - our own server
        url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    with urllib.request.urlopen(scrape, timeout=5) as response:  # noqa: S310
        text = response.read().decode()
    buckets: dict[float, float] = {}
    prefix = "touchpoint_crisis_reply_latency_seconds_bucket{"
    for line in text.splitlines():
        if line.startswith(prefix) and 'channel="sms"' in line:
            labels, value = line[len(prefix) :].split("} ")
            bound = float(labels.split('le="', 1)[1].split('"', 1)[0])
            buckets[bound] = buckets.get(bound, 0) + float(value)
    return buckets


def render(result: Burst) -> str:
    lines = [
        f"DELIVERY BURST on {result.database}: {result.messages:,} messages in "
        f"{result.seconds:.0f}s, {result.rate:.0f} msgs/s "
        f"({'ok' if result.rate >= 250 else 'MISSED'} >= 250)",
        f"  {'backlog':>9} {'messages':>9} {'worker CPU ms/msg':>18} {'msgs/s':>8}",
    ]
    for s in result.slices:
        mark = "ok" if s.cpu_ms_per_message <= 3 else "MISSED"
        lines.append(
            f"  {s.backlog:>9,} {s.messages:>9,} {s.cpu_ms_per_message:>15.2f} {mark:<3}"
            f"{s.rate:>7.0f}"
        )
    p99 = "n/a" if result.crisis_p99_ms is None else f"<= {result.crisis_p99_ms:g} ms"
    if result.crisis_within_25ms is not None:
        p99 += (
            f" (p50 <= {result.crisis_p50_ms:g} ms, {result.crisis_within_25ms:.0%} within 25 ms)"
        )
    fast = result.crisis_p99_ms is not None and result.crisis_p99_ms <= CRISIS_LIMIT_MS
    lines.append(
        f"  CRISIS during the burst, server-side p99 {p99} over {result.crisis_count} "
        f"replies ({'ok' if fast else 'MISSED'} < 25 ms), while a lead read "
        f"{result.audit_pages} audit log pages"
    )
    return "\n".join(lines)


def main_part(count: int, postgres_url: str | None, say: Callable[[str], None]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="touchpoint-burst-") as tmp:
        folder = Path(tmp)
        result = run(f"sqlite:///{folder / 'burst.db'}", count, folder, say)
        say(render(result))
        out["sqlite"] = asdict(result)
        if postgres_url:
            name = f"tp_burst_{uuid.uuid4().hex[:8]}"
            server = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
            with server.connect() as conn:
                conn.exec_driver_sql(f"CREATE DATABASE {name}")
            try:
                url = make_url(postgres_url).set(database=name).render_as_string(False)
                result = run(url, count, folder, say)
                say(render(result))
                out["postgresql"] = asdict(result)
            finally:
                with server.connect() as conn:
                    conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                server.dispose()
    return out
