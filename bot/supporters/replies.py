"""A supporter texting the service: YES to the invitation (double opt-in), NO, STOP at any
time. They are not a participant: nothing of anyone's plan is said in reply."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.engine.answers import parse_yes_no
from bot.keywords import Keyword, keyword
from bot.supporters.choosing import record
from bot.supporters.sharing import Sharing
from bot.wording import Wording
from store.models import Participant, Supporter

_STOPPABLE: Final = ("invited", "active")
_WORDS: Final = re.compile(r"[a-z']+")
_NO_WORDS: Final = frozenset({"no", "not", "don't", "dont", "won't", "wont", "can't", "cannot"})


def of_address(session: Session, channel: str, address: str) -> list[Supporter]:
    """The supporters this number belongs to and who may still write (SMS only)."""
    if channel != "sms":
        return []
    return list(
        session.scalars(
            select(Supporter)
            .where(Supporter.phone == address, Supporter.status.in_(_STOPPABLE))
            .order_by(Supporter.id)
        )
    )


def answer(
    session: Session,
    wording: Wording,
    sharing: Sharing,
    supporters: list[Supporter],
    text: str,
    now: datetime,
) -> list[str]:
    word = keyword(text)
    if word is Keyword.STOP:
        for supporter in supporters:
            supporter.status, supporter.updated_at = "stopped", now
            record(session, supporter, "stop", by="supporter", now=now, given=False)
        return [wording.render("supporters/stopped")]
    invited = [s for s in supporters if s.status == "invited"]
    decided = _consent(text) if invited and word is None else None
    if decided is not None:
        return _decide(session, wording, sharing, invited, decided, now)
    emergency = str(sharing.service.get("emergency_number", "999"))
    return [wording.render("supporters/help", invited=bool(invited), emergency=emergency)]


def _consent(text: str) -> bool | None:
    """YES or NO, also as the first word of a longer reply ("Yes that's fine", "no
    thanks"); None when it is neither, or both ("yes but no")."""
    parsed = parse_yes_no(text)
    if parsed.ok:
        return bool(parsed.value)
    words = _WORDS.findall(text.casefold())
    if not words:
        return None
    first = parse_yes_no(words[0])
    if not first.ok:
        return None
    contrary = any(w in _NO_WORDS for w in words[1:]) if first.value else False
    return None if contrary else bool(first.value)


def _decide(
    session: Session,
    wording: Wording,
    sharing: Sharing,
    invited: list[Supporter],
    yes: bool,
    now: datetime,
) -> list[str]:
    sent = False
    for supporter in invited:
        supporter.status, supporter.updated_at = ("active" if yes else "declined"), now
        record(session, supporter, "invitation", by="supporter", now=now, given=yes)
        if yes:
            participant = session.get(Participant, supporter.participant_id)
            if participant is not None:
                sent |= sharing.send_copy(session, participant, participant.team, supporter, now)
    if not yes:
        return [wording.render("supporters/declined")]
    return [wording.render("supporters/confirmed", sent=sent)]
