"""The command line's WhatsApp commands: `invite whatsapp` and `whatsapp templates`."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.settings import Settings


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    invite: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    link = invite.add_parser("whatsapp", help="print a single-use wa.me link (and its QR code)")
    link.add_argument("--participant", type=int, required=True, help="participant id")
    link.add_argument("--days", type=int, default=7, help="days until the link expires")
    link.add_argument("--qr", type=Path, metavar="FILE.svg", help="also write its QR code here")
    whatsapp = sub.add_parser("whatsapp", help="WhatsApp set-up")
    w_sub = whatsapp.add_subparsers(dest="whatsapp_command", required=True, metavar="SUBCOMMAND")
    w_sub.add_parser(
        "templates",
        help="list the templates to have approved, and which ContentSids are set",
    )


def wanted(args: argparse.Namespace) -> bool:
    channel = getattr(args, "invite_channel", None)
    return bool(args.command == "whatsapp" or (args.command == "invite" and channel == "whatsapp"))


def run(settings: Settings, args: argparse.Namespace) -> int:
    if args.command == "invite":
        from bot.channels.whatsapp_invite import command

        return command(settings, args.participant, days=args.days, qr=args.qr)
    from bot.channels.whatsapp_templates import describe

    print(describe(settings))
    return 0
