"""The attacks of an adversarial review, kept as tests against a real `touchpoint serve`.

One serve process per database (two uvicorn workers, so counters must add up across
processes), shared by every test here; each test uses people of its own, so one
test's lock-outs and sign-outs never reach another's."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot import plans
from bot.admin import auth
from bot.assistant import load_service
from bot.enrolment import add_participant, get_or_create_team
from bot.fakes import process_env
from bot.fakes.telegram import FakeTelegram
from bot.fakes.twilio import FakeTwilio
from bot.settings import PROJECT_ROOT
from store.db import Database
from store.models import Practitioner
from tests.admin_support import PASSWORD, Browser
from tests.channel_helpers import ACCOUNT_SID, AUTH_TOKEN, BOT_TOKEN, TWILIO_NUMBER, WEBHOOK_SECRET
from tests.conftest import _pg_admin, _pg_url
from tests.processes import free_port, start_serve, wait_healthy
from tests.processes import touchpoint as run_touchpoint

METRICS_TOKEN = "metrics-" + "k" * 32
PROXY = "127.0.0.2"  # TOUCHPOINT_TRUSTED_PROXIES names it; tests connect from it to be "the proxy"
BOT_USERNAME = "touchpoint_test_bot"


@dataclass
class Served:
    url: str
    db: Database
    env: dict[str, str]
    folder: Path
    twilio: FakeTwilio
    telegram: FakeTelegram
    _password_hash: str = ""
    _made: int = 0
    _clients: list[httpx.Client] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"Served({self.url})"

    def client(self, *, via_proxy: bool = False) -> httpx.Client:
        """A client connecting from 127.0.0.1, or from the trusted proxy's address; closed
        after the test."""
        transport = httpx.HTTPTransport(local_address=PROXY if via_proxy else "127.0.0.1")
        client = httpx.Client(base_url=self.url, transport=transport, timeout=20)
        self._clients.append(client)
        return client

    def close_clients(self) -> None:
        while self._clients:
            self._clients.pop().close()

    def browser(self, *, via_proxy: bool = False, headers: dict[str, str] | None = None) -> Browser:
        client = self.client(via_proxy=via_proxy)
        client.headers.update(headers or {})
        return Browser(client)

    def signed_in(self, email: str, *, password: str = PASSWORD, **kwargs: Any) -> Browser:
        browser = self.browser(**kwargs)
        response = browser.sign_in(email, password)
        assert response.url.path == "/admin/", browser.text
        return browser

    def touchpoint(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_touchpoint(self.folder, self.env, *args)

    def practitioner(self, role: str = "practitioner", *, team: str = "") -> tuple[int, str]:
        """A new practitioner (with PASSWORD) in a team of their own unless `team` is
        given: their id and email."""
        if not self._password_hash:
            self._password_hash = auth.hash_password(PASSWORD)
        self._made += 1
        key = uuid.uuid4().hex[:10]
        email = f"{role}-{key}@example.org"
        now = datetime.now(UTC)
        with self.db.write() as session:
            found = get_or_create_team(session, team or f"Team {key}", _service())
            person = Practitioner(
                name=f"Someone {key}",
                email=email,
                team_id=found.id,
                role=role,
                password_hash=self._password_hash,
                password_changed_at=now,
                created_at=now,
            )
            session.add(person)
            session.flush()
            return person.id, email

    def phone(self) -> str:
        """A UK mobile number no other test uses."""
        self._made += 1
        return f"+4474009{self._made + 50000:05d}"[:13]

    def participant(
        self,
        practitioner_id: int,
        name: str,
        *,
        phone: str | None = None,
        items: tuple[str, ...] = (),
    ) -> int:
        """A service user on `practitioner_id`'s caseload; with `items`, a crisis plan of
        them submitted for review."""
        now = datetime.now(UTC)
        with self.db.write() as session:
            owner = session.get(Practitioner, practitioner_id)
            assert owner is not None
            person = add_participant(
                session, name=name, team=owner.team, now=now, phone=phone, practitioner=owner
            )
            person.consented_at = person.onboarded_at = now
            session.flush()
            if items:
                draft = plans.draft(session, person.id, "crisis")
                plans.set_section(draft, "coping", [plans.item(text) for text in items])
                plans.submit(session, draft, now)
            return person.id


def _service() -> Any:
    return load_service(PROJECT_ROOT / "dialogs")


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("security") / "touchpoint.db"
        shutil.copyfile(request.getfixturevalue("migrated_template"), path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("postgres_template")
    name = f"tp_security_{uuid.uuid4().hex[:12]}"
    _pg_admin(f"CREATE DATABASE {name} TEMPLATE {template}")
    yield _pg_url(name)
    _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def served(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("serve")
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as twilio, FakeTelegram(BOT_TOKEN) as telegram:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = process_env(
            database,
            TOUCHPOINT_PUBLIC_URL=url,
            TOUCHPOINT_TRUSTED_PROXIES=f"{PROXY}, 10.99.0.0/16",
            TOUCHPOINT_METRICS_TOKEN=METRICS_TOKEN,
        ) | {
            **twilio.client_settings(TWILIO_NUMBER),
            "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "TELEGRAM_BOT_USERNAME": BOT_USERNAME,
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "TELEGRAM_API_BASE_URL": f"{telegram.url}/bot",
        }
        process, output = start_serve(folder, env, port, "--workers", "2")
        db = Database(database)
        try:
            wait_healthy(url, process, output)
            yield Served(url, db, env, folder, twilio, telegram)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            db.dispose()


@pytest.fixture(autouse=True)
def _close_clients(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "served" in request.fixturenames:
        request.getfixturevalue("served").close_clients()
