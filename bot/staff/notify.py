"""Raising an alert: the alert, the notifications to whoever must hear of it, and when
it escalates, all in the caller's transaction (docs/clinical-safety.md, "An alert is
never seen"). The worker sends them (bot/staff/loop.py); the content is made there,
from the alert, and never holds what the person wrote (bot/staff/content.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.staff import hours
from store.models import Alert, Notification, Participant, Practitioner, Team

RISK = "risk_language"
CRISIS = "crisis_requested"
OPTED_OUT = "opted_out"
LOW_RATING = "low_rating"
# What a team may choose to hear about besides risk language (`team set --notify-also`).
OPTIONAL = {CRISIS: "crisis", OPTED_OUT: "opt_out", LOW_RATING: "low_rating"}

DUTY, OUT_OF_HOURS, LEAD, ADMIN = "duty", "out_of_hours", "lead", "admin"
LAST_STEP = 2  # 0: duty contacts; 1: the team's leads; 2: the administrators
EMAIL, SMS = "email", "sms"
# An opt-out this soon after risk language is a signal of its own (ranked, and notified).
SOON_AFTER_RISK = timedelta(days=3)
AFTER_RISK = "after_risk"


@dataclass(frozen=True)
class Contact:
    channel: str  # email | sms
    address: str
    reason: str  # duty | out_of_hours | lead | admin


def raise_alert(session: Session, alert: Alert, team: Team | None = None) -> Alert:
    """Add `alert`; if the team hears of alerts of its kind, queue the notifications and
    plan its escalation. `team`: the alert's team, if the caller has it at hand."""
    session.add(alert)
    team = team or team_of(session, alert)
    if alert.kind == OPTED_OUT and _soon_after_risk(session, alert):
        alert.category = AFTER_RISK
    if not wanted(team, alert):
        return alert
    now = alert.created_at
    contacts = duty_contacts(team, now)
    for contact in contacts:
        queue(session, alert, 0, contact, now)
    minutes = team.escalate_after_minutes if team is not None else 0
    # Nobody to tell at step 0: the leads hear of it at the worker's next look.
    alert.escalate_at = now + timedelta(minutes=minutes) if contacts else now
    return alert


def wanted(team: Team | None, alert: Alert) -> bool:
    """Risk language always, and an opt-out soon after it; the rest as the team chose."""
    if alert.kind == RISK or alert.category == AFTER_RISK:
        return True
    return team is not None and alert.kind in (team.notify_also or [])


def _soon_after_risk(session: Session, alert: Alert) -> bool:
    if alert.participant_id is None:
        return False
    since = alert.created_at - SOON_AFTER_RISK
    found = session.scalar(
        select(Alert.id)
        .where(
            Alert.participant_id == alert.participant_id,
            Alert.kind == RISK,
            Alert.created_at >= since,
        )
        .limit(1)
    )
    return found is not None


def team_of(session: Session, alert: Alert) -> Team | None:
    if alert.participant_id is not None:
        person = session.get(Participant, alert.participant_id)
        return person.team if person is not None else None
    return session.get(Team, alert.team_id) if alert.team_id is not None else None


def duty_contacts(team: Team | None, now: datetime) -> list[Contact]:
    """Step 0: the duty contacts; out of hours, the out-of-hours contact as well."""
    if team is None:
        return []
    found = [Contact(EMAIL, e, DUTY) for e in team.duty_emails or []]
    found += [Contact(SMS, n, DUTY) for n in team.duty_phones or []]
    if not hours.is_open(team, now):
        found += out_of_hours(team)
    return unique(found)


def out_of_hours(team: Team) -> list[Contact]:
    found = []
    if team.out_of_hours_email:
        found.append(Contact(EMAIL, team.out_of_hours_email, OUT_OF_HOURS))
    if team.out_of_hours_phone:
        found.append(Contact(SMS, team.out_of_hours_phone, OUT_OF_HOURS))
    return found


def staff(session: Session, team_id: int | None, role: str) -> list[Contact]:
    """Active practitioners of a role (of a team, for leads) to email at a later step."""
    query = select(Practitioner.email).where(
        Practitioner.role == role, Practitioner.active.is_(True)
    )
    if team_id is not None:
        query = query.where(Practitioner.team_id == team_id)
    reason = LEAD if role == "team_lead" else ADMIN
    emails = session.scalars(query.order_by(Practitioner.id))
    return [Contact(EMAIL, email, reason) for email in emails]


def queue(session: Session, alert: Alert, step: int, contact: Contact, now: datetime) -> None:
    session.add(
        Notification(
            alert=alert,
            step=step,
            channel=contact.channel,
            address=contact.address,
            reason=contact.reason,
            status="queued",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )


def unique(contacts: Iterable[Contact]) -> list[Contact]:
    """Each address once (a lead who is also the out-of-hours contact gets one email)."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for c in contacts:
        if (c.channel, c.address.lower()) not in seen:
            seen.add((c.channel, c.address.lower()))
            kept.append(c)
    return kept
