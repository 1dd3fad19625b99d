"""The outbox: outbound rows with status `queued`, claimed with a lease, settled once.

A row moves queued -> sending (claimed: a lease in `claimed_until`, `attempts` + 1)
-> sent (the provider accepted it; its id in `external_id`) -> delivered / undelivered
/ failed (status callbacks). A `sending` row whose lease ran out was claimed by a
worker that died or could not tell whether the provider took the message: the next
claim marks it `unsure`, and the sender looks it up before sending it again.
`attempts` doubles as a fencing token: only the holder of the latest claim settles.
See docs/deployment.md, "Delivery guarantee".
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, bindparam, exists, literal, or_, select, update
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import BindParameter

from bot.staff.notify import raise_alert
from bot.types import Channel
from store.db import Database
from store.indexed import IndexedBy
from store.models import Alert, AuditEvent, Message, Participant

OPTED_OUT = "opted_out"
PENDING = ("queued", "sending")
# Longest body one provider message takes, in UTF-16 code units (what both count).
LIMITS = {Channel.SMS.value: 1600, Channel.WHATSAPP.value: 1600, Channel.TELEGRAM.value: 4096}


@dataclass(frozen=True)
class Policy:
    lease: timedelta = timedelta(seconds=60)
    max_attempts: int = 10
    backoff_base: timedelta = timedelta(seconds=15)
    backoff_cap: timedelta = timedelta(minutes=30)

    def backoff(self, attempt: int, retry_after: float | None = None) -> timedelta:
        """Exponential, capped, with up to 10% jitter; never sooner than `retry_after`."""
        base = self.backoff_base.total_seconds() * 2 ** max(attempt - 1, 0)
        delay = min(self.backoff_cap.total_seconds(), base) * (1 + random.random() / 10)
        return timedelta(seconds=max(delay, retry_after or 0.0))


@dataclass(frozen=True)
class Claim:
    id: int
    channel: str
    address: str
    body: str
    participant_id: int | None
    attempt: int  # the fencing token: this claim's value of `attempts`
    created_at: datetime
    unsure: bool  # an earlier attempt may have reached the provider


@dataclass(frozen=True)
class Sent:
    external_id: str | None


@dataclass(frozen=True)
class Retry:
    """Not accepted by the provider: safe to send again later."""

    code: str
    retry_after: float | None = None


@dataclass(frozen=True)
class Unsure:
    """The provider may or may not have it: look it up (or resend) later."""

    code: str


@dataclass(frozen=True)
class Failed:
    """Permanent: sending again would fail the same way."""

    code: str


Outcome = Sent | Retry | Unsure | Failed


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split(text: str, limit: int) -> list[str]:
    """Parts of at most `limit` UTF-16 units, cut at a paragraph, line or word if possible."""
    parts: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        head = _fit(rest, limit)
        cut = max(head.rfind("\n\n"), head.rfind("\n"), head.rfind(" "))
        if cut < len(head) // 2:
            cut = max(len(head), 1)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not parts:
        parts.append(rest)
    return parts


def _fit(text: str, limit: int) -> str:
    """The longest prefix of `text` within `limit` UTF-16 units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:index]
    return text


def enqueue(
    session: Session,
    *,
    channel: Channel,
    address: str,
    text: str,
    participant_id: int | None,
    now: datetime,
) -> list[Message]:
    """Queue `text` for the worker, in this transaction; split to the channel's limit."""
    rows = [
        Message(
            participant_id=participant_id,
            channel=channel.value,
            address=address,
            direction="out",
            body=part,
            status="queued",
            next_attempt_at=now,
            created_at=now,
        )
        for part in split(text, LIMITS.get(channel.value, 4096))
    ]
    session.add_all(rows)
    return rows


def claim_next(
    db: Database,
    now: datetime,
    policy: Policy,
    *,
    channels: Collection[str],
    address: tuple[str, str] | None = None,
) -> Claim | None:
    """Claim the oldest due message whose recipient has nothing older still pending."""
    found = claim_due(db, now, policy, channels=channels, address=address, limit=1)
    return found[0] if found else None


def claim_due(
    db: Database,
    now: datetime,
    policy: Policy,
    *,
    channels: Collection[str],
    address: tuple[str, str] | None = None,
    limit: int = 1,
) -> list[Claim]:
    """Claim up to `limit` of the oldest due messages, in one transaction, each to a
    different recipient (a claimed message holds back the next one to its recipient)."""
    params: dict[str, Any] = {"now": now, "channels": list(channels)}
    if address is not None:
        params |= {"to_channel": address[0], "to_address": address[1]}
    claims: list[Claim] = []
    # Core statements built once: this runs for every message sent, and the ORM's load
    # and flush of the row cost more than the claim itself (docs/performance.md).
    with db.write() as session:
        for _ in range(100 + limit):
            if len(claims) == limit:
                break
            row = session.execute(_DUE_FOR if address else _DUE, params).first()
            if row is None:
                break
            if _suppressed(session, row.participant_id, row.created_at):
                session.execute(_SUPPRESS, {"message_id": row.id})
                continue
            # An active claim has no error code; a settled-but-unsure one keeps its own,
            # which is how hurry() tells the two apart.
            attempt = session.scalar(_CLAIM, {"message_id": row.id, "until": now + policy.lease})
            claims.append(
                Claim(
                    id=row.id,
                    channel=row.channel,
                    address=row.address,
                    body=row.body,
                    participant_id=row.participant_id,
                    attempt=int(attempt or 0),
                    created_at=row.created_at,
                    unsure=row.status == "sending",
                )
            )
    return claims


_THIS = Message.id == bindparam("message_id")
_CLAIM = (
    update(Message)
    .where(_THIS)
    .values(
        status="sending",
        error_code=None,
        attempts=Message.attempts + 1,
        claimed_until=bindparam("until"),
    )
    .returning(Message.attempts)
)
_SUPPRESS = (
    update(Message)
    .where(_THIS)
    .values(status="failed", error_code=OPTED_OUT, next_attempt_at=None, claimed_until=None)
)


# Written into the SQL as literals, not parameters, so that both databases can use the
# partial indexes over pending outbound rows (store/models.py): SQLite only uses a partial
# index when the query's terms match its WHERE clause, and a parameter never does.
_OUT = literal("out", literal_execute=True)
_PENDING: BindParameter[list[str]] = bindparam(
    "pending", list(PENDING), expanding=True, literal_execute=True
)


def _due(one_recipient: bool) -> Select[int, str, str, str, int | None, str, datetime]:
    """The oldest due message (to `to_channel`/`to_address`, if `one_recipient`) whose
    recipient has nothing older still pending. Built once: parameters `now`, `channels`."""
    earlier = aliased(Message)
    now: BindParameter[datetime] = bindparam("now")
    # Walk the pending rows in id order and stop at the first that may go: O(1) in the
    # backlog (tests/test_outbox_plan.py). One recipient's rows: through their index.
    index = "ix_message_pending_recipient" if one_recipient else "ix_message_pending"
    row = aliased(Message, IndexedBy.of(Message.__table__, index, "message"))
    blocked = exists().where(
        earlier.direction == _OUT,
        earlier.channel == row.channel,
        earlier.address == row.address,
        earlier.status.in_(_PENDING),
        earlier.id < row.id,
    )
    stmt = select(
        row.id,
        row.channel,
        row.address,
        row.body,
        row.participant_id,
        row.status,
        row.created_at,
    ).where(
        row.direction == _OUT,
        row.status.in_(_PENDING),
        row.channel.in_(bindparam("channels", expanding=True)),
        or_(
            and_(row.status == "queued", row.next_attempt_at <= now),
            and_(row.status == "sending", row.claimed_until <= now),
        ),
        ~blocked,
    )
    if one_recipient:
        stmt = stmt.where(
            row.channel == bindparam("to_channel"),
            row.address == bindparam("to_address"),
        )
    # PostgreSQL: other workers skip a row being claimed; SQLite's single writer
    # serialises claims instead (the clause renders as nothing there).
    return stmt.order_by(row.id).limit(1).with_for_update(skip_locked=True)


# Built once: building the statement took longer than running it.
_DUE, _DUE_FOR = _due(one_recipient=False), _due(one_recipient=True)


def _suppressed(session: Session, participant_id: int | None, created_at: datetime) -> bool:
    """Opted out, and this is not the reply to something they sent (STOP's confirmation,
    CRISIS): those are written in the same transaction as the inbound, at the same time."""
    if participant_id is None:
        return False
    status = session.scalar(select(Participant.status).where(Participant.id == participant_id))
    if status != OPTED_OUT:
        return False
    reply = session.scalar(
        select(Message.id).where(
            Message.participant_id == participant_id,
            Message.direction == "in",
            Message.created_at == created_at,
        )
    )
    return reply is None


def settle(db: Database, claim: Claim, outcome: Outcome, now: datetime, policy: Policy) -> str:
    """Record what happened to a claim; returns the row's status afterwards."""
    return settle_all(db, [(claim, outcome)], now, policy)[0]


def settle_all(
    db: Database, settled: Sequence[tuple[Claim, Outcome]], now: datetime, policy: Policy
) -> list[str]:
    """Record what happened to each claim, in one transaction; the rows' statuses after."""
    with db.write() as session:
        return [_settle(session, claim, outcome, now, policy) for claim, outcome in settled]


def _settle(session: Session, claim: Claim, outcome: Outcome, now: datetime, policy: Policy) -> str:
    row = session.execute(_HELD, {"message_id": claim.id}).first()
    if row is None:
        return "gone"
    changes: dict[str, Any] = {}
    if isinstance(outcome, Sent) and outcome.external_id and row.external_id is None:
        changes["external_id"] = outcome.external_id  # even if a callback settled it first
    status: str = row.status
    if status == "sending" and row.attempts == claim.attempt:
        changes["claimed_until"] = None
        if isinstance(outcome, Sent):
            status, changes["error_code"] = "sent", None
        elif isinstance(outcome, Failed) or claim.attempt >= policy.max_attempts:
            status, changes["error_code"] = "failed", outcome.code
        else:
            retry_after = outcome.retry_after if isinstance(outcome, Retry) else None
            delay = policy.backoff(claim.attempt, retry_after)
            changes["error_code"] = outcome.code
            if isinstance(outcome, Unsure):
                changes["claimed_until"] = now + delay  # stays `sending`: looked up first
            else:
                status, changes["next_attempt_at"] = "queued", now + delay
        changes["status"] = status
    # else: a status callback, or a newer claim, got there first
    if changes:
        session.execute(_SETTLE, {"message_id": claim.id, **changes})
    return status


_HELD = select(Message.status, Message.attempts, Message.external_id).where(_THIS).with_for_update()
# The SET clause comes from each execution's parameters.
_SETTLE = update(Message).where(_THIS)


def hurry(db: Database, channel: str, address: str, now: datetime) -> None:
    """Make what waits for a retry to this recipient due now: they just wrote to us, and
    a newer reply (perhaps to CRISIS) must not wait behind an older one's backoff."""
    to_them = update(Message).where(
        Message.direction == "out", Message.channel == channel, Message.address == address
    )
    with db.write() as session:
        session.execute(
            to_them.where(Message.status == "queued", Message.next_attempt_at > now).values(
                next_attempt_at=now
            )
        )
        # A send that timed out waits, still `sending`, to be looked up and retried; it
        # would hold back everything newer to this person (a CRISIS reply too).
        session.execute(
            to_them.where(
                Message.status == "sending",
                Message.error_code.is_not(None),
                Message.claimed_until > now,
            ).values(claimed_until=now)
        )


def known_external_ids(db: Database, channel: str, candidates: Iterable[str]) -> set[str]:
    wanted = list(candidates)
    if not wanted:
        return set()
    with db.read() as session:
        found = session.scalars(
            select(Message.external_id).where(
                Message.channel == channel, Message.external_id.in_(wanted)
            )
        )
        return {value for value in found if value is not None}


def opt_out(session: Session, participant_id: int, now: datetime, *, actor: str) -> None:
    """The provider says this person unsubscribed: the same as their STOP."""
    participant = session.get(Participant, participant_id)
    if participant is None or participant.status == OPTED_OUT:
        return
    participant.status = OPTED_OUT
    participant.opted_out_at = now
    participant.more = []
    raise_alert(session, Alert(participant_id=participant_id, kind="opted_out", created_at=now))
    session.add(
        AuditEvent(
            at=now,
            actor=actor,
            action="participant.opt_out",
            record_type="participant",
            record_id=participant_id,
        )
    )
