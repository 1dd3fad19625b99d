"""An alert nobody acknowledges goes further: after the team's minutes to its leads, after
as many again to the administrators; out of hours, each step tells the out-of-hours
contact too. Acknowledging stops it. Each step is one transaction under a row lock, so
two workers never take the same step twice."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.staff import hours, notify
from bot.staff.notify import LAST_STEP, Contact
from store.db import Database
from store.models import Alert, Team

log = logging.getLogger(__name__)
BATCH = 20
MAX_NOTE = 1000


def escalate_due(db: Database, now: datetime, limit: int = BATCH) -> int:
    """Take the next step for every alert whose time came; returns how many."""
    with db.write() as session:
        due = session.scalars(
            select(Alert)
            .where(Alert.escalate_at <= now, Alert.acknowledged_at.is_(None))
            .order_by(Alert.escalate_at, Alert.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for alert in due:
            _step(session, alert, now)
        return len(due)


def _step(session: Session, alert: Alert, now: datetime) -> None:
    team = notify.team_of(session, alert)
    step = alert.escalation_step + 1
    contacts: list[Contact] = []
    if step == 1 and team is not None:
        contacts = notify.staff(session, team.id, "team_lead")
    if not contacts:  # no lead to tell: the administrators, at once
        step = LAST_STEP
        contacts = notify.staff(session, None, "admin")
    if team is not None and not hours.is_open(team, now):
        contacts = notify.out_of_hours(team) + contacts
    contacts = notify.unique(contacts)
    if not contacts:
        log.warning("alert %s: nobody to escalate to (no leads, no administrators)", alert.id)
    for contact in contacts:
        notify.queue(session, alert, step, contact, now)
    alert.escalation_step = step
    alert.escalate_at = now + _wait(team) if step < LAST_STEP else None


def _wait(team: Team | None) -> timedelta:
    return timedelta(minutes=team.escalate_after_minutes if team is not None else 30)


def acknowledge(
    session: Session, alert: Alert, practitioner_id: int, now: datetime, note: str = ""
) -> bool:
    """Acknowledged (False if it already was): escalation stops, what is still queued for
    it is not sent. The caller writes the audit event."""
    if alert.acknowledged_at is not None:
        return False
    alert.acknowledged_at = now
    alert.acknowledged_by = practitioner_id
    alert.acknowledged_note = note.strip()[:MAX_NOTE] or None
    alert.escalate_at = None
    return True
