"""The edit-then-approve page: the submitted version as a form; saving approves it."""

from __future__ import annotations

from starlette.responses import Response

from bot.admin import access, decide, edit, notify
from bot.admin.context import Ctx
from bot.admin.review import authors
from bot.admin.sections import SECTION_TITLES
from bot.coproduction import overrides
from bot.plans import SECTIONS
from bot.privacy.scheduled import held


def _section(ctx: Ctx, kind: str) -> str:
    """The one section this page edits ("" for all of them): from the link, or the form."""
    section = ctx.field("section") or ctx.query("section")
    return section if section in SECTIONS[kind] else ""


def _where(ctx: Ctx) -> tuple[int, str, int]:
    return int(ctx.param("pid")), str(ctx.param("kind")), int(ctx.param("number"))


def form(
    ctx: Ctx,
    *,
    errors: dict[str, str] | None = None,
    typed: bool = False,
    problem: str | None = None,
) -> Response:
    pid, kind, number = _where(ctx)
    with ctx.admin.db.read() as session:
        person, _plan, version = access.version(session, ctx.user, pid, kind, number)
        if version.status != "submitted":
            return ctx.redirect(f"/participants/{pid}/plans/{kind}", done="already")
        section = _section(ctx, kind)
        model = edit.form_model(version.sections, kind, ctx.field if typed else None, section)
        labels = authors(session, person, version)
        ctx.record_view("plan.edit_view", "plan_version", version.id, participant=person.id)
        return ctx.render(
            "edit.html",
            status=400 if errors or problem else 200,
            title=f"Edit and approve: {person.display_name}",
            person=person,
            kind=kind,
            version=version,
            sections=model,
            section=section,
            every_section=[
                (key, SECTION_TITLES.get(key, key), len(version.sections.get(key) or []))
                for key in SECTIONS[kind]
            ],
            authors=labels,
            errors=errors or {},
            problem=problem,
            max_text=edit.MAX_TEXT,
            reason=ctx.field("override_reason") if typed else "",
            max_reason=overrides.MAX_REASON,
        )


def submit(ctx: Ctx) -> Response:
    pid, kind, number = _where(ctx)
    now = ctx.now()
    wording = ctx.admin.assistant.wording
    try:
        with ctx.admin.db.write() as session:
            person, _plan, version = access.version(session, ctx.user, pid, kind, number)
            edited = edit.apply(
                version.sections,
                kind,
                ctx.field,
                ctx.user.actor,
                person.team.region,
                _section(ctx, kind),
            )
            reason = ctx.field("override_reason")
            if edited.changes:
                try:
                    reason = overrides.check_reason(reason)
                except overrides.Invalid as invalid:
                    edited.errors["override_reason"] = str(invalid)
            if edited.errors:
                raise _Invalid(edited.errors)
            if not edited.changes:
                decide.approve(session, version, ctx.user.id, now)
                body = notify.approved(wording, person, kind)
                action, record = "plan.approve", version.id
            else:
                new = decide.approve_with_edits(session, version, ctx.user.id, edited.sections, now)
                override = overrides.record(
                    session,
                    kind=kind,
                    replaced=version,
                    approved=new,
                    practitioner_id=ctx.user.id,
                    reason=reason,
                    changes=edited.changes,
                    now=now,
                )
                body = notify.overridden(
                    wording,
                    person,
                    kind,
                    edited.changes,
                    reason,
                    removed_safety=override.removed_safety,
                )
                action, record = "plan.edit_approve", new.id
            ctx.admin.assistant.router.sharing.on_approved(session, person, kind, now)
            body = held(session, person, wording, body)  # nothing of the plan before a PIN
            channel = notify.queue(session, person, body, now)
            ctx.audit(
                session,
                action,
                "plan_version",
                record,
                participant=person.id,
                kind=kind,
                changes=len(edited.changes),
                notified=channel,
            )
    except _Invalid as invalid:
        return form(ctx, errors=invalid.errors, typed=True)
    except decide.Conflict as conflict:
        if str(conflict) == "newer":
            return form(
                ctx,
                typed=True,
                problem=(
                    "They have started changing this plan again since sending it, so it can't be "
                    "edited here. Approve it as it is, or send it back with a note."
                ),
            )
        return ctx.redirect(f"/participants/{pid}/plans/{kind}", done="already")
    done = "edited" if action == "plan.edit_approve" else "approved"
    return ctx.redirect(f"/participants/{pid}", done=done)


class _Invalid(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("invalid edit")
        self.errors = errors
