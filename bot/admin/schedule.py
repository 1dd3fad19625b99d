"""Between appointments, on the admin pages: a participant's rhythm (set by their
practitioner), their agenda from check-ins and appointment prep, and the dashboard's
list of who has not answered a scheduled question for a while."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from bot.admin import access
from bot.admin.context import Ctx, Who
from bot.admin.whole import LARGEST_NUMBER, whole
from bot.schedule import adjust, local
from bot.schedule.local import BadTime, clock_time
from bot.schedule.planning import pending
from bot.schedule.rhythm import DAY_NAMES, DEFAULT_WINDOW, WEEKDAYS, Rhythm
from store.models import Conversation, Job, Participant

AGENDA_DAYS = 60
RECENT_JOBS = 6
UNANSWERED_DAYS = (1, 3, 7, 14)
UNANSWERED_DEFAULT = 3
SHOW = 20
KINDS = {
    "check_in": "Check-in",
    "appointment_prep": "Appointment prep",
    "reminder": "Reminder",
    "suggestion": "A suggestion from the team",
    "after_appointment": "After the appointment",
}
OUTCOMES = {
    "sent": "sent",
    "skipped:unanswered": "not sent: the last question has no answer yet",
    "skipped:awaiting_reply": "not sent: reminded once, waiting for them",
    "skipped:daily_cap": "not sent: enough messages that day",
    "skipped:paused": "not sent: paused",
    "skipped:missed": "not sent: its time passed",
    "skipped:too_late": "not sent: too close to the appointment",
    "skipped:no_channel": "not sent: no phone or Telegram",
    "skipped:opted_out": "not sent: opted out",
    "skipped:discharged": "not sent: discharged",
    "skipped:already_asking": "not sent: waiting for their answer to the last suggestion",
    "skipped:nothing_to_ask": "not sent: nothing left to ask",
    "failed:error": "not sent: an error (see the logs)",
}


# -- the participant page ------------------------------------------------------------------


def panels(session: Session, person: Participant, now: datetime) -> dict[str, Any]:
    """What `_schedule.html` and `_agenda.html` show, for participant.show()."""
    rhythm = adjust.current(session, person.id)
    recent = session.scalars(
        select(Job)
        .where(Job.participant_id == person.id, Job.status == "done")
        .order_by(Job.done_at.desc())
        .limit(RECENT_JOBS)
    ).all()
    return {
        "rhythm": rhythm,
        "rhythm_form": _form_values(person, rhythm),
        "weekday_choices": list(zip(WEEKDAYS, DAY_NAMES, strict=True)),
        "planned": [(KINDS.get(j.kind, j.kind), j.due_at) for j in pending(session, person.id)],
        "recent_jobs": [
            (KINDS.get(j.kind, j.kind), OUTCOMES.get(j.outcome or "", j.outcome), j.done_at)
            for j in recent
        ],
        "agenda": agenda(session, person.id, now),
        "unanswered_days": UNANSWERED_DEFAULT,
    }


def _form_values(person: Participant, rhythm: Rhythm | None) -> dict[str, Any]:
    start, end = (rhythm.window_start, rhythm.window_end) if rhythm else DEFAULT_WINDOW
    return {
        "how": "off" if rhythm is None else ("every" if rhythm.every_days else "weekdays"),
        "every": rhythm.every_days if rhythm and rhythm.every_days else 7,
        "weekdays": {WEEKDAYS[d] for d in rhythm.weekdays} if rhythm else set(),
        "window_start": local.hhmm(start),
        "window_end": local.hhmm(end),
        "timezone": person.timezone,
        "quiet_start": person.quiet_start,
        "quiet_end": person.quiet_end,
        "daily_cap": rhythm.daily_cap if rhythm else 2,
    }


# dialog -> (the answer holding their topics, where the practitioner is told they came from)
_AGENDA_SOURCES = {
    "check_in": ("agenda", "At a check-in"),
    "appointment_prep": ("topics", "Before the appointment"),
    "care_plan": ("agenda", "In their care plan"),
}


def agenda(session: Session, participant_id: int, now: datetime) -> list[dict[str, Any]]:
    """What they'd like to talk about: from check-ins, appointment prep and the care
    plan's "next appointment" question, newest first."""
    since = now - timedelta(days=AGENDA_DAYS)
    convs = session.scalars(
        select(Conversation)
        .where(
            Conversation.participant_id == participant_id,
            Conversation.dialog.in_(tuple(_AGENDA_SOURCES)),
            Conversation.updated_at >= since,
        )
        .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
    ).all()
    found = []
    for conv in convs:
        answers = conv.data.get("answers", {}) if isinstance(conv.data, dict) else {}
        key, source = _AGENDA_SOURCES[conv.dialog]
        items = answers.get(key) or []
        texts = [str(i.get("text", "")) if isinstance(i, dict) else str(i) for i in items]
        if texts:
            found.append({"at": conv.updated_at, "source": source, "items": texts})
    return found


def save(ctx: Ctx) -> Response:
    pid = int(ctx.param("pid"))
    try:
        change = _change(ctx)
        with ctx.admin.db.write() as session:
            access.participant(session, ctx.user, pid)
            adjust.apply(session, pid, change, ctx.now(), actor=ctx.user.actor, audit=False)
            ctx.audit(session, "participant.schedule", "participant", pid)
    except BadTime as exc:
        from bot.admin import participant  # it shows these panels: imported when needed

        with ctx.admin.db.read() as session:
            access.participant(session, ctx.user, pid)
        return participant.show(ctx, error=str(exc), error_for="schedule-form")
    return ctx.redirect(f"/participants/{pid}", done="schedule")


def _change(ctx: Ctx) -> adjust.Change:
    how = ctx.field("how")
    every, weekdays = None, None
    if how == "every":
        raw = ctx.field("every").strip()
        every = whole(raw, LARGEST_NUMBER)
        if every is None:
            raise BadTime("Give the number of days between check-ins, for example 3.")
    elif how == "weekdays":
        chosen = [d for d in ctx.fields("weekday") if d in WEEKDAYS]
        if not chosen:
            raise BadTime("Tick at least one day of the week.")
        weekdays = frozenset(WEEKDAYS.index(d) for d in chosen)
    cap = whole(ctx.field("daily_cap"), LARGEST_NUMBER)
    if cap is None:
        raise BadTime("Give the most scheduled messages a day as a number, for example 2.")
    return adjust.Change(
        every_days=every,
        weekdays=weekdays,
        window=_times(ctx, "window_start", "window_end") if how != "off" else None,
        daily_cap=cap if how != "off" else None,
        timezone=ctx.field("timezone").strip(),
        quiet=_times(ctx, "quiet_start", "quiet_end"),
        off=how == "off",
    )


def _times(ctx: Ctx, start: str, end: str) -> tuple[time, time]:
    return clock_time(ctx.field(start)), clock_time(ctx.field(end))


# -- the dashboard -------------------------------------------------------------------------


def dashboard(session: Session, who: Who, now: datetime, days: str) -> dict[str, Any]:
    """Who has not answered a scheduled question for `days` days (a list, not an alarm)."""
    wait = whole(days) or UNANSWERED_DEFAULT
    if wait not in UNANSWERED_DAYS:
        wait = UNANSWERED_DEFAULT
    # participant.last_asked_at is kept by the outreach (bot/schedule/outreach.py): read
    # along its index, oldest first, rather than aggregating every job ever run.
    rows = session.execute(
        select(Participant, Participant.last_asked_at)
        .where(
            access.participants(who),
            Participant.status == "active",
            Participant.last_asked_at < now - timedelta(days=wait),
            (Participant.last_inbound_at.is_(None))
            | (Participant.last_inbound_at < Participant.last_asked_at),
        )
        .order_by(Participant.last_asked_at)
        .limit(SHOW)
    ).all()
    return {
        "unanswered": [(person, asked) for person, asked in rows],
        "unanswered_days": wait,
        "unanswered_choices": UNANSWERED_DAYS,
    }
