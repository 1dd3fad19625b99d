"""Changing when someone hears from us: by their practitioner (admin page, CLI) or by
the person (the MENU's "how often" choice). Every change is audited and replanned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy.orm import Session

from bot.schedule import local
from bot.schedule.local import BadTime, hhmm
from bot.schedule.people import lock, schedule_of
from bot.schedule.planning import replan
from bot.schedule.rhythm import FIRST_STEP, Rhythm, rhythm_from_row
from store.models import AuditEvent, Participant, Schedule


@dataclass(frozen=True)
class Change:
    """What to change; None keeps the current value."""

    every_days: int | None = None
    weekdays: frozenset[int] | None = None
    window: tuple[time, time] | None = None
    daily_cap: int | None = None
    timezone: str | None = None
    quiet: tuple[time, time] | None = None
    appointment: date | None = None
    clear_appointment: bool = False
    off: bool = False  # no regular check-ins (appointment prep and reminders go on)

    @property
    def empty(self) -> bool:
        return self == Change()


def current(session: Session, participant_id: int) -> Rhythm | None:
    row = schedule_of(session, participant_id)
    if row is None:
        return None
    return rhythm_from_row(
        row.every_days, row.weekdays, row.window_start, row.window_end, row.daily_cap
    )


def apply(
    session: Session,
    participant_id: int,
    change: Change,
    now: datetime,
    *,
    actor: str,
    audit: bool = True,
) -> Participant:
    """Validate and save `change`, then plan again; BadTime says what is wrong.
    `audit=False`: the caller writes the audit event (the admin page adds the address)."""
    participant = lock(session, participant_id)
    if participant is None:
        raise BadTime(f"There is no participant {participant_id}.")
    zone = (
        local.zone(change.timezone)  # BadTime if unknown
        if change.timezone is not None
        else local.zone_or_default(participant.timezone)
    )
    if change.appointment is not None and change.appointment < local.today(now, zone):
        raise BadTime(
            f"{change.appointment.isoformat()} has passed. Give the date of the next "
            "appointment (year-month-day), or clear it."
        )
    if change.quiet is not None and change.quiet[0] == change.quiet[1]:
        raise BadTime("Quiet hours need a different start and end, for example 21:00-09:00.")
    row = schedule_of(session, participant_id)
    rhythm = _new_rhythm(current(session, participant_id), change)
    quiet = change.quiet or (
        local.clock_time(participant.quiet_start),
        local.clock_time(participant.quiet_end),
    )
    if rhythm is not None and _all_quiet(rhythm, local.Quiet(*quiet)):
        raise BadTime(
            f"{hhmm(rhythm.window_start)}-{hhmm(rhythm.window_end)} is all inside their quiet "
            f"hours ({hhmm(quiet[0])}-{hhmm(quiet[1])}). Choose a window outside them."
        )
    if change.off and row is not None:
        session.delete(row)
    elif rhythm is not None:
        _save(session, participant_id, row, rhythm, now, actor)
    if change.timezone is not None:
        participant.timezone = change.timezone
    if change.quiet is not None:
        participant.quiet_start, participant.quiet_end = (hhmm(t) for t in change.quiet)
    if change.clear_appointment:
        participant.next_appointment = None
    elif change.appointment is not None:
        participant.next_appointment = change.appointment
    if audit:
        _audit(session, participant_id, now, actor)
    session.flush()
    replan(session, participant_id, now)
    return participant


def _all_quiet(rhythm: Rhythm, quiet: local.Quiet) -> bool:
    first = rhythm.window_start.hour * 60 + rhythm.window_start.minute
    return all(
        quiet.covers(time(minute // 60, minute % 60))
        for minute in range(first, first + rhythm.window_minutes)
    )


def _new_rhythm(old: Rhythm | None, change: Change) -> Rhythm | None:
    if change.off:
        return None
    touches = (change.every_days, change.weekdays, change.window, change.daily_cap)
    if all(value is None for value in touches):
        return old
    if old is None and change.every_days is None and change.weekdays is None:
        raise BadTime(
            "There is no check-in rhythm yet: say how often as well (every so many days, "
            "or which days of the week)."
        )
    base = old or Rhythm(every_days=FIRST_STEP)
    every, weekdays = base.every_days, base.weekdays
    if change.every_days is not None:
        every, weekdays = change.every_days, frozenset()
    elif change.weekdays is not None:
        every, weekdays = None, change.weekdays
    start, end = change.window or (base.window_start, base.window_end)
    return Rhythm(
        every_days=every,
        weekdays=weekdays,
        window_start=start,
        window_end=end,
        daily_cap=change.daily_cap if change.daily_cap is not None else base.daily_cap,
    )


def _save(
    session: Session,
    participant_id: int,
    row: Schedule | None,
    rhythm: Rhythm,
    now: datetime,
    actor: str,
) -> None:
    if row is None:
        row = Schedule(participant_id=participant_id, created_at=now)
        session.add(row)
    row.every_days = rhythm.every_days
    row.weekdays = rhythm.weekday_text
    row.window_start, row.window_end = hhmm(rhythm.window_start), hhmm(rhythm.window_end)
    row.daily_cap = rhythm.daily_cap
    row.updated_at, row.updated_by = now, actor[:80]


def _audit(session: Session, participant_id: int, now: datetime, actor: str) -> None:
    session.add(
        AuditEvent(
            at=now,
            actor=actor[:80],
            action="participant.schedule",
            record_type="participant",
            record_id=participant_id,
        )
    )


# -- by the person, from the MENU's "how often" choice ------------------------------


def more_often(session: Session, participant: Participant, now: datetime) -> Rhythm:
    old = current(session, participant.id)
    rhythm = old.more_often() if old is not None else Rhythm(every_days=FIRST_STEP)
    _by_person(session, participant, rhythm, now)
    return rhythm


def less_often(session: Session, participant: Participant, now: datetime) -> Rhythm | None:
    """One step less often; None when they have no regular check-ins to make rarer."""
    old = current(session, participant.id)
    if old is None:
        return None
    rhythm = old.less_often()
    _by_person(session, participant, rhythm, now)
    return rhythm


def week_off(session: Session, participant: Participant, now: datetime) -> None:
    """The same as PAUSE: nothing scheduled for a week, or until they write again."""
    participant.paused_at = now
    _audit(session, participant.id, now, "participant")
    session.flush()
    replan(session, participant.id, now)


def _by_person(session: Session, participant: Participant, rhythm: Rhythm, now: datetime) -> None:
    _save(session, participant.id, schedule_of(session, participant.id), rhythm, now, "participant")
    _audit(session, participant.id, now, "participant")
    session.flush()
    replan(session, participant.id, now)


def best_time(session: Session, participant: Participant, at: time, now: datetime) -> str:
    """Their check-in window moved to start at `at`, the same length as before (ending by
    midnight). Returns "moved", "no_rhythm" (no regular check-ins to move) or "quiet"
    (the time is in their quiet hours: nothing changed)."""
    old = current(session, participant.id)
    if old is None:
        return "no_rhythm"
    start = at.hour * 60 + at.minute
    end = min(start + max(old.window_minutes, 60), 23 * 60 + 59)
    quiet = local.Quiet(
        local.clock_time(participant.quiet_start), local.clock_time(participant.quiet_end)
    )
    rhythm = Rhythm(
        every_days=old.every_days,
        weekdays=old.weekdays,
        window_start=at,
        window_end=time(end // 60, end % 60),
        daily_cap=old.daily_cap,
    )
    if quiet.covers(at) or _all_quiet(rhythm, quiet):
        return "quiet"
    _by_person(session, participant, rhythm, now)
    return "moved"
