"""What each `touchpoint` subcommand does; bot/cli.py only parses arguments."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from sqlalchemy import select

from bot.assistant import Assistant, load_service
from bot.channels.console import chat as console_chat
from bot.engine.actions import ACTIONS
from bot.engine.compiler import DialogSet, check_dialog, load_all
from bot.engine.spec import DialogFileError
from bot.enrolment import EnrolmentError, add_participant, get_or_create_team, team_exists
from bot.language import check as language_check
from bot.language import command as language_command
from bot.language.catalogue import LanguageError
from bot.settings import Settings
from bot.wording import Wording
from store.db import Database, upgrade
from store.models import Participant

DEMO_TEAM = "Demo community mental health team"
DEMO_PARTICIPANT = "Alex"


def _now() -> datetime:
    return datetime.now(UTC)


def dialogs_check(settings: Settings) -> int:
    wording = Wording(settings.templates_dir)
    loaded, problems = load_all(settings.dialogs_dir)
    names = [d.spec.dialog for d in loaded]
    for dialog in loaded:
        problems.extend(
            check_dialog(
                dialog, actions=ACTIONS, template_exists=wording.exists, dialog_names=names
            )
        )
    problems.extend(language_check.problems(settings.templates_dir, settings.dialogs_dir))
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) found.", file=sys.stderr)
        return 1
    print(f"{len(loaded)} dialogs OK: {', '.join(sorted(names))}")
    return 0


def dialogs_graph(settings: Settings, name: str) -> int:
    wording = Wording(settings.templates_dir)
    try:
        dialogs = DialogSet.load(
            settings.dialogs_dir, actions=ACTIONS, template_exists=wording.exists
        )
    except DialogFileError as exc:
        print(exc, file=sys.stderr)
        return 1
    if name not in dialogs:
        known = ", ".join(sorted(dialogs.dialogs))
        print(f"There is no dialog called {name!r}. Dialogs: {known}.", file=sys.stderr)
        return 1
    sys.stdout.write(dialogs[name].mermaid())
    return 0


def db_upgrade(settings: Settings) -> int:
    upgrade(settings.database_url)
    print("The database is up to date.")
    return 0


def participant_add(
    settings: Settings,
    *,
    name: str,
    team: str,
    phone: str | None,
    telegram: str | None,
    nhs_number: str | None = None,
    whatsapp: str | None = None,
    language: str | None = None,
) -> int:
    db = Database(settings.database_url)
    db.check_migrated()
    service = load_service(settings.dialogs_dir)
    warning = None
    try:
        with db.write() as session:
            team_row = get_or_create_team(session, team, service)
            if language:
                warning = language_command.prepare(session, team_row, language, _now())
            participant = add_participant(
                session,
                name=name,
                team=team_row,
                now=_now(),
                phone=phone,
                telegram_chat_id=telegram,
                whatsapp=whatsapp,
                nhs_number=nhs_number,
                language=language,
            )
            participant_id = participant.id
    except (EnrolmentError, LanguageError) as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        db.dispose()
    if warning:
        print(warning)
    print(
        f"Participant {participant_id} added. Chat as them with: "
        f"touchpoint chat --participant {participant_id}"
    )
    return 0


def participant_schedule(settings: Settings, args: argparse.Namespace) -> int:
    from bot.schedule import command

    options = command.Options(
        every=args.every,
        weekdays=args.weekdays,
        window=args.window,
        timezone=args.timezone,
        quiet=args.quiet,
        appointment=args.appointment,
        no_appointment=args.no_appointment,
        cap=args.cap,
        off=args.off,
    )
    return command.run(settings, args.participant, options, _now())


def chat(settings: Settings, participant_id: int) -> int:
    db = Database(settings.database_url)
    db.check_migrated()
    try:
        with db.read() as session:
            participant = session.get(Participant, participant_id)
            if participant is None:
                print(
                    f"There is no participant {participant_id}. Add one with "
                    "`touchpoint participant add`.",
                    file=sys.stderr,
                )
                return 1
        assistant = Assistant(settings, db)
        interactive = sys.stdin.isatty()
        if interactive:
            print("Type a message and press Enter. Ctrl-D leaves. Try MENU, HELP or CRISIS.")
        console_chat(assistant, participant_id, sys.stdin, sys.stdout, interactive=interactive)
    finally:
        db.dispose()
    return 0


def seed_demo(settings: Settings) -> int:
    """The demo team and participant, made once; returns the participant's id."""
    db = Database(settings.database_url)
    service = load_service(settings.dialogs_dir)
    try:
        with db.write() as session:
            team = get_or_create_team(session, DEMO_TEAM, service)
            team.crisis_line_name = team.crisis_line_name or "Demo crisis line"
            team.crisis_line_number = team.crisis_line_number or "0800 000 0000"
            team.crisis_line_hours = team.crisis_line_hours or "24 hours"
            existing = session.scalar(
                select(Participant.id).where(
                    Participant.team_id == team.id,
                    Participant.display_name == DEMO_PARTICIPANT,
                )
            )
            if existing is not None:
                return int(existing)
            participant = add_participant(
                session, name=DEMO_PARTICIPANT, team=team, now=_now(), actor="demo"
            )
            return participant.id
    finally:
        db.dispose()


def demo(
    settings: Settings, *, console: bool = False, host: str | None = None, port: int | None = None
) -> int:
    from bot.admin import demo as admin_demo

    upgrade(settings.database_url)
    participant_id = seed_demo(settings)
    if not console:
        return admin_demo.run(
            settings,
            participant_id,
            host=host or admin_demo.HOST,
            port=admin_demo.PORT if port is None else port,
        )
    print(f"Demo ready: chatting as the demo service user (participant {participant_id}).")
    return chat(settings, participant_id)


def _read_password() -> str:
    """From a prompt (typed twice, not shown), or the first line of standard input."""
    import getpass

    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password (at least 12 characters): ")
    if getpass.getpass("The same password again: ") != first:
        raise ValueError("The two passwords are different. Run the command again.")
    return first


def practitioner_create(
    settings: Settings, *, name: str, email: str, team: str, role: str, create_team: bool = False
) -> int:
    from bot.admin.accounts import AccountError, create_practitioner, prepare_password

    db = Database(settings.database_url)
    db.check_migrated()
    try:
        # Checked and hashed first: hashing takes tens of milliseconds, and a running
        # server's messages would wait for SQLite's write lock meanwhile.
        password = prepare_password(_read_password(), name=name, email=email, chosen_by_owner=True)
        with db.write() as session:
            if not create_team and not team_exists(session, team):
                raise ValueError(
                    f"There is no team called {team!r}. Check the spelling (touchpoint team "
                    "show --team NAME), or add --create-team to make a new team."
                )
            team_row = get_or_create_team(session, team, load_service(settings.dialogs_dir))
            practitioner = create_practitioner(
                session,
                name=name,
                email=email,
                team=team_row,
                role=role,
                password=password,
                now=_now(),
                chosen_by_owner=True,
            )
            practitioner_id = practitioner.id
    except (AccountError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        db.dispose()
    print(
        f"Practitioner {practitioner_id} created. They sign in at "
        f"{settings.public_url.rstrip('/')}/admin/ with {email}."
    )
    return 0


def serve(
    settings: Settings, *, host: str, port: int, workers: int, with_worker: bool = False
) -> int:
    from bot.web.server import serve as run_server

    return run_server(settings, host=host, port=port, workers=workers, with_worker=with_worker)


def worker(
    settings: Settings,
    *,
    once: bool,
    poll_interval: float,
    lease: float,
    batch: int = 50,
    sweep_every: float = 30.0,
    lanes: int = 2,
) -> int:
    from bot.worker import run

    return run(
        settings,
        once=once,
        poll_interval=poll_interval,
        lease=lease,
        batch=batch,
        sweep_every=sweep_every,
        lanes=lanes,
    )


def telegram_set_webhook(settings: Settings) -> int:
    from bot.channels.telegram_setup import SetupError, set_webhook

    try:
        url = set_webhook(settings)
    except SetupError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"Telegram will send this bot's messages to {url}.")
    return 0


def invite_telegram(settings: Settings, participant_id: int, *, days: int) -> int:
    from datetime import timedelta

    from bot.channels.linking import InviteError, create_invite
    from bot.channels.telegram_setup import SetupError, bot_username, deep_link
    from bot.types import Channel

    try:
        username = bot_username(settings)
    except SetupError as exc:
        print(exc, file=sys.stderr)
        return 1
    db = Database(settings.database_url)
    try:
        db.check_migrated()
        with db.write() as session:
            token = create_invite(
                session, participant_id, Channel.TELEGRAM, _now(), ttl=timedelta(days=days)
            )
    except InviteError as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        db.dispose()
    print(f"Send this link to the participant; it works once, for {days} days:")
    print(deep_link(username, token))
    return 0
