"""Unacknowledged alerts in the order to follow them up, and what each button says: shared
by the dashboard and the alerts pages (a module below both, not a page)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.orm import Session

from bot.admin import access
from bot.admin.context import Who
from bot.staff import content, hours
from store.models import Alert, Participant

PAGE_SIZE = 20

# Risk language by severity (not yet graded counts as high), then an opt-out soon after
# risk language, then CRISIS requests, low check-in ratings, and other opt-outs.
RANK: ColumnElement[int] = case(
    (and_(Alert.kind == "risk_language", Alert.severity == "medium"), 1),
    (and_(Alert.kind == "risk_language", Alert.severity == "low"), 2),
    (Alert.kind == "risk_language", 0),
    (and_(Alert.kind == "opted_out", Alert.category == "after_risk"), 3),
    (Alert.kind == "crisis_requested", 4),
    (Alert.kind == "low_rating", 5),
    (Alert.kind == "opted_out", 6),
    else_=7,
)


def open_alerts(who: Who) -> Select[Alert, Participant]:
    return (
        select(Alert, Participant)
        .outerjoin(Participant, Alert.participant_id == Participant.id)
        .where(Alert.acknowledged_at.is_(None), access.alerts(who))
        .order_by(RANK, Alert.created_at, Alert.id)
    )


def page(
    session: Session, who: Who, number: int
) -> tuple[list[tuple[Alert, Participant | None]], int, int]:
    """One page of the open alerts, the page's number (within range) and the total."""
    query = open_alerts(who)
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    pages = max(1, -(-total // PAGE_SIZE))
    number = min(max(number, 1), pages)
    rows = session.execute(query.limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE)).all()
    return [(a, p) for a, p in rows], number, total


def who_name(person: Participant | None) -> str:
    return person.display_name if person is not None else "someone not enrolled"


def label(alert: Alert, person: Participant | None, tz: str, now: datetime) -> str:
    """What an Acknowledge button acts on: "Acknowledge: Alex, suicidal intent, 14:05"."""
    local = alert.created_at.astimezone(hours.zone(tz))
    same_day = local.date() == now.astimezone(hours.zone(tz)).date()
    at = f"{local:%H:%M}" if same_day else f"{local:%-d %b %H:%M}"
    return f"Acknowledge: {who_name(person)}, {content.category(alert)}, {at}"


def age(alert: Alert, now: datetime) -> str:
    """How long it has waited: "4 minutes", "3 hours", "2 days"."""
    waited = max(now - alert.created_at, timedelta(0))
    minutes = int(waited.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    if minutes < 48 * 60:
        hours_ = minutes // 60
        return f"{hours_} hour{'s' if hours_ != 1 else ''}"
    return f"{minutes // (24 * 60)} days"


def cards(
    rows: list[tuple[Alert, Participant | None]], tz: str, now: datetime
) -> list[dict[str, object]]:
    """What `_alert_card.html` shows for each alert."""
    return [
        {
            "alert": alert,
            "person": person,
            "who": who_name(person),
            "what": content.describe(alert),
            "age": age(alert, now),
            "label": label(alert, person, tz, now),
        }
        for alert, person in rows
    ]
