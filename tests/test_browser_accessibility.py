"""The practitioner's pages as a busy clinician meets them, in Chromium (the server and
seed of tests/test_browser.py): errors that can't be missed, what needs attention first,
keyboard-only sign-in, review and approval, and axe-core's WCAG 2.2 AA check (zero
violations) on every page, for every role, in every state reached here."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from bot import plans
from bot.plans import item
from store.db import Database
from store.models import Message
from tests import accessibility
from tests.test_browser import _shoot, _sign_in, chromium, page, site

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["chromium", "page", "site"]  # the shared fixtures, used by name below

from playwright.sync_api import FloatRect, Page, expect  # noqa: E402

YELLOW, BLACK = "rgb(255, 235, 59)", "rgb(33, 43, 50)"


@pytest.fixture(scope="module")
def world(site: dict[str, object]) -> dict[str, object]:
    """More of Alex: a long conversation, and a newer draft begun after version 2 was sent."""
    ids = site["ids"]
    assert isinstance(ids, dict)
    db = Database(str(site["url"]))
    start = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
    try:
        with db.write() as session:
            for n in range(64):
                inbound = n % 2 == 0
                session.add(
                    Message(
                        participant_id=ids["alex"],
                        channel="sms",
                        address="+447400123456",
                        direction="in" if inbound else "out",
                        body=f"Walked to the allotment, day {n}" if n == 6 else f"Message {n}",
                        status="received" if inbound else "sent",
                        created_at=start + timedelta(hours=n),
                    )
                )
            newer = plans.draft(session, ids["alex"], "crisis")
            plans.set_section(newer, "coping", [item("Walk by the river at night")])
    finally:
        db.dispose()
    return site


def _tab_to(page: Page, name: str, limit: int = 150) -> None:
    """Press Tab until the focused element's text (or value) starts with `name`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => (document.activeElement.innerText || document.activeElement.value || '')"
            ".replace(/\\s+/g, ' ').trim()"
        )
        if focused.startswith(name):
            return
    raise AssertionError(f"Tab never reached {name!r}")


def _top(box: FloatRect | None) -> float:
    assert box is not None
    return box["y"]


def _focus_is_yellow_and_black(page: Page) -> None:
    style = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.backgroundColor, s.boxShadow, s.outlineColor].join(' '); }"
    )
    assert YELLOW in style, style
    assert BLACK in style, style


def test_the_participant_page_leads_with_what_needs_attention(
    page: Page, world: dict[str, object]
) -> None:
    ids = world["ids"]
    assert isinstance(ids, dict)
    _sign_in(page, world["base"], "pat@example.org")
    page.goto(f"{world['base']}/admin/participants/{ids['alex']}")
    attention = page.locator("section.attention")
    # Version 2 waits for review although a newer draft (version 3) is the latest.
    expect(attention).to_contain_text("Crisis plan, version 2")
    expect(attention).to_contain_text("newer draft")
    expect(attention.get_by_role("link", name="Review Alex's crisis plan")).to_be_visible()
    expect(attention.locator("ol.chat li")).to_have_count(5)
    tops = [
        _top(page.get_by_role("heading", name=name, exact=True).bounding_box())
        for name in ("Needs your attention", "Plans", "Settings")
    ]
    assert tops == sorted(tops)
    # "How often": each radio button sits beside its label.
    radio = page.locator("#how_every").bounding_box()
    label = page.locator("label[for=how_every]").bounding_box()
    assert radio is not None
    assert label is not None
    assert label["x"] - (radio["x"] + radio["width"]) < 16
    _shoot(page, "participant-attention")


def test_the_conversation_is_paged_and_searchable(page: Page, world: dict[str, object]) -> None:
    ids = world["ids"]
    assert isinstance(ids, dict)
    _sign_in(page, world["base"], "pat@example.org")
    page.goto(f"{world['base']}/admin/participants/{ids['alex']}")
    page.get_by_role("link", name=re.compile(r"^The whole conversation \(64 messages\)")).click()
    expect(page.get_by_role("heading", name="Conversation with Alex")).to_be_visible()
    expect(page.locator("ol.chat li")).to_have_count(50)
    expect(page.get_by_text("Page 1 of 2")).to_be_visible()
    _shoot(page, "conversation")
    page.get_by_role("link", name="Next page").click()
    expect(page.locator("ol.chat li")).to_have_count(14)
    page.get_by_label("Find messages containing").fill("allotment")
    page.get_by_role("button", name="Search the conversation").click()
    expect(page.locator("ol.chat li")).to_have_count(1)
    expect(page.locator("ol.chat")).to_contain_text("Walked to the allotment, day 6")
    _shoot(page, "conversation-search")


def test_a_failed_send_back_lands_at_the_error(page: Page, world: dict[str, object]) -> None:
    _sign_in(page, world["base"], "pat@example.org")
    page.get_by_role("link", name="Review Alex's crisis plan").click()
    page.get_by_label("Note to Alex").fill("   ")  # passes `required`; nothing to send
    page.get_by_role("button", name="Send back with this note").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    assert _top(summary.bounding_box()) < 400  # at the top, in view
    assert page.evaluate("window.scrollY") < 400
    _shoot(page, "review-error")
    page.get_by_role("link", name="Write a note saying what you'd like changed.").click()
    expect(page.get_by_label("Note to Alex")).to_be_focused()


def test_the_review_opens_with_a_summary_and_folds_what_did_not_change(
    page: Page, world: dict[str, object]
) -> None:
    _sign_in(page, world["base"], "pat@example.org")
    page.get_by_role("link", name="Review Alex's crisis plan").click()
    expect(page.locator("p.changes")).to_have_text(
        "1 item added, 1 changed, 0 removed; 0 unchanged."
    )
    page.set_viewport_size({"width": 390, "height": 900})
    expect(page.locator("ins", has_text="at dusk")).to_be_visible()
    page.set_viewport_size({"width": 1280, "height": 900})


def test_an_edit_one_section_at_a_time_keeps_the_persons_words(
    page: Page, world: dict[str, object]
) -> None:
    ids = world["ids"]
    assert isinstance(ids, dict)
    _sign_in(page, world["base"], "pia@example.org")
    page.goto(f"{world['base']}/admin/participants/{ids['sam']}/plans/crisis/versions/1/edit")
    _shoot(page, "edit")
    page.get_by_role("link", name="Change “Warning signs”").click()
    expect(page.locator("fieldset")).to_have_count(1)  # one thing per page
    _shoot(page, "edit-one-section")
    page.locator("#t-warning_signs-0").fill("Not eating much")
    page.get_by_role("button", name=re.compile("^Save changes and approve")).click()
    expect(page).to_have_title(re.compile(r"^Error: "))  # a change needs a reason
    expect(page.locator(".error-summary")).to_be_focused()
    _shoot(page, "edit-error")
    page.locator(".error-summary a").first.click()
    expect(page.locator("#override_reason")).to_be_focused()
    expect(page.locator("#t-warning_signs-0")).to_have_value("Not eating much")  # kept
    page.keyboard.type("Sam said so at the appointment")
    page.get_by_role("button", name=re.compile("^Save changes and approve")).click()
    expect(page.get_by_role("status")).to_contain_text("Your changes are saved")
    page.goto(f"{world['base']}/admin/participants/{ids['sam']}/plans/crisis/versions/2")
    changed = page.locator("li.item", has=page.locator("ins"))
    expect(changed.locator("ins")).to_have_text("added: much")
    expect(changed).to_contain_text("Not eating")
    expect(changed).to_contain_text("much Pia Practitioner (practitioner)")  # spaced
    expect(changed).to_contain_text("changed from the words of \u2068Sam\u2069 (service user)")
    _shoot(page, "version-edited")


def test_enrolment_errors_and_reloads(page: Page, world: dict[str, object]) -> None:
    _sign_in(page, world["base"], "pat@example.org")
    page.get_by_role("link", name="Enrol").click()
    _shoot(page, "enrol")
    page.get_by_label("The name they'd like to be called").fill("Robin")
    page.get_by_role("button", name="Enrol").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.locator(".error-summary")).to_be_focused()
    _shoot(page, "enrol-error")
    page.get_by_role(
        "link", name="Give a mobile number for SMS, or tick Telegram, or both."
    ).click()
    expect(page.get_by_label("Mobile number for SMS (optional)")).to_be_focused()
    page.get_by_label("Mobile number for SMS (optional)").fill("07400 765432")
    page.get_by_role("button", name="Enrol").click()
    expect(page.get_by_role("heading", name="Robin is enrolled")).to_be_visible()
    assert page.url.endswith("/enrolled")
    page.reload()  # a GET: nothing is posted again
    expect(page.get_by_role("heading", name="Robin is enrolled")).to_be_visible()
    page.goto(f"{world['base']}/admin/participants?q=Robin")
    expect(page.locator("table.list tbody tr")).to_have_count(1)


def test_sign_in_mistake(page: Page, world: dict[str, object]) -> None:
    page.goto(f"{world['base']}/admin/sign-in")
    page.get_by_label("Email address").fill("pat@example.org")
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(page.locator(".error-summary")).to_be_focused()
    _shoot(page, "sign-in-error")


PAGES = {
    "pat@example.org": (
        "/admin/",
        "/admin/participants",
        "/admin/participants/{alex}",
        "/admin/participants/{alex}/conversation?q=day",
        "/admin/participants/{alex}/plans/crisis",
        "/admin/participants/{alex}/plans/crisis/versions/1",
        "/admin/participants/{alex}/plans/crisis/versions/1/print",
        "/admin/participants/{alex}/plans/crisis/review",
        "/admin/alerts",
        "/admin/participants/new",
        "/admin/simulator",
        "/admin/simulator/{demo}",
        "/admin/account",
        "/admin/account/password",
    ),
    "lee@example.org": (
        "/admin/",
        "/admin/participants/{sam}",
        "/admin/participants/{sam}/plans/crisis/review",
        "/admin/teams",
        "/admin/teams/{team_a}",
        "/admin/audit",
        "/admin/reports/appointments",
    ),
    "ada@example.org": (
        "/admin/practitioners",
        "/admin/practitioners/{pat}",
        "/admin/participants/{kim}",
        "/admin/participants/{kim}/erase",
    ),
}


@pytest.mark.parametrize("email", list(PAGES))
def test_every_page_for_every_role_meets_wcag_22_aa(
    page: Page, world: dict[str, object], email: str
) -> None:
    ids = world["ids"]
    assert isinstance(ids, dict)
    _sign_in(page, world["base"], email)
    for path in PAGES[email]:
        response = page.goto(f"{world['base']}{path.format(**ids)}")
        assert response is not None
        assert response.status == 200, (path, email)
        expect(page.locator("main h1")).to_be_visible()
        accessibility.check(page, f"{path} as {email}")
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(
        f"{world['base']}/admin/participants/{ids['alex' if email.startswith('pat') else 'sam']}"
    )
    accessibility.check(page, f"the participant page at 390px as {email}")


def test_keyboard_only_sign_in_review_and_approve(page: Page, world: dict[str, object]) -> None:
    base = world["base"]
    page.goto(f"{base}/admin/sign-in")
    expect(page.get_by_label("Email address")).to_be_focused()  # autofocus
    page.keyboard.type("pat@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type("Tidal lantern quartz 47")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    _tab_to(page, "Review Alex's crisis plan")
    _focus_is_yellow_and_black(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Review Alex's crisis plan")).to_be_visible()
    _tab_to(page, "Approve version 2")
    _focus_is_yellow_and_black(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Approved")
    accessibility.check(page, "the participant page after approving")
