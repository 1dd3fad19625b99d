"""Planning jobs in the caller's transaction: the next check-in, the appointment prep.

Every change of a setting ends in `replan`, so no job made from old settings stays
pending; a job that is already claimed is checked again by its worker (its `basis`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bot import jobs
from bot.coproduction import asking
from bot.schedule import plan
from bot.schedule.people import CHECK_IN, PREP, last_check_in_day, load
from bot.schedule.plan import Person
from store.models import Job

_TRIES = 7


def check_in_key(person: Person, day: object) -> str:
    return f"{CHECK_IN}:{person.id}:{day}"


def prep_key(person: Person, appointment: object) -> str:
    return f"{PREP}:{person.id}:{appointment}"


_WAITING = select(Job.id).where(
    Job.participant_id == bindparam("pid"),
    Job.kind == CHECK_IN,
    Job.status.in_((jobs.PENDING, jobs.RUNNING)),
)


def plan_check_in(
    session: Session, person: Person, now: datetime, *, after_run: date | None = None
) -> bool:
    """Plan the next check-in unless one is pending or claimed; True if one is planned.

    `after_run`: the day of the check-in job that has just run in this transaction (the
    caller holds the person's lock, so nothing else is planned for them meanwhile)."""
    if after_run is None:
        if session.scalar(_WAITING, {"pid": person.id}) is not None:
            return True
        last = last_check_in_day(session, person.id)
    else:
        last = after_run
    after = now
    for _ in range(_TRIES):
        found = plan.next_check_in(person, after, last)
        if found is None:
            return False
        when, day = found
        job = jobs.NewJob(CHECK_IN, person.id, check_in_key(person, day), when, person.basis(), day)
        if jobs.add(session, job, now):
            return True
        # That day has had its check-in already (the clock went back): the next one.
        after = plan.window_end(person, day) + timedelta(minutes=1)
    return False


def plan_prep(session: Session, person: Person, now: datetime) -> bool:
    """Plan the appointment prep for their next appointment, once per appointment date.

    When it can no longer go (the day before has passed, or they are paused through it),
    a job is written as done and skipped, so the sweep does not look at it again."""
    appointment = person.next_appointment
    if appointment is None or not person.reachable:
        return False
    key = prep_key(person, appointment)
    due = plan.prep_time(person, now)
    job = jobs.NewJob(PREP, person.id, key, due or now, person.basis(), appointment)
    added = jobs.add(session, job, now)
    if added and due is None:
        row = session.scalars(select(Job).where(Job.key == key)).one()
        jobs.finish(row, "skipped:too_late", now)
    return added


def replan(session: Session, participant_id: int, now: datetime) -> Person | None:
    """Settings changed: forget the pending plans and make them again from the new ones."""
    loaded = load(session, participant_id)  # locks the participant
    if loaded is None:
        return None
    participant, person = loaded
    jobs.drop_pending(session, person.id, (CHECK_IN,))
    jobs.drop_pending(session, person.id, (PREP,), keep=person.next_appointment)
    stale_prep = session.scalars(
        select(Job).where(
            Job.participant_id == person.id,
            Job.kind == PREP,
            Job.status == jobs.PENDING,
        )
    ).all()
    for job in stale_prep:
        if job.basis != person.basis():
            jobs.drop(session, job)
    plan_check_in(session, person, now)
    plan_prep(session, person, now)
    asking.plan_after_appointment(session, participant, now)  # docs/coproduction.md
    return person


def pending(session: Session, participant_id: int) -> list[Job]:
    """What is planned for this person, soonest first."""
    return list(
        session.scalars(
            select(Job)
            .where(
                Job.participant_id == participant_id,
                Job.status.in_((jobs.PENDING, jobs.RUNNING)),
            )
            .order_by(Job.due_at)
        )
    )
