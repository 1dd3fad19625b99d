"""Erasure: every row about one person deleted (messages, plans and every version,
conversations, alerts, schedule, invitations, channels), and an audit tombstone that
says who erased which record id, when and why. On SQLite the pages are zeroed as they
are freed (secure_delete, store/db.py) and the WAL is checkpointed and truncated, so the
words leave the database's files; on PostgreSQL see docs/data-protection.md (VACUUM)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import delete, or_, select
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from bot.admin import audit
from bot.records.held import their_messages
from store.db import Database
from store.models import (
    Alert,
    ChannelIdentity,
    Conversation,
    Invite,
    Job,
    Message,
    Participant,
    Plan,
    PlanVersion,
    Schedule,
)

MAX_REASON = 500
CHECKPOINT_TRIES = 20


class EraseError(ValueError):
    """A sentence a person can act on."""


@dataclass(frozen=True)
class Erased:
    participant_id: int
    rows: dict[str, int]  # table -> rows deleted
    wal_truncated: bool | None  # None: not SQLite


def erase(
    db: Database,
    participant_id: int,
    *,
    reason: str,
    actor: str,
    now: datetime,
    address: str | None = None,
) -> Erased:
    reason = " ".join(reason.split())
    if not reason:
        raise EraseError("Say why the record is erased (no names: the reason is kept).")
    if len(reason) > MAX_REASON:
        raise EraseError(f"Keep the reason to {MAX_REASON} characters.")
    with db.write() as session:
        rows = _delete_everything(session, participant_id)
        audit.record(
            session,
            actor=actor,
            action="participant.erase",
            record_type="participant",
            record_id=participant_id,
            address=address,
            now=now,
            reason=reason,
            rows=rows,
        )
    truncated = checkpoint(db) if db.is_sqlite else None
    return Erased(participant_id, rows, truncated)


def _delete_everything(session: Session, pid: int) -> dict[str, int]:
    if session.get(Participant, pid, with_for_update=True) is None:
        raise EraseError(f"There is no participant {pid}.")
    theirs = their_messages(session, pid)
    message_ids = select(Message.id).where(theirs).scalar_subquery()
    plan_ids = select(Plan.id).where(Plan.participant_id == pid).scalar_subquery()
    steps = [
        (
            "alert",
            delete(Alert).where(
                or_(Alert.participant_id == pid, Alert.message_id.in_(message_ids))
            ),
        ),
        ("job", delete(Job).where(Job.participant_id == pid)),
        ("conversation", delete(Conversation).where(Conversation.participant_id == pid)),
        ("schedule", delete(Schedule).where(Schedule.participant_id == pid)),
        ("invite", delete(Invite).where(Invite.participant_id == pid)),
        ("plan_version", delete(PlanVersion).where(PlanVersion.plan_id.in_(plan_ids))),
        ("plan", delete(Plan).where(Plan.participant_id == pid)),
        ("message", delete(Message).where(theirs)),
        ("channel_identity", delete(ChannelIdentity).where(ChannelIdentity.participant_id == pid)),
        ("participant", delete(Participant).where(Participant.id == pid)),
    ]
    counts: dict[str, int] = {}
    for table, statement in steps:
        result = session.execute(statement.execution_options(synchronize_session=False))
        counts[table] = cast(CursorResult[Any], result).rowcount
    session.expunge_all()
    return counts


def checkpoint(db: Database) -> bool:
    """Copy the WAL into the database file and truncate it to nothing: the old page
    images in it are gone too. False if readers kept it from finishing (then the next
    checkpoint overwrites them; docs/data-protection.md)."""
    for _ in range(CHECKPOINT_TRIES):
        raw = db.engine.raw_connection()  # no BEGIN: a checkpoint runs outside a transaction
        try:
            cursor = raw.cursor()
            busy, _log, _done = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            cursor.close()
        finally:
            raw.close()
        if not busy:
            return True
        time.sleep(0.05)
    return False
