"""`touchpoint` (and `python -m bot`): the command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.settings import Settings, get_settings
from store.db import DatabaseNotReady


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="touchpoint",
        description="Touchpoint: a messaging assistant for crisis and care plans.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("demo", help="set up a demo database and chat as a demo service user")

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

    dialogs = sub.add_parser("dialogs", help="dialog commands")
    d_sub = dialogs.add_subparsers(dest="dialogs_command", required=True, metavar="SUBCOMMAND")
    d_sub.add_parser("check", help="check every dialog file; print file:line for each mistake")
    graph = d_sub.add_parser("graph", help="print a Mermaid diagram of a compiled dialog")
    graph.add_argument("name", help="dialog name, e.g. crisis_plan")
    return parser


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
    if args.command == "db":
        return commands.db_upgrade(settings)
    if args.command == "participant":
        return commands.participant_add(
            settings, name=args.name, team=args.team, phone=args.phone, telegram=args.telegram
        )
    if args.command == "chat":
        return commands.chat(settings, args.participant)
    if args.command == "demo":
        return commands.demo(settings)
    raise AssertionError(args.command)  # pragma: no cover - argparse refuses others
