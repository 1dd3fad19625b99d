"""Discharge: a closing message, nothing scheduled any more, every channel unlinked; the
record is kept. What a discharged person who writes in gets back is in `afterwards`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import delete, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from bot import jobs
from bot.admin import audit, notify
from bot.records.afterwards import DISCHARGED
from bot.wording import Wording
from store.models import ChannelIdentity, Conversation, Invite, Job, Message, Participant


class AlreadyDischarged(Exception):
    pass


def discharge(
    session: Session,
    participant: Participant,
    *,
    wording: Wording,
    now: datetime,
    actor: str,
    address: str | None = None,
) -> str | None:
    """Discharge `participant` in this transaction; the channel the closing message goes
    by (None: none could be sent, e.g. after STOP)."""
    if participant.status == DISCHARGED:
        raise AlreadyDischarged(participant.id)
    pid = participant.id
    # Queued but not yet sent (check-ins, reminders, late replies), or held for WhatsApp's
    # window (bot/channels/whatsapp_window.py): not sent any more.
    queued = (
        update(Message)
        .where(
            Message.participant_id == pid,
            Message.direction == "out",
            Message.status.in_(("queued", "held")),
        )
        .values(status="cancelled", error_code=DISCHARGED, next_attempt_at=None, updated_at=now)
    )
    cancelled = cast(CursorResult[Any], session.execute(queued)).rowcount
    session.execute(delete(Job).where(Job.participant_id == pid, Job.status == jobs.PENDING))
    session.execute(
        update(Conversation)
        .where(Conversation.participant_id == pid, Conversation.status == "active")
        .values(status="suspended", updated_at=now, version=Conversation.version + 1)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Invite)
        .where(Invite.participant_id == pid, Invite.used_at.is_(None), Invite.expires_at > now)
        .values(expires_at=now)
    )
    team = participant.team
    closing = wording.render(
        "system/discharged", participant.locale, name=participant.display_name, team=team
    )
    channel = notify.queue(session, participant, closing, now)  # before the unlinking
    session.execute(
        update(ChannelIdentity)
        .where(ChannelIdentity.participant_id == pid, ChannelIdentity.unlinked_at.is_(None))
        .values(unlinked_at=now)
    )
    participant.status = DISCHARGED
    participant.discharged_at = now
    participant.paused_at = None
    participant.more = []
    audit.record(
        session,
        actor=actor,
        action="participant.discharge",
        record_type="participant",
        record_id=pid,
        address=address,
        now=now,
        closing_message=channel,
        cancelled=cancelled,
    )
    return channel
