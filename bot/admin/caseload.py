"""The caseload: everyone this practitioner may see, what needs attention first.

A page at a time from where the last one ended (`after`, the last row's id), along the
index of the chosen order within the person's scope: the thousandth page costs what the
first does (docs/performance.md). Search finds names by how they begin, case and accents
aside (participant.name_key)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    exists,
    func,
    or_,
    select,
    tuple_,
    union,
)
from sqlalchemy.orm import Session
from starlette.responses import Response

from bot.admin import access, whole
from bot.admin.context import PRACTITIONER, Ctx, Who
from store.models import Alert, Participant, Plan, PlanVersion, name_key

PAGE_SIZE = 20
COUNT_CAP = 1_000  # people counted exactly; past it the page says "more than"
SORTS = {"attention": "What needs attention", "name": "Name", "quiet": "Longest without a reply"}
_LAST = "\U0010ffff"  # sorts after every character: key <= name_key < key + _LAST is a prefix

Row = tuple[Participant, int, int]  # the person, open alerts, versions waiting for review


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    more: bool


def _listed(who: Who, search: str) -> Select[Participant]:
    query = select(Participant).where(access.participants(who))
    key = name_key(search)
    if key:
        query = query.where(Participant.name_key >= key, Participant.name_key < key + _LAST)
    return query


def _open_alerts() -> Select[int | None, int]:
    return (
        select(Alert.participant_id, func.count().label("n"))
        .where(Alert.acknowledged_at.is_(None), Alert.participant_id.is_not(None))
        .group_by(Alert.participant_id)
    )


def _waiting() -> Select[int, int]:
    return (
        select(Plan.participant_id, func.count().label("n"))
        .join(PlanVersion, PlanVersion.plan_id == Plan.id)
        .where(PlanVersion.status == "submitted")
        .group_by(Plan.participant_id)
    )


def _counts(session: Session, ids: Sequence[int]) -> tuple[dict[int, int], dict[int, int]]:
    """Open alerts, and versions waiting for review, of these people."""
    found = session.execute(_open_alerts().where(Alert.participant_id.in_(ids)))
    alerts = {int(row[0] or 0): row[1] for row in found}
    waiting = {
        row[0]: row[1] for row in session.execute(_waiting().where(Plan.participant_id.in_(ids)))
    }
    return alerts, waiting


def _counted(session: Session, people: Sequence[Participant]) -> list[Row]:
    alerts, waiting = _counts(session, [p.id for p in people])
    return [(p, alerts.get(p.id, 0), waiting.get(p.id, 0)) for p in people]


def _by_name(
    session: Session, listed: Select[Participant], after: Participant | None, n: int
) -> list[Participant]:
    if after is not None:
        listed = listed.where(
            tuple_(Participant.name_key, Participant.id) > (after.name_key, after.id)
        )
    return list(session.scalars(listed.order_by(Participant.name_key, Participant.id).limit(n)))


def _by_quiet(
    session: Session, listed: Select[Participant], after: Participant | None, n: int
) -> list[Participant]:
    """Those who never wrote first (by id), then by when they last did: two walks along
    an index, each from where the last page ended."""
    found: list[Participant] = []
    if after is None or after.last_inbound_at is None:
        never = listed.where(Participant.last_inbound_at.is_(None))
        if after is not None:
            never = never.where(Participant.id > after.id)
        found = list(session.scalars(never.order_by(Participant.id).limit(n)))
    if len(found) < n:
        wrote = listed.where(Participant.last_inbound_at.is_not(None))
        if after is not None and after.last_inbound_at is not None:
            wrote = wrote.where(
                tuple_(Participant.last_inbound_at, Participant.id)
                > (after.last_inbound_at, after.id)
            )
        order = (Participant.last_inbound_at, Participant.id)
        found += session.scalars(wrote.order_by(*order).limit(n - len(found)))
    return found


def _needs_attention(who: Who) -> ColumnElement[bool]:
    """Has an open alert or a plan to review. For a caseload, asked of each of its people
    through their indexes; for a team or the whole trust, the short list of everyone with
    either is read once instead (through the indexes on open alerts and on status)."""
    if who.role != PRACTITIONER:
        needing: CompoundSelect[int | None] = union(
            select(Alert.participant_id).where(Alert.acknowledged_at.is_(None)),
            select(Plan.participant_id)
            .join(PlanVersion, PlanVersion.plan_id == Plan.id)
            .where(PlanVersion.status == "submitted"),
        )
        return Participant.id.in_(needing)
    alerted = exists().where(
        Alert.participant_id == Participant.id, Alert.acknowledged_at.is_(None)
    )
    # From their plans to those plans' versions (ix_plan_version_plan_status), not
    # from every version waiting in the trust to its plan.
    waiting = exists().where(
        PlanVersion.plan_id.in_(
            select(Plan.id).where(Plan.participant_id == Participant.id).correlate(Participant)
        ),
        PlanVersion.status == "submitted",
    )
    return or_(alerted, waiting)


def _attention(
    session: Session,
    who: Who,
    listed: Select[Participant],
    after: Participant | None,
    at: int,
    n: int,
) -> tuple[list[Row], dict[str, int] | None]:
    """Those with open alerts or plans to review, most first (`at`: how many of them
    earlier pages showed); then everyone else, quietest first (`after`: the last one
    shown). The first part is short, ranked in SQL; the second walks an index. Returns
    the rows and where the next page starts (None: this is the last)."""
    needs = _needs_attention(who)
    rows: list[Row] = []
    if after is None:
        alerts = _open_alerts().subquery()
        waiting = _waiting().subquery()
        n_alerts = func.coalesce(alerts.c.n, 0)
        n_waiting = func.coalesce(waiting.c.n, 0)
        ranked = session.execute(
            listed.add_columns(n_alerts, n_waiting)
            .outerjoin(alerts, alerts.c.participant_id == Participant.id)
            .outerjoin(waiting, waiting.c.participant_id == Participant.id)
            .where(needs)
            .order_by(
                n_alerts.desc(),
                n_waiting.desc(),
                Participant.last_inbound_at.asc().nulls_first(),
                Participant.name_key,
                Participant.id,
            )
            .limit(n + 1)
            .offset(at)
        ).all()
        rows = [(p, int(a), int(w)) for p, a, w in ranked]
        if len(rows) > n:
            return rows[:n], {"at": at + n}
    rest = _by_quiet(session, listed.where(~needs), after, n + 1 - len(rows))
    rows += [(p, 0, 0) for p in rest]
    if len(rows) > n:
        return rows[:n], {"after": rows[n - 1][0].id}
    return rows, None


def show(ctx: Ctx) -> Response:
    search = ctx.query("q").strip()[:100]
    sort = ctx.query("sort", "attention")
    if sort not in SORTS:
        sort = "attention"
    after_id = whole.whole(ctx.query("after"))
    listed = _listed(ctx.user, search)
    with ctx.admin.db.read() as session:
        after = None
        if after_id is not None:
            after = session.scalars(listed.where(Participant.id == after_id)).one_or_none()
        # Counted up to a cap: past it "more than 1,000" says as much, and a trust's
        # whole caseload is not walked on every view (docs/performance.md).
        total = int(
            session.scalar(
                select(func.count()).select_from(
                    listed.with_only_columns(Participant.id).limit(COUNT_CAP + 1).subquery()
                )
            )
            or 0
        )
        if sort == "attention":
            at = whole.whole(ctx.query("at")) or 0
            rows, more = _attention(session, ctx.user, listed, after, at, PAGE_SIZE)
        else:
            walk = _by_name if sort == "name" else _by_quiet
            rows = _counted(session, walk(session, listed, after, PAGE_SIZE + 1))
            more = {"after": rows[PAGE_SIZE - 1][0].id} if len(rows) > PAGE_SIZE else None
            rows = rows[:PAGE_SIZE]
        first = after is not None or bool(ctx.query("at"))
        return ctx.render(
            "caseload.html",
            title="Caseload",
            rows=rows,
            search=search,
            sort=sort,
            sorts=SORTS,
            total=total,
            count_cap=COUNT_CAP,
            first_link=ctx.path("/participants", q=search, sort=sort) if first else None,
            next_link=ctx.path("/participants", q=search, sort=sort, **more) if more else None,
        )
