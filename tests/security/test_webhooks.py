"""Forged and malformed webhook calls: refused with a 4xx, and nothing of them stored."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.channels.sms import INBOUND_PATH
from bot.fakes.telegram import start_update, text_update
from bot.fakes.twilio import sign
from bot.web.app import TELEGRAM_PATH
from store.models import ChannelIdentity
from tests.channel_helpers import AUTH_TOKEN, WEBHOOK_SECRET, count_messages, sms_form
from tests.security.conftest import Served

pytestmark = pytest.mark.slow

SID = "SM" + "0123456789abcdef" * 2


def _post_sms(served: Served, form: dict[str, str], signed_as: dict[str, str] | None = None) -> int:
    url = served.url + INBOUND_PATH
    headers = {"X-Twilio-Signature": sign(AUTH_TOKEN, url, signed_as or form)}
    return httpx.post(url, data=form, headers=headers, timeout=20).status_code


def test_a_captured_request_recut_to_a_new_message_sid_is_refused(served: Served) -> None:
    owner, _ = served.practitioner()
    phone = served.phone()
    served.participant(owner, "Jo", phone=phone)
    captured = sms_form("CRISIS", SID, from_=phone)
    assert _post_sms(served, captured) == 200
    # Twilio's signature joins names and values with nothing between them, so moving
    # "NumMedia0" into the MessageSid leaves it valid.
    recut = {k: v for k, v in captured.items() if k != "NumMedia"}
    recut["MessageSid"] = SID + "NumMedia0"
    url = served.url + INBOUND_PATH
    assert sign(AUTH_TOKEN, url, recut) == sign(AUTH_TOKEN, url, captured)
    assert _post_sms(served, recut, signed_as=captured) == 400
    assert count_messages(served.db, direction="in", channel="sms", address=phone) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"MessageSid": "SM" + "0123456789ABCDEF" * 2},  # Twilio's are lower case
        {"MessageSid": "SM" + "0" * 31},
        {"MessageSid": "XX" + "0" * 32},
        {"MessageSid": "SM" + "0" * 32 + " "},
        {"SmsSid": "SM" + "1" * 32},  # the copies must agree
        {"SmsMessageSid": "SM" + "1" * 32},
    ],
)
def test_message_sids_unlike_twilios_are_refused(served: Served, change: dict[str, str]) -> None:
    owner, _ = served.practitioner()
    phone = served.phone()
    served.participant(owner, "Jo", phone=phone)
    form = sms_form("hello", "SM" + "0" * 32, from_=phone) | change
    assert _post_sms(served, form) == 400
    assert count_messages(served.db, direction="in", channel="sms", address=phone) == 0


def _post_telegram(served: Served, body: bytes | dict[str, Any]) -> int:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(
        served.url + TELEGRAM_PATH,
        content=content,
        headers={
            "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET,
            "Content-Type": "application/json",
        },
        timeout=20,
    ).status_code


def _without(update: dict[str, Any], key: str) -> dict[str, Any]:
    update["message"].pop(key)
    return update


def _with(update: dict[str, Any], **fields: Any) -> dict[str, Any]:
    update["message"].update(fields)
    return update


MALFORMED: list[bytes | dict[str, Any]] = [
    b'{"update_id": 7001, "message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    _with(text_update(7002, 5550001, "hi"), text=12345),
    _with(text_update(7003, 5550001, "hi"), text={"nested": "object"}),
    _with(text_update(7004, 5550001, "hi"), caption=["a list"]),
    _without(text_update(7005, 5550001, "hi"), "chat"),
    _with(text_update(7006, 5550001, "hi"), chat={"id": "5550001", "type": "private"}),
    _with(text_update(7007, 5550001, "hi"), chat=None),
    _with(text_update(7008, 5550001, "hi"), date=10**20),
    {"update_id": "7009", "message": text_update(7009, 5550001, "hi")["message"]},
    {"update_id": True},
    {"update_id": 7010, "edited_message": "text"},
    b"[1, 2, 3]",
    b"\xff\xfe not json",
]


@pytest.mark.parametrize("update", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_telegram_updates_are_refused(
    served: Served, update: bytes | dict[str, Any]
) -> None:
    assert _post_telegram(served, update) == 400
    assert count_messages(served.db, direction="in", channel="telegram", address="5550001") == 0


TOKEN = re.compile(r"start=([A-Za-z0-9_-]{64})")


def _linked(served: Served, chat: int) -> int | None:
    with served.db.read() as session:
        return session.scalar(
            select(ChannelIdentity.participant_id).where(
                ChannelIdentity.channel == "telegram", ChannelIdentity.address == str(chat)
            )
        )


def test_a_new_invitation_ends_the_older_ones_whichever_way_it_was_made(served: Served) -> None:
    owner, email = served.practitioner()
    pid = served.participant(owner, "Ash")

    def by_command() -> str:
        done = served.touchpoint("invite", "telegram", "--participant", str(pid))
        assert done.returncode == 0, done.stderr
        found = TOKEN.search(done.stdout)
        assert found, done.stdout
        return found[1]

    def by_page() -> str:
        practitioner = served.signed_in(email)
        practitioner.submit(f"/participants/{pid}/telegram-link", page=f"/admin/participants/{pid}")
        found = TOKEN.search(practitioner.response.text if practitioner.response else "")
        assert found
        return found[1]

    # The page has always expired older links; the command did not.
    first, second, latest = by_command(), by_page(), by_command()
    for n, old in enumerate((first, second)):
        chat = 5551000 + n
        assert _post_telegram(served, start_update(7100 + n, chat, old)) == 200
        assert _linked(served, chat) is None, f"invitation {n + 1} still linked a chat"
    assert _post_telegram(served, start_update(7199, 5551099, latest)) == 200
    assert _linked(served, 5551099) == pid
