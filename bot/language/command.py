"""`touchpoint participant add --language cy`: the operator's way to set a language.

Whoever runs the command line runs the service, so a language their team does not offer
yet is enabled for it (recorded in the audit log as by "cli"); a translation no fluent
clinician has reviewed is enabled only with that said on the terminal, and the team
page and the participant page show it (docs/clinical-safety.md, H50).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.language import offer
from bot.language.catalogue import language
from store.models import Team


def prepare(session: Session, team: Team, code: str, now: datetime) -> str | None:
    """Enable `code` for the team if it is not yet; a warning to print when it is a
    translation that has not been reviewed (LanguageError for an unknown code)."""
    lang = language(code)
    if offer.offers(team, lang.code):
        return None
    offer.enable(session, team, lang.code, actor="cli", admin=True, acknowledged=True, now=now)
    if lang.reviewed:
        return f"{lang.english_name} is now offered by {team.name}."
    return (
        f"Warning: the {lang.english_name} translation has not been reviewed by a fluent "
        f"clinician yet. {team.name} now offers it (recorded as enabled by the command "
        "line); the team and participant pages show that it is unreviewed."
    )
