"""The Telegram webhook, in-process, with updates shaped like Telegram's and a fake Bot API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select

import store.db
from bot import commands
from bot.channels.linking import create_invite, token_hash, token_in
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
from bot.types import Channel
from store.models import Alert, ChannelIdentity, Invite
from tests.channel_helpers import (
    BOT_TOKEN,
    CHAT_ID,
    TELEGRAM_PATH,
    WEBHOOK_SECRET,
    Env,
    channel_settings,
    count_messages,
    enrol,
    messages,
    running_app,
    scrape,
    spool_replayed,
    write_lock,
)

SECRET = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram(BOT_TOKEN) as fake:
        yield fake


@pytest_asyncio.fixture
async def env(db_url: str, fake: FakeTelegram) -> AsyncIterator[Env]:
    settings = channel_settings(db_url, telegram_api_base_url=f"{fake.url}/bot")
    async with running_app(settings) as env:
        yield env


async def post(env: Env, update: Any, headers: dict[str, str] | None = None) -> int:
    response = await env.client.post(TELEGRAM_PATH, json=update, headers=SECRET | (headers or {}))
    return response.status_code


def said(fake: FakeTelegram, chat_id: int = CHAT_ID) -> str:
    return "\n---\n".join(m.text for m in fake.sent if m.chat_id == chat_id)


def invite(env: Env, pid: int, **ttl: float) -> str:
    with env.db.write() as session:
        return create_invite(
            session, pid, Channel.TELEGRAM, env.clock(), ttl=timedelta(**(ttl or {"days": 7}))
        )


# Secret token


@pytest.mark.asyncio
@pytest.mark.parametrize("given", [None, "", "wrong", WEBHOOK_SECRET + "x", WEBHOOK_SECRET[:-1]])
async def test_a_wrong_or_missing_secret_is_refused(
    env: Env, fake: FakeTelegram, given: str | None
) -> None:
    enrol(env.db, telegram=CHAT_ID)
    headers = {} if given is None else {"X-Telegram-Bot-Api-Secret-Token": given}
    response = await env.client.post(
        TELEGRAM_PATH, json=text_update(1, CHAT_ID, "CRISIS"), headers=headers
    )
    assert response.status_code == 403
    assert count_messages(env.db) == 0
    assert fake.sent == []


@pytest.mark.asyncio
async def test_no_secret_configured_refuses_everything(db_url: str, fake: FakeTelegram) -> None:
    settings = channel_settings(
        db_url, telegram_webhook_secret=None, telegram_api_base_url=f"{fake.url}/bot"
    )
    async with running_app(settings) as env:
        assert await post(env, text_update(1, CHAT_ID, "hi")) == 403


# Linking a chat


@pytest.mark.asyncio
async def test_a_deep_link_links_the_chat_once(env: Env, fake: FakeTelegram) -> None:
    pid = enrol(env.db, "Sam", onboarded=False)
    token = invite(env, pid)

    assert await post(env, start_update(1, CHAT_ID, token)) == 200

    assert "Hello Sam" in said(fake)
    with env.db.read() as session:
        identity = session.scalars(
            select(ChannelIdentity).where(ChannelIdentity.channel == "telegram")
        ).one()
        assert (identity.participant_id, identity.address) == (pid, str(CHAT_ID))
        assert identity.verified_at is not None
        used = session.scalars(select(Invite)).one()
        assert used.used_at is not None
        assert used.token_hash == token_hash(token)
    assert all(token not in m.body for m in messages(env.db))

    # Now the chat is Sam's: onboarding starts.
    assert await post(env, text_update(2, CHAT_ID, "hello")) == 200
    assert "automated" in said(fake).split("---")[-1]

    # The same link from another chat does nothing for it.
    other = CHAT_ID + 1
    assert await post(env, start_update(3, other, token)) == 200
    assert "expired or has already been used" in said(fake, other)
    assert "Sam" not in said(fake, other)


@pytest.mark.asyncio
async def test_a_token_typed_by_hand_links_too(env: Env, fake: FakeTelegram) -> None:
    pid = enrol(env.db, "Sam")
    token = invite(env, pid)
    assert await post(env, text_update(1, CHAT_ID, f"  {token}\n")) == 200
    assert "Hello Sam" in said(fake)


@pytest.mark.asyncio
async def test_an_expired_token_links_nothing(env: Env, fake: FakeTelegram) -> None:
    pid = enrol(env.db, "Sam")
    token = invite(env, pid, minutes=5)
    env.clock.advance(minutes=6)
    assert await post(env, start_update(1, CHAT_ID, token)) == 200
    assert "expired" in said(fake)
    with env.db.read() as session:
        assert (
            session.scalars(
                select(ChannelIdentity).where(ChannelIdentity.channel == "telegram")
            ).first()
            is None
        )


@pytest.mark.asyncio
async def test_a_chat_of_one_person_is_never_moved_to_another(env: Env, fake: FakeTelegram) -> None:
    enrol(env.db, "Sam", telegram=CHAT_ID)
    other = enrol(env.db, "Kim")
    token = invite(env, other)
    assert await post(env, start_update(1, CHAT_ID, token)) == 200
    assert "expired or has already been used" in said(fake)
    assert "Kim" not in said(fake)


def test_an_invite_for_nobody_says_so(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    settings = channel_settings(db_url, telegram_bot_username="touchpoint_bot")
    assert commands.invite_telegram(settings, 999, days=7) == 1
    assert "There is no participant 999" in capsys.readouterr().err


def test_set_webhook_without_a_bot_says_what_to_set(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = channel_settings(db_url, telegram_bot_token=None)
    assert commands.telegram_set_webhook(settings) == 1
    assert "Set TELEGRAM_BOT_TOKEN" in capsys.readouterr().err


def test_what_counts_as_a_token() -> None:
    token = "A" * 63 + "_"
    assert token_in(f"/start {token}") == token
    assert token_in(f"/start@touchpoint_bot {token}") == token
    assert token_in(token) == token
    assert token_in(token[:-1]) is None
    assert token_in(f"my token is {token}") is None
    assert token_in("/start") is None


# Conversation, safety, duplicates


@pytest.mark.asyncio
async def test_crisis_over_telegram(env: Env, fake: FakeTelegram) -> None:
    enrol(env.db, telegram=CHAT_ID)
    assert await post(env, text_update(1, CHAT_ID, "hello")) == 200
    assert "1. My crisis plan" in said(fake)
    assert await post(env, text_update(2, CHAT_ID, "CRISIS")) == 200
    assert "call 999" in said(fake)
    outbound = messages(env.db, direction="out")
    assert {m.status for m in outbound} == {"sent"}


@pytest.mark.asyncio
async def test_the_same_update_50_times_at_once_has_one_effect(
    env: Env, fake: FakeTelegram
) -> None:
    enrol(env.db, telegram=CHAT_ID)
    update = text_update(77, CHAT_ID, "hello")
    statuses = await asyncio.gather(*(post(env, update) for _ in range(50)))
    assert set(statuses) == {200}
    assert count_messages(env.db, direction="in") == 1
    assert len(fake.sent) == count_messages(env.db, direction="out") >= 1


@pytest.mark.asyncio
async def test_an_edited_message_goes_through_the_safety_screen(
    env: Env, fake: FakeTelegram
) -> None:
    pid = enrol(env.db, telegram=CHAT_ID)
    assert await post(env, text_update(1, CHAT_ID, "fine")) == 200
    assert (
        await post(env, edited_text_update(2, CHAT_ID, "I want to kill myself", message_id=1))
        == 200
    )
    assert "999" in said(fake).split("---")[-2] + said(fake).split("---")[-1]
    with env.db.read() as session:
        alert = session.scalars(select(Alert).where(Alert.participant_id == pid)).first()
        assert alert is not None


@pytest.mark.asyncio
async def test_a_caption_is_read_as_text(env: Env, fake: FakeTelegram) -> None:
    enrol(env.db, telegram=CHAT_ID)
    assert await post(env, photo_update(1, CHAT_ID, caption="CRISIS")) == 200
    assert "call 999" in said(fake)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("update", "kind"),
    [
        (photo_update(5, CHAT_ID), "photo"),
        (sticker_update(5, CHAT_ID), "sticker"),
        (voice_update(5, CHAT_ID), "voice"),
    ],
    ids=["photo", "sticker", "voice"],
)
async def test_anything_but_text_gets_a_kind_sentence(
    env: Env, fake: FakeTelegram, update: dict[str, Any], kind: str
) -> None:
    enrol(env.db, telegram=CHAT_ID)
    assert await post(env, update) == 200
    assert await post(env, update) == 200  # delivered again: no second answer
    [reply] = fake.sent
    assert "only read typed text" in reply.text
    [inbound] = messages(env.db, direction="in")
    assert inbound.body == f"[{kind}]"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "update",
    [
        unknown_update(9),
        unknown_update(9, kind="poll"),
        callback_query_update(9, CHAT_ID, "yes"),
        {"update_id": 9},
        text_update(9, -1001234567890, "CRISIS"),  # a group: never ours
    ],
    ids=["my_chat_member", "poll", "callback_query", "empty", "group"],
)
async def test_other_updates_are_acknowledged_and_ignored(
    env: Env, fake: FakeTelegram, update: dict[str, Any]
) -> None:
    enrol(env.db, telegram=CHAT_ID)
    assert await post(env, update) == 200
    assert count_messages(env.db) == 0
    assert fake.sent == []


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "body",
    [b"", b"{not json", b"[1, 2]", b'{"update_id": "x", "message": {}}', b'"text"'],
    ids=["empty", "broken", "list", "bad-update", "string"],
)
async def test_malformed_bodies_are_refused(env: Env, body: bytes) -> None:
    response = await env.client.post(
        TELEGRAM_PATH, content=body, headers=SECRET | {"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert count_messages(env.db) == 0


@pytest.mark.asyncio
async def test_null_bytes_and_long_texts(env: Env, fake: FakeTelegram) -> None:
    enrol(env.db, telegram=CHAT_ID)
    assert await post(env, text_update(1, CHAT_ID, "hel\x00lo")) == 200
    assert await post(env, text_update(2, CHAT_ID, "x" * 5000)) == 200
    bodies = [m.body for m in messages(env.db, direction="in")]
    assert bodies == ["hello", "x" * 5000]
    assert len(fake.sent) >= 2


# The provider failing, the database locked


@pytest.mark.asyncio
async def test_a_failing_bot_api_leaves_the_reply_queued_for_the_worker(
    env: Env, fake: FakeTelegram
) -> None:
    enrol(env.db, telegram=CHAT_ID)
    fake.fail_next(1, status=500)
    assert await post(env, text_update(1, CHAT_ID, "CRISIS")) == 200
    [reply] = messages(env.db, direction="out")
    assert reply.status == "queued"
    assert reply.error_code == "telegram_error"
    assert reply.next_attempt_at is not None
    assert fake.sent == []

    env.clock.advance(minutes=5)
    dispatcher = env.app.state.dispatcher
    assert await dispatcher.deliver_due() == 1
    assert "call 999" in said(fake)
    assert messages(env.db, direction="out")[0].status == "sent"


@pytest.mark.asyncio
async def test_a_new_message_brings_forward_what_waits_for_a_retry(
    env: Env, fake: FakeTelegram
) -> None:
    enrol(env.db, telegram=CHAT_ID)
    fake.fail_next(1, status=502)
    assert await post(env, text_update(1, CHAT_ID, "hello")) == 200
    assert fake.sent == []
    assert await post(env, text_update(2, CHAT_ID, "CRISIS")) == 200  # no waiting for backoff
    texts = [m.text for m in fake.sent]
    assert "1. My crisis plan" in texts[0]  # the older reply first
    assert "call 999" in texts[-1]


@pytest.mark.asyncio
async def test_a_person_who_blocked_the_bot_is_not_retried(env: Env, fake: FakeTelegram) -> None:
    enrol(env.db, telegram=CHAT_ID)
    fake.blocked(CHAT_ID)
    assert await post(env, text_update(1, CHAT_ID, "hello")) == 200
    outbound = messages(env.db, direction="out")
    assert {(m.status, m.error_code) for m in outbound} == {("failed", "telegram_forbidden")}
    metrics = (await scrape(env)).text
    assert 'touchpoint_delivery_failures_total{channel="telegram",kind="permanent"}' in metrics


@pytest.mark.asyncio
async def test_a_locked_database_spools_the_update_and_answers_at_once(
    db_url: str, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("holds SQLite's write lock")
    monkeypatch.setattr(store.db, "SQLITE_BUSY_TIMEOUT_S", 0.5)
    settings = channel_settings(db_url, telegram_api_base_url=f"{fake.url}/bot")
    async with running_app(settings) as env:
        enrol(env.db, telegram=CHAT_ID)
        with write_lock(db_url):
            started = time.monotonic()
            assert await post(env, text_update(1, CHAT_ID, "CRISIS")) == 200
            assert time.monotonic() - started < 10
            fake.wait_for_sent(1)
            assert "call 999" in said(fake)
            # A picture can't be kept as text: Telegram is asked to deliver it again.
            assert await post(env, photo_update(2, CHAT_ID)) == 503
        await spool_replayed(settings)  # by the app itself
        assert count_messages(env.db, direction="in") == 1
        assert await post(env, text_update(1, CHAT_ID, "CRISIS")) == 200  # Telegram retries
        assert count_messages(env.db, direction="in") == 1


@pytest.mark.asyncio
async def test_an_edit_without_risk_is_not_taken_as_an_answer(env: Env, fake: FakeTelegram) -> None:
    enrol(env.db, telegram=CHAT_ID)
    assert await post(env, text_update(1, CHAT_ID, "MENU")) == 200
    before = len(fake.sent)
    assert await post(env, edited_text_update(2, CHAT_ID, "2", message_id=1)) == 200
    assert len(fake.sent) == before
    assert await post(env, text_update(3, CHAT_ID, "1")) == 200
    assert "crisis plan" in said(fake).split("---")[-1].lower()
