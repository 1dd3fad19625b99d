"""Reviewing a plan: the submitted draft beside the last approved version, the decision,
the version history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from bot import plans
from bot.admin import access, coproduction, decide, diff, notify
from bot.admin.context import Ctx
from bot.admin.sections import STATUS_NAMES
from bot.privacy.scheduled import held
from store.models import Participant, PlanVersion, Practitioner

PARTICIPANT = "participant"


def authors(session: Session, person: Participant, *versions: PlanVersion | None) -> dict[str, str]:
    """Labels for the `by` of every item in these versions."""
    ids: set[int] = set()
    for version in versions:
        for items in (version.sections if version else {}).values():
            for entry in items:
                was = entry.get("was") if isinstance(entry.get("was"), dict) else {}
                for one in [entry, was, *(entry.get("steps") or [])]:
                    by = str(one.get("by", ""))
                    if by.startswith("practitioner:") and by[13:].isdigit():
                        ids.add(int(by[13:]))
    # The name isolated (FSI ... PDI): its own direction never reorders the words after it.
    labels = {PARTICIPANT: f"\u2068{person.display_name}\u2069 (service user)"}
    if ids:
        for pid, name in session.execute(
            select(Practitioner.id, Practitioner.name).where(Practitioner.id.in_(ids))
        ):
            labels[f"practitioner:{pid}"] = f"{name} (practitioner)"
    return labels


def _where(ctx: Ctx) -> tuple[int, str]:
    return int(ctx.param("pid")), str(ctx.param("kind"))


def show(
    ctx: Ctx, *, note: str = "", error: str | None = None, suggest_error: str | None = None
) -> Response:
    pid, kind = _where(ctx)
    with ctx.admin.db.read() as session:
        person, plan = access.plan(session, ctx.user, pid, kind)
        waiting = plans.waiting_version(session, plan.id)
        approved = plans.approved_version(session, plan.id)
        latest = plans.latest_version(session, plan.id)
        compared = diff.compare(
            approved.sections if approved else {},
            waiting.sections if waiting else {},
            plans.SECTIONS[kind],
        )
        context: dict[str, Any] = {
            "person": person,
            "kind": kind,
            "waiting": waiting,
            "approved": approved,
            "newer_draft": latest is not None
            and waiting is not None
            and latest.number > waiting.number,
            "sections": compared,
            "changes": diff.summary(compared, first=approved is None),
            "authors": authors(session, person, waiting, approved),
            "note": note,
            "error": error,
            "error_for": "note",
            "max_note": decide.MAX_NOTE,
            "suggest_error": suggest_error,
            "suggest_error_for": "suggest-error",
            **coproduction.review_panel(
                session, person, kind, waiting, plans.SECTIONS[kind], ctx.now()
            ),
        }
        ctx.record_view(
            "plan.review_view",
            "plan_version",
            waiting.id if waiting else None,
            participant=person.id,
            kind=kind,
        )
        return ctx.render(
            "review.html",
            status=400 if error or suggest_error else 200,
            title=f"Review: {person.display_name}",
            **context,
        )


def _decide(ctx: Ctx, action: str) -> Response:
    pid, kind = _where(ctx)
    number = int(ctx.param("number"))
    note = ctx.field("note").strip()
    if action == "send_back" and not note:
        return show(ctx, note=note, error="Write a note saying what you'd like changed.")
    if len(note) > decide.MAX_NOTE:
        return show(ctx, note=note, error=f"Keep the note to {decide.MAX_NOTE} characters.")
    wording = ctx.admin.assistant.wording
    now = ctx.now()
    try:
        with ctx.admin.db.write() as session:
            person, _plan, version = access.version(session, ctx.user, pid, kind, number)
            if action == "approve":
                decide.approve(session, version, ctx.user.id, now)
                body = notify.approved(wording, person, kind)
                ctx.admin.assistant.router.sharing.on_approved(session, person, kind, now)
            else:
                decide.send_back(session, version, ctx.user.id, note, now)
                body = notify.sent_back(wording, person, kind, note)
            body = held(session, person, wording, body)  # nothing of the plan before a PIN
            channel = notify.queue(session, person, body, now)
            ctx.audit(
                session,
                f"plan.{action}",
                "plan_version",
                version.id,
                participant=person.id,
                kind=kind,
                number=number,
                notified=channel,
            )
    except decide.Conflict:
        return ctx.redirect(f"/participants/{pid}/plans/{kind}", done="already")
    done = "approved" if action == "approve" else "sent_back"
    return ctx.redirect(f"/participants/{pid}", done=done)


def approve(ctx: Ctx) -> Response:
    return _decide(ctx, "approve")


def send_back(ctx: Ctx) -> Response:
    return _decide(ctx, "send_back")


def history(ctx: Ctx) -> Response:
    pid, kind = _where(ctx)
    with ctx.admin.db.read() as session:
        person, plan = access.plan(session, ctx.user, pid, kind)
        versions = session.scalars(
            select(PlanVersion)
            .where(PlanVersion.plan_id == plan.id)
            .order_by(PlanVersion.number.desc())
        ).all()
        reviewers = dict(
            session.execute(
                select(Practitioner.id, Practitioner.name).where(
                    Practitioner.id.in_({v.reviewed_by for v in versions if v.reviewed_by})
                )
            ).all()
        )
        ctx.record_view("plan.history_view", "plan", plan.id, participant=person.id)
        return ctx.render(
            "history.html",
            title=f"Versions: {person.display_name}",
            person=person,
            kind=kind,
            versions=versions,
            reviewers=reviewers,
            status_names=STATUS_NAMES,
        )


def version(ctx: Ctx) -> Response:
    return _one_version(ctx, "version.html")


def print_view(ctx: Ctx) -> Response:
    return _one_version(ctx, "print.html")


def _one_version(ctx: Ctx, template: str) -> Response:
    pid, kind = _where(ctx)
    number = int(ctx.param("number"))
    with ctx.admin.db.read() as session:
        person, _plan, row = access.version(session, ctx.user, pid, kind, number)
        reviewer = session.get(Practitioner, row.reviewed_by) if row.reviewed_by else None
        ctx.record_view(
            "plan.print" if template == "print.html" else "plan.view",
            "plan_version",
            row.id,
            participant=person.id,
            kind=kind,
            number=number,
        )
        return ctx.render(
            template,
            title=f"{person.display_name}: version {number}",
            person=person,
            kind=kind,
            version=row,
            team=person.team,
            reviewer=reviewer,
            sections=[(key, row.sections.get(key) or []) for key in plans.SECTIONS[kind]],
            authors=authors(session, person, row),
            status_names=STATUS_NAMES,
            printed_at=ctx.now(),
            show_changes=template == "version.html",
        )
