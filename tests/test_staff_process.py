"""`touchpoint worker` killed in the middle of sending an alert email: the email still
arrives, exactly once (a real SMTP server; a real worker process, killed with SIGKILL)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.fakes import process_env
from bot.settings import PROJECT_ROOT
from store.models import Notification, Team
from tests.conftest import Stack, make_settings
from tests.smtp_support import SmtpServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


def test_a_worker_killed_mid_email_neither_loses_nor_doubles_it(
    db_url: str, smtp: SmtpServer
) -> None:
    stack = Stack(db_url, make_settings(db_url))
    try:
        pid = stack.add_participant("Alex")
        with stack.db.write() as session:
            team = session.scalars(select(Team)).one()
            team.duty_emails = ["duty@example.org"]
        stack.say(pid, "I have a plan to end my life")
        smtp.mailbox.clear()
        smtp.mailbox.hold_first = True
        env = process_env(
            db_url, TOUCHPOINT_SMTP_URL=smtp.url, TOUCHPOINT_MAIL_FROM="tp@trust.example.org"
        )
        command = [sys.executable, "-m", "bot", "worker", "--lease", "6"]
        worker = subprocess.Popen(
            [*command, "--poll-interval", "0.2"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert smtp.mailbox.holding.wait(timeout=30), "the worker never sent the email"
            worker.send_signal(signal.SIGKILL)  # its message sent, the server's answer not yet
        finally:
            worker.wait(timeout=30)
        deadline = time.monotonic() + 5
        while smtp.mailbox.dropped == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert smtp.mailbox.dropped == 1  # the server never accepted that one
        assert smtp.mailbox.received == []
        with stack.db.read() as session:
            row = session.scalars(select(Notification)).one()
            assert row.status == "sending"
            assert row.claimed_until is not None
            held_until = row.claimed_until
        time.sleep(max(0.0, (held_until - datetime.now(UTC)).total_seconds()) + 0.2)

        again = subprocess.run(
            [*command, "--once"],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

        assert again.returncode == 0, again.stderr
        [mail] = smtp.mailbox.received
        assert mail.to == ("duty@example.org",)
        assert "end my life" not in mail.body
        with stack.db.read() as session:
            row = session.scalars(select(Notification)).one()
            assert (row.status, row.attempts) == ("sent", 2)
            assert mail.message["Message-ID"] == row.email_id
    finally:
        stack.db.dispose()
