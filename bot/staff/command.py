"""`touchpoint team set` and `touchpoint team show`: a team's duty settings."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bot.settings import Settings
from bot.staff import duty
from store.db import Database
from store.models import AuditEvent, Team

NONE = "none"  # given as a value: clears the setting


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    team = sub.add_parser("team", help="a team's duty contacts, hours and escalation")
    t_sub = team.add_subparsers(dest="team_command", required=True, metavar="SUBCOMMAND")
    show = t_sub.add_parser("show", help="print a team's duty settings")
    show.add_argument("--team", required=True, help="team name")
    put = t_sub.add_parser(
        "set",
        help="change who hears of safety alerts, and when they escalate",
        description="Change a team's duty settings; what is not given stays as it is. "
        "A list option replaces the whole list; give `none` to clear a setting. "
        "See docs/configuration.md, 'Team duty settings'.",
    )
    put.add_argument("--team", required=True, help="team name (it must exist)")
    put.add_argument(
        "--duty-email", action="append", metavar="EMAIL", help="a duty email (repeat for more)"
    )
    put.add_argument(
        "--duty-phone", action="append", metavar="NUMBER", help="a duty mobile for SMS (repeat)"
    )
    put.add_argument(
        "--hours", metavar="HOURS", help='when someone reads messages: "Mon-Fri 09:00-17:00"'
    )
    put.add_argument("--timezone", metavar="ZONE", help="IANA time zone, e.g. Europe/London")
    put.add_argument(
        "--escalate-after",
        type=int,
        metavar="MINUTES",
        help="minutes before an unacknowledged alert goes to the team lead (then the admins)",
    )
    put.add_argument("--out-of-hours-email", metavar="EMAIL", help="told out of hours")
    put.add_argument("--out-of-hours-phone", metavar="NUMBER", help="texted out of hours")
    put.add_argument(
        "--notify-also",
        metavar="KINDS",
        help="besides risk language, notify: crisis, opt_out, low_rating (comma-separated)",
    )


def run(settings: Settings, args: argparse.Namespace) -> int:
    db = Database(settings.database_url)
    db.check_migrated()
    try:
        with db.write() as session:
            team = session.scalars(select(Team).where(Team.name == args.team)).one_or_none()
            if team is None:
                names = ", ".join(session.scalars(select(Team.name).order_by(Team.name)))
                print(
                    f"There is no team called {args.team!r}. Teams: {names or 'none yet'}.",
                    file=sys.stderr,
                )
                return 1
            if args.team_command == "set":
                try:
                    checked = duty.check(_changes(duty.of(team), args), team.region)
                except duty.DutyError as exc:
                    for problem in exc.problems:
                        print(problem, file=sys.stderr)
                    return 1
                duty.apply(team, checked)
                session.add(
                    AuditEvent(
                        at=datetime.now(UTC),
                        actor="cli",
                        action="team.duty",
                        record_type="team",
                        record_id=team.id,
                        detail={"duty_emails": len(checked.duty_emails)},
                    )
                )
            width = max(len(label) for label, _ in duty.describe(team))
            for label, value in duty.describe(team):
                print(f"{label + ':':<{width + 2}}{value}")
    finally:
        db.dispose()
    return 0


def _changes(current: duty.Duty, args: argparse.Namespace) -> duty.Duty:
    given: dict[str, Any] = {}
    if args.duty_email is not None:
        given["duty_emails"] = tuple(e for e in args.duty_email if e.lower() != NONE)
    if args.duty_phone is not None:
        given["duty_phones"] = tuple(n for n in args.duty_phone if n.lower() != NONE)
    if args.hours is not None:
        given["working_hours"] = None if args.hours.lower() == NONE else args.hours
    if args.timezone is not None:
        given["timezone"] = args.timezone
    if args.escalate_after is not None:
        given["escalate_after_minutes"] = args.escalate_after
    for name in ("out_of_hours_email", "out_of_hours_phone"):
        value = getattr(args, name)
        if value is not None:
            given[name] = None if value.lower() == NONE else value
    if args.notify_also is not None:
        names = [n.strip() for n in args.notify_also.split(",") if n.strip()]
        given["notify_also"] = tuple(duty.KIND_NAMES.get(n, n) for n in names if n.lower() != NONE)
    return replace(current, **given)
