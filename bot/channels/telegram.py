"""Telegram: the webhook. Replies go to the outbox and the web process sends them at
once after answering Telegram (the worker is the safety net if it can't).

Only requests carrying our secret token count. A message that is only an invite token
(`/start TOKEN` from a deep link, or the token typed by hand) links the chat; text,
captions and edited messages go to the assistant; anything else gets a kind sentence
that only text is read. Other update types, and chats that aren't private, are
acknowledged and ignored.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from typing import Any

from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from telegram import Message as TelegramMessage
from telegram import Update

from bot import outbox
from bot.assistant import Assistant, Clock
from bot.channels.exchange import Decide, answer_directly, text_only_reply
from bot.channels.linking import redeem, token_in
from bot.channels.outage import Outage
from bot.delivery import Dispatcher, TelegramSender
from bot.metrics import Metrics
from bot.settings import Settings
from bot.types import Channel, Inbound, Step
from store.db import UNAVAILABLE
from store.models import Participant

log = logging.getLogger(__name__)

SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name
MAX_UPDATE_BYTES = 1024 * 1024
_TEXTS = ("text", "caption")
_NON_TEXT = (
    "photo",
    "sticker",
    "voice",
    "video_note",
    "video",
    "animation",
    "audio",
    "document",
    "location",
    "venue",
    "contact",
    "poll",
    "dice",
)


class TelegramWebhook:
    def __init__(
        self,
        settings: Settings,
        assistant: Assistant,
        dispatcher: Dispatcher | None,
        metrics: Metrics,
        clock: Clock,
        outage: Outage,
    ) -> None:
        secret = settings.telegram_webhook_secret
        self._secret = secret.get_secret_value().encode() if secret else None
        self._assistant = assistant
        self._dispatcher = dispatcher
        self._metrics = metrics
        self._clock = clock
        self._outage = outage

    async def update(self, request: Request) -> Response:
        started = time.perf_counter()
        given = request.headers.get(SECRET_HEADER, "").encode()
        if self._secret is None or not hmac.compare_digest(given, self._secret):
            return self._reject("secret", 403)
        update = await _parse(request)
        if update is None:
            return self._reject("malformed", 400)
        message = update.message or update.edited_message
        if message is None or message.chat.type != "private":
            return PlainTextResponse("")  # nothing for us: a status change, a group, a poll
        address = str(message.chat.id)
        inbound_id = str(update.update_id)
        try:
            step = await self._assistant.db.step(self._handle, message, address, inbound_id)
        except UNAVAILABLE:
            return await self._unavailable(message, address, inbound_id, started)
        self._count(step)
        if step.duplicate:
            return PlainTextResponse("")
        task = BackgroundTask(self._send, address, step.replies, started, step.crisis)
        return PlainTextResponse("", background=task)

    async def _unavailable(
        self, message: TelegramMessage, address: str, inbound_id: str, started: float
    ) -> Response:
        """The database is down or locked: a text is kept in the spool and answered from
        what was made at start-up (bot/channels/outage.py), sent straight to the chat.
        Anything else (a picture, an invite token, which is a secret) is refused, and
        Telegram delivers it again later."""
        text = message.text if message.text is not None else message.caption
        if text is None or token_in(text) is not None:
            return self._reject("unavailable", 503)
        edited = message.edit_date is not None
        inbound = Inbound(Channel.TELEGRAM, address, text, inbound_id, edited=edited)
        replies = await run_in_threadpool(self._outage.keep, inbound, now=self._clock())
        if replies is None:
            return self._reject("unavailable", 503)
        self._metrics.spooled.labels("telegram").inc()
        task = BackgroundTask(self._send_now, address, tuple(replies), started)
        return PlainTextResponse("", background=task)

    async def _send_now(self, address: str, replies: tuple[str, ...], started: float) -> None:
        """Without the outbox (the database is unavailable): once, straight to the chat."""
        sender = self._dispatcher.senders.get(Channel.TELEGRAM.value) if self._dispatcher else None
        if not isinstance(sender, TelegramSender):
            return
        try:
            bot = await sender.ready()
            for text in replies:
                await bot.send_message(chat_id=int(address), text=text)
        except Exception:
            log.exception("sending the spooled update's reply failed")
            return
        self._metrics.reply_latency.labels("telegram").observe(time.perf_counter() - started)

    def _handle(self, message: TelegramMessage, address: str, inbound_id: str) -> Step:
        text = message.text if message.text is not None else message.caption
        if text is None:
            kind = next((k for k in _NON_TEXT if getattr(message, k, None)), "non-text")
            decide = text_only_reply(self._assistant)
            return self._directly(address, inbound_id, f"[{kind}]", decide)
        token = token_in(text)
        if token is not None:
            # Never stored: the token is a secret until it is used.
            return self._directly(address, inbound_id, "/start", self._link(token, address))
        edited = message.edit_date is not None
        inbound = Inbound(Channel.TELEGRAM, address, text, inbound_id, edited=edited)
        return self._assistant.handle(inbound, inline_limit=0)

    def _directly(self, address: str, inbound_id: str, stored: str, decide: Decide) -> Step:
        inbound = Inbound(Channel.TELEGRAM, address, stored, inbound_id)
        return answer_directly(
            self._assistant.db,
            inbound,
            stored_body=stored,
            decide=decide,
            inline_limit=0,
            now=self._clock(),
        )

    def _link(self, token: str, address: str) -> Decide:
        wording, service = self._assistant.wording, self._assistant.service

        def decide(session: Session, known: Participant | None) -> tuple[int | None, list[str]]:
            linked = redeem(session, token, Channel.TELEGRAM, address, self._clock())
            if linked is None:
                return (known.id if known else None), [
                    wording.render("system/link_invalid", service=service)
                ]
            reply = wording.render(
                "system/linked", linked.locale, name=linked.display_name, team=linked.team
            )
            return linked.id, [reply]

        return decide

    async def _send(
        self, address: str, inline: tuple[str, ...], started: float, crisis: bool
    ) -> None:
        """After the response: send what was queued for this chat, oldest first."""
        if self._dispatcher is None:
            return  # no bot token here: `touchpoint worker` sends them
        sender = self._dispatcher.senders.get(Channel.TELEGRAM.value)
        try:
            if inline and isinstance(sender, TelegramSender):
                # Only the assistant's fallback answers inline (it could not queue).
                bot = await sender.ready()
                for text in inline:
                    await bot.send_message(chat_id=int(address), text=text)
            where = (Channel.TELEGRAM.value, address)
            await self._dispatcher.db.step(outbox.hurry, self._dispatcher.db, *where, self._clock())
            sent = await self._dispatcher.deliver_due(address=where)
        except Exception:
            log.exception("sending the replies of a Telegram update failed; the worker retries")
            return
        if sent:
            took = time.perf_counter() - started
            self._metrics.reply_latency.labels("telegram").observe(took)
            if crisis:
                self._metrics.crisis_reply_latency.labels("telegram").observe(took)

    def _reject(self, reason: str, status: int) -> Response:
        self._metrics.rejected.labels("telegram", reason).inc()
        return PlainTextResponse("", status_code=status)

    def _count(self, step: Step) -> None:
        if step.duplicate:
            self._metrics.duplicates.labels("telegram").inc()
            return
        self._metrics.messages_in.labels("telegram").inc()
        if step.safety_alert:
            self._metrics.safety_alerts.labels("telegram").inc()


async def _parse(request: Request) -> Update | None:
    size, chunks = 0, []
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_UPDATE_BYTES:
            return None
        chunks.append(chunk)
    try:
        data: Any = json.loads(b"".join(chunks))
        if not _well_formed(data):
            return None
        update = Update.de_json(data, None)
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError, OverflowError):
        return None  # nested thousands deep; a date past the year 9999
    return update


def _well_formed(data: Any) -> bool:
    """The fields we read have the types Telegram gives them. python-telegram-bot takes
    what it is given (a number for `text`, a message without `chat`), so an update that
    did not come from Telegram is refused here rather than failing later."""
    if not isinstance(data, dict) or not _is_int(data.get("update_id")):
        return False
    for kind in ("message", "edited_message"):
        if kind not in data:
            continue
        message = data[kind]
        if not isinstance(message, dict):
            return False
        chat = message.get("chat")
        if not (
            _is_int(message.get("message_id"))
            and _is_int(message.get("date"))
            and isinstance(chat, dict)
            and _is_int(chat.get("id"))
            and isinstance(chat.get("type"), str)
        ):
            return False
        if any(key in message and not isinstance(message[key], str) for key in _TEXTS):
            return False
    return True


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
