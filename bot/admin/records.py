"""A person's record as a whole, from their page: the subject access export (team leads
and administrators), discharge, and erasure (administrators only)."""

from __future__ import annotations

from starlette.responses import Response

from bot.admin import access
from bot.admin.context import Ctx
from bot.records import discharge as discharging
from bot.records import erase as erasing
from bot.records import export as exporting


def export(ctx: Ctx) -> Response:
    pid = int(ctx.param("pid"))
    now = ctx.now()
    # Built in a read, like the FHIR download: nothing waits on the writer meanwhile.
    with ctx.admin.db.read() as session:
        person = access.participant(session, ctx.user, pid)
        data = exporting.build(
            session,
            person,
            templates_dir=ctx.admin.settings.templates_dir,
            base_url=ctx.admin.settings.public_url,
            now=now,
        )
    with ctx.admin.db.write() as session:
        ctx.audit(session, "participant.export", "participant", pid, format="zip")
    return Response(
        data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{exporting.filename(pid, now)}"',
            "Cache-Control": "no-store",
        },
    )


def discharge(ctx: Ctx) -> Response:
    pid = int(ctx.param("pid"))
    if ctx.field("confirm") != "yes":
        with ctx.admin.db.read() as session:
            access.participant(session, ctx.user, pid)
        return ctx.redirect(f"/participants/{pid}", done="discharge_unconfirmed")
    with ctx.admin.db.write() as session:
        person = access.participant(session, ctx.user, pid)
        try:
            discharging.discharge(
                session,
                person,
                wording=ctx.admin.assistant.wording,
                now=ctx.now(),
                actor=ctx.user.actor,
                address=ctx.address,
            )
        except discharging.AlreadyDischarged:
            return ctx.redirect(f"/participants/{pid}")
    return ctx.redirect(f"/participants/{pid}", done="discharged")


def erase_form(ctx: Ctx, *, error: str | None = None, reason: str = "") -> Response:
    pid = int(ctx.param("pid"))
    with ctx.admin.db.read() as session:
        person = access.participant(session, ctx.user, pid)
        return ctx.render(
            "erase.html",
            status=400 if error else 200,
            title=f"Erase {person.display_name}'s record",
            person=person,
            error=error,
            reason=reason,
            max_reason=erasing.MAX_REASON,
        )


def erase(ctx: Ctx) -> Response:
    pid = int(ctx.param("pid"))
    reason = ctx.field("reason")
    if ctx.field("confirm") != "yes":
        return erase_form(
            ctx, error="Tick the box to confirm: this cannot be undone.", reason=reason
        )
    with ctx.admin.db.read() as session:
        access.participant(session, ctx.user, pid)
    try:
        erasing.erase(
            ctx.admin.db,
            pid,
            reason=reason,
            actor=ctx.user.actor,
            now=ctx.now(),
            address=ctx.address,
        )
    except erasing.EraseError as exc:
        return erase_form(ctx, error=str(exc), reason=reason)
    return ctx.redirect("/participants", done="erased")
