"""Shared fixtures: a migrated SQLite file per test, and the whole assistant on it."""

from __future__ import annotations

import os

# Before anything imports the settings or python-telegram-bot.
os.environ.setdefault("PTB_TIMEDELTA", "true")
os.environ["TOUCHPOINT_DATABASE_URL"] = "sqlite:///must-not-be-used.db"

import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from bot import plans
from bot.assistant import Assistant, load_service
from bot.enrolment import add_participant, get_or_create_team
from bot.settings import Settings
from bot.types import Channel, Inbound, Step
from store.db import Database, upgrade

TEAM = "Riverside community mental health team"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


POSTGRES_URL = os.environ.get("TOUCHPOINT_TEST_POSTGRES_URL")
POSTGRES_OFF = (
    "PostgreSQL tests are off: run `TOUCHPOINT_TEST_POSTGRES=1 scripts/test` to start a "
    "throwaway server, or set TOUCHPOINT_TEST_POSTGRES_URL to one you have."
)


def _pg_url(database: str) -> str:
    assert POSTGRES_URL is not None
    return make_url(POSTGRES_URL).set(database=database).render_as_string(hide_password=False)


def _pg_admin(sql: str) -> None:
    assert POSTGRES_URL is not None
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(sql)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    if POSTGRES_URL is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the PostgreSQL tests: scripts/test starts the server.")
        pytest.skip(POSTGRES_OFF)
    name = f"tp_template_{os.getpid()}"
    _pg_admin(f"DROP DATABASE IF EXISTS {name}")
    _pg_admin(f"CREATE DATABASE {name}")
    upgrade(_pg_url(name))
    yield name
    _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database for one test: a SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "touchpoint.db"
        shutil.copyfile(request.getfixturevalue("migrated_template"), path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("postgres_template")
    name = f"tp_{uuid.uuid4().hex[:16]}"
    _pg_admin(f"CREATE DATABASE {name} TEMPLATE {template}")
    yield _pg_url(name)
    _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def make_settings(db_url: str, **overrides: object) -> Settings:
    return Settings(database_url=db_url, **overrides)  # type: ignore[arg-type]


@dataclass
class Stack:
    """The real assistant on a real SQLite file, restartable like a process."""

    db_url: str
    settings: Settings
    db: Database = field(init=False)
    assistant: Assistant = field(init=False)
    counter: int = 0
    clock: Callable[[], datetime] | None = None  # the assistant's clock, if not the wall's

    def __post_init__(self) -> None:
        self.start()

    def start(self) -> None:
        self.db = Database(self.db_url)
        self.db.check_migrated()
        if self.clock is None:
            self.assistant = Assistant(self.settings, self.db)
        else:
            self.assistant = Assistant(self.settings, self.db, self.clock)

    def restart(self) -> None:
        self.db.dispose()
        self.start()

    def add_participant(
        self, name: str = "Alex", *, onboarded: bool = True, phone: str | None = None
    ) -> int:
        service = load_service(self.settings.dialogs_dir)
        now = self.clock() if self.clock is not None else datetime.now(UTC)
        with self.db.write() as session:
            team = get_or_create_team(session, TEAM, service)
            team.crisis_line_name = "Riverside crisis line"
            team.crisis_line_number = "0800 123 4567"
            participant = add_participant(session, name=name, team=team, now=now, phone=phone)
            if onboarded:
                participant.consented_at = now
                participant.onboarded_at = now
            return participant.id

    def submitted_crisis_plan(self, participant_id: int, coping: str, now: datetime) -> int:
        """A crisis plan version with one coping item, submitted for review: its id."""
        with self.db.write() as session:
            draft = plans.draft(session, participant_id, "crisis")
            plans.set_section(draft, "coping", [plans.item(coping)])
            plans.submit(session, draft, now)
            return draft.id

    def send(
        self,
        participant_id: int,
        text: str,
        *,
        channel: Channel = Channel.CONSOLE,
        address: str | None = None,
    ) -> Step:
        self.counter += 1
        inbound = Inbound(
            channel, address or str(participant_id), text, external_id=f"test-{self.counter}"
        )
        return self.assistant.handle(inbound)

    def say(self, participant_id: int, text: str) -> str:
        return "\n".join(self.send(participant_id, text).replies)


@pytest.fixture
def stack(db_url: str) -> Iterator[Stack]:
    s = Stack(db_url, make_settings(db_url))
    yield s
    s.db.dispose()
