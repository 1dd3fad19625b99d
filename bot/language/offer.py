"""Which languages a team offers, and a person's language: one function for each change,
shared by the command line, the admin pages and the person's own keyword."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.language.catalogue import (
    ENGLISH,
    Language,
    LanguageError,
    NeedsAcknowledgement,
    NeedsAdmin,
    language,
    languages,
)
from store.models import AuditEvent, Participant, Team


def offered(team: Team) -> list[Language]:
    """English, and each language the team has enabled, in the catalogue's order."""
    enabled = set(team.languages or {})
    return [lang for code, lang in languages().items() if code == ENGLISH or code in enabled]


def offers(team: Team, code: str) -> bool:
    return code == ENGLISH or code in (team.languages or {})


def enable(
    session: Session,
    team: Team,
    code: str,
    *,
    actor: str,
    admin: bool,
    acknowledged: bool,
    now: datetime,
    address: str | None = None,
) -> Language:
    """Offer `code` to the team's service users. A translation no fluent clinician has
    reviewed needs an admin who says they know that (docs/clinical-safety.md, H50)."""
    lang = language(code)
    if lang.code == ENGLISH or lang.code in (team.languages or {}):
        return lang
    if not lang.reviewed and not admin:
        raise NeedsAdmin(
            f"{lang.english_name} has not been reviewed by a fluent clinician yet: "
            "only an admin can enable it for a team."
        )
    if not lang.reviewed and not acknowledged:
        raise NeedsAcknowledgement(
            f"{lang.english_name} has not been reviewed by a fluent clinician yet. Tick the "
            "box to say you know that, to enable it."
        )
    record: dict[str, Any] = {"by": actor, "at": now.isoformat(), "unreviewed": not lang.reviewed}
    team.languages = {**(team.languages or {}), lang.code: record}
    _audit(session, actor, "team.language_enable", team.id, now, lang, address)
    return lang


def disable(
    session: Session,
    team: Team,
    code: str,
    *,
    actor: str,
    now: datetime,
    address: str | None = None,
) -> None:
    """Stop offering `code`; the team's default and its people go back to English."""
    lang = language(code)
    if lang.code not in (team.languages or {}):
        return
    team.languages = {k: v for k, v in (team.languages or {}).items() if k != lang.code}
    if team.locale == lang.code:
        team.locale = ENGLISH
    # A translation withdrawn (found wrong, say) is withdrawn from everyone using it.
    session.execute(
        update(Participant)
        .where(Participant.team_id == team.id, Participant.locale == lang.code)
        .values(locale=ENGLISH)
    )
    _audit(session, actor, "team.language_disable", team.id, now, lang, address)


def set_team_default(
    session: Session,
    team: Team,
    code: str,
    *,
    actor: str,
    now: datetime,
    address: str | None = None,
) -> Language:
    lang = language(code)
    if not offers(team, lang.code):
        raise LanguageError(f"Enable {lang.english_name} for the team first.")
    team.locale = lang.code
    _audit(session, actor, "team.language_default", team.id, now, lang, address)
    return lang


def set_language(
    session: Session,
    person: Participant,
    team: Team,
    code: str,
    *,
    actor: str,
    now: datetime,
    address: str | None = None,
) -> Language:
    """Speak to `person` in `code` from now on, if their team offers it."""
    lang = language(code)
    if not offers(team, lang.code):
        raise LanguageError(
            f"{team.name} does not offer {lang.english_name} yet: an admin can enable it on "
            "the team's page."
        )
    if person.locale != lang.code:
        person.locale = lang.code
        _audit(session, actor, "participant.language", person.id, now, lang, address)
    return lang


def _audit(
    session: Session,
    actor: str,
    action: str,
    record_id: int,
    now: datetime,
    lang: Language,
    address: str | None,
) -> None:
    session.add(
        AuditEvent(
            at=now,
            actor=actor,
            action=action,
            record_type=action.split(".", 1)[0],
            record_id=record_id,
            address=address,
            detail={"language": lang.code, "reviewed": lang.reviewed},
        )
    )
