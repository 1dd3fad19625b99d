"""Linking a chat to a participant: single-use, expiring invite tokens.

Only the token's SHA-256 is stored. A token is 64 characters of A-Za-z0-9_- (what
Telegram allows in a deep link's start parameter).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.types import Channel
from store.models import AuditEvent, ChannelIdentity, Invite, Participant

TOKEN_LENGTH = 64
DEFAULT_TTL = timedelta(days=7)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{64}")
# "/start TOKEN" from a deep link, "/start@bot TOKEN" in some clients, or the bare token.
_START = re.compile(r"/start(?:@\w+)?\s+([A-Za-z0-9_-]{64})", re.ASCII)


class InviteError(ValueError):
    """A sentence a person can act on."""


def new_token() -> str:
    token = secrets.token_urlsafe(48)
    assert _TOKEN.fullmatch(token)
    return token


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def token_in(text: str) -> str | None:
    """The invite token this message carries, if it is nothing but one."""
    stripped = text.strip()
    if _TOKEN.fullmatch(stripped):
        return stripped
    match = _START.fullmatch(stripped)
    return match[1] if match else None


def create_invite(
    session: Session,
    participant_id: int,
    channel: Channel,
    now: datetime,
    *,
    ttl: timedelta = DEFAULT_TTL,
    actor: str = "cli",
) -> str:
    """A new token for `participant_id`; only its hash is kept. Every earlier unused
    invitation of theirs for the channel stops working: a link that leaked, or was sent
    to an old number, must not link a stranger's chat. The command line and the admin
    page both make invitations here."""
    if session.get(Participant, participant_id, with_for_update=True) is None:
        raise InviteError(
            f"There is no participant {participant_id}. Add one with `touchpoint participant add`."
        )
    session.execute(
        update(Invite)
        .where(
            Invite.participant_id == participant_id,
            Invite.channel == channel.value,
            Invite.used_at.is_(None),
            Invite.expires_at > now,
        )
        .values(expires_at=now)
    )
    token = new_token()
    session.add(
        Invite(
            participant_id=participant_id,
            channel=channel.value,
            token_hash=token_hash(token),
            expires_at=now + ttl,
            created_at=now,
        )
    )
    session.add(
        AuditEvent(
            at=now,
            actor=actor,
            action="invite.create",
            record_type="participant",
            record_id=participant_id,
            detail={"channel": channel.value},
        )
    )
    return token


def redeem(
    session: Session, token: str, channel: Channel, address: str, now: datetime
) -> Participant | None:
    """Link `address` to the invite's participant and use the invite up; None if the token
    is unknown, used, expired, for another channel, or the address belongs to someone else."""
    invite = session.scalars(
        select(Invite).where(Invite.token_hash == token_hash(token)).with_for_update()
    ).one_or_none()
    if (
        invite is None
        or invite.used_at is not None
        or invite.expires_at <= now
        or invite.channel != channel.value
    ):
        return None
    identity = session.scalars(
        select(ChannelIdentity).where(
            ChannelIdentity.channel == channel.value, ChannelIdentity.address == address
        )
    ).one_or_none()
    if identity is not None and identity.participant_id != invite.participant_id:
        return None  # never move someone's chat to another person
    invite.used_at = now
    if identity is None:
        session.add(
            ChannelIdentity(
                participant_id=invite.participant_id,
                channel=channel.value,
                address=address,
                verified_at=now,
                created_at=now,
            )
        )
    elif identity.verified_at is None:
        identity.verified_at = now
    session.add(
        AuditEvent(
            at=now,
            actor=f"{channel.value}:{address}",
            action="invite.redeem",
            record_type="participant",
            record_id=invite.participant_id,
        )
    )
    return session.get(Participant, invite.participant_id)
