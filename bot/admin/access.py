"""Who may see what. A practitioner sees their own caseload, a team lead their team,
an administrator everything. A record outside someone's reach is, for them, not there:
404, and an audit event (written by the endpoint, after this transaction rolls back)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from bot.admin.context import ADMIN, LEAD, Who
from bot.plans import SECTIONS
from store.models import Alert, Participant, Plan, PlanVersion, Practitioner, Team


class NotFound(Exception):
    """Not there, or not this practitioner's to see."""

    def __init__(self, record_type: str, record_id: int | str | None = None) -> None:
        super().__init__(f"{record_type} {record_id}")
        self.record_type = record_type
        self.record_id = record_id


def require(who: Who, *roles: str) -> None:
    if who.role not in roles:
        raise NotFound("page")


def participants(who: Who) -> ColumnElement[bool]:
    """The participants this practitioner may see, as a WHERE clause."""
    if who.role == ADMIN:
        return true()
    if who.role == LEAD:
        return Participant.team_id == who.team_id
    return Participant.practitioner_id == who.id


def participant(session: Session, who: Who, participant_id: int) -> Participant:
    found = session.scalars(
        select(Participant).where(Participant.id == participant_id, participants(who))
    ).one_or_none()
    if found is None:
        raise NotFound("participant", participant_id)
    return found


def plan(session: Session, who: Who, participant_id: int, kind: str) -> tuple[Participant, Plan]:
    person = participant(session, who, participant_id)
    if kind not in SECTIONS:
        raise NotFound("plan", None)
    found = session.scalars(
        select(Plan).where(Plan.participant_id == person.id, Plan.kind == kind)
    ).one_or_none()
    if found is None:
        raise NotFound("plan", None)
    return person, found


def version(
    session: Session, who: Who, participant_id: int, kind: str, number: int
) -> tuple[Participant, Plan, PlanVersion]:
    person, found = plan(session, who, participant_id, kind)
    row = session.scalars(
        select(PlanVersion).where(PlanVersion.plan_id == found.id, PlanVersion.number == number)
    ).one_or_none()
    if row is None:
        raise NotFound("plan_version", None)
    return person, found, row


def alert(session: Session, who: Who, alert_id: int) -> Alert:
    row = session.get(Alert, alert_id)
    if row is None:
        raise NotFound("alert", alert_id)
    if row.participant_id is None:
        # From an unknown sender: nobody's caseload, so administrators and leads see it.
        if not who.is_lead:
            raise NotFound("alert", alert_id)
        return row
    participant(session, who, row.participant_id)
    return row


def alerts(who: Who) -> ColumnElement[bool]:
    """A sender nobody has verified (participant_id NULL) is triage: an admin sees all of
    them; a team lead those whose number was given to their team (team_id).

    A condition on the alert and its participant, for a query that outer-joins Participant
    on Alert.participant_id: a join on indexed columns rather than a list of everyone's
    ids (docs/performance.md)."""
    if who.role == ADMIN:
        return true()
    theirs = Alert.participant_id.is_not(None) & participants(who)
    if who.is_lead:
        return (Alert.participant_id.is_(None) & (Alert.team_id == who.team_id)) | theirs
    return theirs


def team(session: Session, who: Who, team_id: int) -> Team:
    row = session.get(Team, team_id)
    if row is None or not who.is_lead or (who.role == LEAD and row.id != who.team_id):
        raise NotFound("team", team_id)
    return row


def practitioner(session: Session, who: Who, practitioner_id: int) -> Practitioner:
    row = session.get(Practitioner, practitioner_id)
    if row is None or who.role != ADMIN:
        raise NotFound("practitioner", practitioner_id)
    return row
