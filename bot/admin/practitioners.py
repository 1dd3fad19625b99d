"""Administrators manage accounts: create one (with a temporary password shown once),
change a role or team, turn an account off, reset a password or sign-in codes."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from bot.admin import access, auth, sessions
from bot.admin.accounts import AccountError, Hashed, create_practitioner
from bot.admin.context import ADMIN, ROLE_NAMES, SHOWN_FOR, Ctx
from bot.admin.whole import whole
from store.models import Practitioner, Team

_TITLES = {"created": "Account created", "reset": "Password reset"}
_SHOWN = re.compile(r"(?P<pid>\d+)\.(?P<kind>created|reset)\.(?P<temporary>[a-z0-9-]{23})")


def index(ctx: Ctx, *, error: str | None = None, values: dict[str, Any] | None = None) -> Response:
    with ctx.admin.db.read() as session:
        people = session.execute(
            select(Practitioner, Team.name)
            .join(Team, Practitioner.team_id == Team.id)
            .order_by(Team.name, Practitioner.name)
        ).all()
        teams = session.execute(select(Team.id, Team.name).order_by(Team.name)).all()
        return ctx.render(
            "practitioners.html",
            status=400 if error else 200,
            title="Practitioners",
            people=people,
            teams=teams,
            roles=ROLE_NAMES,
            error=error,
            values=values or {},
        )


def create(ctx: Ctx) -> Response:
    values = {k: ctx.field(k).strip() for k in ("name", "email", "team", "role")}
    temporary = auth.generate_password()
    hashed = Hashed(auth.hash_password(temporary))  # before the write: hashing is slow
    try:
        with ctx.admin.db.write() as session:
            team = _team(session, values["team"])
            if team is None:
                raise AccountError("Choose a team.")
            person = create_practitioner(
                session,
                name=values["name"],
                email=values["email"],
                team=team,
                role=values["role"],
                password=hashed,
                now=ctx.now(),
                chosen_by_owner=False,
            )
            ctx.audit(
                session,
                "practitioner.create",
                "practitioner",
                person.id,
                role=person.role,
                team=team.id,
            )
            pid = person.id
    except AccountError as exc:
        return index(ctx, error=str(exc), values=values)
    return _show_once(ctx, pid, "created", temporary)


def show(ctx: Ctx, *, error: str | None = None) -> Response:
    with ctx.admin.db.read() as session:
        person = access.practitioner(session, ctx.user, int(ctx.param("id")))
        teams = session.execute(select(Team.id, Team.name).order_by(Team.name)).all()
        return ctx.render(
            "practitioner.html",
            status=400 if error else 200,
            title=person.name,
            person=person,
            teams=teams,
            roles=ROLE_NAMES,
            error=error,
        )


def save(ctx: Ctx) -> Response:
    role, team_id, active = ctx.field("role"), ctx.field("team"), ctx.field("active") == "yes"
    with ctx.admin.db.write() as session:
        person = access.practitioner(session, ctx.user, int(ctx.param("id")))
        team = _team(session, team_id)
        if role not in ROLE_NAMES or team is None:
            error: str | None = "Choose a role and a team from the lists."
        elif person.id == ctx.user.id and (role != ADMIN or not active):
            error = "You can't take away your own administrator role or turn off your account."
        else:
            error = None
            person.role, person.team_id, person.active = role, team.id, active
            if not active:
                sessions.end_all(session, person.id)
            ctx.audit(
                session,
                "practitioner.update",
                "practitioner",
                person.id,
                role=role,
                team=team.id,
                active=active,
            )
    if error is not None:
        return show(ctx, error=error)
    return ctx.redirect(f"/practitioners/{ctx.param('id')}", done="practitioner")


def reset_password(ctx: Ctx) -> Response:
    temporary = auth.generate_password()
    hashed = auth.hash_password(temporary)  # before the write: hashing is slow
    with ctx.admin.db.write() as session:
        person = access.practitioner(session, ctx.user, int(ctx.param("id")))
        person.password_hash = hashed
        person.password_changed_at = None
        sessions.end_all(session, person.id)
        sessions.revoke_devices(session, person.id)
        ctx.audit(session, "practitioner.reset_password", "practitioner", person.id)
    return _show_once(ctx, int(ctx.param("id")), "reset", temporary)


def _show_once(ctx: Ctx, pid: int, kind: str, temporary: str) -> Response:
    """Post/redirect/get: the temporary password rides in a short-lived, HTTP-only cookie
    to the page that shows it, so a reload shows it again and never creates or resets twice."""
    return ctx.redirect_showing(
        "password", f"{pid}.{kind}.{temporary}", f"/practitioners/{pid}/password"
    )


def password_once(ctx: Ctx) -> Response:
    pid = int(ctx.param("id"))
    shown = ctx.shown("password", _SHOWN)
    if shown is None or int(shown["pid"]) != pid:
        return ctx.redirect(f"/practitioners/{pid}")
    with ctx.admin.db.read() as session:
        person = access.practitioner(session, ctx.user, pid)
        return ctx.render(
            "password_once.html",
            title=_TITLES[shown["kind"]],
            person=person,
            temporary=shown["temporary"],
            minutes=SHOWN_FOR // 60,
        )


def reset_codes(ctx: Ctx) -> Response:
    with ctx.admin.db.write() as session:
        person = access.practitioner(session, ctx.user, int(ctx.param("id")))
        person.totp_secret = None
        person.totp_last_step = None
        sessions.end_all(session, person.id)
        ctx.audit(session, "practitioner.reset_codes", "practitioner", person.id)
    return ctx.redirect(f"/practitioners/{ctx.param('id')}", done="practitioner")


def _team(session: Session, chosen: str) -> Team | None:
    team_id = whole(chosen)
    return session.get(Team, team_id) if team_id is not None else None
