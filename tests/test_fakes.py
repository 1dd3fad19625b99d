"""The fake providers answer the real twilio and python-telegram-bot clients like the real ones."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from threading import Thread
from typing import Any
from urllib.parse import parse_qsl

import pytest
import pytest_asyncio
import requests
import telegram
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.channels.providers import telegram_bot, twilio_client
from bot.fakes.telegram import (
    FakeTelegram,
    callback_query_update,
    edited_text_update,
    photo_update,
    start_update,
    sticker_update,
    text_update,
    unknown_update,
    voice_update,
)
from bot.fakes.twilio import FakeTwilio, inbound_sms_form, num_segments, sign

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
FROM = "+447700900001"
TO = "+447700900123"
BOT_TOKEN = "123456789:AAF-test-token_abcdefghijklmnopqrstuv"


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without it PTB 22 warns (PTBDeprecationWarning) whenever it builds RetryAfter.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


# Twilio


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake:
        yield fake


def _client(fake: FakeTwilio, auth_token: str = AUTH_TOKEN, timeout: float = 5.0) -> Client:
    return twilio_client(ACCOUNT_SID, auth_token, base_url=fake.url, timeout=timeout)


@pytest.fixture
def client(fake_twilio: FakeTwilio) -> Iterator[Client]:
    client = _client(fake_twilio)
    yield client
    client.http_client.session.close()


def test_twilio_send_is_recorded(fake_twilio: FakeTwilio, client: Client) -> None:
    callback = "https://touchpoint.example/webhooks/twilio/status"
    message = client.messages.create(to=TO, from_=FROM, body="Hello", status_callback=callback)

    assert message.sid.startswith("SM")
    assert len(message.sid) == 34
    assert (message.status, message.to, message.from_, message.body) == (
        "queued",
        TO,
        FROM,
        "Hello",
    )
    assert message.num_segments == "1"
    assert message.date_created is not None
    [sent] = fake_twilio.sent
    assert (sent.to, sent.from_, sent.body, sent.sid) == (TO, FROM, "Hello", message.sid)
    assert sent.status_callback == callback
    fetched = client.messages(message.sid).fetch()
    assert (fetched.sid, fetched.status) == (message.sid, "queued")


def test_twilio_messaging_service(fake_twilio: FakeTwilio, client: Client) -> None:
    message = client.messages.create(to=TO, messaging_service_sid="MG" + "2" * 32, body="Hi")

    assert message.status == "accepted"
    assert fake_twilio.sent[0].from_ is None


def test_twilio_bad_auth(fake_twilio: FakeTwilio) -> None:
    client = _client(fake_twilio, auth_token="wrong")
    try:
        with pytest.raises(TwilioRestException) as caught:
            client.messages.create(to=TO, from_=FROM, body="Hello")
    finally:
        client.http_client.session.close()
    assert (caught.value.status, caught.value.code) == (401, 20003)
    assert fake_twilio.sent == []


def test_twilio_fail_next(fake_twilio: FakeTwilio, client: Client) -> None:
    fake_twilio.fail_next(1, status=500)
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to=TO, from_=FROM, body="Hello")
    assert caught.value.status == 500

    client.messages.create(to=TO, from_=FROM, body="Hello")  # only the next one failed
    assert len(fake_twilio.sent) == 1


@pytest.mark.parametrize(
    ("to", "code"),
    [("+447700900999", 21610), ("07700 900123", 21211), ("+15005550001", 21211)],
)
def test_twilio_refusals(fake_twilio: FakeTwilio, client: Client, to: str, code: int) -> None:
    fake_twilio.opted_out("+447700900999")
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to=to, from_=FROM, body="Hello")
    assert (caught.value.status, caught.value.code) == (400, code)
    assert fake_twilio.sent == []


def test_twilio_hang_times_out(fake_twilio: FakeTwilio) -> None:
    client = _client(fake_twilio, timeout=0.5)
    fake_twilio.hang_next(1, seconds=5)
    started = time.monotonic()
    try:
        with pytest.raises(requests.exceptions.Timeout):
            client.messages.create(to=TO, from_=FROM, body="Hello")
    finally:
        client.http_client.session.close()
    assert time.monotonic() - started < 2


def test_twilio_status_callback_is_signed(fake_twilio: FakeTwilio, client: Client) -> None:
    received: list[tuple[str, dict[str, str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            received.append((self.headers["X-Twilio-Signature"], dict(parse_qsl(body))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with HTTPServer(("127.0.0.1", 0), Handler) as app:
        thread = Thread(target=app.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        try:
            url = f"http://127.0.0.1:{app.server_address[1]}/webhooks/twilio/status"
            message = client.messages.create(to=TO, from_=FROM, body="Hi", status_callback=url)
            response = fake_twilio.deliver_status(message.sid, "delivered")
        finally:
            app.shutdown()
            thread.join()

    assert response.status_code == 204
    [(signature, form)] = received
    assert form["MessageSid"] == message.sid
    assert form["MessageStatus"] == "delivered"
    assert RequestValidator(AUTH_TOKEN).validate(url, form, signature)
    assert client.messages(message.sid).fetch().status == "delivered"


def test_inbound_form_and_sign() -> None:
    form = inbound_sms_form(
        TO, FROM, "CRISIS", media=[("https://api.twilio.com/m/1", "image/jpeg")]
    )
    assert form["MessageSid"] == form["SmsSid"]
    assert form["MessageSid"].startswith("MM")
    assert form["SmsStatus"] == "received"
    assert form["ApiVersion"] == "2010-04-01"
    assert (form["From"], form["To"], form["Body"]) == (TO, FROM, "CRISIS")
    assert form["FromCountry"] == "GB"
    assert form["NumMedia"] == "1"
    assert form["MediaContentType0"] == "image/jpeg"

    url = "https://touchpoint.example/webhooks/twilio/sms"
    signature = sign(AUTH_TOKEN, url, form)
    assert RequestValidator(AUTH_TOKEN).validate(url, form, signature)
    assert sign(AUTH_TOKEN, url, list(form.items())) == signature
    assert not RequestValidator("other").validate(url, form, signature)


def test_num_segments() -> None:
    assert num_segments("a" * 160) == 1
    assert num_segments("a" * 161) == 2
    assert num_segments("€" * 80) == 1  # two septets each
    assert num_segments("🙂" * 35) == 1  # UCS-2: 70 code units
    assert num_segments("🙂" * 36) == 2


# Telegram


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram(BOT_TOKEN) as fake:
        yield fake


@pytest_asyncio.fixture
async def bot(fake_telegram: FakeTelegram) -> AsyncIterator[telegram.Bot]:
    async with telegram_bot(BOT_TOKEN, base_url=f"{fake_telegram.url}/bot", timeout=5) as bot:
        yield bot


@pytest.mark.asyncio
async def test_telegram_get_me_and_send(fake_telegram: FakeTelegram, bot: telegram.Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot
    assert me.id == 123456789
    assert me.username == "touchpoint_test_bot"

    keyboard = telegram.InlineKeyboardMarkup(
        [[telegram.InlineKeyboardButton("Yes", callback_data="yes")]]
    )
    first = await bot.send_message(42, "Hello", reply_markup=keyboard)
    second = await bot.send_message(42, "<b>Again</b>", parse_mode="HTML")

    assert (first.chat.id, first.text, first.from_user) == (42, "Hello", me)
    assert second.message_id == first.message_id + 1
    assert first.reply_markup == keyboard
    [one, two] = fake_telegram.sent
    assert (one.chat_id, one.text, one.parse_mode) == (42, "Hello", None)
    assert one.reply_markup == {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]}
    assert (two.text, two.parse_mode) == ("<b>Again</b>", "HTML")
    await bot.send_chat_action(42, "typing")
    assert fake_telegram.chat_actions == [(42, "typing")]


@pytest.mark.asyncio
async def test_telegram_webhook(fake_telegram: FakeTelegram, bot: telegram.Bot) -> None:
    url = "https://touchpoint.example/webhooks/telegram"
    assert await bot.set_webhook(url, secret_token="s3cret_-X", allowed_updates=["message"])

    webhook = fake_telegram.webhook
    assert webhook is not None
    assert (webhook.url, webhook.secret_token, webhook.allowed_updates) == (
        url,
        "s3cret_-X",
        ["message"],
    )
    info = await bot.get_webhook_info()
    assert (info.url, info.allowed_updates) == (url, ("message",))
    with pytest.raises(BadRequest, match=r"(?i)https url"):
        await bot.set_webhook("http://touchpoint.example/webhooks/telegram")
    with pytest.raises(BadRequest, match=r"(?i)unallowed characters"):
        await bot.set_webhook(url, secret_token="no spaces")
    assert await bot.delete_webhook()
    assert fake_telegram.webhook is None


@pytest.mark.asyncio
async def test_telegram_wrong_token(fake_telegram: FakeTelegram) -> None:
    wrong = telegram_bot("1:wrong", base_url=f"{fake_telegram.url}/bot")
    with pytest.raises(InvalidToken, match="rejected by the server"):
        await wrong.initialize()  # its get_me
    await wrong.shutdown()
    assert fake_telegram.received[0].path == "/bot1:wrong/getMe"


@pytest.mark.asyncio
async def test_telegram_server_error(fake_telegram: FakeTelegram, bot: telegram.Bot) -> None:
    fake_telegram.fail_next(1, status=500)
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(42, "Hello")
    await bot.send_message(42, "Hello")
    assert len(fake_telegram.sent) == 1


@pytest.mark.asyncio
async def test_telegram_blocked(fake_telegram: FakeTelegram, bot: telegram.Bot) -> None:
    fake_telegram.blocked(42)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(42, "Hello")
    assert fake_telegram.sent == []


@pytest.mark.asyncio
async def test_telegram_flood_limit(fake_telegram: FakeTelegram, bot: telegram.Bot) -> None:
    fake_telegram.fail_next(1, status=429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(42, "Hello")
    assert caught.value.retry_after == dt.timedelta(seconds=7)


@pytest.mark.asyncio
async def test_telegram_hang_times_out(fake_telegram: FakeTelegram) -> None:
    async with telegram_bot(BOT_TOKEN, base_url=f"{fake_telegram.url}/bot", timeout=0.5) as bot:
        fake_telegram.hang_next(1, seconds=5)
        started = time.monotonic()
        with pytest.raises(TimedOut):
            await bot.send_message(42, "Hello")
        assert time.monotonic() - started < 2


@pytest.mark.asyncio
async def test_telegram_deliver_update(fake_telegram: FakeTelegram, bot: telegram.Bot) -> None:
    received: list[tuple[str | None, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers["X-Telegram-Bot-Api-Secret-Token"], body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with HTTPServer(("127.0.0.1", 0), Handler) as app:
        thread = Thread(target=app.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        try:
            url = f"http://127.0.0.1:{app.server_address[1]}/webhooks/telegram"
            await bot.set_webhook(url, secret_token="abc")
            response = fake_telegram.deliver_update(text_update(1, 42, "hi"))
        finally:
            app.shutdown()
            thread.join()

    assert response.status_code == 200
    [(secret, body)] = received
    assert secret == "abc"
    assert json.loads(body)["message"]["text"] == "hi"


def test_update_factories_parse() -> None:
    bot = telegram_bot(BOT_TOKEN)

    def parse(data: dict[str, Any]) -> telegram.Update:
        update = telegram.Update.de_json(data, bot)
        assert update.update_id == data["update_id"]
        return update

    text = parse(text_update(1, 42, "CRISIS", user_id=7, date=1_700_000_000)).message
    assert text is not None
    assert text.text == "CRISIS"
    assert text.chat.id == 42
    assert text.chat.type == "private"
    assert text.from_user is not None
    assert text.from_user.id == 7
    assert text.from_user.first_name == "Sam"
    assert text.date.timestamp() == 1_700_000_000

    edited = parse(edited_text_update(2, 42, "fixed")).edited_message
    assert edited is not None
    assert edited.text == "fixed"
    assert edited.edit_date is not None

    token = "A" * 40 + "b_-" + "9" * 21
    start = parse(start_update(3, 42, token)).message
    assert start is not None
    assert start.text == f"/start {token}"
    assert start.parse_entities([telegram.MessageEntity.BOT_COMMAND]).popitem()[1] == "/start"

    photo = parse(photo_update(4, 42, caption="my room")).message
    assert photo is not None
    assert photo.caption == "my room"
    assert len(photo.photo) == 3
    assert photo.text is None

    sticker = parse(sticker_update(5, 42)).message
    assert sticker is not None
    assert sticker.sticker is not None
    assert sticker.sticker.emoji == "👍"

    voice = parse(voice_update(6, 42)).message
    assert voice is not None
    assert voice.voice is not None
    assert voice.voice.mime_type == "audio/ogg"

    press = parse(callback_query_update(7, 42, "yes")).callback_query
    assert press is not None
    assert press.data == "yes"
    assert press.from_user.id == 42

    blocked = parse(unknown_update(8))
    assert blocked.message is None
    assert blocked.my_chat_member is not None
    assert blocked.my_chat_member.new_chat_member.status == "kicked"
    poll = parse(unknown_update(9, kind="poll"))
    assert poll.effective_message is None
    assert poll.poll is not None
