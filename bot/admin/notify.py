"""Messages to a service user about their plan, queued in the outbox in the caller's
transaction, on their preferred verified channel (SMS, WhatsApp, Telegram, then web)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox
from bot.admin.sections import plan_name
from bot.engine import readback
from bot.schedule import local
from bot.types import Channel
from bot.wording import Wording
from store.models import ChannelIdentity, Participant, Team

PREFERENCE = (Channel.SMS, Channel.WHATSAPP, Channel.TELEGRAM, Channel.WEB)
MAX_CHANGES = 6
QUOTE = 40


def preferred_identity(session: Session, participant_id: int) -> ChannelIdentity | None:
    rows = session.scalars(
        select(ChannelIdentity).where(
            ChannelIdentity.participant_id == participant_id,
            ChannelIdentity.verified_at.is_not(None),
            ChannelIdentity.unlinked_at.is_(None),  # unlinked at discharge
        )
    ).all()
    for channel in PREFERENCE:
        for row in rows:
            if row.channel == channel.value:
                return row
    return None


def queue(session: Session, participant: Participant, body: str, now: datetime) -> str | None:
    """Queue one message; the channel it goes by, or None if it can't (or mustn't) be sent."""
    if participant.status == "opted_out":
        return None  # they sent STOP: nothing until they send START
    identity = preferred_identity(session, participant.id)
    if identity is None:
        return None
    rows = outbox.enqueue(
        session,
        channel=Channel(identity.channel),
        address=identity.address,
        text=body,
        participant_id=participant.id,
        now=now,
    )
    # Not a reply: it waits for the end of their quiet hours, in their time zone.
    not_before = _after_quiet_hours(participant, now)
    for row in rows:
        row.next_attempt_at = not_before
    return identity.channel


def _after_quiet_hours(participant: Participant, now: datetime) -> datetime:
    try:
        quiet = local.Quiet.parse(participant.quiet_start, participant.quiet_end)
    except local.BadTime:
        return now
    return quiet.next_allowed(now, local.zone_or_default(participant.timezone))


def _context(participant: Participant, kind: str, **extra: Any) -> dict[str, Any]:
    return {"name": participant.display_name, "kind": kind, "plan_name": plan_name(kind), **extra}


def approved(wording: Wording, participant: Participant, kind: str) -> str:
    return wording.render("reviewed/approved", participant.locale, **_context(participant, kind))


def sent_back(wording: Wording, participant: Participant, kind: str, note: str) -> str:
    return wording.render(
        "reviewed/sent_back", participant.locale, **_context(participant, kind, note=note)
    )


def approved_changed(
    wording: Wording, participant: Participant, kind: str, changes: list[str]
) -> str:
    """What changed: as many changes as fit in two SMS segments, then "and N more"."""
    for keep in range(min(len(changes), MAX_CHANGES), -1, -1):
        text = wording.render(
            "reviewed/approved_changed",
            participant.locale,
            **_context(participant, kind, changes=changes[:keep], more=len(changes) - keep),
        )
        if readback.fits(text):  # two segments, or as much room in Welsh or Polish
            break
    return text


def overridden(
    wording: Wording,
    participant: Participant,
    kind: str,
    changes: list[str],
    reason: str,
    *,
    removed_safety: bool,
) -> str:
    """An override, told exactly: every change, the reason, and UNDO (never shortened)."""
    return wording.render(
        "overrides/changed",
        participant.locale,
        **_context(
            participant, kind, changes=changes, reason=reason, removed_safety=removed_safety
        ),
    )


def invitation(wording: Wording, participant: Participant, team: Team) -> str:
    return wording.render(
        "enrolment/invitation", participant.locale, name=participant.display_name, team=team
    )


def quote(text: str) -> str:
    text = " ".join(text.split())
    return f'"{text}"' if len(text) <= QUOTE else f'"{text[: QUOTE - 3].rstrip()}..."'
