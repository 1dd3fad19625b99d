"""A database the size of a whole trust's service: 100,000 participants and 5,000,000
messages, with their identities, conversations, plans (some sent for review), alerts
(some not yet acknowledged), 180 days of weekly check-ins (settled, and the next one
planned) and 10,000,000 audit events.

Written straight through sqlite3 into a migrated database (the schema is Alembic's), in
big executemany batches with the journal off; the file is switched back to WAL at the
end. `python -m bench.populate PATH [--participants N] [--messages N] [--audit-events N]
[--days N]`.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from store.db import upgrade

BATCH = 50_000
SMS_BASE = 447911000000  # +44 7911 000000 onwards; the benchmark's own people use 7400
TELEGRAM_BASE = 500_000_000
TEAMS = 25
PRACTITIONERS = 400
DAYS = 180  # of check-ins behind everyone
CHECK_IN_EVERY_DAYS = 7
AUDIT_EVENTS = 10_000_000
_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
_SPAN_S = 2 * 365 * 86400

_INBOUND = (
    "yes",
    "no",
    "DONE",
    "SKIP",
    "I stop sleeping and stay in my room",
    "Go for a walk by the river",
    "Sam 07400 123456",
    "Listen to my playlist",
    "6",
    "Work was hard this week but I saw my sister",
    "MENU",
    "1",
    "Quiet and a cup of tea",
    "CRISIS",
)
_OUTBOUND = (
    "Got it (2). Send the next one, or DONE when that's all.",
    "What would you like to do? Reply with a number:\n1. My crisis plan\n2. My care plan\n"
    "3. Check in\n4. See or change my plans",
    "Here's your list:\n1. I stop sleeping\n2. I stop answering the phone\n\nReply YES to "
    "keep it, or REMOVE and a number to take one out.",
    "What are the things you can do on your own to feel a bit better, or take your mind "
    "off things? Send one at a time, then DONE. Reply SKIP to leave this for now.",
    "Thanks. How have things been since we last spoke? A number from 0 (very hard) to 10 "
    "(really good).",
    "Alex, your crisis plan (draft, not yet reviewed by your team):\n\nPeople I can call:\n"
    "- Sam 07400 123456\n\nBenchmark crisis line: 0800 123 4567 (24 hours)\nSamaritans: "
    "116 123 (any time, day or night)\n\nIf you are in danger now, call 999.",
)
_SECTIONS = {
    "warning_signs": ["I stop sleeping", "I stop answering the phone"],
    "coping": ["Go for a walk by the river", "Listen to my playlist"],
    "distractions": ["The library"],
    "people_help": ["Sam 07400 123456", "Mum on 020 7946 0018"],
    "reasons": ["My cat Biscuit", "Seeing my niece grow up"],
    "unwell_helps": ["Quiet and a cup of tea"],
}
_CARE = {
    "matters": ["My family", "Getting back to work"],
    "goals": ["Walk to the shop on my own"],
    "keeps_well": ["Sleeping at regular times"],
}


def stamp(moment: datetime) -> str:
    """How SQLAlchemy stores a UTC datetime in SQLite."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sections(source: dict[str, list[str]], phones: bool) -> str:
    sections: dict[str, list[dict[str, Any]]] = {}
    for key, texts in source.items():
        items: list[dict[str, Any]] = []
        for text in texts:
            item: dict[str, Any] = {"text": text, "by": "participant"}
            if phones and key == "people_help":
                item["name"], item["phone"] = text.split(" ")[0], "+447400123456"
            items.append(item)
        sections[key] = items
    return json.dumps(sections)


def _batched(rows: Iterator[Sequence[Any]], size: int = BATCH) -> Iterator[list[Sequence[Any]]]:
    batch: list[Sequence[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class Populator:
    def __init__(
        self,
        conn: sqlite3.Connection,
        participants: int,
        messages: int,
        audit: int = 0,
        days: int = DAYS,
    ) -> None:
        self.conn = conn
        self.participants = participants
        self.messages = messages
        self.audit = audit
        self.days = days
        self.check_ins = max(1, days // CHECK_IN_EVERY_DAYS)
        self.rng = random.Random(20240601)
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.created = stamp(_EPOCH)

    def insert(self, table: str, columns: Sequence[str], rows: Iterator[Sequence[Any]]) -> int:
        marks = ", ".join("?" for _ in columns)
        sql = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({marks})'  # noqa: S608
        count = 0
        for batch in _batched(rows):
            self.conn.executemany(sql, batch)
            count += len(batch)
        return count

    def run(self, say: Any = print) -> None:
        started = time.perf_counter()
        for name, fill in (
            ("teams and practitioners", self.teams),
            ("participants", self.people),
            ("channel identities", self.identities),
            ("conversations", self.conversations),
            ("plans", self.plans),
            ("alerts", self.alerts),
            ("audit events", self.audit_events),
            ("scheduled and settled check-ins", self.jobs),
            ("messages", self.message_rows),
        ):
            count = fill()
            self.conn.commit()
            say(f"  {name}: {count:,} rows ({time.perf_counter() - started:.0f}s)")

    def teams(self) -> int:
        lines = json.dumps([{"name": "Samaritans", "number": "116 123", "hours": "any time"}])
        n = self.insert(
            "team",
            (
                "id",
                "name",
                "region",
                "locale",
                "timezone",
                "emergency_number",
                "crisis_line_name",
                "crisis_line_number",
                "crisis_line_hours",
                "national_lines",
                "created_at",
                "require_totp",
            ),
            iter(
                (
                    t,
                    f"Community mental health team {t}",
                    "GB",
                    "en",
                    "Europe/London",
                    "999",
                    f"Team {t} crisis line",
                    "0800 000 0000",
                    "24 hours",
                    lines,
                    self.created,
                    0,
                )
                for t in range(1, TEAMS + 1)
            ),
        )
        n += self.insert(
            "practitioner",
            ("id", "team_id", "name", "email", "role", "password_hash", "active", "created_at"),
            iter(
                (
                    p,
                    1 + p % TEAMS,
                    f"Practitioner {p}",
                    f"practitioner{p}@trust.example",
                    "practitioner",
                    None,
                    1,
                    self.created,
                )
                for p in range(1, PRACTITIONERS + 1)
            ),
        )
        return n

    def asked(self, p: int) -> datetime:
        """When their last check-in went (the last of `jobs`): within the last week."""
        return self.first_check_in(p) + timedelta(days=CHECK_IN_EVERY_DAYS * (self.check_ins - 1))

    def first_check_in(self, p: int) -> datetime:
        start = self.now - timedelta(days=self.days)
        return start + timedelta(days=p % CHECK_IN_EVERY_DAYS, hours=10, minutes=p % 60)

    def people(self) -> int:
        def rows() -> Iterator[Sequence[Any]]:
            for p in range(1, self.participants + 1):
                joined = stamp(_EPOCH + timedelta(seconds=self.rng.randrange(_SPAN_S // 2)))
                status = "opted_out" if p % 50 == 0 else "active"
                asked = self.asked(p)
                # Seven in ten answered their last check-in; the rest went quiet before it.
                wrote = asked + timedelta(hours=2) if p % 10 < 7 else asked - timedelta(days=3)
                yield (
                    p,
                    1 + p % TEAMS,
                    1 + p % PRACTITIONERS,
                    f"Person {p}",
                    "en",
                    "Europe/London",
                    status,
                    joined,
                    joined,
                    None,
                    joined if status == "opted_out" else None,
                    "21:00",
                    "09:00",
                    None,
                    "[]",
                    stamp(wrote),
                    joined,
                    0,
                    f"person {p}",
                    stamp(asked),
                )

        return self.insert(
            "participant",
            (
                "id",
                "team_id",
                "practitioner_id",
                "display_name",
                "locale",
                "timezone",
                "status",
                "consented_at",
                "onboarded_at",
                "paused_at",
                "opted_out_at",
                "quiet_start",
                "quiet_end",
                "next_appointment",
                "more",
                "last_inbound_at",
                "created_at",
                "is_demo",
                "name_key",
                "last_asked_at",
            ),
            rows(),
        )

    def identities(self) -> int:
        def rows() -> Iterator[Sequence[Any]]:
            for p in range(1, self.participants + 1):
                yield (p, "console", str(p), self.created, self.created)
                yield (p, "web", str(p), self.created, self.created)
                yield (p, "sms", f"+{SMS_BASE + p}", self.created, self.created)
                if p % 5 == 0:
                    yield (p, "telegram", str(TELEGRAM_BASE + p), self.created, self.created)

        return self.insert(
            "channel_identity",
            ("participant_id", "channel", "address", "verified_at", "created_at"),
            rows(),
        )

    def conversations(self) -> int:
        done = json.dumps({"answers": {"name": "Sam"}, "history": ["consent", "name"], "bad": 0})
        mid = json.dumps(
            {"answers": {}, "history": ["intro", "warning_signs"], "items": [], "bad": 1}
        )

        def rows() -> Iterator[Sequence[Any]]:
            for p in range(1, self.participants + 1):
                yield (p, "onboarding", "ready", "completed", done, 6, self.created, self.created)
                yield (p, "menu", "choose", "completed", done, 2, self.created, self.created)
                yield (p, "check_in", "thanks", "completed", done, 7, self.created, self.created)
                yield (
                    p,
                    "care_plan",
                    "keeps_well",
                    "suspended",
                    mid,
                    5,
                    self.created,
                    self.created,
                )
                yield (p, "crisis_plan", "coping", "active", mid, 4, self.created, self.created)

        return self.insert(
            "conversation",
            (
                "participant_id",
                "dialog",
                "state",
                "status",
                "data",
                "version",
                "created_at",
                "updated_at",
            ),
            rows(),
        )

    def plans(self) -> int:
        crisis = _sections(_SECTIONS, phones=True)
        care = _sections(_CARE, phones=False)
        plan_rows: list[tuple[int, int, str, str]] = []
        version_rows: list[Sequence[Any]] = []
        plan_id = 0
        for p in range(1, self.participants + 1):
            # Nine in ten have a crisis plan, four in ten a care plan.
            kinds = (("crisis", crisis, p % 10 != 0), ("care", care, p % 10 < 4))
            for kind, sections, has in kinds:
                if not has:
                    continue
                plan_id += 1
                plan_rows.append((plan_id, p, kind, self.created))
                versions = 1 + p % 3
                # One in fifty has sent the latest version for review.
                latest = "submitted" if p % 50 == 1 else "draft"
                for number in range(1, versions + 1):
                    status = "approved" if number < versions else latest
                    version_rows.append(
                        (
                            plan_id,
                            number,
                            status,
                            sections,
                            self.created,
                            self.created if status != "draft" else None,
                            self.created if status == "approved" else None,
                            1 + p % PRACTITIONERS if status == "approved" else None,
                            None,
                        )
                    )
        n = self.insert("plan", ("id", "participant_id", "kind", "created_at"), iter(plan_rows))
        return n + self.insert(
            "plan_version",
            (
                "plan_id",
                "number",
                "status",
                "sections",
                "created_at",
                "submitted_at",
                "reviewed_at",
                "reviewed_by",
                "review_note",
            ),
            iter(version_rows),
        )

    def alerts(self) -> int:
        n = self.insert(
            "alert",
            (
                "participant_id",
                "kind",
                "category",
                "message_id",
                "created_at",
                "acknowledged_at",
                "acknowledged_by",
            ),
            iter(
                (
                    p,
                    "risk_language",
                    "suicide",
                    None,
                    self.created,
                    self.created,
                    1 + p % PRACTITIONERS,
                )
                for p in range(1, self.participants + 1, 2)
            ),
        )
        # One in a hundred has an alert nobody has acknowledged yet.
        n += self.insert(
            "alert",
            ("participant_id", "team_id", "kind", "category", "severity", "created_at"),
            iter(
                (
                    p,
                    1 + p % TEAMS,
                    ("risk_language", "crisis_requested", "low_rating")[p % 3],
                    "suicide" if p % 3 == 0 else None,
                    "high" if p % 3 == 0 else None,
                    stamp(self.now - timedelta(minutes=p % 5000)),
                )
                for p in range(3, self.participants + 1, 100)
            ),
        )
        return n

    def audit_events(self) -> int:
        """`audit` events over two years, oldest first: what practitioners looked at and
        did, each about one of their people."""
        actions = ("participant.view", "plan.review_view", "plan.view", "alert.view")
        kinds = ("participant", "plan_version", "plan_version", "alert")
        step = _SPAN_S / max(1, self.audit)

        def rows() -> Iterator[Sequence[Any]]:
            start = _EPOCH.timestamp()
            for e in range(self.audit):
                p = 1 + (e * 7919) % self.participants
                k = e % 4
                yield (
                    stamp(datetime.fromtimestamp(start + e * step, UTC)),
                    "cli" if e % 50 == 0 else f"practitioner:{1 + p % PRACTITIONERS}",
                    "participant.enrol" if e % 50 == 0 else actions[k],
                    "participant" if e % 50 == 0 else kinds[k],
                    p,
                    "10.0.0.1",
                    "{}",
                )

        return self.insert(
            "audit_event",
            ("at", "actor", "action", "record_type", "record_id", "address", "detail"),
            rows(),
        )

    def jobs(self) -> int:
        """`days` of weekly check-ins for everyone (sent, or skipped while a question was
        still unanswered), and the next one planned."""

        def rows() -> Iterator[Sequence[Any]]:
            for p in range(1, self.participants + 1):
                first = self.first_check_in(p)
                for k in range(self.check_ins + 1):
                    due = first + timedelta(days=CHECK_IN_EVERY_DAYS * k)
                    planned = stamp(due - timedelta(days=CHECK_IN_EVERY_DAYS))
                    done = k < self.check_ins
                    outcome = ("sent" if (p + k) % 9 else "skipped:unanswered") if done else None
                    if k == self.check_ins - 1:
                        outcome = "sent"  # the one `asked` names
                    yield (
                        "check_in",
                        p,
                        f"check_in:{p}:{due.date().isoformat()}",
                        "done" if done else "pending",
                        stamp(due),
                        "rhythm:every:7",
                        due.date().isoformat(),
                        1 if done else 0,
                        outcome,
                        planned,
                        stamp(due + timedelta(seconds=2)) if done else None,
                        planned,
                    )

        return self.insert(
            "job",
            (
                "kind",
                "participant_id",
                "key",
                "status",
                "due_at",
                "basis",
                "for_date",
                "attempts",
                "outcome",
                "planned_at",
                "done_at",
                "created_at",
            ),
            rows(),
        )

    def message_rows(self) -> int:
        rng = self.rng

        def rows() -> Iterator[Sequence[Any]]:
            made = 0
            start = _EPOCH.timestamp()
            step = _SPAN_S / max(1, self.messages)
            while made < self.messages:
                # People take turns, a few messages each, as they do over months.
                p = 1 + (made // 6) % self.participants
                telegram = p % 5 == 0 and (made // 6) % 2 == 0
                channel = "telegram" if telegram else "sms"
                address = str(TELEGRAM_BASE + p) if telegram else f"+{SMS_BASE + p}"
                created = stamp(datetime.fromtimestamp(start + made * step, UTC))
                external: str | None
                if made % 2 == 0:
                    external = (
                        str(10_000_000 + made) if telegram else f"SM{rng.getrandbits(128):032x}"
                    )
                    body = _INBOUND[made % len(_INBOUND)]
                    yield (
                        p,
                        channel,
                        address,
                        "in",
                        external,
                        body,
                        "received",
                        0,
                        None,
                        created,
                        created,
                    )
                else:
                    inline = not telegram and made % 7 != 1
                    external = None if inline or telegram else f"SM{rng.getrandbits(128):032x}"
                    status = "inline" if inline else ("failed" if made % 997 == 1 else "delivered")
                    body = _OUTBOUND[made % len(_OUTBOUND)]
                    yield (
                        p,
                        channel,
                        address,
                        "out",
                        external,
                        body,
                        status,
                        0 if inline else 1,
                        None,
                        created,
                        created,
                    )
                made += 1

        return self.insert(
            "message",
            (
                "participant_id",
                "channel",
                "address",
                "direction",
                "external_id",
                "body",
                "status",
                "attempts",
                "next_attempt_at",
                "created_at",
                "updated_at",
            ),
            rows(),
        )


def populate(
    path: Path,
    participants: int,
    messages: int,
    say: Any = print,
    *,
    audit: int = 0,
    days: int = DAYS,
) -> None:
    """Create `path` (migrated) and fill it; it must not exist yet."""
    if path.exists():
        raise FileExistsError(f"{path} exists; populate writes a new database")
    upgrade(f"sqlite:///{path}")
    conn = sqlite3.connect(path, isolation_level="DEFERRED")
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-1048576")  # 1 GiB while filling
        conn.execute("PRAGMA temp_store=MEMORY")
        # Filled without its secondary indexes, which are built once at the end: sorting
        # each index once is several times faster than keeping it up to date row by row.
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        ).fetchall()
        for name, _sql in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        Populator(conn, participants, messages, audit, days).run(say)
        started = time.perf_counter()
        for _name, sql in indexes:
            conn.execute(sql)
        conn.commit()
        say(f"  {len(indexes)} indexes built ({time.perf_counter() - started:.0f}s)")
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.populate")
    parser.add_argument("database", type=Path, help="a new SQLite file")
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=5_000_000)
    parser.add_argument("--audit-events", type=int, default=AUDIT_EVENTS)
    parser.add_argument("--days", type=int, default=DAYS, help="of weekly check-ins behind")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    populate(
        args.database, args.participants, args.messages, audit=args.audit_events, days=args.days
    )
    size = args.database.stat().st_size / 2**20
    print(f"{args.database}: {size:,.0f} MiB in {time.perf_counter() - started:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
