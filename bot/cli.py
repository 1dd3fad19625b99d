"""`touchpoint` (and `python -m bot`): the command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.channels import whatsapp_commands
from bot.records import commands as records
from bot.safety import report as safety_report
from bot.settings import Settings, get_settings
from bot.staff import command as staff_command
from store.db import DatabaseNotReady


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="touchpoint",
        description="Touchpoint: a messaging assistant for crisis and care plans.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser(
        "demo", help="set up a demo database and run the admin page and simulator on it"
    )
    demo.add_argument(
        "--console", action="store_true", help="chat as the demo service user in the terminal"
    )
    demo.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    demo.add_argument("--port", type=int, help="port to listen on (default 8000; 0: any free one)")

    chat = sub.add_parser("chat", help="chat as a participant in the terminal")
    chat.add_argument("--participant", type=int, required=True, help="participant id")

    db = sub.add_parser("db", help="database commands")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="SUBCOMMAND")
    db_sub.add_parser("upgrade", help="create or migrate the database to the latest version")

    participant = sub.add_parser("participant", help="participant commands")
    p_sub = participant.add_subparsers(
        dest="participant_command", required=True, metavar="SUBCOMMAND"
    )
    add = p_sub.add_parser("add", help="enrol a participant")
    add.add_argument("--name", required=True, help="the name they would like to be called")
    add.add_argument("--team", required=True, help="team name (created if it does not exist)")
    add.add_argument("--phone", help="mobile number for SMS (national format or E.164)")
    add.add_argument("--telegram", help="Telegram chat id, if already known")
    add.add_argument("--whatsapp", help="their WhatsApp number, known to be theirs (E.164)")
    add.add_argument("--nhs-number", help="their NHS number (10 digits), if known")
    add.add_argument(
        "--language",
        metavar="CODE",
        help="the language they want messages in: en, cy (Welsh) or pl (Polish); "
        "default: the team's",
    )
    _schedule_command(p_sub)
    records.register(p_sub)

    practitioner = sub.add_parser("practitioner", help="practitioner accounts")
    pr_sub = practitioner.add_subparsers(
        dest="practitioner_command", required=True, metavar="SUBCOMMAND"
    )
    create = pr_sub.add_parser(
        "create",
        help="create an account; the password is asked for (or read from stdin)",
        description="Create a practitioner account. The password is asked for at a prompt "
        "(typed twice, not shown), or read from the first line of stdin when that is not a "
        "terminal. It is never a command-line argument.",
    )
    create.add_argument("--name", required=True, help="their name")
    create.add_argument("--email", required=True, help="their email address (to sign in)")
    create.add_argument("--team", required=True, help="the name of an existing team")
    create.add_argument(
        "--create-team", action="store_true", help="make the team when there is none of that name"
    )
    create.add_argument(
        "--role",
        choices=("practitioner", "team_lead", "admin"),
        default="practitioner",
        help="practitioner: their caseload; team_lead: their team; admin: everything",
    )

    dialogs = sub.add_parser("dialogs", help="dialog commands")
    d_sub = dialogs.add_subparsers(dest="dialogs_command", required=True, metavar="SUBCOMMAND")
    d_sub.add_parser("check", help="check every dialog file; print file:line for each mistake")
    graph = d_sub.add_parser("graph", help="print a Mermaid diagram of a compiled dialog")
    graph.add_argument("name", help="dialog name, e.g. crisis_plan")
    _channel_commands(sub)
    safety_report.add_parser(sub)
    staff_command.register(sub)
    spool = sub.add_parser("spool", help="messages kept while the database was unavailable")
    s_sub = spool.add_subparsers(dest="spool_command", required=True, metavar="SUBCOMMAND")
    s_sub.add_parser("replay", help="put them in the database now (serve also does it)")
    return parser


def _schedule_command(p_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    schedule = p_sub.add_parser(
        "schedule",
        help="show or set when a participant hears from us between appointments",
        description="Show a participant's check-in rhythm, quiet hours, next appointment and "
        "what is planned; with options, change them (the plan is made again at once). "
        "See docs/scheduling.md.",
    )
    schedule.add_argument("--participant", type=int, required=True, help="participant id")
    how = schedule.add_mutually_exclusive_group()
    how.add_argument("--every", type=int, metavar="DAYS", help="check in every DAYS days (1-28)")
    how.add_argument("--weekdays", metavar="DAYS", help="check in on these days, e.g. mon,thu")
    how.add_argument("--off", action="store_true", help="no regular check-ins")
    schedule.add_argument(
        "--window", metavar="HH:MM-HH:MM", help="preferred time, e.g. 10:00-12:00"
    )
    schedule.add_argument("--timezone", metavar="ZONE", help="IANA time zone, e.g. Europe/London")
    schedule.add_argument("--quiet", metavar="HH:MM-HH:MM", help="quiet hours, e.g. 21:00-09:00")
    when = schedule.add_mutually_exclusive_group()
    when.add_argument("--appointment", metavar="YYYY-MM-DD", help="date of the next appointment")
    when.add_argument("--no-appointment", action="store_true", help="no appointment booked")
    schedule.add_argument("--cap", type=int, metavar="N", help="scheduled messages a day at most")


def _channel_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser("serve", help="run the web app: webhooks, admin, /healthz, /metrics")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.add_argument("--workers", type=int, default=1, help="web processes")
    serve.add_argument(
        "--with-worker",
        action="store_true",
        help="also run the worker (scheduler and outbox) in the web process",
    )

    worker = sub.add_parser(
        "worker", help="run scheduled check-ins and reminders; deliver queued messages"
    )
    worker.add_argument("--once", action="store_true", help="do what is due now, then exit")
    worker.add_argument(
        "--poll-interval", type=float, default=1.0, help="seconds between looks at the outbox"
    )
    worker.add_argument(
        "--lease",
        type=float,
        default=60.0,
        help="seconds a claimed message is held before another worker may take it over",
    )
    worker.add_argument(
        "--batch", type=int, default=50, help="scheduled jobs claimed at once (and leased)"
    )
    worker.add_argument(
        "--lanes", type=int, default=2, help="jobs run, and messages sent, at once (1 to 16)"
    )
    worker.add_argument(
        "--sweep-every",
        type=float,
        default=30.0,
        help="seconds between two looks for check-ins, appointment preps and reminders to plan",
    )

    telegram = sub.add_parser("telegram", help="Telegram set-up")
    t_sub = telegram.add_subparsers(dest="telegram_command", required=True, metavar="SUBCOMMAND")
    t_sub.add_parser("set-webhook", help="point the bot at TOUCHPOINT_PUBLIC_URL, with the secret")

    invite = sub.add_parser("invite", help="invite a participant to link a chat")
    i_sub = invite.add_subparsers(dest="invite_channel", required=True, metavar="CHANNEL")
    link = i_sub.add_parser("telegram", help="print a single-use Telegram deep link")
    link.add_argument("--participant", type=int, required=True, help="participant id")
    link.add_argument("--days", type=int, default=7, help="days until the link expires")
    whatsapp_commands.register(sub, i_sub)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = get_settings()
    try:
        return _run(args, settings)
    except DatabaseNotReady as exc:
        print(exc, file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from bot import commands

    if args.command == "dialogs":
        if args.dialogs_command == "check":
            return commands.dialogs_check(settings)
        return commands.dialogs_graph(settings, args.name)
    if args.command == "team":
        return staff_command.run(settings, args)
    if args.command == "db":
        return commands.db_upgrade(settings)
    if args.command == "participant" and args.participant_command == "schedule":
        return commands.participant_schedule(settings, args)
    if args.command == "participant" and args.participant_command in records.NAMES:
        return records.run(settings, args)
    if args.command == "participant":
        return commands.participant_add(
            settings,
            name=args.name,
            team=args.team,
            phone=args.phone,
            telegram=args.telegram,
            nhs_number=args.nhs_number,
            whatsapp=args.whatsapp,
            language=args.language,
        )
    if args.command == "chat":
        return commands.chat(settings, args.participant)
    if args.command == "demo":
        return commands.demo(settings, console=args.console, host=args.host, port=args.port)
    if args.command == "practitioner":
        return commands.practitioner_create(
            settings,
            name=args.name,
            email=args.email,
            team=args.team,
            role=args.role,
            create_team=args.create_team,
        )
    if args.command == "serve":
        return commands.serve(
            settings,
            host=args.host,
            port=args.port,
            workers=args.workers,
            with_worker=args.with_worker,
        )
    if args.command == "worker":
        return commands.worker(
            settings,
            once=args.once,
            poll_interval=args.poll_interval,
            lease=args.lease,
            batch=args.batch,
            sweep_every=args.sweep_every,
            lanes=max(1, min(16, args.lanes)),
        )
    if args.command == "spool":
        from bot.replay import command

        return command(settings)
    if args.command == "telegram":
        return commands.telegram_set_webhook(settings)
    if args.command == "safety":
        return safety_report.run(args, settings)
    if whatsapp_commands.wanted(args):
        return whatsapp_commands.run(settings, args)
    if args.command == "invite":
        return commands.invite_telegram(settings, args.participant, days=args.days)
    raise AssertionError(args.command)  # pragma: no cover - argparse refuses others
