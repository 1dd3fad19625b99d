"""The participant page's PIN panel: whether a PIN is set, and the team's reset (audited)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from starlette.responses import Response

from bot.admin import access, notify
from bot.admin.context import Ctx
from bot.privacy.lock import reset
from store.models import Participant, PlanPin


def panels(session: Session, person: Participant, now: datetime) -> dict[str, Any]:
    """What `_pin.html` shows, for participant.show()."""
    row = session.get(PlanPin, person.id)
    if row is None or row.pin_hash is None:
        return {"pin": None, "pin_locked_until": None}
    locked = row.locked_until if row.locked_until and row.locked_until > now else None
    return {"pin": row, "pin_locked_until": locked}


def reset_pin(ctx: Ctx) -> Response:
    """The PIN turned off: the person can choose a new one by texting PIN. They are told."""
    pid = int(ctx.param("pid"))
    with ctx.admin.db.write() as session:
        person = access.participant(session, ctx.user, pid)
        row = session.get(PlanPin, pid)
        if row is None or row.pin_hash is None:
            return ctx.redirect(f"/participants/{pid}", done="pin_none")
        reset(row)
        ctx.audit(session, "participant.pin_reset", "participant", pid)
        wording = ctx.admin.assistant.wording
        notify.queue(session, person, wording.render("privacy/reset", person.locale), ctx.now())
    return ctx.redirect(f"/participants/{pid}", done="pin_reset")
