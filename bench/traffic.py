"""Requests as the providers send them, built (and signed) before the clock starts.

Each request is the raw bytes of one HTTP/1.1 request, so wrk and the paced client
send exactly the same thing to the floor and to Touchpoint."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from bench.prepare import Person
from bench.workload import Send
from bot.fakes.telegram import text_update
from bot.fakes.twilio import sign

SMS_PATH = "/webhooks/twilio/sms"
TELEGRAM_PATH = "/webhooks/telegram"
SERVICE_NUMBER = "+441632960000"
ACCOUNT_SID = "AC" + "b" * 32


@dataclass(frozen=True)
class Request:
    raw: bytes
    crisis: bool


@dataclass(frozen=True)
class Secrets:
    public_url: str
    twilio_auth_token: str
    telegram_secret: str


def _raw(path: str, host: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def sms(
    sends: Iterable[Send], people: Sequence[Person], secrets: Secrets, host: str, first: int = 0
) -> list[Request]:
    """Signed Twilio incoming-message webhooks; MessageSids are unique from `first` on."""
    url = secrets.public_url.rstrip("/") + SMS_PATH
    out: list[Request] = []
    for number, send in enumerate(sends, start=first):
        sid = message_sid(number)
        person = people[send.participant]
        form = _form(person.phone, send.text, sid)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "TwilioProxy/1.1",
            "X-Twilio-Signature": sign(secrets.twilio_auth_token, url, form),
        }
        out.append(Request(_raw(SMS_PATH, host, headers, urlencode(form).encode()), send.crisis))
    return out


def message_sid(number: int) -> str:
    """A MessageSid for request `number`: 32 hex digits spread like Twilio's random ones
    (so the unique index takes them at random places, as it does in production)."""
    return "SM" + hashlib.md5(number.to_bytes(8, "big"), usedforsecurity=False).hexdigest()


def _form(from_: str, body: str, sid: str) -> dict[str, str]:
    # What bot.fakes.twilio.inbound_sms_form builds, without looking up the countries
    # 100,000 times: every number here is British.
    return {
        "ToCountry": "GB",
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "GB",
        "To": SERVICE_NUMBER,
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": from_,
        "ApiVersion": "2010-04-01",
    }


def telegram(
    sends: Iterable[Send], people: Sequence[Person], secrets: Secrets, host: str, first: int = 0
) -> list[Request]:
    """Telegram updates with the webhook's secret token; update_ids unique from `first` on."""
    headers = {
        "Content-Type": "application/json",
        "X-Telegram-Bot-Api-Secret-Token": secrets.telegram_secret,
    }
    out: list[Request] = []
    for number, send in enumerate(sends, start=first + 1):
        chat = people[send.participant].chat_id
        update = text_update(number, chat, send.text, date=1_700_000_000)
        body = json.dumps(update, separators=(",", ":")).encode()
        out.append(Request(_raw(TELEGRAM_PATH, host, headers, body), send.crisis))
    return out


def write_for_wrk(requests: Sequence[Request], path: Path) -> None:
    """`<length>\\n<raw request>` one after another: what bench/replay.lua reads."""
    with path.open("wb") as f:
        for request in requests:
            f.write(b"%d\n" % len(request.raw))
            f.write(request.raw)
