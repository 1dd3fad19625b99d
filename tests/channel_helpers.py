"""What the channel tests share: settings for fake providers, the app in-process, people."""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from starlette.applications import Starlette

from bot.assistant import Assistant, load_service
from bot.channels.sms import INBOUND_PATH
from bot.delivery import STATUS_PATH
from bot.enrolment import add_participant, get_or_create_team
from bot.fakes.twilio import inbound_sms_form, sign
from bot.outbox import Policy
from bot.settings import PROJECT_ROOT, Settings
from bot.web.app import TELEGRAM_PATH, create_app
from store.db import Database
from store.models import Message
from store.spool import Spool

ACCOUNT_SID = "AC" + "7" * 32
AUTH_TOKEN = "f" * 32
TWILIO_NUMBER = "+447700900001"
PUBLIC_URL = "https://touchpoint.example.org"
BOT_TOKEN = "123456789:AAF-test-token_abcdefghijklmnopqrstuv"
WEBHOOK_SECRET = "s3cret-webhook_token"
TEAM = "Riverside community mental health team"
PHONE = "+447400123456"
CHAT_ID = 100000001
METRICS_TOKEN = "metrics-token-for-tests"

__all__ = ["INBOUND_PATH", "STATUS_PATH", "TELEGRAM_PATH"]


@dataclass
class Clock:
    """A clock the test moves; starts at the real time."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def channel_settings(db_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db_url,
        # Made only if a message is spooled (store/spool.py creates it then).
        "spool_dir": Path(tempfile.gettempdir()) / f"touchpoint-spool-{uuid.uuid4().hex}",
        "public_url": PUBLIC_URL,
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_from_number": TWILIO_NUMBER,
        "telegram_bot_token": BOT_TOKEN,
        "telegram_webhook_secret": WEBHOOK_SECRET,
        "metrics_token": METRICS_TOKEN,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Env:
    settings: Settings
    db: Database
    assistant: Assistant
    app: Starlette
    client: httpx.AsyncClient
    clock: Clock


@asynccontextmanager
async def running_app(
    settings: Settings, *, clock: Clock | None = None, policy: Policy | None = None
) -> AsyncIterator[Env]:
    """The real app on a real database, through httpx's ASGI transport, lifespan included."""
    clock = clock or Clock()
    db = Database(settings.database_url)
    assistant = Assistant(settings, db, clock)
    app = create_app(settings, db, assistant, clock, on_close=db.dispose, policy=policy)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL, timeout=30
        ) as client,
    ):
        yield Env(settings, db, assistant, app, client, clock)


async def scrape(env: Env) -> httpx.Response:
    """GET /metrics as Prometheus is configured to: with the bearer token."""
    return await env.client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})


def enrol(
    db: Database,
    name: str = "Alex",
    *,
    phone: str | None = None,
    telegram: int | None = None,
    onboarded: bool = True,
) -> int:
    """A participant of TEAM, onboarded, with the channels given verified."""
    service = load_service(PROJECT_ROOT / "dialogs")
    now = datetime.now(UTC)
    with db.write() as session:
        team = get_or_create_team(session, TEAM, service)
        team.crisis_line_name = "Riverside crisis line"
        team.crisis_line_number = "0800 123 4567"
        participant = add_participant(
            session,
            name=name,
            team=team,
            now=now,
            phone=phone,
            telegram_chat_id=str(telegram) if telegram is not None else None,
        )
        if onboarded:
            participant.consented_at = participant.onboarded_at = now
        return participant.id


def sms_form(body: str, sid: str, from_: str = PHONE, **extra: str) -> dict[str, str]:
    form = inbound_sms_form(from_, TWILIO_NUMBER, body, sid, ACCOUNT_SID)
    form.update(extra)
    return form


def signature(
    form: Mapping[str, str] | Sequence[tuple[str, str]],
    url: str = PUBLIC_URL + INBOUND_PATH,
    token: str = AUTH_TOKEN,
) -> dict[str, str]:
    return {"X-Twilio-Signature": sign(token, url, form)}


def replies_of(twiml: str) -> list[str]:
    root = ET.fromstring(twiml)  # noqa: S314 - our own app's TwiML
    assert root.tag == "Response"
    return [message.text or "" for message in root.iter("Message")]


def count_messages(db: Database, **where: Any) -> int:
    with db.read() as session:
        stmt = select(func.count()).select_from(Message)
        for name, value in where.items():
            stmt = stmt.where(getattr(Message, name) == value)
        return int(session.scalar(stmt) or 0)


def messages(db: Database, **where: Any) -> list[Message]:
    with db.read() as session:
        stmt = select(Message).order_by(Message.id)
        for name, value in where.items():
            stmt = stmt.where(getattr(Message, name) == value)
        return list(session.scalars(stmt))


@contextmanager
def write_lock(db_url: str) -> Iterator[None]:
    """Another connection holding SQLite's write lock, as a long transaction would."""
    conn = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield
        conn.execute("ROLLBACK")
    finally:
        conn.close()


async def spool_replayed(settings: Settings, timeout: float = 10) -> None:
    """Until the app has replayed its spool by itself (every 2 seconds)."""
    spool = Spool(settings.spool_dir)
    deadline = time.monotonic() + timeout
    while spool.waiting():
        assert time.monotonic() < deadline, "the spool was not replayed"
        await asyncio.sleep(0.1)
