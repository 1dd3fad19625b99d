"""The admin page in a real browser: Debian's Chromium driven by Playwright, against
`touchpoint serve` running as a real process on a real SQLite file.

Screenshots at 1280 and 390 pixels wide go to test-artifacts/ (kept by CI)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.enrolment import add_participant
from bot.plans import item
from bot.settings import PROJECT_ROOT
from bot.staff.notify import raise_alert
from store.models import Alert, Practitioner
from tests.admin_support import PASSWORD, admin_world

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTHS = {"wide": 1280, "phone": 390}

if not CHROMIUM.exists():
    if os.environ.get("CI") == "true":
        pytest.fail(
            "CI must run the browser tests: install Debian's chromium (scripts/_browser.sh does).",
            pytrace=False,
        )
    pytest.skip(
        f"{CHROMIUM} is missing: run scripts/_browser.sh (apt-get install chromium) "
        "to run the browser tests.",
        allow_module_level=True,
    )

from playwright.sync_api import (  # noqa: E402
    Browser,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)

from tests import accessibility  # noqa: E402
from tests.processes import free_port, wait_healthy  # noqa: E402


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """A seeded database and `touchpoint serve` on it; the base URL and record ids."""
    folder = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{folder / 'touchpoint.db'}"
    from store.db import upgrade

    upgrade(url)
    with admin_world(url) as world:
        world.plan_version(
            "alex",
            sections={"coping": [item("Walk by the river")]},
            status="approved",
            by=world.ids["pat"],
        )
        world.plan_version(
            "alex",
            sections={
                "coping": [item("Walk by the river at dusk")],
                "reasons": [item("<script>alert(1)</script>")],
            },
        )
        world.plan_version("sam", sections={"warning_signs": [item("Not eating")]})
        with world.db.write() as session:
            pat = session.get(Practitioner, world.ids["pat"])
            assert pat is not None
            demo = add_participant(
                session, name="Demo", team=pat.team, now=world.clock(), practitioner=pat
            )
            demo.is_demo = True
            demo.consented_at = demo.onboarded_at = world.clock()
            world.ids["demo"] = demo.id
            raise_alert(
                session,
                Alert(
                    participant_id=world.ids["sam"],
                    kind="risk_language",
                    category="suicidal_intent",
                    severity="high",
                    created_at=world.clock(),
                ),
            )
        ids = dict(world.ids)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "TOUCHPOINT_DATABASE_URL": url,
        "TOUCHPOINT_PUBLIC_URL": base,
        "TELEGRAM_BOT_USERNAME": "touchpoint_test_bot",
    }
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


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    errors: list[str] = []

    def _console(message: ConsoleMessage) -> None:
        # A refused form is answered 400 on purpose: Chromium logs the page's own status.
        refused = "status of 400" in message.text and message.location["url"] == tab.url
        if message.type == "error" and not refused:
            errors.append(f"{message.text} ({message.location['url']})")

    tab.on("console", _console)
    yield tab
    context.close()
    assert errors == [], errors  # e.g. anything the Content-Security-Policy refused


def _sign_in(page: Page, base: object, email: str) -> None:
    page.goto(f"{base}/admin/")
    expect(page).to_have_url(f"{base}/admin/sign-in?next=%2Fadmin%2F")
    # Keyboard only: the fields are in order and Enter submits.
    page.get_by_label("Email address").focus()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def _shoot(page: Page, name: str) -> None:
    """Screenshots at both widths, and axe-core's WCAG 2.2 AA check at each."""
    ARTIFACTS.mkdir(exist_ok=True)
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width + 1, f"{name} scrolls sideways at {width}px ({overflow}px)"
        accessibility.check(page, f"{name} at {width}px")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_sign_in_and_the_dashboard(page: Page, site: dict[str, object]) -> None:
    page.goto(f"{site['base']}/admin/sign-in")
    _shoot(page, "sign-in")
    _sign_in(page, site["base"], "pat@example.org")
    expect(page.get_by_role("link", name="Review Alex's crisis plan")).to_be_visible()
    _shoot(page, "dashboard")


def test_review_side_by_side_and_approve(page: Page, site: dict[str, object]) -> None:
    _sign_in(page, site["base"], "pat@example.org")
    page.get_by_role("link", name="Review Alex's crisis plan").click()
    expect(page.get_by_role("heading", name="Review Alex's crisis plan")).to_be_visible()
    expect(page.locator("ins", has_text="at dusk")).to_be_visible()
    # Text, not script (in the diff; the suggestion form quotes it too).
    expect(page.locator("table.diff").get_by_text("<script>alert(1)</script>")).to_be_visible()
    _shoot(page, "review")
    page.get_by_role("button", name="Approve version 2").click()
    expect(page.get_by_role("status")).to_contain_text("Approved")
    expect(page.get_by_text("version 2, approved")).to_be_visible()


def test_send_back_with_a_note(page: Page, site: dict[str, object]) -> None:
    _sign_in(page, site["base"], "pia@example.org")
    page.get_by_role("link", name="Review Sam's crisis plan").click()
    page.get_by_label("Note to Sam").fill("Could you add who you'd call?")
    page.get_by_role("button", name="Send back with this note").click()
    expect(page.get_by_role("status")).to_contain_text("Sent back")
    expect(page.get_by_text("sent back for changes")).to_be_visible()


def test_enrol_with_a_telegram_qr_code(page: Page, site: dict[str, object]) -> None:
    _sign_in(page, site["base"], "pat@example.org")
    page.get_by_role("link", name="Enrol").click()
    page.get_by_label("The name they'd like to be called").fill("Robin")
    page.get_by_label("Make a Telegram link").check()
    page.get_by_role("button", name="Enrol").click()
    expect(page.get_by_role("heading", name="Robin is enrolled")).to_be_visible()
    qr = page.get_by_role("img", name="QR code of the Telegram link for Robin")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.naturalWidth") > 0  # the data: URI loaded under the CSP
    link = page.locator("a.deep-link")
    expect(link).to_have_text(
        __import__("re").compile(r"^https://t\.me/touchpoint_test_bot\?start=[\w-]{64}$")
    )
    _shoot(page, "enrolled")


def _say(page: Page, text: str) -> None:
    page.get_by_label("Message from Demo").fill(text)
    page.get_by_role("button", name="Send").click()


def test_simulator_round_trip_build_approve_crisis(page: Page, site: dict[str, object]) -> None:
    ids = site["ids"]
    assert isinstance(ids, dict)
    _sign_in(page, site["base"], "pat@example.org")
    page.get_by_role("link", name="Simulator").click()
    page.get_by_role("link", name=f"Chat as Demo (number {ids['demo']})").click()
    _say(page, "MENU")
    expect(page.locator("#latest")).to_contain_text("crisis plan")
    for text in ("1", "Not sleeping", "DONE", *["skip"] * 9):
        _say(page, text)
    _say(page, "skip")  # the last question: the plan is sent for review
    expect(page.locator("#latest")).to_contain_text("sent it to")
    _shoot(page, "simulator")
    page.goto(f"{site['base']}/admin/participants/{ids['demo']}/plans/crisis/review")
    page.get_by_role("button", name="Approve version 1").click()
    expect(page.get_by_role("status")).to_contain_text("Approved")
    page.goto(f"{site['base']}/admin/simulator/{ids['demo']}")
    expect(page.locator("ol.chat")).to_contain_text("reviewed your crisis plan and approved")
    _say(page, "CRISIS")
    latest = page.locator("#latest")
    expect(latest).to_contain_text("Not sleeping")
    expect(latest).not_to_contain_text("not yet reviewed")


def test_acknowledge_an_alert_from_the_dashboard(page: Page, site: dict[str, object]) -> None:
    _sign_in(page, site["base"], "pia@example.org")
    # Seeded at 10:00 UTC on 2 March 2026: 10:00 in London.
    button = page.get_by_role("button", name="Acknowledge: Sam, suicidal intent, 2 Mar 10:00")
    expect(button).to_be_visible()
    _shoot(page, "dashboard-alert")
    page.get_by_label("Note (optional)").fill("Rang Sam, agreed a visit")
    button.click()
    expect(page.get_by_role("status")).to_contain_text("Alert acknowledged")
    expect(page.get_by_text("No alerts waiting.")).to_be_visible()
    page.get_by_role("link", name="Alerts", exact=True).click()
    expect(page.get_by_text("Rang Sam, agreed a visit")).to_be_visible()


def test_every_page_is_usable_at_phone_width(page: Page, site: dict[str, object]) -> None:
    ids = site["ids"]
    assert isinstance(ids, dict)
    _sign_in(page, site["base"], "lee@example.org")
    for name, path in (
        ("caseload", "/admin/participants"),
        ("participant", f"/admin/participants/{ids['alex']}"),
        ("history", f"/admin/participants/{ids['alex']}/plans/crisis"),
        ("print", f"/admin/participants/{ids['alex']}/plans/crisis/versions/1/print"),
        ("team", f"/admin/teams/{ids['team_a']}"),
        ("audit", "/admin/audit"),
        ("alerts", "/admin/alerts"),
    ):
        page.goto(f"{site['base']}{path}")
        expect(page.locator("main h1")).to_be_visible()
        _shoot(page, name)


def test_signed_out_the_server_shows_nothing_personal(site: dict[str, object]) -> None:
    ids = site["ids"]
    assert isinstance(ids, dict)
    with httpx.Client(base_url=str(site["base"])) as client:
        for path in ("/admin/participants", f"/admin/participants/{ids['alex']}"):
            response = client.get(path)
            assert response.status_code == 303
            assert response.headers["location"].startswith("/admin/sign-in")
            assert "Alex" not in response.text
