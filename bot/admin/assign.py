"""Giving a participant to a named practitioner of their team (leads and administrators)."""

from __future__ import annotations

from starlette.responses import Response

from bot.admin import access
from bot.admin.context import Ctx
from store.models import Practitioner


def save(ctx: Ctx) -> Response:
    pid = int(ctx.param("pid"))
    raw = ctx.field("practitioner_id")
    with ctx.admin.db.write() as session:
        person = access.participant(session, ctx.user, pid)
        chosen = session.get(Practitioner, int(raw)) if raw.isdigit() else None
        if chosen is None or chosen.team_id != person.team_id or not chosen.active:
            raise access.NotFound("practitioner", int(raw) if raw.isdigit() else None)
        if chosen.id != person.practitioner_id:
            ctx.audit(
                session,
                "participant.assign",
                "participant",
                pid,
                before=person.practitioner_id,
                after=chosen.id,
            )
            person.practitioner_id = chosen.id
    return ctx.redirect(f"/participants/{pid}", done="assigned")
