"""Inbound messages a channel answers itself (a photo, an invite link), stored and
deduplicated like every other message, in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.assistant import Assistant
from bot.inline import owed, record
from bot.outbox import OPTED_OUT
from bot.types import Inbound, Step
from store.db import Database
from store.models import ChannelIdentity, Message, Participant

# (session, the sender's verified participant or None) -> (participant to file it under, replies)
Decide = Callable[[Session, Participant | None], tuple[int | None, list[str]]]


def answer_directly(
    db: Database,
    inbound: Inbound,
    *,
    stored_body: str,
    decide: Decide,
    inline_limit: int | None,
    now: datetime,
) -> Step:
    """Record `inbound` (as `stored_body`) and the replies `decide` gives; if it was seen
    before, nothing new (the first time's inline replies again). Raises OperationalError
    when the database is down."""
    try:
        with db.write() as session:
            if _seen(session, inbound):
                raise _Seen
            participant = verified_participant(session, inbound)
            message = Message(
                channel=inbound.channel.value,
                address=inbound.address,
                direction="in",
                external_id=inbound.external_id,
                body=stored_body,
                status="received",
                created_at=now,
            )
            session.add(message)
            session.flush()
            participant_id, replies = decide(session, participant)
            message.participant_id = participant_id
            session.flush()
            given = record(
                session.connection(),
                inbound,
                participant_id=participant_id,
                replies=replies,
                inline_limit=inline_limit,
                reply_to=message.id,
                now=now,
            )
    except (_Seen, IntegrityError):  # IntegrityError: the same message twice at once
        again = owed(db, inbound)
        return Step(replies=again.replies, reply_ids=again.ids, duplicate=True)
    return Step(replies=given.replies, reply_ids=given.ids, participant_id=participant_id)


class _Seen(Exception):
    pass


def verified_participant(session: Session, inbound: Inbound) -> Participant | None:
    return session.scalars(
        select(Participant)
        .join(ChannelIdentity, ChannelIdentity.participant_id == Participant.id)
        .where(
            ChannelIdentity.channel == inbound.channel.value,
            ChannelIdentity.address == inbound.address,
            ChannelIdentity.verified_at.is_not(None),
        )
        .with_for_update(of=Participant)
    ).one_or_none()


def is_opted_out(participant: Participant | None) -> bool:
    return participant is not None and participant.status == OPTED_OUT


def text_only_reply(assistant: Assistant) -> Decide:
    """For a photo, sticker, voice note...: say kindly that only text is read (and
    nothing to someone who opted out)."""

    def decide(_session: Session, participant: Participant | None) -> tuple[int | None, list[str]]:
        if participant is None:
            return None, [assistant.wording.render("system/text_only", service=assistant.service)]
        if is_opted_out(participant):
            return participant.id, []
        text = assistant.wording.render(
            "system/text_only", participant.locale, service=assistant.service
        )
        return participant.id, [text]

    return decide


def _seen(session: Session, inbound: Inbound) -> bool:
    found = session.scalar(
        select(Message.id).where(
            Message.channel == inbound.channel.value,
            Message.external_id == inbound.external_id,
        )
    )
    return found is not None
