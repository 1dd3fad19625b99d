"""The caseload: everyone this practitioner may see, what needs attention first."""

from __future__ import annotations

from sqlalchemy import func, select
from starlette.responses import Response

from bot.admin import access, whole
from bot.admin.context import Ctx
from store.models import Alert, Participant, Plan, PlanVersion

PAGE_SIZE = 20
SORTS = {"attention": "What needs attention", "name": "Name", "quiet": "Longest without a reply"}


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def show(ctx: Ctx) -> Response:
    search = ctx.query("q").strip()[:100]
    sort = ctx.query("sort", "attention")
    if sort not in SORTS:
        sort = "attention"
    page = max(1, whole.whole(ctx.query("page")) or 1)
    alerts = (
        select(Alert.participant_id, func.count().label("n"))
        .where(Alert.acknowledged_at.is_(None))
        .group_by(Alert.participant_id)
        .subquery()
    )
    waiting = (
        select(Plan.participant_id, func.count().label("n"))
        .join(PlanVersion, PlanVersion.plan_id == Plan.id)
        .where(PlanVersion.status == "submitted")
        .group_by(Plan.participant_id)
        .subquery()
    )
    n_alerts = func.coalesce(alerts.c.n, 0)
    n_waiting = func.coalesce(waiting.c.n, 0)
    query = (
        select(Participant, n_alerts, n_waiting)
        .outerjoin(alerts, alerts.c.participant_id == Participant.id)
        .outerjoin(waiting, waiting.c.participant_id == Participant.id)
        .where(access.participants(ctx.user))
    )
    if search:
        query = query.where(Participant.display_name.ilike(_like(search), escape="\\"))
    quiet_first = Participant.last_inbound_at.asc().nulls_first()
    order = {
        "attention": (n_alerts.desc(), n_waiting.desc(), quiet_first, Participant.display_name),
        "name": (func.lower(Participant.display_name), Participant.id),
        "quiet": (quiet_first, Participant.display_name),
    }[sort]
    with ctx.admin.db.read() as session:
        total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(page, pages)
        rows = session.execute(
            query.order_by(*order).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
        ).all()
        return ctx.render(
            "caseload.html",
            title="Caseload",
            rows=rows,
            search=search,
            sort=sort,
            sorts=SORTS,
            page=page,
            pages=pages,
            total=total,
            pager_link=lambda n: ctx.path("/participants", q=search, sort=sort, page=n),
        )
