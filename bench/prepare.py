"""The benchmark's service users: enrolled with an SMS number and a Telegram chat, and
taken (through the real assistant, in-process) to the first question of their crisis plan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bench.workload import OPENING
from bot.assistant import Assistant, load_service
from bot.enrolment import add_participant, get_or_create_team
from bot.settings import Settings
from bot.types import Channel, Inbound
from store.db import Database

TEAM = "Benchmark community mental health team"
SMS_BASE = 447400000000  # +44 7400 000000 onwards: valid UK mobile numbers
TELEGRAM_BASE = 700_000_000


@dataclass(frozen=True)
class Person:
    participant_id: int
    phone: str
    chat_id: int


def phone(index: int) -> str:
    return f"+{SMS_BASE + index}"


def chat_id(index: int) -> int:
    return TELEGRAM_BASE + index


def enrol(settings: Settings, count: int) -> list[Person]:
    """`count` onboarded participants, each at warning_signs of their crisis plan."""
    db = Database(settings.database_url)
    try:
        service = load_service(settings.dialogs_dir)
        now = datetime.now(UTC)
        people: list[Person] = []
        with db.write() as session:
            team = get_or_create_team(session, TEAM, service)
            team.crisis_line_name = "Benchmark crisis line"
            team.crisis_line_number = "0800 123 4567"
            team.crisis_line_hours = "24 hours"
            for index in range(count):
                participant = add_participant(
                    session,
                    name=f"Person {index}",
                    team=team,
                    now=now,
                    phone=phone(index),
                    telegram_chat_id=str(chat_id(index)),
                    actor="bench",
                )
                participant.consented_at = now
                participant.onboarded_at = now
                people.append(Person(participant.id, phone(index), chat_id(index)))
        assistant = Assistant(settings, db)
        for person in people:
            for step, text in enumerate(OPENING):
                inbound = Inbound(
                    Channel.CONSOLE,
                    str(person.participant_id),
                    text,
                    external_id=f"bench-open-{person.participant_id}-{step}",
                )
                assistant.handle(inbound)
        return people
    finally:
        db.dispose()
