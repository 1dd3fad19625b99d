"""The sweep: find whom a job is missing for, and plan it. Set-based queries, each
person planned in a short transaction under their row lock; planning is idempotent
(unique keys), so two workers sweeping at once plan nothing twice."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    cast,
    delete,
    exists,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from bot import jobs
from bot.coproduction import asking
from bot.schedule import plan
from bot.schedule.people import CHECK_IN, PREP, REMINDER, load
from bot.schedule.planning import plan_check_in, plan_prep, replan
from bot.schedule.rules import Rules
from store.db import Database
from store.models import Conversation, Job, Participant, Schedule

CHUNK = 50  # people planned per transaction
KEEP_DONE = timedelta(days=180)  # settled jobs are history for the admin page, then deleted
NOT_REMINDED = ("menu", "onboarding", "how_often")


@dataclass
class Swept:
    check_ins: int = 0
    rechecked: int = 0
    preps: int = 0
    reminders: int = 0

    @property
    def total(self) -> int:
        return self.check_ins + self.rechecked + self.preps + self.reminders


def _reachable() -> ColumnElement[bool]:
    return and_(Participant.status == "active", Participant.onboarded_at.is_not(None))


ROUNDS = 10  # passes of `limit` people, at most, in one sweep


def sweep(db: Database, now: datetime, rules: Rules, *, limit: int = 2000) -> Swept:
    swept = Swept()
    for _ in range(ROUNDS):  # a new deployment, or a restored database: many at once
        missing = _missing_check_ins(db, limit)
        swept.check_ins += _chunks(db, missing, now, _plan_check_in)
        if len(missing) < limit:
            break
    swept.rechecked = _chunks(db, _wrote_since_planning(db, limit), now, _recheck)
    swept.preps = _chunks(db, _missing_preps(db, now, limit), now, _plan_prep)
    _drop_stale_preps(db)
    swept.reminders = _plan_reminders(db, now, rules, limit)
    _forget_old(db, now)
    return swept


def _forget_old(db: Database, now: datetime) -> None:
    with db.write() as session:
        session.execute(delete(Job).where(Job.status == jobs.DONE, Job.due_at < now - KEEP_DONE))


def _chunks(
    db: Database,
    ids: Sequence[int],
    now: datetime,
    each: Callable[[Session, int, datetime], None],
) -> int:
    for start in range(0, len(ids), CHUNK):
        with db.write() as session:
            for pid in ids[start : start + CHUNK]:
                each(session, pid, now)
    return len(ids)


def _missing_check_ins(db: Database, limit: int) -> list[int]:
    planned = exists().where(
        Job.participant_id == Schedule.participant_id,
        Job.kind == CHECK_IN,
        Job.status.in_((jobs.PENDING, jobs.RUNNING)),
    )
    stmt = (
        select(Schedule.participant_id)
        .join(Participant, Participant.id == Schedule.participant_id)
        .where(_reachable(), ~planned)
        .order_by(Schedule.participant_id)
        .limit(limit)
    )
    with db.read() as session:
        return list(session.scalars(stmt))


def _plan_check_in(session: Session, pid: int, now: datetime) -> None:
    loaded = load(session, pid)
    if loaded is not None:
        plan_check_in(session, loaded[1], now)


def _wrote_since_planning(db: Database, limit: int) -> list[int]:
    """People who wrote after their plan was made (back from a pause, START): checked."""
    stmt = (
        select(Job.participant_id)
        .join(Participant, Participant.id == Job.participant_id)
        .where(
            Job.status == jobs.PENDING,
            Job.kind.in_((CHECK_IN, PREP)),
            Participant.last_inbound_at > Job.planned_at,
        )
        .distinct()
        .limit(limit)
    )
    with db.read() as session:
        return list(session.scalars(stmt))


def _recheck(session: Session, pid: int, now: datetime) -> None:
    loaded = load(session, pid)
    if loaded is None:
        return
    basis = loaded[1].basis()
    waiting = session.scalars(
        select(Job).where(
            Job.participant_id == pid,
            Job.status == jobs.PENDING,
            Job.kind.in_((CHECK_IN, PREP)),
        )
    ).all()
    if any(job.basis != basis for job in waiting):
        replan(session, pid, now)
        return
    session.execute(
        update(Job).where(Job.id.in_([job.id for job in waiting])).values(planned_at=now)
    )


def _missing_preps(db: Database, now: datetime, limit: int) -> list[int]:
    planned = exists().where(
        Job.participant_id == Participant.id,
        Job.kind == PREP,
        Job.for_date == Participant.next_appointment,
    )
    # A day of slack: the person's own "today" may be behind UTC's.
    soonest = (now - timedelta(days=1)).date()
    stmt = (
        select(Participant.id)
        .where(
            _reachable(),
            Participant.next_appointment.is_not(None),
            Participant.next_appointment >= soonest,
            ~planned,
        )
        .order_by(Participant.id)
        .limit(limit)
    )
    with db.read() as session:
        return list(session.scalars(stmt))


def _plan_prep(session: Session, pid: int, now: datetime) -> None:
    loaded = load(session, pid)
    if loaded is not None:
        plan_prep(session, loaded[1], now)
        asking.plan_after_appointment(session, loaded[0], now)  # the same date's follow-up


def _drop_stale_preps(db: Database) -> None:
    """Pending preps for an appointment date that is no longer the next one."""
    stale = (
        select(Job.id)
        .join(Participant, Participant.id == Job.participant_id)
        .where(
            Job.kind == PREP,
            Job.status == jobs.PENDING,
            or_(
                Participant.next_appointment.is_(None),
                Participant.next_appointment != Job.for_date,
            ),
        )
    )
    with db.read() as session:
        ids = list(session.scalars(stale))
    if ids:
        with db.write() as session:
            session.execute(delete(Job).where(Job.id.in_(ids), Job.status == jobs.PENDING))


def _plan_reminders(db: Database, now: datetime, rules: Rules, limit: int) -> int:
    """One reminder for a dialog left unfinished for a day (not for one older than a week)."""
    since, within = now - rules.reminder_after, now - rules.reminder_within
    sent_since = exists().where(
        Job.participant_id == Participant.id,
        Job.outcome == jobs.SENT,
        Job.done_at > since,
    )
    sent_within = exists().where(
        Job.participant_id == Participant.id,
        Job.outcome == jobs.SENT,
        Job.done_at > within,
    )
    reminded = exists().where(
        Job.participant_id == Participant.id,
        Job.kind == REMINDER,
        Job.conversation_id == Conversation.id,
        Job.basis == literal("v") + cast(Conversation.version, String),
    )
    stmt = (
        select(Participant.id, Conversation.id, Conversation.version)
        .join(Conversation, Conversation.participant_id == Participant.id)
        .where(
            _reachable(),
            Conversation.status == "active",
            Conversation.dialog.not_in(NOT_REMINDED),
            or_(Participant.last_inbound_at.is_(None), Participant.last_inbound_at < since),
            ~sent_since,
            or_(Participant.last_inbound_at > within, sent_within),
            ~reminded,
        )
        .limit(limit)
    )
    with db.read() as session:
        rows = session.execute(stmt).all()
    for start in range(0, len(rows), CHUNK):
        with db.write() as session:
            for pid, conv_id, version in rows[start : start + CHUNK]:
                _plan_reminder(session, pid, conv_id, version, now)
    return len(rows)


def _plan_reminder(session: Session, pid: int, conv_id: int, version: int, now: datetime) -> None:
    loaded = load(session, pid)
    if loaded is None:
        return
    person = loaded[1]
    job = jobs.NewJob(
        REMINDER,
        pid,
        f"{REMINDER}:{conv_id}:{version}",
        plan.in_window(person, now),
        f"v{version}",
        conversation_id=conv_id,
    )
    jobs.add(session, job, now)
