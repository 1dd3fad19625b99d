"""Sending outbox claims to WhatsApp through Twilio's Messages API.

Before each send it looks at the window (bot/channels/whatsapp_window.py): inside it the
text goes free-form; outside it the row is held and its template queued; a template row
goes by the Content API (ContentSid, ContentVariables). Twilio's own verdict wins: a
63016, at once or in a status callback, holds the row as well.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client as TwilioClient

from bot.channels import whatsapp_templates as templates
from bot.channels import whatsapp_window as window
from bot.delivery import STATUS_PATH, TWILIO_PERMANENT
from bot.outbox import Claim, Failed, Outcome, Retry, Sent, Unsure
from bot.settings import Settings
from bot.types import Channel
from store.db import Database
from store.models import Message

# Twilio's WhatsApp errors that sending the same again cannot fix.
_PERMANENT = TWILIO_PERMANENT | {"63003", "63007", "63024", "63027", "63032", "21655", "21656"}


@dataclass(frozen=True)
class _Plan:
    how: str  # free | template | held | gone
    content_sid: str | None = None


class WhatsAppSender:
    channel = Channel.WHATSAPP.value
    can_look_up = True

    def __init__(
        self,
        client: TwilioClient,
        settings: Settings,
        db: Database,
        clock: Callable[[], datetime],
    ) -> None:
        assert settings.twilio_whatsapp_from
        self._client = client
        self._settings = settings
        self._from = templates.whatsapp_address(settings.twilio_whatsapp_from)
        self._callback = settings.public_url.rstrip("/") + STATUS_PATH
        self._db = db
        self._clock = clock

    async def send(self, claim: Claim) -> Outcome:
        return await asyncio.to_thread(self._send, claim)

    def _send(self, claim: Claim) -> Outcome:
        plan = self._plan(claim)
        if plan.how == "held":
            return Retry(window.WINDOW_CLOSED)  # settled already: held until they write
        if plan.how == "gone":
            return Failed("gone")
        if plan.how == "template" and plan.content_sid is None:
            return self._undelivered(claim, "no_template")
        extra = (
            {"content_sid": plan.content_sid, "content_variables": templates.content_variables()}
            if plan.how == "template"
            else {"body": claim.body}
        )
        try:
            message = self._client.messages.create(
                to=templates.whatsapp_address(claim.address),
                from_=self._from,
                status_callback=f"{self._callback}?message={claim.id}",
                **extra,
            )
        except TwilioRestException as exc:
            code = str(exc.code or exc.status)
            if code == window.OUTSIDE_WINDOW and plan.how == "free":
                self._hold(claim)
                return Retry(code)
            if code in _PERMANENT:
                return self._undelivered(claim, code)
            return Retry(code)
        except requests.exceptions.ConnectTimeout:
            return Retry("connect_timeout")
        except requests.exceptions.RequestException:
            return Unsure("transport")
        return Sent(str(message.sid))

    def _plan(self, claim: Claim) -> _Plan:
        now = self._clock()
        with self._db.write() as session:
            row = session.get(Message, claim.id)
            if row is None or row.status != "sending" or row.attempts != claim.attempt:
                return _Plan("gone")
            held = window.stands_for(session, row)
            if held is not None and held.status != window.HELD:
                row.status = "cancelled"  # they wrote meanwhile and have the message
                return _Plan("gone")
            if held is not None:
                purpose = window.purpose_of(session, held)
                return _Plan("template", templates.content_sid(self._settings, purpose))
            if window.is_open(session, row.address, now):
                return _Plan("free")
            window.hold(session, row, now, window.WINDOW_CLOSED)
            return _Plan("held")

    def _hold(self, claim: Claim) -> None:
        now = self._clock()
        with self._db.write() as session:
            row = session.get(Message, claim.id)
            if row is not None and row.status == "sending" and row.attempts == claim.attempt:
                window.failed(session, row, window.OUTSIDE_WINDOW, now)

    def _undelivered(self, claim: Claim, code: str) -> Outcome:
        with self._db.write() as session:
            row = session.get(Message, claim.id)
            if row is not None:
                window.alert_undelivered(session, row, code, self._clock())
        return Failed(code)

    async def look_up(self, claim: Claim) -> list[str] | None:
        return await asyncio.to_thread(self._look_up, claim)

    def _look_up(self, claim: Claim) -> list[str] | None:
        try:
            listed = self._client.messages.list(
                to=templates.whatsapp_address(claim.address), limit=50
            )
        except (TwilioException, requests.exceptions.RequestException):
            return None
        found = [m for m in listed if m.body == claim.body and m.date_created is not None]
        found.sort(key=lambda m: m.date_created)
        return [str(m.sid) for m in found if m.date_created >= claim.created_at - _SKEW]

    async def close(self) -> None:
        self._client.http_client.session.close()


_SKEW = window.MARGIN
