"""Capture the SQL a piece of the program runs, and read each statement's plan back from
the database: SQLite's EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN (FORMAT JSON)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

# The tables that grow with the trust: a full scan of one is a page that slows down as
# the service grows.
GROWING = ("participant", "message", "job", "alert", "audit_event", "plan_version")


@dataclass(frozen=True)
class Query:
    sql: str
    params: Any


@dataclass
class Captured:
    queries: list[Query] = field(default_factory=list)

    def selects(self) -> list[Query]:
        """Each distinct SELECT once (the same SQL with other values is the same plan)."""
        seen: dict[str, Query] = {}
        for q in self.queries:
            if q.sql.lstrip().upper().startswith(("SELECT", "WITH")):
                seen.setdefault(q.sql, q)
        return list(seen.values())


@contextmanager
def capture(engine: Engine) -> Iterator[Captured]:
    found = Captured()

    def listen(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, many: bool
    ) -> None:
        if not many:
            found.queries.append(Query(statement, parameters))

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def plan(engine: Engine, query: Query) -> list[str]:
    """The plan's steps, one line each: SQLite's details, or PostgreSQL's node types with
    their relation and index ("Index Scan message ix_message_pending")."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {query.sql}", query.params).all()
            conn.rollback()
            return [str(r[-1]) for r in rows]
        # With sequential scans priced out, one is left only where no index can serve:
        # what a table of millions of rows would get, on a test's table of dozens.
        conn.exec_driver_sql("SET enable_seqscan = off")
        raw = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {query.sql}", query.params).scalar()
        conn.rollback()
    nodes: list[str] = []
    _walk(raw[0]["Plan"] if isinstance(raw, list) else json.loads(raw)[0]["Plan"], nodes)
    return nodes


def _walk(node: dict[str, Any], out: list[str]) -> None:
    parts = [node["Node Type"], node.get("Relation Name", ""), node.get("Index Name", "")]
    out.append(" ".join(p for p in parts if p))
    for child in node.get("Plans", []):
        _walk(child, out)


_SQLITE_FULL = re.compile(r"^SCAN (\w+)(?: AS \w+)?$")


def full_scans(engine: Engine, query: Query) -> list[str]:
    """The steps of `query`'s plan that read a growing table from end to end.

    On SQLite, a SCAN in the query's own order, with a LIMIT and nothing sorted, is a
    walk that stops at the page's end (the newest audit events), not a full read."""
    steps = plan(engine, query)
    stops = " LIMIT " in f" {query.sql} " and not any("TEMP B-TREE" in s for s in steps)
    found = []
    for step in steps:
        if engine.dialect.name == "sqlite":
            if stops:
                continue
            match = _SQLITE_FULL.match(step)
            table = re.sub(r"_\d+$", "", match.group(1)) if match else None
        else:
            words = step.split()
            table = words[2] if step.startswith("Seq Scan") and len(words) > 2 else None
        if table in GROWING:
            found.append(step)
    return found
