"""SMS through Twilio: the incoming-message webhook (replies inline as TwiML) and the
status callback. Only requests signed by Twilio for the configured public URL count.

Form data is decoded as UTF-8 with undecodable bytes replaced (U+FFFD), both for the
signature check and for the text: Twilio always sends UTF-8, so a request with other
bytes is either forged (and fails the signature) or damaged in transit, and it is read
as far as it can be rather than crashing or being dropped.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

import phonenumbers
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import ImmutableMultiDict
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from twilio.request_validator import RequestValidator

from bot import outbox
from bot.assistant import Assistant, Clock
from bot.channels import whatsapp_window
from bot.channels.exchange import answer_directly, text_only_reply
from bot.channels.outage import Outage
from bot.delivery import STATUS_PATH, TWILIO_OPTED_OUT
from bot.metrics import Metrics
from bot.settings import Settings
from bot.types import Channel, Inbound, Step
from store.db import UNAVAILABLE, Database
from store.models import Message

INBOUND_PATH = "/webhooks/twilio/sms"
WHATSAPP_PREFIX = "whatsapp:"
MAX_FORM_BYTES = 256 * 1024
MAX_FIELDS = 200
SMS_LIMIT = outbox.LIMITS[Channel.SMS.value]
# Characters XML 1.0 can't carry: a reply that echoes one would make the TwiML unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Twilio's statuses -> (ours, rank); a callback never moves a message backwards.
_PROVIDER_STATUS = {
    "accepted": ("sent", 2),
    "scheduled": ("sent", 2),
    "queued": ("sent", 2),
    "sending": ("sent", 2),
    "sent": ("sent", 2),
    "delivered": ("delivered", 3),
    "read": ("delivered", 3),
    "undelivered": ("undelivered", 3),
    "failed": ("failed", 3),
}
_RANK = {"queued": 0, "sending": 1, "inline": 1, "sent": 2, "failed": 2}
# Twilio's message ids: SM (text) or MM (media) and 32 hex digits.
_MESSAGE_SID = re.compile(r"(?:SM|MM)[0-9a-f]{32}")
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
_QUOTE = {'"': "&quot;"}
E164_CACHE_SIZE = 4096  # distinct senders remembered (~1 MB): the busy ones of an hour


class _Form(ImmutableMultiDict[str, str]):
    """The form as Twilio's RequestValidator reads it best: it asks for `getall` (a
    MultiDict's name for `getlist`) and, without one, finds every value through an
    AttributeError, which was a third of the signature check's time."""

    def getall(self, key: str) -> list[str]:
        return self.getlist(key)


Form = ImmutableMultiDict[str, str]


class BadRequest(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


class SmsWebhook:
    label = "sms"  # the channel, in metrics

    def __init__(
        self,
        settings: Settings,
        assistant: Assistant,
        metrics: Metrics,
        clock: Clock,
        outage: Outage,
    ) -> None:
        token = settings.twilio_auth_token
        self._validator = RequestValidator(token.get_secret_value()) if token else None
        self._public = settings.public_url.rstrip("/")
        self._region = settings.default_region
        self._assistant = assistant
        self._db = assistant.db
        self._metrics = metrics
        self._clock = clock
        self._outage = outage
        # Twilio sends WhatsApp messages here too when the sender is set up so: they go
        # to the WhatsApp webhook (bot/channels/whatsapp.py) once the signature holds.
        self.whatsapp: Callable[[Form, float], Awaitable[Response]] | None = None

    async def inbound(self, request: Request) -> Response:
        started = time.perf_counter()
        form = await self._signed_form(request, INBOUND_PATH)
        if isinstance(form, Response):
            return form
        if self.whatsapp is not None and form.get("From", "").startswith(WHATSAPP_PREFIX):
            return await self.whatsapp(form, started)
        sid = message_sid(form)
        if sid is None:
            return self._reject("malformed", 400)
        body = form.get("Body", "")
        inbound = Inbound(Channel.SMS, e164(form.get("From", ""), self._region), body, sid)
        media = not body.strip() and _num_media(form) > 0
        try:
            if media:
                step = await self._db.step(self._media_only, inbound)
            else:
                step = await self._db.step(self._assistant.handle, inbound)
        except UNAVAILABLE:
            return await self._unavailable(inbound, media=media)
        response = Response(self._twiml(step), media_type="application/xml")
        self._count(step, started)
        return response

    async def _unavailable(self, inbound: Inbound, *, media: bool) -> Response:
        """The database is down or locked: keep the message in the spool, answer from
        what was made at start-up (bot/channels/outage.py)."""
        kind = "media" if media else "text"
        replies = await run_in_threadpool(self._outage.keep, inbound, kind=kind, now=self._clock())
        if replies is None:
            return self._reject("unavailable", 503)  # not kept: Twilio may send it again
        self._metrics.spooled.labels(self.label).inc()
        return Response(twiml(tuple(replies)), media_type="application/xml")

    def _twiml(self, step: Step) -> str:
        """The replies, each asking Twilio to report on it: a reply that nothing reports
        on is handed to the outbox (bot/inline.py)."""
        callback = self._public + STATUS_PATH + "?message="
        return twiml(step.replies, tuple(f"{callback}{id_}" for id_ in step.reply_ids))

    async def status(self, request: Request) -> Response:
        form = await self._signed_form(request, STATUS_PATH)
        if isinstance(form, Response):
            return form
        sid = form.get("MessageSid") or form.get("SmsSid")
        status = form.get("MessageStatus") or form.get("SmsStatus")
        if not sid or not status:
            return self._reject("malformed", 400)
        message_id = request.query_params.get("message", "")
        known_id = int(message_id) if _digits(message_id) else None
        whatsapp = form.get("To", "").startswith(WHATSAPP_PREFIX)
        channel = Channel.WHATSAPP.value if whatsapp else Channel.SMS.value
        try:
            ours = await self._db.step(
                record_status,
                self._db,
                sid,
                status.lower(),
                form.get("ErrorCode") or None,
                known_id,
                self._clock(),
                channel,
            )
        except UNAVAILABLE:
            return self._reject("unavailable", 503)
        if ours in ("undelivered", "failed", whatsapp_window.HELD):
            self._metrics.delivery_failures.labels(channel, "provider").inc()
        # Empty TwiML: the answer a <Message action="..."> callback may be read for.
        return Response(twiml(()), media_type="application/xml")

    def _media_only(self, inbound: Inbound) -> Step:
        return answer_directly(
            self._db,
            inbound,
            stored_body="[media]",
            decide=text_only_reply(self._assistant),
            inline_limit=None,
            now=self._clock(),
        )

    async def _signed_form(
        self, request: Request, path: str
    ) -> ImmutableMultiDict[str, str] | Response:
        """The form, if Twilio signed it for our public URL; else the response to give."""
        signature = request.headers.get("x-twilio-signature", "")
        if self._validator is None or not signature:
            return self._reject("signature", 403)
        try:
            raw = await _read_body(request)
            pairs = parse_qsl(
                raw.decode("utf-8", "replace"),
                keep_blank_values=True,
                errors="replace",
                max_num_fields=MAX_FIELDS,
            )
        except BadRequest as exc:
            return self._reject("malformed", exc.status)
        except ValueError:  # too many fields
            return self._reject("malformed", 400)
        form = _Form(pairs)
        query = request.scope.get("query_string", b"").decode("latin-1")
        url = self._public + path + (f"?{query}" if query else "")
        if not self._validator.validate(url, form, signature):
            return self._reject("signature", 403)
        return form

    def _reject(self, reason: str, status: int) -> Response:
        self._metrics.rejected.labels(self.label, reason).inc()
        return PlainTextResponse("", status_code=status)

    def _count(self, step: Step, started: float) -> None:
        if step.duplicate:
            self._metrics.duplicates.labels(self.label).inc()
            return
        self._metrics.messages_in.labels(self.label).inc()
        if step.safety_alert:
            self._metrics.safety_alerts.labels(self.label).inc()
        if step.replies:
            took = time.perf_counter() - started
            self._metrics.messages_out.labels(self.label, "inline").inc(len(step.replies))
            self._metrics.reply_latency.labels(self.label).observe(took)
            if step.crisis:
                self._metrics.crisis_reply_latency.labels(self.label).observe(took)


def message_sid(form: ImmutableMultiDict[str, str]) -> str | None:
    """The message's id, if it looks like Twilio's and every copy of it agrees; else None.
    Twilio's signature joins names and values with no separator, so a captured request
    can be re-cut (`MessageSid=<sid>NumMedia0` with `NumMedia` dropped) and still verify:
    such a sid must never become a new message with its own effects."""
    sids = form.getlist("MessageSid")
    if len(sids) != 1 or not _MESSAGE_SID.fullmatch(sids[0]):
        return None
    for name in ("SmsSid", "SmsMessageSid"):
        if any(other != sids[0] for other in form.getlist(name)):
            return None
    return sids[0]


def twiml(replies: tuple[str, ...], actions: tuple[str, ...] = ()) -> str:
    """Replies as TwiML: one <Message> per 1,600 characters, with `actions[i]` (if given)
    as the status callback of reply i. The same document as twilio's MessagingResponse
    writes (tests compare them), without building an ElementTree for it on every message."""
    opening = [f'<Message action="{escape(a, _QUOTE)}">' for a in actions]
    opening += ["<Message>"] * (len(replies) - len(opening))
    messages = [
        f"{start}{escape(part)}</Message>"
        for reply, start in zip(replies, opening, strict=True)
        for part in outbox.split(_NOT_XML.sub("", reply), SMS_LIMIT)
        if part
    ]
    if not messages:
        return f"{_XML_DECLARATION}<Response />"
    return f"{_XML_DECLARATION}<Response>{''.join(messages)}</Response>"


@functools.lru_cache(maxsize=E164_CACHE_SIZE)
def e164(number: str, region: str) -> str:
    """A phone number in E.164 when it reads as one; anything else (a short code, an
    alphanumeric sender) unchanged, so it matches no participant."""
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return number
    if not phonenumbers.is_possible_number(parsed):
        return number
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def record_status(
    db: Database,
    sid: str,
    status: str,
    error_code: str | None,
    message_id: int | None,
    now: datetime,
    channel: str = Channel.SMS.value,
) -> str | None:
    """Apply a status callback to our row of that message; returns its status after."""
    with db.write() as session:
        row = session.scalars(
            select(Message).where(Message.channel == channel, Message.external_id == sid)
        ).one_or_none()
        if row is None and message_id is not None:
            # A worker died after Twilio took the message and before it wrote down the sid.
            candidate = session.get(Message, message_id)
            if (
                candidate is not None
                and candidate.channel == channel
                and candidate.direction == "out"
                and candidate.external_id is None
            ):
                row, row.external_id = candidate, sid
        if row is None:
            return None
        ours, rank = _PROVIDER_STATUS.get(status, ("sent", 2))
        moved = rank > _RANK.get(row.status, 3)
        if moved:
            row.status, row.claimed_until = ours, None
        if error_code:
            row.error_code = error_code[:40]
        if moved and channel == Channel.WHATSAPP.value and ours in ("undelivered", "failed"):
            whatsapp_window.failed(session, row, error_code, now)
        if error_code == TWILIO_OPTED_OUT and row.participant_id is not None:
            outbox.opt_out(session, row.participant_id, now, actor="twilio")
        return row.status


def _num_media(form: ImmutableMultiDict[str, str]) -> int:
    value = form.get("NumMedia", "0")
    return int(value) if _digits(value) else 0


def _digits(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) < 19


async def _read_body(request: Request) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            raise BadRequest(413)
        chunks.append(chunk)
    return b"".join(chunks)
