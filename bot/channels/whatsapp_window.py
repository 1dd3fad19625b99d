"""The WhatsApp customer-service window: free-form messages only within 24 hours of the
person's last message; outside it, a message is held and a template goes instead.

A held message is an outbound row with status `held`. The template that stands for it
is an outbound row of its own whose `reply_to_id` points at the held row (a reply's
points at an inbound one). When the person next writes, their message opens the window
and the held messages are given as the answer to it (bot/channels/whatsapp.py), so the
check-in goes on where it would have begun. A failure is never silent: a message Twilio
could not deliver raises an alert for the person's team.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, aliased

from bot import jobs
from bot.channels import whatsapp_templates as templates
from bot.schedule.people import CHECK_IN, PREP, REMINDER
from bot.staff.notify import raise_alert
from bot.types import Channel
from store.models import Alert, Job, Message, Participant

WINDOW = timedelta(hours=24)
# Twilio's clock and ours may differ a little: close to the end, a template is surer.
MARGIN = timedelta(minutes=10)
HELD = "held"
WINDOW_CLOSED = "window_closed"  # held by us: their last message was too long ago
OUTSIDE_WINDOW = "63016"  # held because Twilio refused a free-form message
UNDELIVERED = "whatsapp_undelivered"  # the alert kind
_CHANNEL = Channel.WHATSAPP.value
REMINDER_PURPOSE = "reminder"
_PURPOSES = {CHECK_IN: "check_in", REMINDER: REMINDER_PURPOSE, PREP: "appointment"}

_LAST_INBOUND = select(func.max(Message.created_at)).where(
    Message.channel == _CHANNEL,
    Message.address == bindparam("address"),
    Message.direction == "in",
)
_HELD = (
    select(Message)
    .where(
        Message.channel == _CHANNEL,
        Message.address == bindparam("address"),
        Message.direction == "out",
        Message.status == HELD,
    )
    .order_by(Message.id)
)


def last_inbound(session: Session, address: str) -> datetime | None:
    value = session.scalar(_LAST_INBOUND, {"address": address})
    return value if isinstance(value, datetime) else None


def is_open(session: Session, address: str, now: datetime) -> bool:
    """Whether a free-form message may go to `address` now."""
    wrote = last_inbound(session, address)
    return wrote is not None and now < wrote + WINDOW - MARGIN


def stands_for(session: Session, row: Message) -> Message | None:
    """The held message a template row was queued for; None for any other row."""
    if row.reply_to_id is None:
        return None
    target = session.get(Message, row.reply_to_id)
    return target if target is not None and target.direction == "out" else None


def purpose_of(session: Session, row: Message) -> str:
    """Which template stands for `row`: the scheduled job that queued it (it finished in
    the same transaction, at the same moment), else the general notice."""
    if row.participant_id is None or row.reply_to_id is not None:
        return templates.NOTICE.purpose
    kind = session.scalar(
        select(Job.kind)
        .where(
            Job.participant_id == row.participant_id,
            Job.done_at == row.created_at,
            Job.outcome == jobs.SENT,  # another job of that moment may have been skipped
        )
        .limit(1)
    )
    return _PURPOSES.get(kind or "", templates.NOTICE.purpose)


def hold(session: Session, row: Message, now: datetime, reason: str) -> None:
    """Keep `row` until the person writes, and queue its template unless one for the same
    purpose already went to them since their last message."""
    row.status, row.error_code = HELD, reason
    row.claimed_until = row.next_attempt_at = None
    purpose = purpose_of(session, row)
    if purpose in _templates_since(session, row.address, last_inbound(session, row.address)):
        return
    session.add(
        Message(
            participant_id=row.participant_id,
            channel=_CHANNEL,
            address=row.address,
            direction="out",
            body=templates.shown(purpose),
            status="queued",
            next_attempt_at=now,
            reply_to_id=row.id,
            created_at=now,
        )
    )


def _templates_since(session: Session, address: str, since: datetime | None) -> set[str]:
    held = aliased(Message)
    query = (
        select(held)
        .join(Message, Message.reply_to_id == held.id)
        .where(
            Message.channel == _CHANNEL,
            Message.address == address,
            Message.direction == "out",
            held.direction == "out",
            Message.status.not_in(("failed", "undelivered")),
        )
    )
    if since is not None:
        query = query.where(Message.created_at > since)
    return {purpose_of(session, row) for row in session.scalars(query)}


def release(session: Session, address: str, participant: Participant) -> list[str]:
    """The held messages, oldest first, to give now as the answer to the person's message
    (which opened the window), marked released; a held reminder is left out when what it
    reminds of is given. After STOP, or once discharged, all are cancelled instead."""
    rows = list(session.scalars(_HELD, {"address": address}))
    given = rows if participant.status == "active" else []
    purposes = {row.id: purpose_of(session, row) for row in given}
    if any(purpose != REMINDER_PURPOSE for purpose in purposes.values()):
        # A reminder quotes a question; the question itself (or newer news) is given.
        given = [row for row in given if purposes[row.id] != REMINDER_PURPOSE]
    for row in rows:
        row.status = "released" if row in given else "cancelled"
    return [row.body for row in given]


def waiting(session: Session, address: str) -> bool:
    """Something is held for an active person at `address`: their message is its answer."""
    found = session.scalar(
        _HELD.with_only_columns(Message.id)
        .join(Participant, Participant.id == Message.participant_id)
        .where(Participant.status == "active")
        .limit(1),
        {"address": address},
    )
    return found is not None


def failed(session: Session, row: Message, code: str | None, now: datetime) -> None:
    """Twilio could not deliver `row`: an alert for the team (never dropped in silence);
    outside the window (63016) it is held as well, and its template queued."""
    if code == OUTSIDE_WINDOW and stands_for(session, row) is None:
        # Held, and its template goes; the team sees it too: Twilio's window and ours
        # disagreed, so the person may have waited for this message.
        hold(session, row, now, OUTSIDE_WINDOW)
    alert_undelivered(session, row, code, now)


def alert_undelivered(session: Session, row: Message, code: str | None, now: datetime) -> None:
    if row.participant_id is None:
        return  # nobody's: an unknown sender's reply
    purpose = purpose_of(session, stands_for(session, row) or row)
    category = ("template_" + purpose) if stands_for(session, row) is not None else "message"
    raise_alert(
        session,
        Alert(
            participant_id=row.participant_id,
            kind=UNDELIVERED,
            category=category[:40],
            rule=(code or "unknown")[:80],
            message_id=row.id,
            created_at=now,
        ),
    )
