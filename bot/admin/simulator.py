"""The simulator: chat as a made-up service user through the same router, engine and
store as every channel (the web channel), to see the dialogs as people will.

Only demo participants can be simulated, so nobody types into a real person's record."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from bot.admin import access
from bot.admin.context import Ctx
from bot.enrolment import add_participant
from bot.types import Channel, Inbound
from store.models import Message, Participant, Practitioner

MAX_TEXT = 1600
HISTORY = 60


def _demo(session: Session, ctx: Ctx, pid: int) -> Participant:
    person = access.participant(session, ctx.user, pid)
    if not person.is_demo:
        raise access.NotFound("participant", pid)
    return person


def index(ctx: Ctx) -> Response:
    with ctx.admin.db.read() as session:
        people = session.scalars(
            select(Participant)
            .where(Participant.is_demo.is_(True), access.participants(ctx.user))
            .order_by(Participant.id)
        ).all()
        return ctx.render("simulator_index.html", title="Simulator", people=people)


def create(ctx: Ctx) -> Response:
    with ctx.admin.db.write() as session:
        me = session.get(Practitioner, ctx.user.id)
        assert me is not None
        person = add_participant(
            session,
            name="Demo service user",
            team=me.team,
            now=ctx.now(),
            practitioner=me,
            actor=ctx.user.actor,
        )
        person.is_demo = True
        pid = person.id
    return ctx.redirect(f"/simulator/{pid}")


def show(ctx: Ctx, *, error: str | None = None, text: str = "") -> Response:
    pid = int(ctx.param("pid"))
    with ctx.admin.db.read() as session:
        person = _demo(session, ctx, pid)
        messages = list(
            reversed(
                session.scalars(
                    select(Message)
                    .where(Message.participant_id == pid, Message.channel == Channel.WEB.value)
                    .order_by(Message.id.desc())
                    .limit(HISTORY)
                ).all()
            )
        )
        return ctx.render(
            "simulator.html",
            status=400 if error else 200,
            title=f"Simulator: {person.display_name}",
            person=person,
            messages=messages,
            error=error,
            text=text,
            max_text=MAX_TEXT,
        )


def send(ctx: Ctx) -> Response:
    pid = int(ctx.param("pid"))
    text = ctx.field("text")
    if not text.strip():
        return show(ctx, error="Type a message first.")
    if len(text) > MAX_TEXT:
        return show(ctx, error=f"Keep a message to {MAX_TEXT} characters.", text=text)
    with ctx.admin.db.read() as session:
        _demo(session, ctx, pid)
    ctx.admin.assistant.handle(
        Inbound(Channel.WEB, str(pid), text, external_id=f"sim-{uuid.uuid4().hex}")
    )
    return ctx.redirect_url(ctx.path(f"/simulator/{pid}") + "#latest")
