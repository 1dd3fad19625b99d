"""Asking the person, one message at a time and outside their quiet hours: each of the
team's suggestions, and the touchpoint after an appointment. Both are jobs (kinds
`suggestion` and `after_appointment`) run by the worker's outreach."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot import jobs
from bot.coproduction import suggestions, voice
from bot.engine.turn import Turn
from bot.schedule import local
from bot.schedule.people import recipient
from bot.schedule.plan import Person
from bot.schedule.rules import Go
from store.models import Conversation, Job, Participant, Plan, Suggestion

if TYPE_CHECKING:  # the engine's actions import this module: no import back at run time
    from bot.engine.runner import Engine

SUGGESTION, AFTER = "suggestion", "after_appointment"
KINDS = (SUGGESTION, AFTER)
SUGGESTION_DIALOG, AFTER_DIALOG = "suggestion", "after_appointment"
MAX_TOPICS = 3  # the dialog counts down from topics_3 (docs/coproduction.md)
AFTER_AT = "17:00"  # local time on the appointment day: after it, before quiet hours
AFTER_WITHIN = timedelta(days=3)  # later than this the touchpoint is not sent
BUSY_FOR = timedelta(minutes=30)
PAUSED_RETRY = timedelta(days=1)

Deliver = Callable[[Session, int, Go, list[str], datetime], None]


def plan_next_suggestion(session: Session, participant_id: int, now: datetime) -> bool:
    row = suggestions.next_pending(session, participant_id)
    if row is None:
        return False
    return jobs.add(
        session, jobs.NewJob(SUGGESTION, participant_id, f"suggestion:{row.id}", now), now
    )


def plan_after_appointment(session: Session, participant: Participant, now: datetime) -> bool:
    """The touchpoint after their next appointment (moved with the date; one per date)."""
    day = participant.next_appointment
    zone = local.zone_or_default(participant.timezone)
    today = local.today(now, zone)
    stale = delete(Job).where(
        Job.participant_id == participant.id,
        Job.kind == AFTER,
        Job.status == jobs.PENDING,
        Job.for_date > today,
    )
    session.execute(stale if day is None else stale.where(Job.for_date != day))
    if day is None or day < today:
        return False
    due = _after(day, zone)
    key = f"{AFTER}:{participant.id}:{day.isoformat()}"
    return jobs.add(session, jobs.NewJob(AFTER, participant.id, key, due, for_date=day), now)


def _after(day: date, zone: ZoneInfo) -> datetime:
    return local.at(day, local.clock_time(AFTER_AT), zone)


def _gate(
    session: Session, participant: Participant, person: Person, now: datetime
) -> Go | str | datetime:
    """Go, or why not (a reason to skip), or when to try again."""
    if not person.reachable:
        return person.status if person.status != "active" else "not_onboarded"
    if person.paused(now):
        return now + PAUSED_RETRY
    if person.quiet.is_quiet(now, person.zone):
        return person.quiet.next_allowed(now, person.zone)
    active = session.scalars(
        select(Conversation).where(
            Conversation.participant_id == participant.id, Conversation.status == "active"
        )
    ).first()
    last = participant.last_inbound_at
    if active is not None and last is not None and last <= now < last + BUSY_FOR:
        return last + BUSY_FOR  # they are in the middle of something: don't cut in
    target = recipient(session, participant)
    if target is None:
        return "no_channel"
    return Go(*target)


def run(
    session: Session,
    job: Job,
    participant: Participant,
    person: Person,
    now: datetime,
    engine: Engine,
    deliver: Deliver,
) -> str:
    if (
        job.kind == AFTER
        and job.for_date
        and now > _after(job.for_date, person.zone) + AFTER_WITHIN
    ):
        jobs.finish(job, "skipped:missed", now)
        return "skipped:missed"
    decided = _gate(session, participant, person, now)
    if isinstance(decided, datetime):
        jobs.defer(job, decided, now)
        return "deferred"
    if isinstance(decided, str):
        jobs.finish(job, f"skipped:{decided}", now)
        return f"skipped:{decided}"
    turn = Turn(session=session, participant=participant, team=participant.team, now=now)
    if job.kind == SUGGESTION:
        outcome = _ask_suggestion(session, turn, engine, now)
    else:
        outcome = _ask_after(session, turn, engine, job.for_date, now)
    if outcome == jobs.SENT:
        deliver(session, participant.id, decided, turn.replies, now)
    jobs.finish(job, outcome, now)
    return outcome


def _ask_suggestion(session: Session, turn: Turn, engine: Engine, now: datetime) -> str:
    pid = turn.participant.id
    asking = session.scalars(
        select(Suggestion.id).where(Suggestion.participant_id == pid, Suggestion.status == "asked")
    ).first()
    if asking is not None:
        return "skipped:already_asking"  # the next is planned when that one is answered
    row = suggestions.next_pending(session, pid)
    if row is None:
        return "skipped:nothing_to_ask"
    batch = suggestions.on_version(session, row.version_id)
    sent = [s for s in batch if s.status != "proposed"]
    number = [s.id for s in sent].index(row.id) + 1
    row.status, row.asked_at = "asked", now
    answers = {
        "suggestion": row.id,
        "plan": _kind(session, row),
        "action": row.action,
        "section": row.section,
        "original": row.original,
        "text": row.text,
        "reason": row.reason,
        "note": row.note if number == 1 else None,
        "weakens": row.weakens,
        "number": number,
        "count": len(sent),
    }
    begin(engine, turn, SUGGESTION_DIALOG, "ask", answers)
    return jobs.SENT


def _kind(session: Session, row: Suggestion) -> str:
    plan = session.get(Plan, row.plan_id)
    return plan.kind if plan is not None else "care"


def _ask_after(
    session: Session, turn: Turn, engine: Engine, day: date | None, now: datetime
) -> str:
    topics = voice.agenda(session, turn.participant.id, now)[:MAX_TOPICS]
    start = f"topics_{len(topics)}" if topics else "add"
    answers = {"appointment": day.isoformat() if day else None, "topics": topics, "start": start}
    begin(engine, turn, AFTER_DIALOG, start, answers)
    return jobs.SENT


def begin(
    engine: Engine, turn: Turn, dialog: str, state: str, answers: Mapping[str, object]
) -> Conversation:
    """Start `dialog` at `state` with what it asks about already in its answers. What
    was in progress waits, as for any scheduled question (engine.start's rule); an old
    unanswered run of the same dialog is closed."""
    for old in turn.session.scalars(
        select(Conversation).where(
            Conversation.participant_id == turn.participant.id,
            Conversation.dialog == dialog,
            Conversation.status.in_(("active", "suspended")),
        )
    ):
        old.status = "completed"
        old.data = {**(old.data or {}), "ended": "unfinished"}
    current = engine.active(turn)
    if current is not None and current.status == "active":
        current.status = "suspended" if current.dialog != "menu" else "completed"
    conv = Conversation(
        participant_id=turn.participant.id,
        dialog=dialog,
        state=state,
        status="active",
        data={"answers": dict(answers), "history": []},
        created_at=turn.now,
        updated_at=turn.now,
    )
    turn.session.add(conv)
    engine.reprompt(turn, conv)
    return conv
