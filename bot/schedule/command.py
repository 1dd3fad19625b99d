"""`touchpoint participant schedule`: show, or set, when someone hears from us."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from bot.schedule import local
from bot.schedule.adjust import Change, apply, current
from bot.schedule.local import BadTime
from bot.schedule.people import lock
from bot.schedule.planning import pending
from bot.schedule.rhythm import parse_weekdays, parse_window
from bot.settings import Settings
from store.db import Database

KINDS = {"check_in": "check-in", "appointment_prep": "appointment prep", "reminder": "reminder"}


@dataclass(frozen=True)
class Options:
    """The command line's words, unparsed."""

    every: int | None = None
    weekdays: str | None = None
    window: str | None = None
    timezone: str | None = None
    quiet: str | None = None
    appointment: str | None = None
    no_appointment: bool = False
    cap: int | None = None
    off: bool = False


def change_from(options: Options) -> Change:
    """The options as a Change; BadTime says which one is wrong and how to write it."""
    appointment = None
    if options.appointment is not None:
        try:
            appointment = date.fromisoformat(options.appointment)
        except ValueError as exc:
            raise BadTime(
                f"{options.appointment!r} is not a date. Write it as year-month-day, "
                "for example 2026-03-14."
            ) from exc
    return Change(
        every_days=options.every,
        weekdays=parse_weekdays(options.weekdays) if options.weekdays is not None else None,
        window=parse_window(options.window) if options.window is not None else None,
        daily_cap=options.cap,
        timezone=options.timezone,
        quiet=parse_window(options.quiet) if options.quiet is not None else None,
        appointment=appointment,
        clear_appointment=options.no_appointment,
        off=options.off,
    )


def run(settings: Settings, participant_id: int, options: Options, now: datetime) -> int:
    db = Database(settings.database_url)
    try:
        db.check_migrated()
        change = change_from(options)
        with db.write() as session:
            if change.empty:
                if lock(session, participant_id) is None:
                    raise BadTime(f"There is no participant {participant_id}.")
            else:
                apply(session, participant_id, change, now, actor="cli")
            print(describe(session, participant_id))
    except BadTime as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        db.dispose()
    return 0


def describe(session: Session, participant_id: int) -> str:
    participant = lock(session, participant_id)
    assert participant is not None
    zone = local.zone_or_default(participant.timezone)
    rhythm = current(session, participant_id)
    lines = [
        f"Participant {participant_id} ({participant.status}), time zone {zone.key}.",
        "Check-ins: " + (rhythm.describe() if rhythm else "none (no regular check-ins)") + ".",
        f"Quiet hours: {participant.quiet_start}-{participant.quiet_end}.",
        "Next appointment: "
        + (participant.next_appointment.isoformat() if participant.next_appointment else "not set")
        + ".",
    ]
    if rhythm is not None:
        lines.append(f"At most {rhythm.daily_cap} scheduled messages a day.")
    planned = pending(session, participant_id)
    if planned:
        lines.append("Planned:")
        for job in planned:
            when = job.due_at.astimezone(zone).strftime("%a %-d %b %Y %H:%M %Z")
            lines.append(f"  {KINDS.get(job.kind, job.kind)}  {when}")
    else:
        lines.append("Nothing planned.")
    return "\n".join(lines)
