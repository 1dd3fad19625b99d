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
    n: int,
) -> list[Row]:
    """Those with open alerts or plans to review (a short list, read through the indexes
    on open alerts and on version status), most first; then everyone else, quietest
    first."""
    needs = _needs_attention(who)
    # Ranked on a few columns, not loaded whole: a trust has thousands of them.
    ranked = session.execute(
        listed.with_only_columns(
            Participant.id,
            Participant.last_inbound_at,
            Participant.created_at,
            Participant.name_key,
        ).where(needs)
    ).all()
    counts = _counts(session, [r.id for r in ranked])
    order = sorted(
        ranked,
        key=lambda r: (
            -counts[0].get(r.id, 0),
            -counts[1].get(r.id, 0),
            r.last_inbound_at is not None,
            r.last_inbound_at or r.created_at,
            r.name_key,
            r.id,
        ),
    )
    ids = [r.id for r in order]
    rows: list[Row] = []
    if after is None or after.id in ids:
        start = 0 if after is None else ids.index(after.id) + 1
        page = ids[start : start + n]
        people = {
            p.id: p for p in session.scalars(select(Participant).where(Participant.id.in_(page)))
        }
        rows = [(people[i], counts[0].get(i, 0), counts[1].get(i, 0)) for i in page]
        after = None
        if len(rows) == n:
            return rows
    rest = listed.where(~needs)
    return rows + [(p, 0, 0) for p in _by_quiet(session, rest, after, n - len(rows))]


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
        total = int(
            session.scalar(
                select(func.count()).select_from(
                    listed.with_only_columns(Participant.id).subquery()
                )
            )
            or 0
        )
        if sort == "attention":
            rows = _attention(session, ctx.user, listed, after, PAGE_SIZE + 1)
        else:
            walk = _by_name if sort == "name" else _by_quiet
            rows = _counted(session, walk(session, listed, after, PAGE_SIZE + 1))
        more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        return ctx.render(
            "caseload.html",
            title="Caseload",
            rows=rows,
            search=search,
            sort=sort,
            sorts=SORTS,
            total=total,
            first_link=ctx.path("/participants", q=search, sort=sort) if after else None,
            next_link=ctx.path("/participants", q=search, sort=sort, after=rows[-1][0].id)
            if more
            else None,
        )
