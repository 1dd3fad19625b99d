"""Replies given inline, in the HTTP answer to a webhook (TwiML), and what makes them
safe: each is recorded with the message it answers; a provider's retry of that message
gets the same replies again; one that no status callback confirms is handed to the
outbox. See docs/deployment.md, "Delivery guarantee" (inline SMS replies)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, Table, and_, select, update

from bot.types import Inbound
from store.db import Database
from store.models import Message

INLINE = "inline"
# Twilio reports a TwiML reply as queued or sent within seconds; one it has not reported
# in this long was most likely never received (the HTTP answer was lost).
CONFIRM_WITHIN = timedelta(minutes=3)
# Only Twilio's replies (SMS, WhatsApp) are given inline with a status callback; console
# and simulator replies are inline too, but there is nobody to send them again to.
CONFIRMED_BY_CALLBACK = ("sms", "whatsapp")
UNCONFIRMED = "unconfirmed_inline"

_MESSAGES: Table = Message.metadata.tables["message"]
_INSERT = _MESSAGES.insert().returning(_MESSAGES.c.id, sort_by_parameter_order=True)


@dataclass(frozen=True)
class Owed:
    """The inline replies to one message, in order, with their ids."""

    replies: tuple[str, ...]
    ids: tuple[int, ...]


def record(
    connection: Connection,
    inbound: Inbound,
    *,
    participant_id: int | None,
    replies: Sequence[str],
    inline_limit: int | None,
    reply_to: int,
    now: datetime,
) -> Owed:
    """Store the replies to message `reply_to`: the first `inline_limit` as given inline
    (all if None), the rest queued for the worker. Returns the inline ones."""
    rows = []
    for index, reply in enumerate(replies):
        inline = inline_limit is None or index < inline_limit
        rows.append(
            {
                "participant_id": participant_id,
                "channel": inbound.channel.value,
                "address": inbound.address,
                "direction": "out",
                "external_id": None,
                "body": reply,
                "status": INLINE if inline else "queued",
                "next_attempt_at": None if inline else now,
                "reply_to_id": reply_to,
                "created_at": now,
            }
        )
    if not rows:
        return Owed((), ())
    ids = list(connection.execute(_INSERT, rows).scalars())
    shown = inline_limit if inline_limit is not None else len(rows)
    return Owed(tuple(replies[:shown]), tuple(ids[:shown]))


def owed(db: Database, inbound: Inbound) -> Owed:
    """What the first delivery of `inbound` was answered with inline and nobody has
    confirmed or taken over since: the answer to a provider's retry of it."""
    earlier = (
        select(Message.id)
        .where(
            Message.channel == inbound.channel.value,
            Message.external_id == inbound.external_id,
            Message.direction == "in",
        )
        .scalar_subquery()
    )
    with db.read() as session:
        rows = session.execute(
            select(Message.id, Message.body)
            .where(Message.reply_to_id == earlier, Message.status == INLINE)
            .order_by(Message.id)
        ).all()
    return Owed(tuple(row.body for row in rows), tuple(row.id for row in rows))


def hand_over_unconfirmed(db: Database, now: datetime, within: timedelta = CONFIRM_WITHIN) -> int:
    """Inline replies that no status callback confirmed within `within` go to the outbox.
    They go as claims whose outcome is unknown (`sending`, lease over): the sender first
    asks the provider whether it sent them, and sends only those it did not."""
    with db.write() as session:
        result = session.execute(
            update(Message)
            .where(
                and_(
                    Message.direction == "out",
                    Message.status == INLINE,
                    Message.channel.in_(CONFIRMED_BY_CALLBACK),
                    # Written with a status callback of its own: never a reply from
                    # before migration 0006, which nothing could have confirmed.
                    Message.reply_to_id.is_not(None),
                    Message.created_at <= now - within,
                )
            )
            .values(status="sending", claimed_until=now, error_code=UNCONFIRMED)
            .execution_options(synchronize_session=False)
        )
        return int(cast(CursorResult[Any], result).rowcount or 0)
