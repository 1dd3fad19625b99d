"""Team settings: the crisis line and the other numbers every safety message and crisis
plan carries, and whether sign-in codes are required. Leads: their team; admins: all."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select
from starlette.responses import Response

from bot.admin import access
from bot.admin.context import ADMIN, LEAD, Ctx
from bot.assistant import load_service
from bot.enrolment import get_or_create_team
from bot.staff import duty
from bot.staff.notify import OPTIONAL
from store.models import Team

NUMBER = re.compile(r"\+?[0-9][0-9 ()-]{1,30}")
# A line people text rather than ring: "text SHOUT to 85258".
TEXT_LINE = re.compile(r"text [A-Za-z0-9]{1,20} to \+?[0-9][0-9 ]{2,20}", re.IGNORECASE)
MAX_LINES = 8
MAX_FIELD = 120


def index(ctx: Ctx) -> Response:
    if ctx.user.role == LEAD:
        return ctx.redirect(f"/teams/{ctx.user.team_id}")
    return _index(ctx)


def _index(ctx: Ctx, *, error: str | None = None, name: str = "") -> Response:
    with ctx.admin.db.read() as session:
        teams = session.scalars(select(Team).order_by(Team.name)).all()
        return ctx.render(
            "teams.html",
            status=400 if error else 200,
            title="Teams",
            teams=teams,
            error=error,
            name=name,
        )


def create(ctx: Ctx) -> Response:
    access.require(ctx.user, ADMIN)
    name = " ".join(ctx.field("name").split())
    if not name or len(name) > 200:
        return _index(ctx, error="Give the team a name (200 characters at most).", name=name)
    with ctx.admin.db.write() as session:
        taken = session.scalar(select(Team.id).where(func.lower(Team.name) == name.lower()))
        if taken is None:
            team = get_or_create_team(session, name, load_service(ctx.admin.settings.dialogs_dir))
            ctx.audit(session, "team.create", "team", team.id)
    if taken is not None:
        return _index(ctx, error="There is already a team with that name.", name=name)
    return ctx.redirect(f"/teams/{team.id}", done="team_created")


def show(
    ctx: Ctx, *, errors: list[str] | None = None, values: dict[str, Any] | None = None
) -> Response:
    with ctx.admin.db.read() as session:
        team = access.team(session, ctx.user, int(ctx.param("tid")))
        if values is None:
            values = {
                "crisis_line_name": team.crisis_line_name or "",
                "crisis_line_number": team.crisis_line_number or "",
                "crisis_line_hours": team.crisis_line_hours or "",
                "emergency_number": team.emergency_number,
                "require_totp": team.require_totp,
                "lines": [
                    (line.get("name", ""), line.get("number", ""), line.get("hours", ""))
                    for line in team.national_lines
                ],
                **_duty_values(duty.of(team)),
            }
        lines = list(values["lines"])
        lines += [("", "", "")] * 2  # room to add two more
        return ctx.render(
            "team.html",
            status=400 if errors else 200,
            title=team.name,
            team=team,
            values=values,
            lines=lines[:MAX_LINES],
            errors=errors or [],
            errors_for="team-errors",
            optional=OPTIONAL_NAMES,
        )


OPTIONAL_NAMES = {
    "crisis_requested": "when someone asks for their crisis plan (CRISIS)",
    "opted_out": "when someone sends STOP",
    "low_rating": "when someone rates a check-in 3 or lower",
}
assert set(OPTIONAL_NAMES) == set(OPTIONAL)


def _duty_values(d: duty.Duty) -> dict[str, Any]:
    return {
        "duty_emails": "\n".join(d.duty_emails),
        "duty_phones": "\n".join(d.duty_phones),
        "working_hours": d.working_hours or "",
        "timezone": d.timezone,
        "escalate_after": str(d.escalate_after_minutes),
        "out_of_hours_email": d.out_of_hours_email or "",
        "out_of_hours_phone": d.out_of_hours_phone or "",
        "notify_also": set(d.notify_also),
    }


def _duty_form(ctx: Ctx, errors: list[str]) -> duty.Duty:
    minutes = ctx.field("escalate_after").strip()
    if not minutes.isdigit():
        errors.append("Escalate after: give a number of minutes, for example 30.")
    return duty.Duty(
        duty_emails=tuple(ctx.field("duty_emails").split()),
        duty_phones=tuple(p for p in ctx.field("duty_phones").splitlines() if p.strip()),
        working_hours=ctx.field("working_hours"),
        timezone=ctx.field("timezone").strip(),
        escalate_after_minutes=int(minutes) if minutes.isdigit() else 30,
        out_of_hours_email=ctx.field("out_of_hours_email"),
        out_of_hours_phone=ctx.field("out_of_hours_phone"),
        notify_also=tuple(k for k in ctx.fields("notify_also") if k in OPTIONAL),
    )


def _number(label: str, value: str, errors: list[str], *, required: bool = False) -> str | None:
    value = " ".join(value.split())
    if not value:
        if required:
            errors.append(f"{label}: give a number.")
        return None
    if not NUMBER.fullmatch(value) and not TEXT_LINE.fullmatch(value):
        errors.append(
            f"{label}: use digits, spaces and + ( ) - only, as a phone would dial it "
            "(or, for a line people text, 'text WORD to NUMBER')."
        )
    return value


def save(ctx: Ctx) -> Response:
    errors: list[str] = []
    text = {
        k: " ".join(ctx.field(k).split())[:MAX_FIELD]
        for k in ("crisis_line_name", "crisis_line_hours")
    }
    lines = []
    rows = zip(
        ctx.fields("line_name"), ctx.fields("line_number"), ctx.fields("line_hours"), strict=False
    )
    for name, number, hours in list(rows)[:MAX_LINES]:
        name, hours = " ".join(name.split())[:MAX_FIELD], " ".join(hours.split())[:MAX_FIELD]
        if not (name or number.strip() or hours):
            continue
        if not name:
            errors.append("Each national line needs a name as well as a number.")
        checked = _number(name or "National line", number, errors, required=True)
        lines.append((name, checked or number, hours))
    values: dict[str, Any] = {
        **text,
        "crisis_line_number": ctx.field("crisis_line_number").strip(),
        "emergency_number": ctx.field("emergency_number").strip(),
        "require_totp": ctx.field("require_totp") == "yes",
        "lines": lines,
    }
    if not lines:
        errors.append(
            "Keep at least one national line (for example Samaritans, 116 123): every "
            "safety message and crisis reply gives them, and a team with none would "
            "leave a person with the emergency number alone."
        )
    given = _duty_form(ctx, errors)
    values |= _duty_values(given)
    crisis_number = _number("Crisis line", values["crisis_line_number"], errors)
    emergency = _number("Emergency number", values["emergency_number"], errors, required=True)
    with ctx.admin.db.read() as session:
        region = access.team(session, ctx.user, int(ctx.param("tid"))).region
    try:
        settled = duty.check(given, region)
    except duty.DutyError as exc:
        errors.extend(exc.problems)
    if errors:
        return show(ctx, errors=errors, values=values)
    with ctx.admin.db.write() as session:
        team = access.team(session, ctx.user, int(ctx.param("tid")))
        duty.apply(team, settled)
        team.crisis_line_name = text["crisis_line_name"] or None
        team.crisis_line_number = crisis_number
        team.crisis_line_hours = text["crisis_line_hours"] or None
        team.emergency_number = emergency or team.emergency_number
        team.national_lines = [
            {"name": n, "number": num, **({"hours": h} if h else {})} for n, num, h in lines
        ]
        team.require_totp = values["require_totp"]
        ctx.audit(
            session,
            "team.update",
            "team",
            team.id,
            require_totp=team.require_totp,
            national_lines=len(lines),
            duty_emails=len(settled.duty_emails),
            duty_phones=len(settled.duty_phones),
            escalate_after=settled.escalate_after_minutes,
        )
    return ctx.redirect(f"/teams/{ctx.param('tid')}", done="team")
