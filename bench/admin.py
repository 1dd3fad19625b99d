"""The admin pages at a trust's scale: a small and a big database (bench.populate) served
side by side, requests alternated, p50/p95 of every page in every role and the big/small
ratio; then a delivery burst (bench.burst).

    python -m bench.admin                        # makes both databases, then measures
    python -m bench.admin --big /tmp/big.db --small /tmp/small.db --requests 30
    python -m bench.admin --quick                # a tiny run, for the smoke test

Targets (issue 15): every page <= 150 ms at the p95 on the big database and <= 3x its
time on the small one. Not a test: the figures depend on the machine. See
docs/performance.md for a run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from sqlalchemy import func, select, update
from starlette.applications import Starlette
from starlette.routing import Mount

from bench import burst
from bench.dispatch import throwaway_postgres
from bench.populate import populate
from bot.admin import sessions
from bot.admin.app import build_admin
from bot.assistant import Assistant
from bot.settings import Settings
from store.db import Database
from store.models import AdminSession, AuditEvent, Participant, Practitioner

P95_MS, RATIO = 150.0, 3.0
# Practitioner 1 (its caseload: participants 400, 800, ...), the lead of team 1 (where
# participant 400 is) and an administrator; participant 400 has a care plan, version 1.
STAFF = {
    "practitioner": (1, "practitioner"),
    "team lead": (25, "team_lead"),
    "admin": (3, "admin"),
}
PERSON, KIND = 400, "care"
TOKEN = "bench-admin-session-"  # noqa: S105 - a throwaway database's session


@dataclass(frozen=True)
class Figure:
    role: str
    page: str
    small: tuple[float, float]  # p50, p95 in ms
    big: tuple[float, float]

    @property
    def ratio(self) -> float:
        return self.big[1] / max(self.small[1], 0.001)

    @property
    def ok(self) -> bool:
        return self.big[1] <= P95_MS and self.ratio <= RATIO


def sign_in_staff(path: Path) -> None:
    """Give three practitioners their roles and a session each (token: TOKEN + role)."""
    db = Database(f"sqlite:///{path}")
    now = datetime.now(UTC)
    try:
        with db.write() as session:
            for role, (pid, kind) in STAFF.items():
                session.execute(
                    update(Practitioner).where(Practitioner.id == pid).values(role=kind)
                )
                token = TOKEN + role.replace(" ", "-")
                found = session.scalar(
                    select(AdminSession).where(AdminSession.token_hash == sessions.digest(token))
                )
                if found is None:
                    session.add(
                        AdminSession(
                            token_hash=sessions.digest(token),
                            practitioner_id=pid,
                            stage=sessions.OK,
                            created_at=now,
                            last_seen_at=now,
                            expires_at=now + timedelta(days=3650),
                        )
                    )
                else:
                    found.last_seen_at = now
    finally:
        db.dispose()


def pages(path: Path, role: str) -> dict[str, str]:
    """What each role opens, with records of this database: a deep page of the caseload
    starts after the last person in their scope, an older page of the audit log in the
    middle of it."""
    db = Database(f"sqlite:///{path}")
    try:
        with db.read() as session:
            pid, kind = STAFF[role]
            team = session.scalar(select(Practitioner.team_id).where(Practitioner.id == pid))
            scope = {
                "practitioner": Participant.practitioner_id == pid,
                "team_lead": Participant.team_id == team,
                "admin": Participant.id.is_not(None),
            }[kind]
            last = session.scalar(
                select(Participant.id).where(scope).order_by(Participant.name_key.desc()).limit(1)
            )
            newest = session.scalar(select(func.max(AuditEvent.id))) or 0
    finally:
        db.dispose()
    plan = f"/participants/{PERSON}/plans/{KIND}"
    found = {
        "dashboard": "/",
        "caseload": "/participants",
        "caseload by name": "/participants?sort=name",
        "caseload, a late page": f"/participants?sort=name&after={last}",
        "caseload, quietest": "/participants?sort=quiet",
        "caseload search": "/participants?q=person+4&sort=name",
        "alerts": "/alerts",
        "participant": f"/participants/{PERSON}",
        "plan versions": plan,
        "review": f"{plan}/review",
        "version": f"{plan}/versions/1",
        "FHIR": f"{plan}/versions/1/fhir",
        "print": f"{plan}/versions/1/print",
    }
    if kind != "practitioner":
        found |= {
            "audit log": "/audit",
            "audit log, by actor": f"/audit?actor=practitioner:{pid}",
            "audit log, older": f"/audit?before={newest // 2}",
            "appointments report": "/reports/appointments",
        }
    return found


class _Portal(httpx.BaseTransport):
    """The ASGI app behind a synchronous client: each request on one event loop in a
    background thread, as a server runs it."""

    def __init__(self, app: Starlette, portal: BlockingPortal) -> None:
        self.asgi = httpx.ASGITransport(app=app)
        self.portal = portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        return self.portal.call(self._send, request)

    async def _send(self, request: httpx.Request) -> httpx.Response:
        response = await self.asgi.handle_async_request(request)
        body = await response.aread()
        return httpx.Response(response.status_code, headers=response.headers, content=body)


@contextmanager
def served(path: Path) -> Iterator[dict[str, httpx.Client]]:
    """The admin app on this database, and a signed-in client for each role."""
    url = f"sqlite:///{path}"
    settings = Settings(database_url=url, public_url="http://testserver")
    db = Database(url)

    def clock() -> datetime:
        return datetime.now(UTC)

    admin = build_admin(
        settings=settings, db=db, assistant=Assistant(settings, db, clock), clock=clock
    )
    app = Starlette(routes=[Mount("/admin", app=admin)])
    with ExitStack() as stack:
        portal = stack.enter_context(start_blocking_portal())
        clients = {}
        for role in STAFF:
            client = httpx.Client(transport=_Portal(app, portal), base_url="http://testserver")
            stack.enter_context(client)
            client.cookies.set("tp_session", TOKEN + role.replace(" ", "-"))
            clients[role] = client
        try:
            yield clients
        finally:
            db.dispose()


def _ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return round(statistics.median(ordered), 1), round(p95, 1)


def measure(small: Path, big: Path, requests: int) -> list[Figure]:
    figures = []
    with served(small) as on_small, served(big) as on_big:
        for role in STAFF:
            paths = {"small": pages(small, role), "big": pages(big, role)}
            for page in paths["small"]:
                times: dict[str, list[float]] = {"small": [], "big": []}
                for n in range(requests + 2):  # two to warm up
                    for name, clients in (("small", on_small), ("big", on_big)):
                        started = time.perf_counter()
                        response = clients[role].get("/admin" + paths[name][page])
                        took = (time.perf_counter() - started) * 1000
                        if response.status_code != 200:
                            raise RuntimeError(f"{role} {page} ({name}): {response.status_code}")
                        if n >= 2:
                            times[name].append(took)
                figures.append(Figure(role, page, _ms(times["small"]), _ms(times["big"])))
    return figures


def render(figures: list[Figure]) -> str:
    lines = [
        f"{'role':<13}{'page':<24}{'small p50/p95':>16}{'big p50/p95':>16}{'ratio':>8}",
    ]
    for f in figures:
        lines.append(
            f"{f.role:<13}{f.page:<24}{f.small[0]:>8.1f}/{f.small[1]:<7.1f}"
            f"{f.big[0]:>8.1f}/{f.big[1]:<7.1f}{f.ratio:>7.1f}x {'ok' if f.ok else 'MISSED'}"
        )
    missed = [f for f in figures if not f.ok]
    lines.append(
        f"{len(figures) - len(missed)} of {len(figures)} pages within {P95_MS:.0f} ms at the "
        f"p95 and {RATIO:.0f}x the small database"
    )
    return "\n".join(lines)


def make(path: Path, participants: int, messages: int, audit: int) -> None:
    if not path.exists():
        started = time.perf_counter()
        print(f"populating {path} ({participants:,} people, {messages:,} messages) ...")
        populate(path, participants, messages, audit=audit)
        print(f"  done in {time.perf_counter() - started:.0f}s")
    sign_in_staff(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.admin", description=__doc__)
    parser.add_argument("--small", type=Path, default=Path("bench-small.db"))
    parser.add_argument("--big", type=Path, default=Path("bench-big.db"))
    parser.add_argument("--big-participants", type=int, default=100_000)
    parser.add_argument("--big-messages", type=int, default=5_000_000)
    parser.add_argument("--big-audit-events", type=int, default=10_000_000)
    parser.add_argument("--requests", type=int, default=30, help="per page, role and database")
    parser.add_argument("--burst", type=int, default=20_000, help="messages (0: no burst)")
    parser.add_argument("--postgres-url", help="also run the burst on this server")
    parser.add_argument(
        "--postgres", action="store_true", help="also run the burst on a throwaway server"
    )
    parser.add_argument("--quick", action="store_true", help="tiny databases and few requests")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.quick:
        sizes = {"small": (800, 4_000, 2_000), "big": (1_600, 8_000, 4_000)}
        args.requests, args.burst = 2, min(args.burst, 300)
    else:
        sizes = {
            "small": (1_000, 50_000, 100_000),
            "big": (args.big_participants, args.big_messages, args.big_audit_events),
        }
    make(args.small, *sizes["small"])
    make(args.big, *sizes["big"])
    figures = measure(args.small, args.big, args.requests)
    print("ADMIN PAGES (ms)")
    print(render(figures))
    results: dict[str, Any] = {"pages": [f.__dict__ | {"ratio": f.ratio} for f in figures]}
    if args.burst:
        with throwaway_postgres() if args.postgres else nullcontext(args.postgres_url) as pg:
            results["burst"] = burst.main_part(args.burst, pg, say=print)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
