"""The vocabulary every layer shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum


class Channel(StrEnum):
    SMS = "sms"
    WHATSAPP = "whatsapp"
    TELEGRAM = "telegram"
    CONSOLE = "console"
    WEB = "web"


@dataclass(frozen=True)
class Inbound:
    """One message as a channel adapter hands it to the router."""

    channel: Channel
    address: str
    text: str
    external_id: str
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # An edit of an earlier message (Telegram): screened for risk, never taken as an answer.
    edited: bool = False


@dataclass(frozen=True)
class Outbound:
    """One message the assistant decided to send."""

    channel: Channel
    address: str
    text: str
    participant_id: int | None = None


@dataclass(frozen=True)
class Step:
    """What handling one inbound message decided: the replies, in order."""

    replies: tuple[str, ...]
    duplicate: bool = False  # seen before: `replies` are the first time's inline replies again
    participant_id: int | None = None
    safety_alert: bool = False
    crisis: bool = False  # the message asked for the crisis plan (its reply is timed apart)
    # The stored message of each reply, where there is one (a status callback confirms it).
    reply_ids: tuple[int, ...] = ()
