"""Every query the admin pages run, as every role, read back through the database's own
EXPLAIN: none may read a table that grows with the trust from end to end, and a page
that only shows things writes nothing but its one audit row (and, once a minute, the
session's last-seen time). The queries are captured from the real pages, so a new page
or a new query is checked without being listed here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from starlette.routing import Mount, Route

from bot.plans import item
from store.models import Alert, AuditEvent, Job
from tests.admin_support import World, admin_world
from tests.query_plans import Query, capture, full_scans

ROLES = ("pat", "lee", "ada")  # a practitioner, a team lead, an administrator
SKIP = ("/static/", "/sign-in", "/print.css")


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    with admin_world(db_url) as w:
        _history(w)
        yield w


def _history(world: World) -> None:
    """A little of everything the pages list: messages, plans waiting, open and
    acknowledged alerts, sent check-ins, audit events."""
    world.say("alex", "hello there")
    world.plan_version("alex", sections={"coping": [item("A walk")]})
    now = world.clock()
    with world.db.write() as session:
        for n, key in enumerate(("alex", "sam", "kim", "alex")):
            session.add(
                Alert(
                    participant_id=world.ids[key],
                    kind="risk_language",
                    created_at=now - timedelta(hours=n),
                    acknowledged_at=now if n % 2 else None,
                    acknowledged_by=world.ids["pat"] if n % 2 else None,
                )
            )
        session.add(Alert(participant_id=None, team_id=world.ids["team_a"], kind="risk_language"))
        for n, key in enumerate(("alex", "sam", "kim")):
            session.add(
                Job(
                    kind="check_in",
                    participant_id=world.ids[key],
                    key=f"check_in:{key}",
                    status="done",
                    outcome="sent",
                    due_at=now - timedelta(days=9),
                    planned_at=now - timedelta(days=10),
                    done_at=now - timedelta(days=9 - n),
                )
            )
        for _ in range(60):
            session.add(
                AuditEvent(
                    at=now,
                    actor=f"practitioner:{world.ids['pat']}",
                    action="participant.view",
                    record_type="participant",
                    record_id=world.ids["alex"],
                    detail={},
                )
            )


def _pages(world: World) -> list[str]:
    """Every GET page of the admin app, with ids of records that exist, and the variants
    of the list pages (sorts, searches, filters, later pages)."""
    with world.db.read() as session:
        alert_id = session.query(Alert.id).order_by(Alert.id).limit(1).scalar()
        event_id = session.query(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1).scalar()
    values = {
        "pid": world.ids["alex"],
        "kind": "crisis",
        "number": 1,
        "aid": alert_id,
        "tid": world.ids["team_a"],
        "id": world.ids["pat"],
    }
    [mount] = [r for r in world.app.routes if isinstance(r, Mount)]
    pages = []
    for route in mount.routes:
        if not isinstance(route, Route) or "GET" not in (route.methods or ()):
            continue
        if any(part in route.path for part in SKIP):
            continue
        path = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: str(values[m.group(1)]), route.path)
        pages.append(f"/admin{path}")
    pid, pat = world.ids["alex"], world.ids["pat"]
    return [
        *pages,
        "/admin/?unanswered=7&alerts_page=2",
        *(f"/admin/participants?sort={s}" for s in ("attention", "name", "quiet")),
        *(f"/admin/participants?sort={s}&after={pid}" for s in ("attention", "name", "quiet")),
        "/admin/participants?q=al&sort=name",
        "/admin/alerts?page=2",
        f"/admin/audit?actor=practitioner:{pat}",
        "/admin/audit?action=participant.view",
        f"/admin/audit?record_type=participant&record_id={pid}",
        "/admin/audit?since=2026-01-01&until=2026-12-31",
        f"/admin/audit?before={event_id}",
    ]


class _Writes:
    """The statements run inside write transactions, per connection."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.page = ""

    def begin(self, conn: Any) -> None:
        conn.info["writing"] = not conn.get_execution_options().get("readonly")

    def end(self, conn: Any) -> None:
        conn.info["writing"] = False

    def execute(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if conn.info.get("writing"):
            self.statements.append(f"{self.page}: {' '.join(statement.split())[:60]}")


def test_no_admin_page_reads_a_growing_table_end_to_end(world: World) -> None:
    engine = world.db.engine
    browsers = {who: world.signed_in(who) for who in ROLES}
    pages = _pages(world)
    writes = _Writes()
    event.listen(engine, "begin", writes.begin)
    event.listen(engine, "commit", writes.end)
    event.listen(engine, "rollback", writes.end)
    event.listen(engine, "before_cursor_execute", writes.execute)
    queries: list[Query] = []
    try:
        with capture(engine) as seen:
            for who, browser in browsers.items():
                for page in pages:
                    writes.page = page
                    response = browser.client.get(page)
                    assert response.status_code in (200, 303, 404), (who, page)
        queries = seen.selects()
    finally:
        for name, fn in (
            ("begin", writes.begin),
            ("commit", writes.end),
            ("rollback", writes.end),
            ("before_cursor_execute", writes.execute),
        ):
            event.remove(engine, name, fn)
    assert len(queries) > 60  # the pages really ran their queries
    scans = {q.sql: found for q in queries if (found := full_scans(engine, q))}
    assert not scans, "\n\n".join(f"{steps}\n{sql}" for sql, steps in scans.items())
    # What the page views wrote: their audit rows, and nothing read while writing.
    allowed = ("INSERT INTO audit_event", "UPDATE admin_session", "SELECT admin_session")
    extra = [s for s in writes.statements if not s.split(": ", 1)[1].startswith(allowed)]
    assert not extra, extra
