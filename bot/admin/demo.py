"""`touchpoint demo`: the whole loop on a laptop. A demo practitioner (a new password each
run, printed), the demo participant in the simulator, and the web app on 127.0.0.1 (or
`--host`/`--port`), listening before the address and password are printed."""

from __future__ import annotations

import socket
import sys
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.admin import auth
from bot.admin.context import LEAD
from bot.assistant import Assistant
from bot.settings import Settings
from store.db import Database
from store.models import Participant, Practitioner

DEMO_EMAIL = "demo@touchpoint.example"
DEMO_NAME = "Demo Practitioner"
DEMO_BOT = "TouchpointDemoBot"  # only for showing a Telegram link; nothing answers it
HOST, PORT = "127.0.0.1", 8000


@dataclass(frozen=True)
class Demo:
    email: str
    password: str
    participant_id: int


def seed(settings: Settings, participant_id: int) -> Demo:
    """The demo practitioner (a team lead of the demo team), owning the demo participant."""
    password = auth.generate_password()
    hashed = auth.hash_password(password)  # before the write: hashing is slow
    now = datetime.now(UTC)
    db = Database(settings.database_url)
    try:
        with db.write() as session:
            person = session.get(Participant, participant_id)
            assert person is not None
            found = session.scalars(
                select(Practitioner).where(func.lower(Practitioner.email) == DEMO_EMAIL)
            ).one_or_none()
            if found is None:
                found = Practitioner(
                    team_id=person.team_id,
                    name=DEMO_NAME,
                    email=DEMO_EMAIL,
                    role=LEAD,
                    created_at=now,
                )
                session.add(found)
            found.password_hash = hashed
            found.password_changed_at = now  # a demo: no forced change at first sign-in
            found.active = True
            session.flush()
            person.practitioner_id = found.id
            person.is_demo = True
    finally:
        db.dispose()
    return Demo(DEMO_EMAIL, password, participant_id)


class PortInUse(Exception):
    """The address can't be listened on; the message says what to do."""


def bind(host: str, port: int) -> socket.socket:
    """Listen first, so the address printed is one that answers (port 0: any free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise PortInUse(
            f"Can't listen on {host} port {port} ({exc.strerror or exc}). Is another demo or "
            "server running? Stop it, or choose another port: touchpoint demo --port 8001"
        ) from exc
    return sock


def run(settings: Settings, participant_id: int, *, host: str = HOST, port: int = PORT) -> int:
    import uvicorn

    from bot.web.app import create_app

    try:
        sock = bind(host, port)
    except PortInUse as exc:
        print(exc, file=sys.stderr)
        return 1
    port = sock.getsockname()[1]
    demo = seed(settings, participant_id)
    if not settings.telegram_bot_username:
        settings = settings.model_copy(update={"telegram_bot_username": DEMO_BOT})
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{port}/admin/"
    print(
        "Touchpoint demo is running.\n\n"
        f"  Open      {base}\n"
        f"  Email     {demo.email}\n"
        f"  Password  {demo.password}   (new each time the demo starts)\n\n"
        f"Then open Simulator and chat as the demo service user: send MENU and build a\n"
        "crisis plan; review and approve it on the Dashboard; send CRISIS in the simulator.\n"
        "Ctrl-C stops the demo.\n",
        flush=True,
    )
    db = Database(settings.database_url)
    db.check_migrated()
    app = create_app(settings, db, Assistant(settings, db), on_close=db.dispose)
    config = uvicorn.Config(
        app, host=host, port=port, proxy_headers=False, server_header=False, log_level="warning"
    )
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
    return 0
