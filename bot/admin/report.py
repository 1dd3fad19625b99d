"""The team's report on the touchpoints after appointments, for team leads (and
administrators, any team): a page, and the same figures as CSV."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from bot.admin import access
from bot.admin.context import Ctx
from bot.coproduction import report
from store.models import Team


def _team(ctx: Ctx, session: Session) -> Team:
    raw = ctx.query("team")
    team_id = int(raw) if raw.isdigit() else ctx.user.team_id
    return access.team(session, ctx.user, team_id)


def show(ctx: Ctx) -> Response:
    with ctx.admin.db.read() as session:
        team = _team(ctx, session)
        weeks = report.weeks(session, team.id, ctx.now())
        teams = (
            list(session.scalars(select(Team).order_by(Team.name))) if ctx.user.is_admin else [team]
        )
        ctx.record_view("report.appointments_view", "team", team.id)
        return ctx.render(
            "report.html",
            title=f"After appointments: {team.name}",
            team=team,
            teams=teams,
            weeks=list(reversed(weeks)),
            answered=sum(w.answered for w in weeks),
        )


def download(ctx: Ctx) -> Response:
    with ctx.admin.db.read() as session:
        team = _team(ctx, session)
        body = report.to_csv(team.name, report.weeks(session, team.id, ctx.now()))
        ctx.record_view("report.appointments_csv", "team", team.id)
    day = ctx.now().date().isoformat()
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="after-appointments-{team.id}-{day}.csv"',
            "Cache-Control": "no-store",
        },
    )
