"""The Twilio SMS webhook and status callback, in-process, with requests signed as Twilio does."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import pytest
import pytest_asyncio
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from twilio.twiml.messaging_response import MessagingResponse

import store.db
from bot import outbox
from bot.channels.sms import _NOT_XML, e164, twiml
from bot.fakes.twilio import UNSUBSCRIBED_NUMBER, sign
from bot.replay import Replayed, replay
from store.models import Alert, Message, Participant
from store.spool import Spool
from tests.channel_helpers import (
    AUTH_TOKEN,
    INBOUND_PATH,
    PHONE,
    PUBLIC_URL,
    STATUS_PATH,
    Env,
    channel_settings,
    count_messages,
    enrol,
    messages,
    replies_of,
    running_app,
    scrape,
    signature,
    sms_form,
    spool_replayed,
    write_lock,
)


@pytest_asyncio.fixture
async def env(db_url: str) -> AsyncIterator[Env]:
    async with running_app(channel_settings(db_url, telegram_bot_token=None)) as env:
        yield env


async def text(env: Env, body: str, sid: str, from_: str = PHONE) -> list[str]:
    form = sms_form(body, sid, from_)
    response = await env.client.post(INBOUND_PATH, data=form, headers=signature(form))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    return replies_of(response.text)


# A conversation


@pytest.mark.asyncio
async def test_a_participant_talks_over_sms(env: Env) -> None:
    pid = enrol(env.db, phone=PHONE)

    menu = await text(env, "hello", "SM" + "1" * 32)
    assert "1. My crisis plan" in "\n".join(menu)
    intro = await text(env, "1", "SM" + "2" * 32)
    assert "crisis might be coming" in "\n".join(intro)
    crisis = "\n".join(await text(env, "crisis", "SM" + "3" * 32))
    assert "call 999" in crisis

    stored = messages(env.db, participant_id=pid)
    assert [m.direction for m in stored if m.direction == "in"] == ["in"] * 3
    assert {m.status for m in stored if m.direction == "out"} == {"inline"}
    assert {m.address for m in stored} == {PHONE}


@pytest.mark.asyncio
async def test_an_unknown_number_gets_the_generic_reply_and_no_personal_data(env: Env) -> None:
    enrol(env.db, "Priya", phone=PHONE)
    replies = await text(env, "CRISIS", "SM" + "4" * 32, from_="+447400999999")
    said = "\n".join(replies)
    assert "isn't linked to anyone we know" in said
    assert "Priya" not in said
    assert "Riverside" not in said


@pytest.mark.asyncio
async def test_an_unknown_number_in_distress_gets_the_national_numbers(env: Env) -> None:
    replies = await text(env, "I want to kill myself", "SM" + "5" * 32, from_="+447400999999")
    said = "\n".join(replies)
    assert "999" in said
    assert "116 123" in said


@pytest.mark.asyncio
async def test_numbers_are_compared_in_e164(env: Env) -> None:
    enrol(env.db, phone="07400 123456")  # enrolled in national format
    replies = await text(env, "hello", "SM" + "6" * 32, from_="+44 7400 123456")
    assert "1. My crisis plan" in "\n".join(replies)


def test_e164_leaves_what_is_not_a_number() -> None:
    assert e164("+44 7700 900123", "GB") == "+447700900123"
    assert e164("07700900123", "GB") == "+447700900123"
    assert e164("TOUCHPT", "GB") == "TOUCHPT"
    assert e164("", "GB") == ""


# Signatures


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Twilio-Signature": ""},
        {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"},
    ],
    ids=["missing", "empty", "forged"],
)
async def test_unsigned_or_forged_requests_are_refused(env: Env, headers: dict[str, str]) -> None:
    enrol(env.db, phone=PHONE)
    form = sms_form("CRISIS", "SM" + "a" * 32)
    response = await env.client.post(INBOUND_PATH, data=form, headers=headers)
    assert response.status_code == 403
    assert count_messages(env.db) == 0


@pytest.mark.asyncio
async def test_a_signature_for_http_is_refused_when_the_public_url_is_https(env: Env) -> None:
    enrol(env.db, phone=PHONE)
    form = sms_form("CRISIS", "SM" + "b" * 32)
    http_url = PUBLIC_URL.replace("https://", "http://") + INBOUND_PATH
    response = await env.client.post(INBOUND_PATH, data=form, headers=signature(form, http_url))
    assert response.status_code == 403
    assert count_messages(env.db) == 0


@pytest.mark.asyncio
async def test_a_signature_with_another_auth_token_is_refused(env: Env) -> None:
    form = sms_form("hello", "SM" + "c" * 32)
    headers = signature(form, token="0" * 32)
    response = await env.client.post(INBOUND_PATH, data=form, headers=headers)
    assert response.status_code == 403


@pytest.mark.asyncio
async def test_a_changed_body_breaks_the_signature(env: Env) -> None:
    form = sms_form("hello", "SM" + "d" * 32)
    headers = signature(form)
    response = await env.client.post(INBOUND_PATH, data={**form, "Body": "CRISIS"}, headers=headers)
    assert response.status_code == 403


@pytest.mark.asyncio
async def test_the_query_string_is_part_of_what_is_signed(env: Env) -> None:
    form = sms_form("hello", "SM" + "e" * 32)
    path = INBOUND_PATH + "?source=primary"
    good = signature(form, PUBLIC_URL + path)
    assert (await env.client.post(path, data=form, headers=good)).status_code == 200
    form = sms_form("hello", "SM" + "f" * 32)
    without_query = signature(form)
    assert (await env.client.post(path, data=form, headers=without_query)).status_code == 403


@pytest.mark.asyncio
async def test_no_auth_token_means_every_request_is_refused(db_url: str) -> None:
    settings = channel_settings(db_url, twilio_auth_token=None, telegram_bot_token=None)
    async with running_app(settings) as env:
        form = sms_form("hello", "SM" + "0" * 32)
        response = await env.client.post(INBOUND_PATH, data=form, headers=signature(form))
        assert response.status_code == 403


# Twilio delivering one message more than once


@pytest.mark.asyncio
async def test_the_same_message_sid_50_times_at_once_has_one_effect(env: Env) -> None:
    pid = enrol(env.db, phone=PHONE)
    form = sms_form("hello", "SM" + "9" * 32)
    headers = signature(form)

    responses = await asyncio.gather(
        *(env.client.post(INBOUND_PATH, data=form, headers=headers) for _ in range(50))
    )

    assert {r.status_code for r in responses} == {200}
    # One effect; every copy is answered with the same TwiML (the replies stored the
    # first time): the copy Twilio finally reads may be any of them.
    assert len({r.text for r in responses}) == 1
    stored = messages(env.db, direction="out", participant_id=pid)
    assert replies_of(responses[0].text) == [m.body for m in stored]
    assert count_messages(env.db, direction="in") == 1


# Awkward bodies


@pytest.mark.asyncio
async def test_an_empty_body_gets_an_answer(env: Env) -> None:
    enrol(env.db, phone=PHONE)
    assert await text(env, "", "SM" + "1" * 31 + "0")


@pytest.mark.asyncio
async def test_a_5000_character_body_is_kept_and_answered_within_the_limits(env: Env) -> None:
    pid = enrol(env.db, phone=PHONE)
    await text(env, "hello", "SM" + "2" * 31 + "0")
    await text(env, "1", "SM" + "3" * 31 + "0")
    await text(env, "yes", "SM" + "4" * 31 + "0")
    long = ("I stop sleeping and " * 250)[:5000]

    replies = await text(env, long, "SM" + "5" * 31 + "0")

    assert replies
    assert all(len(reply) <= 1600 for reply in replies)
    [stored] = [
        m for m in messages(env.db, participant_id=pid, direction="in") if len(m.body) > 100
    ]
    assert stored.body == long


@pytest.mark.asyncio
async def test_invalid_utf8_is_read_with_replacement_characters(env: Env) -> None:
    enrol(env.db, phone=PHONE)
    form = sms_form("hi \ufffd\ufffd there", "SM" + "6" * 31 + "0")
    raw = "&".join(f"{quote(k)}={quote(v)}" for k, v in form.items())
    raw = raw.replace(quote("\ufffd\ufffd"), "%FF%FE")
    headers = {**signature(form), "Content-Type": "application/x-www-form-urlencoded"}

    response = await env.client.post(INBOUND_PATH, content=raw.encode(), headers=headers)

    assert response.status_code == 200
    [inbound] = messages(env.db, direction="in")
    assert inbound.body == "hi \ufffd\ufffd there"


@pytest.mark.asyncio
async def test_invalid_utf8_without_a_valid_signature_is_refused(env: Env) -> None:
    headers = {
        "X-Twilio-Signature": "bm9wZQ==",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    response = await env.client.post(
        INBOUND_PATH, content=b"Body=%FF\xff\xfe&From=%00", headers=headers
    )
    assert response.status_code == 403


@pytest.mark.asyncio
async def test_null_bytes_are_dropped_before_storing(env: Env) -> None:
    enrol(env.db, phone=PHONE)
    assert await text(env, "hel\x00lo\x00", "SM" + "7" * 31 + "0")
    [inbound] = messages(env.db, direction="in")
    assert inbound.body == "hello"


@pytest.mark.asyncio
async def test_a_picture_without_words_gets_a_kind_sentence(env: Env) -> None:
    enrol(env.db, phone=PHONE)
    form = sms_form(
        "",
        "MM" + "8" * 32,
        NumMedia="1",
        MediaUrl0="https://api.twilio.com/media/ME1",
        MediaContentType0="image/jpeg",
    )
    first = await env.client.post(INBOUND_PATH, data=form, headers=signature(form))
    again = await env.client.post(INBOUND_PATH, data=form, headers=signature(form))

    [reply] = replies_of(first.text)
    assert "only read typed text" in reply
    assert again.text == first.text  # Twilio's retry: the same answer, one effect
    [inbound] = messages(env.db, direction="in")
    assert inbound.body == "[media]"


@pytest.mark.asyncio
async def test_a_picture_from_someone_who_opted_out_gets_no_answer(env: Env) -> None:
    enrol(env.db, phone=PHONE)
    assert "won't get any more messages" in "\n".join(
        await text(env, "STOP", "SM" + "1" * 30 + "aa")
    )
    form = sms_form("", "MM" + "9" * 32, NumMedia="1", MediaUrl0="https://x/ME2")
    response = await env.client.post(INBOUND_PATH, data=form, headers=signature(form))
    assert replies_of(response.text) == []


@pytest.mark.asyncio
async def test_stop_and_start_over_sms(env: Env) -> None:
    pid = enrol(env.db, phone=PHONE)
    await text(env, "STOP", "SM" + "2" * 30 + "aa")
    # After STOP, one short line a day says how to start again; then a deliberate silence.
    notice = "\n".join(await text(env, "hello", "SM" + "3" * 30 + "aa"))
    assert "START" in notice
    assert "call 999" in notice
    assert await text(env, "hello again", "SM" + "3" * 30 + "ab") == []
    assert "call 999" in "\n".join(await text(env, "CRISIS", "SM" + "4" * 30 + "aa"))
    await text(env, "START", "SM" + "5" * 30 + "aa")
    with env.db.read() as session:
        assert session.get(Participant, pid).status == "active"  # type: ignore[union-attr]


def test_twiml_splits_long_replies_and_drops_what_xml_cannot_carry() -> None:
    long = "word " * 700  # 3,500 characters
    parts = replies_of(twiml((long, "a\x01b\x0bc")))
    assert len(parts) == 4
    assert all(len(part) <= 1600 for part in parts)
    assert parts[-1] == "abc"


@given(st.text(max_size=5000))
def test_twiml_is_always_well_formed(body: str) -> None:
    parts = replies_of(twiml((body,)))
    assert all(len(part.encode("utf-16-le")) // 2 <= 1600 for part in parts)


@given(st.lists(st.text(max_size=2000), max_size=4))
def test_twiml_is_the_document_twilios_library_writes(replies: list[str]) -> None:
    expected = MessagingResponse()
    for reply in replies:
        for part in outbox.split(_NOT_XML.sub("", reply), 1600):
            if part:
                expected.message(part)
    assert twiml(tuple(replies)) == str(expected)


def test_twiml_asks_twilio_to_report_on_each_reply_as_its_library_would() -> None:
    actions = ("https://t.example/webhooks/twilio/status?message=7", "https://t.example/?a=1&b=2")
    expected = MessagingResponse()
    for reply, action in zip(("one", "two & more"), actions, strict=True):
        expected.message(reply, action=action)
    assert twiml(("one", "two & more"), actions) == str(expected)


def test_twiml_escapes_what_xml_reserves() -> None:
    document = twiml(("<b>fish & chips</b> \"quoted\" 'too'",))
    assert replies_of(document) == ["<b>fish & chips</b> \"quoted\" 'too'"]
    assert twiml(()) == '<?xml version="1.0" encoding="UTF-8"?><Response />'


# The database locked or down


@pytest.mark.asyncio
async def test_a_locked_database_spools_answers_and_replays_at_the_original_time(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer holds SQLite's lock past the busy timeout: every message is kept
    in the spool and answered (the numbers to CRISIS, help-seeking and risk texts), then
    stored once, alerts included, under the time it came in."""
    if not db_url.startswith("sqlite"):
        pytest.skip("holds SQLite's write lock")
    monkeypatch.setattr(store.db, "SQLITE_BUSY_TIMEOUT_S", 0.5)
    async with running_app(channel_settings(db_url, telegram_bot_token=None)) as env:
        pid = enrol(env.db, phone=PHONE)
        sent_at = env.clock.now
        texts = {
            "SM" + "6" * 30 + "a1": "CRISIS",
            "SM" + "6" * 30 + "a2": "please help me",
            "SM" + "6" * 30 + "a3": "I want to end my life",
            "SM" + "6" * 30 + "a4": "hello",
        }
        with write_lock(db_url):
            started = time.monotonic()
            answers = [await text(env, body, sid) for sid, body in texts.items()]
            await text(env, "CRISIS", "SM" + "6" * 30 + "a1")  # Twilio's retry, still locked
            assert time.monotonic() - started < 20
        assert count_messages(env.db) == 0
        for answer in answers[:3]:
            assert "call 999" in answer[0], answer
            assert "Samaritans: 116 123" in answer[0], answer
        assert "reply as soon as I can" in answers[3][0]
        env.clock.advance(minutes=10)  # the database comes back later

        await spool_replayed(env.settings)

        stored = messages(env.db, direction="in")
        assert sorted(m.external_id for m in stored) == sorted(texts)  # each once
        assert {m.created_at for m in stored} == {sent_at}
        with env.db.read() as session:
            alerts = list(session.scalars(select(Alert).where(Alert.participant_id == pid)))
        assert {a.kind for a in alerts} >= {"crisis_requested", "risk_language"}
        assert {a.created_at for a in alerts} == {sent_at}
        # The real replies go to the outbox; a retry now is a duplicate, not a second effect.
        assert {m.status for m in messages(env.db, direction="out")} == {"queued"}
        await text(env, "CRISIS", "SM" + "6" * 30 + "a1")
        assert count_messages(env.db, direction="in") == 4
        spool = Spool(env.settings.spool_dir)
        assert replay(env.assistant, spool) == Replayed(stored=0, duplicates=0, left=0)


@pytest.mark.asyncio
async def test_a_database_that_is_down_spools_and_answers(tmp_path: object) -> None:
    settings = channel_settings(
        "sqlite:////nonexistent-folder/touchpoint.db", telegram_bot_token=None
    )
    async with running_app(settings) as env:
        form = sms_form("hello", "SM" + "7" * 30 + "aa")
        response = await env.client.post(INBOUND_PATH, data=form, headers=signature(form))
        assert response.status_code == 200
        assert "reply as soon as I can" in replies_of(response.text)[0]
        assert Spool(settings.spool_dir).waiting()
        health = await env.client.get("/healthz")
        assert health.status_code == 503
        metrics = await scrape(env)
        assert metrics.status_code == 200
        assert 'touchpoint_webhook_spooled_total{channel="sms"} 1.0' in metrics.text


@pytest.mark.asyncio
async def test_a_message_the_spool_cannot_keep_is_refused_unless_urgent(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    settings = channel_settings(
        "sqlite:////nonexistent-folder/touchpoint.db", telegram_bot_token=None, spool_dir=blocked
    )
    async with running_app(settings) as env:
        form = sms_form("hello", "SM" + "8" * 30 + "aa")
        response = await env.client.post(INBOUND_PATH, data=form, headers=signature(form))
        assert response.status_code == 503  # not acknowledged: Twilio may send it again
        assert "call 999" in "\n".join(await text(env, "CRISIS", "SM" + "8" * 30 + "ab"))


# Status callbacks


def _outbound(env: Env, pid: int | None, sid: str | None, status: str = "sent") -> int:
    with env.db.write() as session:
        row = Message(
            participant_id=pid,
            channel="sms",
            address=PHONE,
            direction="out",
            external_id=sid,
            body="A reminder",
            status=status,
            created_at=env.clock(),
        )
        session.add(row)
        session.flush()
        return row.id


async def callback(env: Env, form: dict[str, str], query: str = "") -> int:
    path = STATUS_PATH + (f"?{query}" if query else "")
    headers = {"X-Twilio-Signature": sign(AUTH_TOKEN, PUBLIC_URL + path, form)}
    response = await env.client.post(path, data=form, headers=headers)
    return response.status_code


def _status_form(sid: str, status: str, error: str | None = None) -> dict[str, str]:
    form = {"MessageSid": sid, "MessageStatus": status, "To": PHONE, "AccountSid": "AC1"}
    if error:
        form["ErrorCode"] = error
    return form


@pytest.mark.asyncio
async def test_status_callbacks_record_delivery_and_never_go_backwards(env: Env) -> None:
    pid = enrol(env.db, phone=PHONE)
    sid = "SM" + "ab" * 16
    row = _outbound(env, pid, sid)
    assert await callback(env, _status_form(sid, "delivered")) == 200
    assert await callback(env, _status_form(sid, "sent")) == 200  # late and out of order
    [stored] = messages(env.db, id=row)
    assert stored.status == "delivered"


@pytest.mark.asyncio
async def test_a_forged_status_callback_changes_nothing(env: Env) -> None:
    sid = "SM" + "cd" * 16
    row = _outbound(env, None, sid)
    form = _status_form(sid, "failed")
    response = await env.client.post(
        STATUS_PATH, data=form, headers={"X-Twilio-Signature": "Zm9yZ2Vk"}
    )
    assert response.status_code == 403
    assert messages(env.db, id=row)[0].status == "sent"


@pytest.mark.asyncio
async def test_an_unsubscribed_error_opts_the_participant_out(env: Env) -> None:
    pid = enrol(env.db, phone=PHONE)
    sid = "SM" + "ef" * 16
    _outbound(env, pid, sid)
    assert await callback(env, _status_form(sid, "undelivered", "21610")) == 200
    with env.db.read() as session:
        participant = session.get(Participant, pid)
        assert participant is not None
        assert participant.status == "opted_out"
    [stored] = messages(env.db, external_id=sid)
    assert (stored.status, stored.error_code) == ("undelivered", "21610")
    metrics = (await scrape(env)).text
    assert 'touchpoint_delivery_failures_total{channel="sms",kind="provider"} 1.0' in metrics


@pytest.mark.asyncio
async def test_a_callback_names_the_message_a_dead_worker_sent(env: Env) -> None:
    row = _outbound(env, None, None, status="sending")
    sid = "SM" + "12" * 16
    assert await callback(env, _status_form(sid, "sent"), query=f"message={row}") == 200
    [stored] = messages(env.db, id=row)
    assert (stored.status, stored.external_id) == ("sent", sid)


@pytest.mark.asyncio
async def test_a_callback_for_a_message_we_do_not_know_is_acknowledged(env: Env) -> None:
    assert await callback(env, _status_form("SM" + "34" * 16, "delivered")) == 200
    assert await callback(env, _status_form("SM" + "56" * 16, "delivered"), "message=999") == 200
    assert UNSUBSCRIBED_NUMBER  # the fake's number Twilio refuses; used in test_outbox


# Health and metrics


@pytest.mark.asyncio
async def test_health_and_metrics(env: Env) -> None:
    enrol(env.db, phone=PHONE)
    health = await env.client.get("/healthz")
    assert (health.status_code, health.json()["status"]) == (200, "ok")
    await text(env, "I want to end my life", "SM" + "78" * 16)
    page = await scrape(env)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/plain")
    body = page.text
    assert 'touchpoint_messages_in_total{channel="sms"} 1.0' in body
    assert 'touchpoint_safety_alerts_total{channel="sms"} 1.0' in body
    assert 'touchpoint_reply_latency_seconds_count{channel="sms"} 1.0' in body
    assert 'touchpoint_crisis_reply_latency_seconds_count{channel="sms"}' not in body
    assert "touchpoint_messages_out_total" in body
    with env.db.read() as session:
        assert session.scalars(select(Alert)).first() is not None


@pytest.mark.asyncio
async def test_crisis_replies_are_timed_on_their_own(env: Env) -> None:
    enrol(env.db, phone=PHONE)
    await text(env, "hello", "SM" + "81" * 16)
    await text(env, "CRISIS", "SM" + "82" * 16)
    await text(env, "crisis plan", "SM" + "83" * 16)
    await text(env, "CRISIS", "SM" + "84" * 16, from_="+447700900999")  # nobody we know
    body = (await scrape(env)).text
    assert 'touchpoint_reply_latency_seconds_count{channel="sms"} 4.0' in body
    # The webhook's time to the reply, for CRISIS messages only: what to alert on.
    assert 'touchpoint_crisis_reply_latency_seconds_count{channel="sms"} 3.0' in body
    assert 'touchpoint_crisis_reply_latency_seconds_bucket{channel="sms",le="0.025"}' in body
