"""The admin app on a real database, driven over HTTP: teams, practitioners of every role,
participants, plans, and a browser-like client that signs in and submits forms."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from unittest.mock import patch

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from argon2 import PasswordHasher
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.routing import Mount

from bot import plans
from bot.admin import auth
from bot.admin.app import build_admin
from bot.assistant import Assistant, load_service
from bot.enrolment import add_participant, get_or_create_team
from bot.settings import Settings
from bot.types import Channel, Inbound
from store.db import Database
from store.models import AuditEvent, Participant, PlanVersion, Practitioner
from tests.admin_html import Node, fields, form, parse
from tests.conftest import make_settings

PASSWORD = "Tidal lantern quartz 47"
TEAM_A = "Riverside community mental health team"
TEAM_B = "Hilltop community mental health team"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class PortalTransport(httpx.BaseTransport):
    """The real ASGI app behind a synchronous httpx client: each request runs on one
    event loop in a background thread (what a server gives the app)."""

    def __init__(self, app: Starlette, portal: BlockingPortal, address: str) -> None:
        self.asgi = httpx.ASGITransport(app=app, client=(address, 50000))
        self.portal = portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        return self.portal.call(self._send, request)

    async def _send(self, request: httpx.Request) -> httpx.Response:
        response = await self.asgi.handle_async_request(request)
        body = await response.aread()
        return httpx.Response(
            response.status_code, headers=response.headers, content=body, request=request
        )


class Browser:
    """An HTTP client that remembers the last page and submits its forms, like a person."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.page: Node | None = None
        self.response: httpx.Response | None = None

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        self.response = self.client.get(path, follow_redirects=True, **kwargs)
        self.page = parse(self.response.text)
        return self.response

    def submit(
        self,
        action: str,
        data: dict[str, str] | None = None,
        *,
        page: str | None = None,
        follow: bool = True,
        **kwargs: Any,
    ) -> httpx.Response:
        """Fill in the form posting to `action` on `page` (or the current page) and send it."""
        if page is not None:
            self.get(page)
        assert self.page is not None, "no page loaded"
        target = form(self.page, action)
        body = fields(target) | (data or {})
        self.response = self.client.post(
            target.get("action"), data=body, follow_redirects=follow, **kwargs
        )
        self.page = parse(self.response.text)
        return self.response

    def sign_in(self, email: str, password: str = PASSWORD) -> httpx.Response:
        return self.submit(
            "/sign-in", {"email": email, "password": password}, page="/admin/sign-in"
        )

    @property
    def text(self) -> str:
        assert self.page is not None
        return self.page.text()


@dataclass
class World:
    settings: Settings
    db: Database
    clock: Clock
    app: Starlette
    assistant: Assistant
    ids: dict[str, int] = field(default_factory=dict)
    stack: ExitStack = field(default_factory=ExitStack)
    portal: BlockingPortal | None = None
    sent: int = 0

    def browser(self, address: str = "testclient") -> Browser:
        if self.portal is None:
            self.portal = self.stack.enter_context(start_blocking_portal())
        transport = PortalTransport(self.app, self.portal, address)
        client = httpx.Client(transport=transport, base_url="http://testserver")
        self.stack.enter_context(client)
        return Browser(client)

    def signed_in(self, who: str, address: str = "testclient") -> Browser:
        browser = self.browser(address)
        response = browser.sign_in(f"{who}@example.org")
        assert response.url.path == "/admin/", browser.text
        return browser

    def add_practitioner(
        self,
        admin: Browser,
        *,
        name: str = "New Person",
        email: str = "new@example.org",
        role: str = "practitioner",
    ) -> None:
        """Through the administrators' page, as an admin does it (to team A)."""
        admin.submit(
            "/practitioners",
            {"name": name, "email": email, "team": str(self.ids["team_a"]), "role": role},
            page="/admin/practitioners",
        )

    def say(self, person: str, text: str) -> str:
        """What `person` gets back for `text`, sent through the web channel."""
        self.sent += 1
        inbound = Inbound(Channel.WEB, str(self.ids[person]), text, f"test-{self.sent}")
        return "\n".join(self.assistant.handle(inbound).replies)

    def plan_version(
        self,
        person: str,
        kind: str = "crisis",
        *,
        sections: dict[str, list[dict[str, Any]]],
        status: str = "submitted",
        by: int | None = None,
    ) -> int:
        """A version of a plan: submitted (as if through the dialog), or approved."""
        with self.db.write() as session:
            version = plans.draft(session, self.ids[person], kind)
            for key, items in sections.items():
                plans.set_section(version, key, items)
            plans.submit(session, version, self.clock())
            if status == "approved":
                version.status = "approved"
                version.reviewed_at = self.clock()
                version.reviewed_by = by
            return version.number

    def versions(self, person: str, kind: str = "crisis") -> list[PlanVersion]:
        with self.db.read() as session:
            plan = plans.current(session, self.ids[person], kind)
            assert plan is not None
            return list(
                session.scalars(
                    select(PlanVersion)
                    .where(PlanVersion.plan_id == plan.plan_id)
                    .order_by(PlanVersion.number)
                ).all()
            )

    def audit(self, action: str | None = None) -> list[AuditEvent]:
        with self.db.read() as session:
            query = select(AuditEvent).order_by(AuditEvent.id)
            if action:
                query = query.where(AuditEvent.action == action)
            return list(session.scalars(query).all())


ROLES = {
    "pat": ("Pat Practitioner", TEAM_A, "practitioner"),
    "pia": ("Pia Practitioner", TEAM_A, "practitioner"),
    "lee": ("Lee Lead", TEAM_A, "team_lead"),
    "bo": ("Bo Practitioner", TEAM_B, "practitioner"),
    "bea": ("Bea Lead", TEAM_B, "team_lead"),
    "ada": ("Ada Admin", TEAM_B, "admin"),
}
PEOPLE = {
    "alex": ("Alex", "pat", "07400 123456"),
    "sam": ("Sam", "pia", None),
    "kim": ("Kim", "bo", None),
}


# argon2id is slow on purpose; the tests use it with the smallest cost it allows (the
# parameters travel inside each hash, so the code under test is the same).
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
CHEAP_DUMMY = CHEAP.hash("not anybody's password")


@lru_cache(maxsize=1)
def _hash() -> str:
    return CHEAP.hash(PASSWORD)


def seed(world: World) -> None:
    service = load_service(world.settings.dialogs_dir)
    now = world.clock()
    with world.db.write() as session:
        teams = {name: get_or_create_team(session, name, service) for name in (TEAM_A, TEAM_B)}
        teams[TEAM_A].crisis_line_name = "Riverside crisis line"
        teams[TEAM_A].crisis_line_number = "0800 123 4567"
        for key, (name, team, role) in ROLES.items():
            p = Practitioner(
                name=name,
                email=f"{key}@example.org",
                team_id=teams[team].id,
                role=role,
                password_hash=_hash(),
                password_changed_at=now,
                created_at=now,
            )
            session.add(p)
            session.flush()
            world.ids[key] = p.id
        world.ids["team_a"], world.ids["team_b"] = teams[TEAM_A].id, teams[TEAM_B].id
        for key, (name, owner, phone) in PEOPLE.items():
            practitioner = session.get(Practitioner, world.ids[owner])
            assert practitioner is not None
            person = add_participant(
                session,
                name=name,
                team=practitioner.team,
                now=now,
                phone=phone,
                practitioner=practitioner,
            )
            person.consented_at = person.onboarded_at = now
            world.ids[key] = person.id


@contextmanager
def admin_world(db_url: str, **overrides: Any) -> Iterator[World]:
    settings = make_settings(db_url, telegram_bot_username="touchpoint_test_bot", **overrides)
    db = Database(db_url)
    clock = Clock()
    assistant = Assistant(settings, db, clock)
    app = Starlette(
        routes=[
            Mount(
                "/admin",
                app=build_admin(settings=settings, db=db, assistant=assistant, clock=clock),
            )
        ]
    )
    world = World(settings, db, clock, app, assistant)
    world.stack.enter_context(patch.object(auth, "_hasher", CHEAP))
    world.stack.enter_context(patch.object(auth, "_DUMMY_HASH", CHEAP_DUMMY))
    try:
        seed(world)
        yield world
    finally:
        world.stack.close()
        db.dispose()


def participant(world: World, key: str) -> Participant:
    with world.db.read() as session:
        found = session.get(Participant, world.ids[key])
        assert found is not None
        return found
