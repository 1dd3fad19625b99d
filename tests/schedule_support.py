"""The scheduler on a real database with a clock the test moves: people, their
schedules, what the scheduler queued for them, and what they say back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.assistant import Assistant, load_service
from bot.enrolment import add_participant, get_or_create_team
from bot.schedule import adjust
from bot.schedule.outreach import Outreach
from bot.schedule.scheduler import Scheduler
from bot.settings import Settings
from bot.types import Channel, Inbound
from store.db import Database
from store.models import Conversation, Job, Message, Participant
from tests.conftest import TEAM, make_settings

# Monday 2 March 2026, 08:00 in London (GMT): before everyone's window.
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def to(self, when: datetime) -> None:
        self.now = when


@dataclass
class World:
    settings: Settings
    db: Database
    clock: Clock
    assistant: Assistant
    scheduler: Scheduler
    sent: int = 0
    phones: dict[int, str] = field(default_factory=dict)

    def enrol(
        self,
        name: str = "Alex",
        *,
        every: int | None = 1,
        weekdays: frozenset[int] | None = None,
        tz: str | None = None,
        onboarded: bool = True,
        **change: Any,
    ) -> int:
        service = load_service(self.settings.dialogs_dir)
        phone = f"+4474001{len(self.phones) + 10000:05d}"
        with self.db.write() as session:
            team = get_or_create_team(session, TEAM, service)
            team.crisis_line_name = "Riverside crisis line"
            team.crisis_line_number = "0800 123 4567"
            person = add_participant(session, name=name, team=team, now=self.clock(), phone=phone)
            if onboarded:
                person.consented_at = person.onboarded_at = self.clock()
            pid = person.id
        self.phones[pid] = phone
        if every is not None or weekdays is not None or tz is not None or change:
            self.change(pid, every_days=every, weekdays=weekdays, timezone=tz, **change)
        return pid

    def change(self, pid: int, **change: Any) -> None:
        with self.db.write() as session:
            adjust.apply(session, pid, adjust.Change(**change), self.clock(), actor="test")

    def run(self) -> int:
        """Everything due now, as a worker would run it."""
        return self.scheduler.run_until_idle()

    def sweep_now(self) -> None:
        self.scheduler._last_sweep = None

    def say(self, pid: int, text: str) -> list[str]:
        """What they get back (inline) for a text from their phone."""
        self.sent += 1
        inbound = Inbound(Channel.SMS, self.phones[pid], text, f"SM-test-{self.sent}")
        return list(self.assistant.handle(inbound).replies)

    def finish_check_in(self, pid: int) -> None:
        """A rating, then SKIP to the end."""
        self.say(pid, "7")
        while (self.active(pid) or "").startswith("check_in."):
            self.say(pid, "SKIP")

    def queued(self, pid: int) -> list[str]:
        """Scheduled messages queued for them (the outbox, not inline replies)."""
        with self.db.read() as session:
            return list(
                session.scalars(
                    select(Message.body)
                    .where(
                        Message.participant_id == pid,
                        Message.direction == "out",
                        Message.status == "queued",
                    )
                    .order_by(Message.id)
                )
            )

    def jobs(self, pid: int, kind: str | None = None) -> list[Job]:
        with self.db.read() as session:
            stmt = select(Job).where(Job.participant_id == pid).order_by(Job.id)
            if kind is not None:
                stmt = stmt.where(Job.kind == kind)
            return list(session.scalars(stmt))

    def pending(self, pid: int, kind: str = "check_in") -> list[Job]:
        return [j for j in self.jobs(pid, kind) if j.status in ("pending", "running")]

    def active(self, pid: int) -> str | None:
        with self.db.read() as session:
            conv = session.scalars(
                select(Conversation).where(
                    Conversation.participant_id == pid, Conversation.status == "active"
                )
            ).first()
            return f"{conv.dialog}.{conv.state}" if conv else None

    def participant(self, pid: int) -> Participant:
        with self.db.read() as session:
            found = session.get(Participant, pid)
            assert found is not None
            return found

    def update(self, pid: int, **values: Any) -> None:
        """Change a participant the way another part of the app would (no replanning)."""
        with self.db.write() as session:
            found = session.get(Participant, pid)
            assert found is not None
            for key, value in values.items():
                setattr(found, key, value)

    def day(self, day: date, hour: int, minute: int = 0) -> None:
        self.clock.to(datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC))


@contextmanager
def world(db_url: str, **settings: Any) -> Iterator[World]:
    config = make_settings(db_url, **settings)
    db = Database(db_url)
    clock = Clock()
    assistant = Assistant(config, db, clock)
    outreach = Outreach(db, assistant.engine, assistant.wording, clock)
    scheduler = Scheduler(db, outreach, clock, worker="test-worker")
    try:
        yield World(config, db, clock, assistant, scheduler)
    finally:
        db.dispose()
