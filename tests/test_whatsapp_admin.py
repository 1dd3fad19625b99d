"""WhatsApp on the admin pages: enrolment with a wa.me link and QR code, a new link from
the participant page (the old one stops working), and what waits for the window or
could not be delivered, shown on the participant's page."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.channels import whatsapp_window as window
from bot.channels.linking import redeem
from bot.types import Channel
from store.models import Message
from tests.admin_html import page_problems
from tests.admin_support import World, admin_world
from tests.whatsapp_support import WA_SENDER


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    with admin_world(db_url, twilio_whatsapp_from=WA_SENDER) as w:
        yield w


def _code(link: str) -> str:
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "wa.me", "/447700900002")
    [text] = parse_qs(parts.query)["text"]
    word, code = text.split()
    assert word == "LINK"
    return code


def test_enrolling_on_whatsapp_shows_a_wa_me_link_and_its_qr_code(world: World) -> None:
    browser = world.signed_in("pat")
    browser.submit(
        "/participants/new", {"name": "Jo", "whatsapp": "yes"}, page="/admin/participants/new"
    )
    assert browser.page is not None
    assert "Jo is enrolled" in browser.text
    assert page_problems(browser.page) == []
    link = browser.page.find("a", class_="deep-link").get("href")
    qr = browser.page.find("img", class_="qr").get("src")
    assert base64.b64decode(qr.split(",", 1)[1]).startswith(b"<svg")
    with world.db.write() as session:
        person = redeem(session, _code(link), Channel.WHATSAPP, "+447400111222", world.clock())
        assert person is not None
        assert person.display_name == "Jo"


def test_the_participant_page_makes_a_new_link_and_shows_what_waits(world: World) -> None:
    browser = world.signed_in("pat")
    page = f"/admin/participants/{world.ids['alex']}"
    codes = []
    for _ in range(2):
        browser.submit("/whatsapp-link", page=page)
        assert browser.page is not None
        codes.append(_code(browser.page.find("a", class_="deep-link").get("href")))
    with world.db.write() as session:
        assert redeem(session, codes[0], Channel.WHATSAPP, "+447400111222", world.clock()) is None
        assert redeem(session, codes[1], Channel.WHATSAPP, "+447400111222", world.clock())
        for status in ("held", "held", "failed"):
            session.add(
                Message(
                    participant_id=world.ids["alex"],
                    channel="whatsapp",
                    address="+447400111222",
                    direction="out",
                    body="How have things been?",
                    status=status,
                    created_at=world.clock(),
                )
            )
    browser.get(page)
    assert browser.page is not None
    assert page_problems(browser.page) == []
    text = " ".join(browser.text.split())
    assert "WhatsApp: +44 7400 111222" in text
    assert "WhatsApp: 2 messages waiting" in text
    assert "WhatsApp: 1 message could not be delivered" in text


def test_an_undelivered_whatsapp_message_is_on_the_alerts_list(world: World) -> None:
    with world.db.write() as session:
        row = Message(
            participant_id=world.ids["alex"],
            channel="whatsapp",
            address="+447400111222",
            direction="out",
            body="Hello, it's Touchpoint. There is a new message for you.",
            status="failed",
            created_at=world.clock(),
        )
        session.add(row)
        session.flush()
        window.alert_undelivered(session, row, "63024", world.clock())
    browser = world.signed_in("pat")
    browser.get("/admin/alerts")
    text = " ".join(browser.text.split())
    assert "a WhatsApp message to them could not be delivered" in text
