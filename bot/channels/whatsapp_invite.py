"""Inviting a person to link their WhatsApp: a wa.me link that opens a chat with our
number, `LINK <code>` typed in, and its QR code. The code is an invite token
(bot/channels/linking.py): single use, expiring, only its hash stored, and every older
unused one of theirs for WhatsApp stops working. The admin page and the command line
both make the link here."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from bot.channels.linking import DEFAULT_TTL, InviteError, create_invite
from bot.channels.whatsapp_templates import wa_me_link
from bot.settings import Settings
from bot.types import Channel
from store.db import Database


class NotConfigured(InviteError):
    pass


def whatsapp_link(
    session: Session,
    settings: Settings,
    participant_id: int,
    now: datetime,
    *,
    ttl: timedelta = DEFAULT_TTL,
    actor: str = "cli",
) -> str:
    if not settings.twilio_whatsapp_from:
        raise NotConfigured(
            "TWILIO_WHATSAPP_FROM is not set, so there is no WhatsApp number to link to. "
            "See docs/deployment.md, WhatsApp."
        )
    token = create_invite(session, participant_id, Channel.WHATSAPP, now, ttl=ttl, actor=actor)
    return wa_me_link(settings.twilio_whatsapp_from, token)


def svg(link: str) -> str:
    """The link's QR code as an SVG document."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(link, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    text: str = image.to_string(encoding="unicode")
    return text


def command(settings: Settings, participant_id: int, *, days: int, qr: Path | None) -> int:
    """`touchpoint invite whatsapp --participant ID [--days N] [--qr FILE.svg]`."""
    db = Database(settings.database_url)
    try:
        db.check_migrated()
        with db.write() as session:
            link = whatsapp_link(
                session, settings, participant_id, datetime.now(UTC), ttl=timedelta(days=days)
            )
    except InviteError as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        db.dispose()
    print(
        "Open this link on the participant's phone (or scan its QR code); "
        f"it works once, for {days} days:"
    )
    print(link)
    if qr is not None:
        qr.write_text(svg(link), encoding="utf-8")
        print(f"QR code written to {qr}.")
    return 0
