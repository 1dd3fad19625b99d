"""`touchpoint participant export | discharge | erase`: registered by bot/cli.py."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.settings import Settings
from bot.wording import Wording
from store.db import Database
from store.models import Participant

NAMES = ("export", "discharge", "erase")
ACTOR = "cli"


def register(p_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = p_sub.add_parser(
        "export",
        help="write everything held about a participant to a zip (subject access request)",
        description="Write a zip with a readable HTML summary, a JSON of everything held "
        "about the participant and a FHIR R4 Bundle of their plans. See "
        "docs/data-protection.md.",
    )
    export.add_argument("--participant", type=int, required=True, help="participant id")
    export.add_argument("--out", type=Path, required=True, metavar="FILE.zip", help="zip to write")
    discharge = p_sub.add_parser(
        "discharge",
        help="discharge a participant: a closing message, nothing more sent, record kept",
    )
    discharge.add_argument("--participant", type=int, required=True, help="participant id")
    erase = p_sub.add_parser(
        "erase",
        help="delete everything about a participant (only where the trust's policy allows)",
        description="Delete every personal field, message and plan version of a participant. "
        "Only an audit entry (who, when, why) is kept. It cannot be undone.",
    )
    erase.add_argument("--participant", type=int, required=True, help="participant id")
    erase.add_argument(
        "--reason", required=True, help="why (kept in the audit log: no names or details)"
    )
    erase.add_argument("--confirm", action="store_true", help="yes, erase it: required")


def run(settings: Settings, args: argparse.Namespace) -> int:
    db = Database(settings.database_url)
    try:
        db.check_migrated()
        command = args.participant_command
        if command == "export":
            return _export(settings, db, args.participant, args.out)
        if command == "discharge":
            return _discharge(settings, db, args.participant)
        return _erase(db, args.participant, args.reason, confirmed=args.confirm)
    finally:
        db.dispose()


def _missing(participant_id: int) -> int:
    print(f"There is no participant {participant_id}.", file=sys.stderr)
    return 1


def _export(settings: Settings, db: Database, participant_id: int, out: Path) -> int:
    from bot.admin import audit
    from bot.records import export

    now = datetime.now(UTC)
    with db.read() as session:
        person = session.get(Participant, participant_id)
        if person is None:
            return _missing(participant_id)
        data = export.build(
            session,
            person,
            templates_dir=settings.templates_dir,
            base_url=settings.public_url,
            now=now,
        )
    out.write_bytes(data)
    with db.write() as session:
        audit.record(
            session,
            actor=ACTOR,
            action="participant.export",
            record_type="participant",
            record_id=participant_id,
            now=now,
            format="zip",
        )
    print(f"Everything held about participant {participant_id} is in {out}.")
    return 0


def _discharge(settings: Settings, db: Database, participant_id: int) -> int:
    from bot.records.discharge import AlreadyDischarged, discharge

    with db.write() as session:
        person = session.get(Participant, participant_id)
        if person is None:
            return _missing(participant_id)
        try:
            channel = discharge(
                session,
                person,
                wording=Wording(settings.templates_dir),
                now=datetime.now(UTC),
                actor=ACTOR,
            )
        except AlreadyDischarged:
            print(f"Participant {participant_id} was already discharged.", file=sys.stderr)
            return 1
    sent = f"A closing message is queued by {channel}." if channel else "No closing message."
    print(f"Participant {participant_id} is discharged; their record is kept. {sent}")
    return 0


def _erase(db: Database, participant_id: int, reason: str, *, confirmed: bool) -> int:
    from bot.records.erase import EraseError, erase

    if not confirmed:
        print(
            "Erasing cannot be undone. Run it again with --confirm if you are sure.",
            file=sys.stderr,
        )
        return 1
    try:
        erased = erase(db, participant_id, reason=reason, actor=ACTOR, now=datetime.now(UTC))
    except EraseError as exc:
        print(exc, file=sys.stderr)
        return 1
    total = sum(erased.rows.values())
    print(f"Participant {participant_id} is erased ({total} rows deleted).")
    if erased.wal_truncated is False:
        print(
            "The database is busy: its write-ahead log could not be truncated yet. "
            "See docs/data-protection.md.",
            file=sys.stderr,
        )
    return 0
