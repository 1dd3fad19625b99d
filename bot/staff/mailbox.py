"""Notifications on their way: an SMS is handed to the outbox (one transaction: its
guarantee from then on, docs/deployment.md), an email is claimed with a lease, sent, and
settled with the claim's `attempts` as fencing token. A worker killed during a send
leaves its claim to run out, and the email is sent again: at least once (the same
Message-ID each time). Nothing is sent for an alert acknowledged meanwhile."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bot import outbox
from bot.outbox import Failed, Outcome, Policy, Sent
from bot.staff import content, mail
from bot.staff.notify import EMAIL, SMS
from bot.types import Channel
from store.db import Database
from store.models import Alert, Notification, Participant, Team

BATCH = 20


@dataclass(frozen=True)
class EmailClaim:
    id: int
    attempt: int  # the fencing token
    to: str
    subject: str
    body: str
    message_id: str


def _facts(session: Session, alert: Alert, public_url: str) -> tuple[content.Facts, Team | None]:
    person = session.get(Participant, alert.participant_id) if alert.participant_id else None
    team = person.team if person is not None else None
    if team is None and alert.team_id is not None:
        team = session.get(Team, alert.team_id)
    return content.facts(alert, person, team, public_url), team


def hand_sms(db: Database, now: datetime, public_url: str, limit: int = BATCH) -> int:
    """Queue the due SMS notifications in the outbox; returns how many were handled."""
    with db.write() as session:
        rows = session.scalars(
            select(Notification)
            .where(
                Notification.channel == SMS,
                Notification.status == "queued",
                Notification.next_attempt_at <= now,
            )
            .order_by(Notification.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            if row.alert.acknowledged_at is not None:
                row.status, row.next_attempt_at = "cancelled", None
                continue
            facts, _ = _facts(session, row.alert, public_url)
            sms = outbox.enqueue(
                session,
                channel=Channel.SMS,
                address=row.address,
                text=content.sms_body(facts, row.step),
                participant_id=None,
                now=now,
            )
            session.flush()
            row.message_id, row.status, row.sent_at = sms[0].id, "handed", now
            row.next_attempt_at = None
        return len(rows)


def claim_email(
    db: Database, now: datetime, policy: Policy, sender: str, public_url: str
) -> EmailClaim | None:
    """The oldest due email (or one whose worker's lease ran out), claimed."""
    due = or_(
        and_(Notification.status == "queued", Notification.next_attempt_at <= now),
        and_(Notification.status == "sending", Notification.claimed_until <= now),
    )
    query = (
        select(Notification)
        .where(Notification.channel == EMAIL, due)
        .order_by(Notification.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    with db.write() as session:
        while (row := session.scalars(query).first()) is not None:
            alert = row.alert
            if alert.acknowledged_at is not None:
                row.status, row.next_attempt_at, row.claimed_until = "cancelled", None, None
                session.flush()
                continue
            row.status = "sending"
            row.attempts += 1
            row.claimed_until = now + policy.lease
            row.email_id = row.email_id or mail.message_id(row.id, sender)
            facts, team = _facts(session, alert, public_url)
            minutes = team.escalate_after_minutes if team is not None else 0
            return EmailClaim(
                id=row.id,
                attempt=row.attempts,
                to=row.address,
                subject=content.subject(facts, row.step),
                body=content.email_body(facts, row.step, row.reason, minutes),
                message_id=row.email_id,
            )
    return None


def settle(db: Database, claim: EmailClaim, outcome: Outcome, now: datetime, policy: Policy) -> str:
    with db.write() as session:
        row = session.scalars(
            select(Notification).where(Notification.id == claim.id).with_for_update()
        ).one_or_none()
        if row is None:
            return "gone"
        if row.status != "sending" or row.attempts != claim.attempt:
            return row.status  # a newer claim holds it
        row.claimed_until = None
        if isinstance(outcome, Sent):
            row.status, row.sent_at, row.error_code = "sent", now, None
        elif isinstance(outcome, Failed) or claim.attempt >= policy.max_attempts:
            row.status, row.error_code = "failed", outcome.code
        else:
            row.status, row.error_code = "queued", outcome.code
            row.next_attempt_at = now + policy.backoff(claim.attempt)
        return row.status
