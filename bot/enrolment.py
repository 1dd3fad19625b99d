"""Teams, practitioners and participants: creating them, shared by the CLI and admin."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import phonenumbers
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.language import offer
from bot.language.catalogue import LanguageError
from bot.records.nhs_number import NhsNumberError, parse_optional
from bot.types import Channel
from store.models import AuditEvent, ChannelIdentity, Participant, Practitioner, Team


class EnrolmentError(ValueError):
    """A sentence a person can act on, and the field it is about (for a form)."""

    def __init__(self, message: str, field: str = "phone") -> None:
        super().__init__(message)
        self.field = field


def e164(number: str, region: str) -> str:
    """A phone number in E.164, or EnrolmentError saying what is wrong with it."""
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException as exc:
        raise EnrolmentError(f"{number!r} is not a phone number I can read.") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise EnrolmentError(f"{number!r} is not a valid phone number for {region}.")
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def team_exists(session: Session, name: str) -> bool:
    return session.scalar(select(Team.id).where(Team.name == name)) is not None


def get_or_create_team(session: Session, name: str, service: dict[str, Any]) -> Team:
    team = session.scalars(select(Team).where(Team.name == name)).one_or_none()
    if team is None:
        team = Team(
            name=name,
            emergency_number=str(service.get("emergency_number", "999")),
            national_lines=list(service.get("national_lines", [])),
        )
        session.add(team)
        session.flush()
    return team


def add_participant(
    session: Session,
    *,
    name: str,
    team: Team,
    now: datetime,
    phone: str | None = None,
    telegram_chat_id: str | None = None,
    whatsapp: str | None = None,
    practitioner: Practitioner | None = None,
    actor: str = "cli",
    nhs_number: str | None = None,
    language: str | None = None,
) -> Participant:
    """A participant, with the channels given verified (enrolled in person)."""
    if not name.strip():
        raise EnrolmentError("The participant needs a name.")
    try:
        nhs = parse_optional(nhs_number)
    except NhsNumberError as exc:
        raise EnrolmentError(str(exc)) from exc
    participant = Participant(
        nhs_number=nhs,
        display_name=name.strip(),
        team_id=team.id,
        practitioner_id=practitioner.id if practitioner else None,
        locale=team.locale,
        timezone=team.timezone,
        created_at=now,
    )
    session.add(participant)
    session.flush()
    if language:
        try:
            offer.set_language(session, participant, team, language, actor=actor, now=now)
        except LanguageError as exc:
            raise EnrolmentError(str(exc), field="language") from exc
    identities = [(Channel.CONSOLE, str(participant.id)), (Channel.WEB, str(participant.id))]
    if phone:
        identities.append((Channel.SMS, e164(phone, team.region)))
    if telegram_chat_id:
        identities.append((Channel.TELEGRAM, telegram_chat_id))
    if whatsapp:
        identities.append((Channel.WHATSAPP, e164(whatsapp, team.region)))
    for channel, address in identities:
        here = (ChannelIdentity.channel == channel.value, ChannelIdentity.address == address)
        # Unlinked at someone's discharge: the address is free to enrol again.
        session.execute(
            delete(ChannelIdentity).where(*here, ChannelIdentity.unlinked_at.is_not(None))
        )
        taken = session.scalar(select(ChannelIdentity.id).where(*here))
        if taken is not None:
            raise EnrolmentError(f"That {channel.value} address already belongs to someone.")
        session.add(
            ChannelIdentity(
                participant_id=participant.id,
                channel=channel.value,
                address=address,
                verified_at=now,
                created_at=now,
            )
        )
    session.add(
        AuditEvent(
            at=now,
            actor=actor,
            action="participant.enrol",
            record_type="participant",
            record_id=participant.id,
        )
    )
    session.flush()
    return participant
