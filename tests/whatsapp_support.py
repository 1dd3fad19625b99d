"""What the WhatsApp tests share: the app in-process on a real database, the fake Twilio
(WhatsApp sender, templates, the 24-hour window) on a real port, a clock both follow."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.assistant import load_service
from bot.channels.whatsapp import WHATSAPP_PATH
from bot.delivery import Dispatcher, build_senders
from bot.enrolment import add_participant, get_or_create_team
from bot.fakes.twilio import FakeTwilio, SentSms, status_callback_form
from bot.fakes.whatsapp import inbound_whatsapp_form
from bot.settings import PROJECT_ROOT
from tests.channel_helpers import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_URL,
    TEAM,
    Clock,
    Env,
    channel_settings,
    replies_of,
    running_app,
    signature,
)

WA_SENDER = "+447700900002"  # the service's WhatsApp number
WA_PHONE = "+447400654321"  # the person's
CHECK_IN_SID = "HX" + "1" * 32
NOTICE_SID = "HX" + "2" * 32
# A Monday morning in London: scheduled messages are inside people's hours.
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@dataclass
class WhatsApp:
    env: Env
    fake: FakeTwilio
    dispatcher: Dispatcher
    clock: Clock

    async def send(
        self,
        text: str,
        *,
        path: str = WHATSAPP_PATH,
        phone: str = WA_PHONE,
        twilio_knows: bool = True,
        **form_options: Any,
    ) -> list[str]:
        """The person writes; the replies Twilio gets back as TwiML. `twilio_knows`:
        the fake Twilio sees the message too (it opens its window)."""
        sid = "SM" + uuid.uuid4().hex
        form = inbound_whatsapp_form(phone, WA_SENDER, text, sid, ACCOUNT_SID, **form_options)
        response = await self.env.client.post(
            path, data=form, headers=signature(form, url=PUBLIC_URL + path)
        )
        assert response.status_code == 200, response.text
        if twilio_knows:
            self.fake.whatsapp.wrote(phone, self.clock.now)
        return replies_of(response.text)

    async def deliver(self) -> int:
        return await self.dispatcher.deliver_due()

    async def report(self, sent: SentSms) -> None:
        """Twilio's status callback for `sent`: what the fake decided (63016 outside the
        window), else read."""
        failure = self.fake.whatsapp.fails.pop(sent.sid, None)
        status = "failed" if failure is not None else "read"
        form = status_callback_form(sent, status, ACCOUNT_SID, error_code=failure)
        url = sent.status_callback
        assert url is not None
        assert url.startswith(PUBLIC_URL)
        response = await self.env.client.post(
            url.removeprefix(PUBLIC_URL), data=form, headers=signature(form, url=url)
        )
        assert response.status_code == 200, response.text


@asynccontextmanager
async def whatsapp(
    db_url: str, *, templates: Sequence[str] = (CHECK_IN_SID, NOTICE_SID), **settings: Any
) -> AsyncIterator[WhatsApp]:
    clock = Clock(START)
    with FakeTwilio(
        ACCOUNT_SID, AUTH_TOKEN, whatsapp_senders=[WA_SENDER], templates=templates, clock=clock
    ) as fake:
        values: dict[str, Any] = {
            "telegram_bot_token": None,
            "twilio_whatsapp_from": WA_SENDER,
            "whatsapp_template_check_in": CHECK_IN_SID,
            "whatsapp_template_notice": NOTICE_SID,
            "twilio_api_base_url": fake.url,
        }
        config = channel_settings(db_url, **(values | settings))
        async with running_app(config, clock=clock) as env:
            senders = build_senders(
                config, timeout=5.0, channels=("whatsapp",), db=env.db, clock=clock
            )
            dispatcher = Dispatcher(env.db, senders, clock=clock)
            try:
                yield WhatsApp(env, fake, dispatcher, clock)
            finally:
                await dispatcher.close()


def enrol_on_whatsapp(env: Env, name: str = "Alex", phone: str | None = WA_PHONE) -> int:
    """A participant of TEAM, onboarded, whose WhatsApp number is known to be theirs."""
    service = load_service(PROJECT_ROOT / "dialogs")
    now = env.clock.now
    with env.db.write() as session:
        team = get_or_create_team(session, TEAM, service)
        team.crisis_line_name = "Riverside crisis line"
        team.crisis_line_number = "0800 123 4567"
        person = add_participant(session, name=name, team=team, now=now, whatsapp=phone)
        person.consented_at = person.onboarded_at = now
        return person.id
