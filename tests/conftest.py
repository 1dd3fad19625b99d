"""Shared fixtures: a migrated SQLite file per test, and the whole assistant on it."""

from __future__ import annotations

import os

# Before anything imports the settings or python-telegram-bot.
os.environ.setdefault("PTB_TIMEDELTA", "true")
os.environ["TOUCHPOINT_DATABASE_URL"] = "sqlite:///must-not-be-used.db"

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

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


@pytest.fixture
def db_url(tmp_path: Path, migrated_template: Path) -> str:
    path = tmp_path / "touchpoint.db"
    shutil.copyfile(migrated_template, path)
    return f"sqlite:///{path}"


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

    def __post_init__(self) -> None:
        self.start()

    def start(self) -> None:
        self.db = Database(self.db_url)
        self.db.check_migrated()
        self.assistant = Assistant(self.settings, self.db)

    def restart(self) -> None:
        self.db.dispose()
        self.start()

    def add_participant(
        self, name: str = "Alex", *, onboarded: bool = True, phone: str | None = None
    ) -> int:
        service = load_service(self.settings.dialogs_dir)
        now = datetime.now(UTC)
        with self.db.write() as session:
            team = get_or_create_team(session, TEAM, service)
            team.crisis_line_name = "Riverside crisis line"
            team.crisis_line_number = "0800 123 4567"
            participant = add_participant(session, name=name, team=team, now=now, phone=phone)
            if onboarded:
                participant.consented_at = now
                participant.onboarded_at = now
            return participant.id

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
