"""`touchpoint serve` as a real process (uvicorn on 127.0.0.1) with the fake providers:
whole conversations over SMS and Telegram, and `touchpoint worker` delivering the outbox."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import select

from bot import outbox
from bot.channels.sms import INBOUND_PATH
from bot.engine.spec import Yaml12Loader
from bot.fakes import process_env
from bot.fakes.telegram import FakeTelegram, start_update, text_update
from bot.fakes.twilio import FakeTwilio, sign
from bot.types import Channel
from store.db import Database
from store.models import Plan, PlanVersion
from tests.channel_helpers import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    BOT_TOKEN,
    CHAT_ID,
    PHONE,
    TWILIO_NUMBER,
    WEBHOOK_SECRET,
    count_messages,
    enrol,
    messages,
    replies_of,
    sms_form,
)
from tests.processes import free_port, start_serve, wait_healthy
from tests.processes import touchpoint as run_touchpoint

pytestmark = pytest.mark.slow

TRANSCRIPT = Path(__file__).parent / "transcripts" / "crisis_plan_end_to_end.yaml"


@dataclass
class Server:
    url: str
    env: dict[str, str]
    db: Database
    twilio: FakeTwilio
    telegram: FakeTelegram
    folder: Path

    def touchpoint(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_touchpoint(self.folder, self.env, *args)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[Server]:
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as twilio, FakeTelegram(BOT_TOKEN) as telegram:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = process_env(db_url, TOUCHPOINT_PUBLIC_URL=url) | {
            **twilio.client_settings(TWILIO_NUMBER),
            "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "TELEGRAM_API_BASE_URL": f"{telegram.url}/bot",
        }
        process, output = start_serve(tmp_path, env, port)
        db = Database(db_url)
        try:
            wait_healthy(url, process, output)
            yield Server(url, env, db, twilio, telegram, tmp_path)
        finally:
            _stop(process)
            db.dispose()


def _steps() -> list[dict[str, Any]]:
    script = yaml.load(TRANSCRIPT.read_text(encoding="utf-8"), Loader=Yaml12Loader)  # noqa: S506
    return [step for step in script["steps"] if "send" in step]


def _check(step: dict[str, Any], replies: list[str], where: str) -> None:
    said = "\n---\n".join(replies).casefold()
    assert replies, f"{where}: no reply to {step['send']!r}"
    expected = step.get("expect") or []
    for text in expected if isinstance(expected, list) else [expected]:
        assert str(text).casefold() in said, f"{where}: expected {text!r} in:\n{said}"


def _submitted(db: Database, pid: int) -> list[str]:
    with db.read() as session:
        plan = session.scalars(
            select(Plan).where(Plan.participant_id == pid, Plan.kind == "crisis")
        ).one()
        return [
            v.status
            for v in session.scalars(select(PlanVersion).where(PlanVersion.plan_id == plan.id))
        ]


def test_a_whole_crisis_plan_over_sms(server: Server) -> None:
    pid = enrol(server.db, phone=PHONE)
    url = server.url + INBOUND_PATH
    with httpx.Client(timeout=15) as client:
        for number, step in enumerate(_steps(), start=1):
            form = sms_form(str(step["send"]), f"SM{number:032d}")
            headers = {"X-Twilio-Signature": sign(AUTH_TOKEN, url, form)}
            response = client.post(url, data=form, headers=headers)
            assert response.status_code == 200, response.text
            _check(step, replies_of(response.text), f"step {number}")
    assert _submitted(server.db, pid) == ["submitted"]


def test_a_whole_crisis_plan_over_telegram(server: Server) -> None:
    pid = enrol(server.db, onboarded=True)

    invited = server.touchpoint("invite", "telegram", "--participant", str(pid))
    assert invited.returncode == 0, invited.stderr
    match = re.search(
        r"https://t\.me/touchpoint_test_bot\?start=([A-Za-z0-9_-]{64})", invited.stdout
    )
    assert match, invited.stdout
    registered = server.touchpoint("telegram", "set-webhook")
    assert registered.returncode == 0, registered.stderr
    webhook = server.telegram.webhook
    assert webhook is not None
    assert (webhook.url, webhook.secret_token) == (
        f"{server.url}/webhooks/telegram",
        WEBHOOK_SECRET,
    )

    def send(update_id: int, update: dict[str, Any]) -> list[str]:
        before = len(server.telegram.sent)
        response = server.telegram.deliver_update(update)
        assert response.status_code == 200
        return _replies_after(server, before)

    assert "Hello Alex" in "\n".join(send(1, start_update(1, CHAT_ID, match[1])))
    for number, step in enumerate(_steps(), start=2):
        replies = send(number, text_update(number, CHAT_ID, str(step["send"])))
        _check(step, replies, f"step {number}")
    assert _submitted(server.db, pid) == ["submitted"]


def _replies_after(server: Server, before: int) -> list[str]:
    """Once the outbox for the chat is empty, what the fake Telegram received since `before`."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        out = messages(server.db, channel="telegram", direction="out")
        pending = [m for m in out if m.status in ("queued", "sending")]
        sent = [m for m in out if m.status == "sent"]
        if not pending and len(server.telegram.sent) >= len(sent):
            return [m.text for m in server.telegram.sent[before:]]
        time.sleep(0.02)
    raise AssertionError("the replies were not sent within 15 s")


def test_the_worker_delivers_a_queued_message_and_twilio_reports_it(server: Server) -> None:
    pid = enrol(server.db, phone=PHONE)
    with server.db.write() as session:
        [row] = outbox.enqueue(
            session,
            channel=Channel.SMS,
            address=PHONE,
            text="Your check-in is ready.",
            participant_id=pid,
            now=datetime.now(UTC),
        )
        session.flush()
        message_id = row.id

    worked = server.touchpoint("worker", "--once")
    assert worked.returncode == 0, worked.stderr

    [sms] = server.twilio.sent
    assert (sms.to, sms.body) == (PHONE, "Your check-in is ready.")
    callback = server.twilio.deliver_status(sms.sid, "delivered")  # to the real server
    assert callback.status_code == 200
    [stored] = messages(server.db, id=message_id)
    assert (stored.status, stored.external_id) == ("delivered", sms.sid)


def test_the_real_server_refuses_forgeries_and_dedupes_50_deliveries(server: Server) -> None:
    enrol(server.db, phone=PHONE)
    url = server.url + INBOUND_PATH
    form = sms_form("CRISIS", "SM" + "5" * 32)
    forged = httpx.post(url, data=form, headers={"X-Twilio-Signature": "Zm9yZ2Vk"}, timeout=10)
    assert forged.status_code == 403
    assert count_messages(server.db) == 0

    headers = {"X-Twilio-Signature": sign(AUTH_TOKEN, url, form)}

    def deliver(_: int) -> httpx.Response:
        return httpx.post(url, data=form, headers=headers, timeout=15)

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(deliver, range(50)))
    assert {r.status_code for r in responses} == {200}
    # One effect; every copy gets the replies stored the first time (the same TwiML).
    assert len({r.text for r in responses}) == 1
    assert "999" in replies_of(responses[0].text)[0]
    assert count_messages(server.db, direction="in") == 1


def test_a_hanging_bot_api_does_not_hold_the_webhook(server: Server) -> None:
    enrol(server.db, telegram=CHAT_ID)
    server.touchpoint("telegram", "set-webhook")
    server.telegram.hang_next(1, seconds=25)  # longer than Twilio or Telegram would wait
    started = time.monotonic()
    response = server.telegram.deliver_update(text_update(1, CHAT_ID, "CRISIS"), timeout=20)
    assert response.status_code == 200
    assert time.monotonic() - started < 10
    # The reply stays in the outbox for the worker (the bot call times out after 10 s).
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        [reply, *_] = messages(server.db, direction="out")
        if reply.error_code == "telegram_timeout":
            break
        time.sleep(0.1)
    assert reply.status == "sending"  # unsure: Telegram may have it; the worker resends


# Starting up


def _refused(db_url: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--port", str(free_port())],
        cwd=tmp_path,
        env=process_env(db_url) | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_twilio_without_its_auth_token_does_notstart_serve(db_url: str, tmp_path: Path) -> None:
    result = _refused(db_url, tmp_path, TWILIO_ACCOUNT_SID=ACCOUNT_SID)
    assert result.returncode == 2
    assert "TWILIO_AUTH_TOKEN is not set" in result.stderr


def test_telegram_without_its_secret_does_notstart_serve(db_url: str, tmp_path: Path) -> None:
    result = _refused(db_url, tmp_path, TELEGRAM_BOT_TOKEN=BOT_TOKEN)
    assert result.returncode == 2
    assert "TELEGRAM_WEBHOOK_SECRET is not set" in result.stderr


def test_a_database_that_is_not_set_up_does_notstart_serve(tmp_path: Path) -> None:
    result = _refused(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path)
    assert result.returncode == 2
    assert "touchpoint db upgrade" in result.stderr


def test_no_channel_configured_starts_with_two_workers(db_url: str, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process, output = start_serve(tmp_path, process_env(db_url), port, "--workers", "2")
    try:
        wait_healthy(url, process, output)
        form = sms_form("hello", "SM" + "1" * 32)
        refused = httpx.post(url + INBOUND_PATH, data=form, timeout=10)
        assert refused.status_code == 403
        assert httpx.get(f"{url}/metrics", timeout=10).status_code == 404  # no token set
    finally:
        _stop(process)
