"""Languages on the admin pages (which stay in English): what a team offers, and the
language a service user is written to in. The rules are bot/language/offer.py's."""

from __future__ import annotations

from starlette.responses import Response

from bot.admin import access
from bot.admin.context import ADMIN, Ctx
from bot.language import offer
from bot.language.catalogue import LanguageError, NeedsAcknowledgement, NeedsAdmin


def team_languages(ctx: Ctx) -> Response:
    """Enable or stop offering a language, or make one the team's default."""
    tid = int(ctx.param("tid"))
    action, code = ctx.field("action"), ctx.field("language")
    with ctx.admin.db.write() as session:
        team = access.team(session, ctx.user, tid)
        actor, now, address = ctx.user.actor, ctx.now(), ctx.address
        try:
            if action == "enable":
                offer.enable(
                    session,
                    team,
                    code,
                    admin=ctx.user.role == ADMIN,
                    acknowledged=ctx.field("acknowledge") == "yes",
                    actor=actor,
                    now=now,
                    address=address,
                )
            elif action == "disable":
                offer.disable(session, team, code, actor=actor, now=now, address=address)
            else:
                offer.set_team_default(session, team, code, actor=actor, now=now, address=address)
        except LanguageError as refused:
            done = "language_not_offered"
            if isinstance(refused, NeedsAdmin):
                done = "language_admin_only"
            elif isinstance(refused, NeedsAcknowledgement):
                done = "language_unacknowledged"
            session.rollback()
            return ctx.redirect(f"/teams/{tid}", done=done)
    return ctx.redirect(f"/teams/{tid}", done="languages")


def participant_language(ctx: Ctx) -> Response:
    pid = int(ctx.param("pid"))
    with ctx.admin.db.write() as session:
        person = access.participant(session, ctx.user, pid)
        try:
            offer.set_language(
                session,
                person,
                person.team,
                ctx.field("language"),
                actor=ctx.user.actor,
                now=ctx.now(),
                address=ctx.address,
            )
        except LanguageError:
            session.rollback()
            return ctx.redirect(f"/participants/{pid}", done="language_not_offered")
    return ctx.redirect(f"/participants/{pid}", done="language")
