"""Suggestions on the review page: propose a change (add, reword, take out, with a
reason), take one back, and send the plan back with them. The person decides on each
(bot/coproduction); nothing here changes their words."""

from __future__ import annotations

from starlette.responses import Response

from bot.admin import access, decide, review
from bot.admin.context import Ctx
from bot.coproduction import asking, suggestions

PLAN = "/participants/{pid}/plans/{kind}"


def _where(ctx: Ctx) -> tuple[int, str, int]:
    return int(ctx.param("pid")), str(ctx.param("kind")), int(ctx.param("number"))


def _proposal(ctx: Ctx) -> suggestions.Proposal:
    verb, _, rest = ctx.field("change").partition(":")
    section, _, index = rest.partition(":")
    return suggestions.Proposal(
        action=verb,
        section=section,
        index=int(index) if index.isdigit() else None,
        text=ctx.field("text"),
        reason=ctx.field("reason"),
    )


def propose(ctx: Ctx) -> Response:
    pid, kind, number = _where(ctx)
    try:
        with ctx.admin.db.write() as session:
            person, _plan, version = access.version(session, ctx.user, pid, kind, number)
            row = suggestions.propose(
                session, version, kind, ctx.user.id, _proposal(ctx), ctx.now()
            )
            ctx.audit(
                session,
                "suggestion.propose",
                "suggestion",
                row.id,
                participant=person.id,
                kind=kind,
                change=row.action,
            )
    except suggestions.Invalid as invalid:
        return review.show(ctx, suggest_error=str(invalid))
    return ctx.redirect(f"/participants/{pid}/plans/{kind}/review", done="suggested")


def withdraw(ctx: Ctx) -> Response:
    pid, kind, number = _where(ctx)
    sid = int(ctx.param("sid"))
    with ctx.admin.db.write() as session:
        person, _plan, version = access.version(session, ctx.user, pid, kind, number)
        if suggestions.withdraw(session, version.id, sid):
            ctx.audit(session, "suggestion.withdraw", "suggestion", sid, participant=person.id)
    return ctx.redirect(f"/participants/{pid}/plans/{kind}/review")


def send_back(ctx: Ctx) -> Response:
    """Send the version back with its suggestions: the first is asked at once (outside
    quiet hours), the next when that one is answered."""
    pid, kind, number = _where(ctx)
    note = " ".join(ctx.field("note").split())
    if len(note) > decide.MAX_NOTE:
        return review.show(ctx, suggest_error=f"Keep the note to {decide.MAX_NOTE} characters.")
    now = ctx.now()
    try:
        with ctx.admin.db.write() as session:
            person, _plan, version = access.version(session, ctx.user, pid, kind, number)
            if not [
                s for s in suggestions.on_version(session, version.id) if s.status == "proposed"
            ]:
                raise _Nothing
            decide.send_back(session, version, ctx.user.id, note, now)
            sent = suggestions.send(session, version.id, note, now)
            asking.plan_next_suggestion(session, person.id, now)
            ctx.audit(
                session,
                "plan.send_back_suggestions",
                "plan_version",
                version.id,
                participant=person.id,
                kind=kind,
                number=number,
                suggestions=len(sent),
            )
    except _Nothing:
        return review.show(ctx, suggest_error="Add a suggestion first, or send back with a note.")
    except decide.Conflict:
        return ctx.redirect(f"/participants/{pid}/plans/{kind}", done="already")
    return ctx.redirect(f"/participants/{pid}", done="suggestions_sent")


class _Nothing(Exception):
    """Sent back with no suggestion to send."""
