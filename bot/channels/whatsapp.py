"""WhatsApp through Twilio: the incoming-message webhook, on its own path and on the SMS
path (Twilio posts a WhatsApp sender's messages wherever its console says). Signed and
deduplicated as SMS is (bot/channels/sms.py); replies go inline as TwiML.

`From` is `whatsapp:+44...`; the channel identity is the number. A button reply reads as
its text; a photo, voice note, location, contact or reaction gets the "only text is read"
sentence and the question again; `LINK <code>` from a wa.me invitation links the number.
A message while something is held for the window (bot/channels/whatsapp_window.py) is
answered with what was held, unless it is a keyword or risk, which route as ever.
"""

from __future__ import annotations

import re
import time
from datetime import datetime

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from bot.assistant import clean_text
from bot.channels import whatsapp_templates as templates
from bot.channels import whatsapp_window as window
from bot.channels.exchange import Decide, answer_directly, text_only_reply
from bot.channels.linking import redeem
from bot.channels.sms import WHATSAPP_PREFIX, Form, SmsWebhook, e164, message_sid
from bot.engine.turn import Turn
from bot.keywords import Keyword, keyword
from bot.types import Channel, Inbound, Step
from store.db import UNAVAILABLE
from store.models import Participant

WHATSAPP_PATH = "/webhooks/twilio/whatsapp"
# What WhatsApp can send that is not text (Twilio's MessageType).
_NOT_TEXT = frozenset(
    {"image", "video", "audio", "document", "sticker", "location", "contacts", "reaction"}
)
_CODE = re.compile(rf"\s*(?:{templates.LINK_WORD}\s+)?([A-Za-z0-9_-]{{64}})\s*", re.I | re.A)


class WhatsAppWebhook(SmsWebhook):
    label = Channel.WHATSAPP.value

    async def inbound(self, request: Request) -> Response:
        started = time.perf_counter()
        form = await self._signed_form(request, WHATSAPP_PATH)
        if isinstance(form, Response):
            return form
        return await self.answer(form, started)

    async def answer(self, form: Form, started: float) -> Response:
        """A signed form from a WhatsApp sender, on either path."""
        sid = message_sid(form)
        sender = form.get("From", "")
        if sid is None or not sender.startswith(WHATSAPP_PREFIX):
            return self._reject("malformed", 400)
        address = e164(sender.removeprefix(WHATSAPP_PREFIX), self._region)
        text = form.get("Body", "") or form.get("ButtonText", "") or form.get("ButtonPayload", "")
        inbound = Inbound(Channel.WHATSAPP, address, text, sid)
        code = _CODE.fullmatch(text)
        kind = _kind(form, text)
        try:
            if code is not None:
                link = self._link(code[1], address)
                step = await self._db.step(self._directly, inbound, templates.LINK_WORD, link)
            elif kind != "text":
                step = await self._db.step(self._directly, inbound, f"[{kind}]", self._not_text())
            else:
                step = await self._db.step(self._text, inbound)
        except UNAVAILABLE:
            if code is not None:
                return self._reject("unavailable", 503)  # a code is a secret: never spooled
            return await self._unavailable(inbound, media=kind != "text")
        self._count(step, started)
        return Response(self._twiml(step), media_type="application/xml")

    def _text(self, inbound: Inbound) -> Step:
        """Text: the held messages if this is the reply their template asked for; else
        the assistant, as for any channel."""
        # START from someone who has not opted out is only "go on" (the check-in template
        # asks them to reply when ready): it answers the template too.
        word = keyword(inbound.text)
        plain = word in (None, Keyword.START) and self._assistant.screen.match(inbound.text) is None
        if plain:
            with self._db.read() as session:
                waiting = window.waiting(session, inbound.address)
            if waiting:
                return self._directly(inbound, clean_text(inbound.text), self._release(inbound))
        return self._assistant.handle(inbound)

    def _directly(self, inbound: Inbound, stored: str, decide: Decide) -> Step:
        return answer_directly(
            self._db,
            inbound,
            stored_body=stored,
            decide=decide,
            inline_limit=None,
            now=self._clock(),
        )

    def _release(self, inbound: Inbound) -> Decide:
        def decide(session: Session, known: Participant | None) -> tuple[int | None, list[str]]:
            if known is None:  # unlinked since: nothing of theirs goes to this number
                return None, self._assistant.router.unknown_sender(None, False)
            now = self._clock()
            known.last_inbound_at = now
            replies = window.release(session, inbound.address, known)
            return known.id, replies or [self._question(session, known, now)]

        return decide

    def _not_text(self) -> Decide:
        only_text = text_only_reply(self._assistant)

        def decide(session: Session, known: Participant | None) -> tuple[int | None, list[str]]:
            participant_id, replies = only_text(session, known)
            if known is not None and replies:
                question = self._question(session, known, self._clock(), default="")
                replies += [question] if question else []
            return participant_id, replies

        return decide

    def _question(
        self, session: Session, person: Participant, now: datetime, default: str | None = None
    ) -> str:
        """The question waiting for an answer, asked again; else `default` (a welcome)."""
        engine = self._assistant.engine
        turn = Turn(session=session, participant=person, team=person.team, now=now)
        conv = engine.active(turn)
        if conv is not None:
            return engine.question(turn, conv)
        if default is not None:
            return default
        wording = self._assistant.wording
        return wording.render(
            "system/welcome_back", person.locale, name=person.display_name, resuming=False
        )

    def _link(self, token: str, address: str) -> Decide:
        wording, service = self._assistant.wording, self._assistant.service

        def decide(session: Session, known: Participant | None) -> tuple[int | None, list[str]]:
            linked = redeem(session, token, Channel.WHATSAPP, address, self._clock())
            if linked is None:
                invalid = wording.render("system/link_invalid", service=service)
                return (known.id if known else None), [invalid]
            reply = wording.render(
                "whatsapp/linked", linked.locale, name=linked.display_name, team=linked.team
            )
            return linked.id, [reply]

        return decide


def _kind(form: Form, text: str) -> str:
    """ "text", or what was sent instead (its type, for the stored message). A caption is
    text: it goes through the safety screen like any message."""
    given = form.get("MessageType", "").lower()
    if given == "reaction" or (given in _NOT_TEXT and not text.strip()):
        return given
    if text.strip():
        return "text"
    if form.get("Latitude"):
        return "location"
    media = form.get("NumMedia", "0")
    return "media" if media.isdigit() and int(media) > 0 else "text"
