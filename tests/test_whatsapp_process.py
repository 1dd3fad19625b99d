"""WhatsApp with real processes: `touchpoint participant add`, `invite whatsapp --qr`,
`whatsapp templates`, `serve` answering signed WhatsApp webhooks, and `worker --once`
sending through the real twilio client to the fake Twilio, whose status callback (a
63016) reaches `serve` over HTTP."""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from bot.admin import notify
from bot.channels.whatsapp import WHATSAPP_PATH
from bot.channels.whatsapp_invite import svg
from bot.fakes import process_env
from bot.fakes.twilio import FakeTwilio, sign
from bot.fakes.whatsapp import inbound_whatsapp_form
from store.db import Database
from store.models import Alert, Message, Participant
from tests.channel_helpers import ACCOUNT_SID, AUTH_TOKEN, replies_of
from tests.processes import free_port, start_serve, wait_healthy
from tests.processes import touchpoint as run_touchpoint
from tests.whatsapp_support import NOTICE_SID, WA_PHONE, WA_SENDER

pytestmark = pytest.mark.slow


@dataclass
class Processes:
    url: str
    env: dict[str, str]
    folder: Path
    twilio: FakeTwilio

    def touchpoint(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_touchpoint(self.folder, self.env, *args)

    def send(self, text: str) -> list[str]:
        sid = "SM" + uuid.uuid4().hex
        form = inbound_whatsapp_form(WA_PHONE, WA_SENDER, text, sid, ACCOUNT_SID)
        url = self.url + WHATSAPP_PATH
        headers = {"X-Twilio-Signature": sign(AUTH_TOKEN, url, form)}
        response = httpx.post(url, data=form, headers=headers, timeout=30)
        assert response.status_code == 200, response.text
        return replies_of(response.text)


@pytest.fixture
def processes(db_url: str, tmp_path: Path) -> Iterator[Processes]:
    with FakeTwilio(
        ACCOUNT_SID, AUTH_TOKEN, whatsapp_senders=[WA_SENDER], templates=[NOTICE_SID]
    ) as twilio:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = process_env(
            db_url,
            TOUCHPOINT_PUBLIC_URL=url,
            TWILIO_ACCOUNT_SID=ACCOUNT_SID,
            TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            TWILIO_API_BASE_URL=twilio.url,
            TWILIO_WHATSAPP_FROM=WA_SENDER,
            TWILIO_WHATSAPP_TEMPLATE_NOTICE=NOTICE_SID,
        )
        serve, output = start_serve(tmp_path, env, port)
        try:
            wait_healthy(url, serve, output)
            yield Processes(url, env, tmp_path, twilio)
        finally:
            serve.terminate()
            serve.wait(timeout=20)


def test_enrolled_by_qr_code_then_a_63016_handled(processes: Processes, db_url: str) -> None:
    added = processes.touchpoint("participant", "add", "--name", "Sam", "--team", "Riverside")
    assert added.returncode == 0, added.stderr
    pid = re.search(r"Participant (\d+) added", added.stdout)
    assert pid is not None
    listed = processes.touchpoint("whatsapp", "templates")
    assert listed.returncode == 0, listed.stderr
    assert f"TWILIO_WHATSAPP_TEMPLATE_NOTICE = {NOTICE_SID}" in listed.stdout
    assert "TWILIO_WHATSAPP_TEMPLATE_CHECK_IN = not set" in listed.stdout

    qr = processes.folder / "invite.svg"
    invited = processes.touchpoint("invite", "whatsapp", "--participant", pid[1], "--qr", str(qr))
    assert invited.returncode == 0, invited.stderr
    [link] = [line for line in invited.stdout.splitlines() if line.startswith("https://wa.me/")]
    assert qr.read_text(encoding="utf-8") == svg(link)  # the code scans as the link
    [prefilled] = parse_qs(urlsplit(link).query)["text"]

    # Scanned and sent from the person's WhatsApp: the number is theirs now.
    assert "now linked" in processes.send(prefilled)[0]
    crisis = processes.send("CRISIS")
    assert "999" in crisis[0][:200]

    # Twilio never saw those messages (they were posted around it), so its window is
    # closed while ours is open: the team's notice goes free-form and fails with 63016.
    db = Database(db_url)
    try:
        with db.write() as session:
            person = session.get(Participant, int(pid[1]))
            assert person is not None
            # Queued at midday yesterday: outside their quiet hours whenever the test runs.
            midday = (datetime.now(UTC) - timedelta(days=1)).replace(hour=12, minute=0)
            notify.queue(session, person, "Your plan was approved today.", midday)
        worked = processes.touchpoint("worker", "--once")
        assert worked.returncode == 0, worked.stderr
        [free] = processes.twilio.sent
        assert free.body == "Your plan was approved today."
        assert processes.twilio.report(free.sid).status_code == 200  # failed, 63016
        again = processes.touchpoint("worker", "--once")
        assert again.returncode == 0, again.stderr
        template = processes.twilio.sent[-1]
        assert template.content_sid == NOTICE_SID
        with db.read() as session:
            kinds = session.scalars(select(Alert.kind).where(Alert.participant_id == person.id))
            assert "whatsapp_undelivered" in list(kinds)
            held = session.scalars(select(Message).where(Message.status == "held")).one()
            assert held.error_code == "63016"
    finally:
        db.dispose()
    assert processes.send("hi") == ["Your plan was approved today."]
