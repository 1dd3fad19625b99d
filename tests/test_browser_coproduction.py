"""Co-production in a real browser (Chromium and Playwright against `touchpoint serve`,
as tests/test_browser.py does): proposing suggestions on the review page and sending the
plan back with them; a team lead's report after appointments, and its CSV."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.plans import item
from store.db import Database
from store.models import Conversation, Job, Suggestion
from tests.admin_support import admin_world
from tests.test_browser import _shoot, _sign_in, chromium, page

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["chromium", "page"]  # the shared fixtures, used by name below

from playwright.sync_api import Page, expect  # noqa: E402

from tests.processes import free_port, wait_healthy  # noqa: E402


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    folder = tmp_path_factory.mktemp("browser_coproduction")
    url = f"sqlite:///{folder / 'touchpoint.db'}"
    from store.db import upgrade

    upgrade(url)
    now = datetime.now(UTC)
    with admin_world(url) as world:
        world.plan_version(
            "alex",
            "care",
            sections={"from_team": [item("Help with my benefits forms")]},
            status="approved",
            by=world.ids["pat"],
        )
        world.plan_version(
            "alex",
            sections={
                "coping": [item("Walk by the river")],
                "people_help": [item("Dave 07400 654321", name="Dave", phone="+447400654321")],
            },
        )
        # Both in this week (Monday 00:00 UTC onwards), whenever the test runs.
        week = (now - timedelta(days=now.weekday())).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        with world.db.write() as session:
            for share, talked, listened in ((2, [True, False], 8), (3, [True], 4)):
                topics = [f"topic {i}" for i in range(len(talked))]
                answers: dict[str, object] = {"topics": topics, "listened": listened}
                for i, value in enumerate(talked):
                    answers[f"talked_{len(topics) - i}"] = value
                when = now - (now - week) / share
                session.add(
                    Conversation(
                        participant_id=world.ids["sam"],
                        dialog="after_appointment",
                        state="thanks",
                        status="completed",
                        data={"answers": answers},
                        created_at=when,
                        updated_at=when,
                    )
                )
        ids = dict(world.ids)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "TOUCHPOINT_DATABASE_URL": url, "TOUCHPOINT_PUBLIC_URL": base}
    for name in ("TELEGRAM_BOT_TOKEN", "TWILIO_ACCOUNT_SID", "TWILIO_FROM_NUMBER"):
        env.pop(name, None)
    log = (folder / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port)],
        env=env,
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_healthy(base, server, (folder / "server.log").read_text, timeout=30)
        yield {"base": base, "ids": ids, "url": url}
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def test_propose_suggestions_and_send_back(page: Page, site: dict[str, object]) -> None:
    _sign_in(page, site["base"], "pat@example.org")
    page.get_by_role("link", name="Review Alex's crisis plan").click()
    voice = page.get_by_role("region", name="In Alex's words")
    expect(voice).to_contain_text("Help with my benefits forms")
    form = page.get_by_role("region", name="Suggest changes: Alex decides")
    form.get_by_label("What to suggest").select_option(label="Add to: Things I can do on my own")
    form.get_by_label("The words you suggest").fill("Ring the crisis line at night")
    form.get_by_label("Why").fill("You said nights are hardest")
    form.get_by_role("button", name="Add this suggestion").click()
    expect(page.get_by_role("status")).to_contain_text("Suggestion kept")
    form = page.get_by_role("region", name="Suggest changes: Alex decides")
    form.get_by_label("What to suggest").select_option(
        label="Take out: People I can ask for help: \u201c\u2068Dave 07400 654321\u2069\u201d"
    )
    form.get_by_label("Why").fill("You said Dave has moved away")
    form.get_by_role("button", name="Add this suggestion").click()
    expect(page.get_by_text("Ready to send (2)")).to_be_visible()
    page.get_by_role("button", name="Take back").first.click()
    expect(page.get_by_text("Ready to send (1)")).to_be_visible()
    _shoot(page, "suggestions")
    page.get_by_label("A note to go with them").fill("Have a think about this one.")
    page.get_by_role("button", name="Send back with 1 suggestion").click()
    expect(page.get_by_role("status")).to_contain_text("Sent back with your suggestions")
    db = Database(str(site["url"]))
    try:
        with db.read() as session:
            rows = session.scalars(select(Suggestion)).all()
            assert [(r.action, r.status, r.weakens) for r in rows] == [("remove", "pending", True)]
            kinds = session.scalars(select(Job.kind).where(Job.kind == "suggestion")).all()
            assert list(kinds) == ["suggestion"]  # the worker asks it, outside quiet hours
    finally:
        db.dispose()


def test_a_team_lead_views_and_exports_the_report(
    page: Page, site: dict[str, object], tmp_path: Path
) -> None:
    _sign_in(page, site["base"], "lee@example.org")
    expect(page.get_by_role("heading", name="Overrides in the last 90 days")).to_be_visible()
    page.get_by_role("link", name="After appointments: the team's report").click()
    table = page.locator("table.report")
    expect(table).to_contain_text("2 of 3 (67%)")
    expect(table).to_contain_text("6.0 (6.0), 2")
    _shoot(page, "report")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    saved = tmp_path / "report.csv"
    download.value.save_as(saved)
    lines = saved.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("team,week starting,")
    assert lines[-1].split(",")[2:5] == ["2", "3", "2"]
