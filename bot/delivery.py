"""Sending outbox claims through Twilio's REST API and Telegram's Bot API.

A sender turns one claim into an Outcome: the provider's answer mapped to sent,
retry later, permanent failure, or unsure (the request may have reached the provider).
The Dispatcher claims, sends and settles; the worker and the web app both use it.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Protocol

import requests
import telegram
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError, TimedOut
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client as TwilioClient

from bot import outbox
from bot.channels.providers import telegram_bot, twilio_client
from bot.metrics import Metrics
from bot.outbox import Claim, Failed, Outcome, Policy, Retry, Sent, Unsure
from bot.settings import Settings
from bot.types import Channel
from store.db import Database

log = logging.getLogger(__name__)
# PTB 22 reads it whenever it builds a RetryAfter; without it, it warns of a change to come.
os.environ.setdefault("PTB_TIMEDELTA", "true")

STATUS_PATH = "/webhooks/twilio/status"
# Twilio errors that sending again cannot fix (https://www.twilio.com/docs/api/errors).
TWILIO_PERMANENT = frozenset(
    {"21211", "21408", "21602", "21604", "21610", "21612", "21614", "21617", "21635"}
)
TWILIO_OPTED_OUT = "21610"
# How far Twilio's clock may be behind ours when matching a message we may have sent.
_CLOCK_SKEW = timedelta(minutes=5)
# Claims taken together, sent one after another, settled together.
CLAIMS = 8


class Sender(Protocol):
    channel: str
    can_look_up: bool  # whether the provider can say what it already accepted

    async def send(self, claim: Claim) -> Outcome: ...

    async def look_up(self, claim: Claim) -> list[str] | None:
        """Ids of provider messages that may be this claim, oldest first; None: no answer."""
        ...

    async def close(self) -> None: ...


class TwilioSender:
    channel = Channel.SMS.value
    can_look_up = True

    def __init__(self, client: TwilioClient, from_number: str, public_url: str) -> None:
        self._client = client
        self._from = from_number
        self._callback = public_url.rstrip("/") + STATUS_PATH

    async def send(self, claim: Claim) -> Outcome:
        return await asyncio.to_thread(self._send, claim)

    def _send(self, claim: Claim) -> Outcome:
        sids: list[str] = []
        try:
            # Over Twilio's limit: parts, as for Telegram (see TelegramSender.send).
            for part in outbox.split(claim.body, outbox.LIMITS[self.channel]):
                message = self._client.messages.create(
                    to=claim.address,
                    from_=self._from,
                    body=part,
                    # The id lets a status callback settle a message whose worker died
                    # before it could write down Twilio's sid.
                    status_callback=f"{self._callback}?message={claim.id}",
                )
                sids.append(str(message.sid))
        except TwilioRestException as exc:
            code = str(exc.code or exc.status)
            # Anything else (auth, a From number not on the account, 429, 5xx) may be
            # fixed by waiting or by the operator, so it is retried until attempts run out.
            return Failed(code) if code in TWILIO_PERMANENT else Retry(code)
        except requests.exceptions.ConnectTimeout:
            return Retry("connect_timeout")  # never reached Twilio
        except requests.exceptions.RequestException:
            return Unsure("transport")  # Twilio may have taken it: look it up first
        return Sent(sids[0])

    async def look_up(self, claim: Claim) -> list[str] | None:
        return await asyncio.to_thread(self._look_up, claim)

    def _look_up(self, claim: Claim) -> list[str] | None:
        try:
            # Any of our numbers: a TwiML reply goes from the number the person texted,
            # which need not be TWILIO_FROM_NUMBER (bot/inline.py hands those over too).
            listed = self._client.messages.list(to=claim.address, limit=50)
        except (TwilioException, requests.exceptions.RequestException):
            return None
        since = claim.created_at - _CLOCK_SKEW
        found = [
            m
            for m in listed
            if m.body == claim.body and m.date_created is not None and m.date_created >= since
        ]
        found.sort(key=lambda m: m.date_created)
        return [str(m.sid) for m in found]

    async def close(self) -> None:
        self._client.http_client.session.close()


class TelegramSender:
    channel = Channel.TELEGRAM.value
    can_look_up = False  # the Bot API can't list sent messages: resend (at least once)

    def __init__(self, bot: telegram.Bot) -> None:
        self.bot = bot
        self._ready = asyncio.Lock()

    async def ready(self) -> telegram.Bot:
        """The bot, initialized once (a getMe), so that close() releases its connections."""
        async with self._ready:
            await self.bot.initialize()
        return self.bot

    async def send(self, claim: Claim) -> Outcome:
        try:
            chat_id = int(claim.address)
        except ValueError:
            return Failed("telegram_bad_chat_id")
        try:
            await self.ready()
            # A body over Telegram's limit goes as parts; the outbox splits when it queues,
            # so this is a fallback, and a retry after a partial send repeats its parts.
            for part in outbox.split(claim.body, outbox.LIMITS[self.channel]):
                await self.bot.send_message(chat_id=chat_id, text=part)
        except Forbidden:
            return Failed("telegram_forbidden")  # blocked by the person, or chat gone
        except BadRequest:
            return Failed("telegram_bad_request")
        except RetryAfter as exc:
            after = exc.retry_after
            seconds = after.total_seconds() if isinstance(after, timedelta) else float(after)
            return Retry("telegram_flood", retry_after=seconds)
        except InvalidToken:
            return Retry("telegram_unauthorized")
        except TimedOut:
            return Unsure("telegram_timeout")
        except TelegramError:
            return Retry("telegram_error")
        return Sent(None)

    async def look_up(self, claim: Claim) -> list[str] | None:
        return None

    async def close(self) -> None:
        await self.bot.shutdown()


def build_senders(
    settings: Settings,
    *,
    timeout: float = 10.0,
    channels: tuple[str, ...] = ("sms", "telegram", "whatsapp"),
    db: Database | None = None,
    clock: Callable[[], datetime] | None = None,
) -> dict[str, Sender]:
    """A sender for each configured channel (SMS needs a From number, too; WhatsApp its
    sender and the database, where it looks up the 24-hour window)."""
    senders: dict[str, Sender] = {}
    token = settings.twilio_auth_token
    if (
        "whatsapp" in channels
        and db is not None
        and settings.twilio_account_sid
        and token
        and settings.twilio_whatsapp_from
    ):
        # Imported here: the WhatsApp sender builds on this module's names.
        from bot.channels.whatsapp_sender import WhatsAppSender

        client = twilio_client(
            settings.twilio_account_sid,
            token.get_secret_value(),
            base_url=settings.twilio_api_base_url,
            timeout=timeout,
        )
        senders["whatsapp"] = WhatsAppSender(client, settings, db, clock or _utc_now)
    if "sms" in channels and settings.twilio_account_sid and token and settings.twilio_from_number:
        client = twilio_client(
            settings.twilio_account_sid,
            token.get_secret_value(),
            base_url=settings.twilio_api_base_url,
            timeout=timeout,
        )
        senders["sms"] = TwilioSender(client, settings.twilio_from_number, settings.public_url)
    if "telegram" in channels and settings.telegram_bot_token:
        bot = telegram_bot(
            settings.telegram_bot_token.get_secret_value(),
            base_url=settings.telegram_api_base_url,
            timeout=timeout,
        )
        senders["telegram"] = TelegramSender(bot)
    return senders


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Dispatcher:
    """Claim, send, settle: one message at a time, oldest first for each recipient."""

    def __init__(
        self,
        db: Database,
        senders: Mapping[str, Sender],
        *,
        clock: Callable[[], datetime],
        policy: Policy | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.db = db
        self.senders = senders
        self.clock = clock
        self.policy = policy or Policy()
        self.metrics = metrics

    async def deliver_due(
        self, *, address: tuple[str, str] | None = None, limit: int | None = None
    ) -> int:
        """Deliver what is due now (for one recipient, if given); returns claims handled.

        A few claims at a time, each to a different recipient: claimed in one
        transaction, sent in turn, settled in one transaction. Two short writes
        per few messages rather than per message leave SQLite's writer free for the
        message steps (a CRISIS among them) the rest of the time (docs/performance.md)."""
        handled = 0
        channels = list(self.senders)
        while limit is None or handled < limit:
            want = CLAIMS if limit is None else min(CLAIMS, limit - handled)
            claims = await asyncio.to_thread(
                outbox.claim_due,
                self.db,
                self.clock(),
                self.policy,
                channels=channels,
                address=address,
                limit=want,
            )
            if not claims:
                break
            await self._deliver(claims)
            handled += len(claims)
        return handled

    async def deliver(self, claim: Claim) -> str:
        [status] = await self._deliver([claim])
        return status

    async def _deliver(self, claims: list[Claim]) -> list[str]:
        # One after another, in the order claimed. A provider slow enough to use up half
        # the lease leaves the rest for later: given back unsent, not held past the lease.
        outcomes: list[Outcome] = []
        give_back_at = self.clock() + self.policy.lease / 2
        for claim in claims:
            if outcomes and self.clock() >= give_back_at:
                outcomes.append(Retry("not_sent"))
            else:
                outcomes.append(await self._attempt(claim))
        now = self.clock()
        settled = list(zip(claims, outcomes, strict=True))
        statuses = await asyncio.to_thread(outbox.settle_all, self.db, settled, now, self.policy)
        for (claim, outcome), status in zip(settled, statuses, strict=True):
            if isinstance(outcome, Failed) and outcome.code == TWILIO_OPTED_OUT:
                await asyncio.to_thread(self._opt_out, claim, now)
            self._count(claim, outcome, status)
        return statuses

    async def _attempt(self, claim: Claim) -> Outcome:
        sender = self.senders[claim.channel]
        try:
            if claim.unsure:
                outcome = await self._reconcile(sender, claim)
                if outcome is not None:
                    return outcome
            return await sender.send(claim)
        except Exception:
            log.exception("sending message %s failed unexpectedly", claim.id)
            return Unsure("error")

    async def _reconcile(self, sender: Sender, claim: Claim) -> Outcome | None:
        """An earlier attempt may have reached the provider: find it rather than resend."""
        if not sender.can_look_up:
            return None  # send again: at least once
        candidates = await sender.look_up(claim)
        if candidates is None:
            return Unsure("lookup_failed")  # no answer: ask again later
        known = await asyncio.to_thread(
            outbox.known_external_ids, self.db, claim.channel, candidates
        )
        fresh = [sid for sid in candidates if sid not in known]
        if fresh:
            log.info("message %s was accepted before the worker stopped; not resending", claim.id)
            return Sent(fresh[0])
        if claim.attempt > self.policy.max_attempts:
            return Failed("gave_up")
        return None

    def _opt_out(self, claim: Claim, now: datetime) -> None:
        if claim.participant_id is None:
            return
        with self.db.write() as session:
            outbox.opt_out(session, claim.participant_id, now, actor="twilio")

    def _count(self, claim: Claim, outcome: Outcome, status: str) -> None:
        if self.metrics is None:
            return
        if isinstance(outcome, Sent):
            self.metrics.messages_out.labels(claim.channel, "outbox").inc()
            return
        if isinstance(outcome, Failed):
            kind = "permanent"
        else:
            kind = "gave_up" if status == "failed" else "retry"
        self.metrics.delivery_failures.labels(claim.channel, kind).inc()

    async def close(self) -> None:
        for sender in self.senders.values():
            await sender.close()
