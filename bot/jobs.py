"""The jobs table: scheduled work that any number of workers share.

A job is planned with an idempotency `key` (unique: planning the same thing twice adds
nothing), claimed in batches with a lease (`SELECT ... FOR UPDATE SKIP LOCKED` on
PostgreSQL; SQLite's single writer serialises claims), and settled in the same
transaction as its effect, under a row lock and a fencing check (`attempts`), so the
effect happens once even when a lease ran out and another worker claimed it again.
See docs/scheduling.md, "Jobs".
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, bindparam, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from store.db import Database
from store.models import Job

PENDING, RUNNING, DONE = "pending", "running", "done"
SENT = "sent"
# A claim made "in the future" came from a clock that was ahead, or ours went back:
# it is not trusted to still be held.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class NewJob:
    kind: str
    participant_id: int
    key: str
    due_at: datetime
    basis: str | None = None
    for_date: date | None = None
    conversation_id: int | None = None


@dataclass(frozen=True)
class Claim:
    id: int
    kind: str
    participant_id: int
    attempt: int  # the fencing token: this claim's value of `attempts`


# Built once: ON CONFLICT (key) DO NOTHING, RETURNING the id when a row was added (rowcount
# can't tell on every driver).
_ADD = {
    "postgresql": pg_insert(Job).on_conflict_do_nothing(index_elements=["key"]).returning(Job.id),
    "sqlite": sqlite_insert(Job).on_conflict_do_nothing(index_elements=["key"]).returning(Job.id),
}
_HOLD = select(Job).where(Job.id == bindparam("id")).with_for_update()


def add(session: Session, job: NewJob, now: datetime) -> bool:
    """Plan `job` in this transaction; False if a job with its key exists already."""
    values = {
        "kind": job.kind,
        "participant_id": job.participant_id,
        "key": job.key,
        "status": PENDING,
        "due_at": job.due_at,
        "basis": job.basis,
        "for_date": job.for_date,
        "conversation_id": job.conversation_id,
        "attempts": 0,
        "planned_at": now,
        "created_at": now,
    }
    connection = session.connection()
    return connection.execute(_ADD[connection.dialect.name], values).first() is not None


def claim(
    db: Database,
    now: datetime,
    *,
    lease: timedelta,
    worker: str,
    limit: int,
    kinds: Collection[str] | None = None,
) -> list[Claim]:
    """Claim up to `limit` due jobs (and jobs whose lease ran out), oldest due first."""
    due = or_(
        and_(Job.status == PENDING, Job.due_at <= now),
        and_(
            Job.status == RUNNING,
            or_(Job.claimed_until <= now, Job.claimed_at > now + CLOCK_SKEW),
        ),
    )
    stmt = select(Job.id).where(due)
    if kinds is not None:
        stmt = stmt.where(Job.kind.in_(list(kinds)))
    # PostgreSQL: other workers skip rows being claimed; SQLite renders no FOR UPDATE.
    stmt = stmt.order_by(Job.due_at, Job.id).limit(limit).with_for_update(skip_locked=True)
    with db.write() as session:
        ids = list(session.scalars(stmt))
        if not ids:
            return []
        rows = session.execute(
            update(Job)
            .where(Job.id.in_(ids))
            .values(
                status=RUNNING,
                attempts=Job.attempts + 1,
                claimed_by=worker[:64],
                claimed_at=now,
                claimed_until=now + lease,
            )
            .returning(Job.id, Job.kind, Job.participant_id, Job.attempts)
        ).all()
    claims = [Claim(id=r[0], kind=r[1], participant_id=r[2], attempt=r[3]) for r in rows]
    return sorted(claims, key=lambda c: ids.index(c.id))


def hold(session: Session, claim: Claim) -> Job | None:
    """The claimed job, row-locked for this transaction, if the claim is still ours."""
    job = session.scalars(_HOLD, {"id": claim.id}).one_or_none()
    if job is None or job.status != RUNNING or job.attempts != claim.attempt:
        return None  # done or dropped meanwhile, or claimed again after our lease ran out
    return job


def finish(job: Job, outcome: str, now: datetime) -> None:
    job.status, job.outcome, job.done_at = DONE, outcome[:40], now
    job.claimed_until = None


def defer(job: Job, due_at: datetime, now: datetime) -> None:
    """Not now: pending again, due at `due_at`."""
    job.status, job.due_at, job.planned_at = PENDING, due_at, now
    job.claimed_until = job.claimed_at = job.claimed_by = None


def drop(session: Session, job: Job) -> None:
    """No longer wanted: deleted, so its key can be planned again."""
    session.execute(delete(Job).where(Job.id == job.id))


def drop_pending(
    session: Session, participant_id: int, kinds: Collection[str], *, keep: date | None = None
) -> int:
    """Delete this participant's pending jobs of these kinds (claimed ones are left to
    their worker, which checks them again). `keep`: spare the job for that date."""
    stmt = delete(Job).where(
        Job.participant_id == participant_id,
        Job.kind.in_(list(kinds)),
        Job.status == PENDING,
    )
    if keep is not None:
        stmt = stmt.where(or_(Job.for_date.is_(None), Job.for_date != keep))
    return int(cast(CursorResult[Any], session.execute(stmt)).rowcount)


def release(db: Database, claims: Collection[Claim], now: datetime) -> None:
    """Give claims back (a worker stopping): pending again, due now."""
    if not claims:
        return
    with db.write() as session:
        for c in claims:
            session.execute(
                update(Job)
                .where(Job.id == c.id, Job.status == RUNNING, Job.attempts == c.attempt)
                .values(status=PENDING, claimed_until=None, claimed_at=None, claimed_by=None)
            )
