"""The admin pages' part in scheduling: the practitioner sets the rhythm, the agenda from
check-ins and appointment prep is on the participant page, and the dashboard lists who
has not answered a check-in for a while."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.schedule.outreach import Outreach
from bot.schedule.scheduler import Scheduler
from store.models import Job, Schedule
from tests.admin_html import page_problems
from tests.admin_support import Browser, World, admin_world


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    with admin_world(db_url) as w:
        yield w


def _scheduler(world: World) -> Scheduler:
    outreach = Outreach(world.db, world.assistant.engine, world.assistant.wording, world.clock)
    return Scheduler(world.db, outreach, world.clock, worker="test")


def _section(browser: Browser, heading: str) -> str:
    assert browser.page is not None
    for section in browser.page.find_all("section"):
        # A section's own heading: its first <h2>, or <h3> inside the Settings section.
        own = next((n for n in section.find_all() if n.tag in ("h2", "h3")), None)
        if own is not None and own.text().startswith(heading):
            return section.text()
    raise AssertionError(f"no section {heading!r} in {browser.text}")


def _settings(**values: str) -> dict[str, str]:
    form = {
        "how": "weekdays",
        "window_start": "17:00",
        "window_end": "19:00",
        "timezone": "America/New_York",
        "quiet_start": "22:00",
        "quiet_end": "08:00",
        "daily_cap": "3",
    }
    form.update(values)
    return form


def test_the_practitioner_sets_the_rhythm(world: World) -> None:
    alex = world.ids["alex"]
    browser = world.signed_in("pat")
    browser.get(f"/admin/participants/{alex}")
    assert browser.page is not None
    assert page_problems(browser.page) == []
    assert "none: no regular check-ins" in _section(browser, "Between appointments")
    # Two boxes ticked: both values are posted, as a browser does.
    csrf = browser.page.find("input", name="csrf").get("value")
    response = browser.client.post(
        f"/admin/participants/{alex}/schedule",
        data={**_settings(), "csrf": csrf, "weekday": ["mon", "thu"]},
        follow_redirects=True,
    )
    assert response.status_code == 200
    browser.get(f"/admin/participants/{alex}?done=schedule")
    panel = _section(browser, "Between appointments")
    assert "on Mondays and Thursdays, between 17:00 and 19:00 (America/New_York)" in panel
    assert "22:00 to 08:00" in panel
    assert "Check-in" in panel  # coming up
    with world.db.read() as session:
        row = session.scalars(select(Schedule).where(Schedule.participant_id == alex)).one()
        assert (row.weekdays, row.daily_cap) == ("mon,thu", 3)
        assert row.updated_by == f"practitioner:{world.ids['pat']}"
    [event, *_] = reversed(world.audit("participant.schedule"))
    assert (event.record_id, event.actor, event.address) == (
        alex,
        f"practitioner:{world.ids['pat']}",
        "testclient",
    )


def test_mistakes_are_explained_and_nothing_is_saved(world: World) -> None:
    alex = world.ids["alex"]
    browser = world.signed_in("pat")
    browser.get(f"/admin/participants/{alex}")
    browser.submit("/schedule", _settings(how="every", every="3", timezone="Mars/Base"))
    assert "is not a time zone I know" in browser.text
    browser.submit("/schedule", _settings(), page=f"/admin/participants/{alex}")
    assert "Tick at least one day of the week" in browser.text
    browser.submit(
        "/schedule",
        _settings(how="every", every="3", window_start="12:00", window_end="10:00"),
        page=f"/admin/participants/{alex}",
    )
    assert "must start before it ends" in browser.text
    with world.db.read() as session:
        assert session.scalars(select(Schedule)).all() == []


def test_only_their_own_caseload(world: World) -> None:
    sam = world.ids["sam"]
    browser = world.signed_in("pat")
    browser.get(f"/admin/participants/{world.ids['alex']}")
    assert browser.page is not None
    csrf = browser.page.find("input", name="csrf").get("value")
    response = browser.client.post(
        f"/admin/participants/{sam}/schedule",
        data={**_settings(how="every", every="2"), "csrf": csrf},
    )
    assert response.status_code == 404
    assert world.audit("access.denied")[-1].record_id == sam
    refused = browser.client.post(
        f"/admin/participants/{world.ids['alex']}/schedule", data=_settings(how="every", every="2")
    )
    assert refused.status_code == 403
    with world.db.read() as session:
        assert session.scalars(select(Schedule)).all() == []


def test_the_agenda_from_check_ins_and_appointment_prep(world: World) -> None:
    alex = world.ids["alex"]
    browser = world.signed_in("pat")
    browser.submit(
        "/appointment",
        {"next_appointment": "2026-03-05"},
        page=f"/admin/participants/{alex}",
    )
    assert "Appointment prep" in _section(browser, "Between appointments")
    # A check-in they start themselves, with two things for the appointment.
    for text in ("MENU", "3", "6", "SKIP", "SKIP", "SKIP", "Sleep", "Money worries", "DONE"):
        world.say("alex", text)
    world.say("alex", "YES")
    world.say("alex", "SKIP")
    # The day before the appointment, the scheduler asks; they add one more.
    world.clock.now = world.clock.now.replace(day=4, hour=11, minute=59)
    scheduler = _scheduler(world)
    scheduler.run_until_idle()
    with world.db.read() as session:
        prep = session.scalars(select(Job).where(Job.kind == "appointment_prep")).one()
        assert prep.outcome == "sent", prep.outcome
    for text in ("A letter for work", "DONE", "YES"):
        world.say("alex", text)
    # The care plan's "next appointment" question reaches the agenda too.
    care = ("MENU", "2", "yes", "SKIP", "SKIP", "SKIP", "SKIP", "SKIP", "Side effects", "DONE")
    for text in care:
        world.say("alex", text)
    browser = world.signed_in("pat")  # days later: a new sign-in
    browser.get(f"/admin/participants/{alex}")
    agenda = _section(browser, "For the next appointment")
    assert "Before the appointment" in agenda
    assert "A letter for work" in agenda
    assert "At a check-in" in agenda
    assert "Sleep" in agenda
    assert "Money worries" in agenda
    assert agenda.index("A letter for work") < agenda.index("Sleep")  # newest first
    assert "In their care plan" in agenda
    assert "Side effects" in agenda


def test_the_dashboard_lists_who_has_not_answered(world: World) -> None:
    alex = world.ids["alex"]
    browser = world.signed_in("pat")
    browser.submit(
        "/schedule",
        _settings(how="every", every="7", timezone="Europe/London", window_start="10:00",
                  window_end="12:00"),
        page=f"/admin/participants/{alex}",
    )  # fmt: skip
    scheduler = _scheduler(world)
    with world.db.read() as session:
        job = session.scalars(select(Job).where(Job.participant_id == alex)).one()
    world.clock.now = job.due_at
    scheduler.run_until_idle()
    world.clock.advance(days=4)
    browser = world.signed_in("pat")
    browser.get("/admin/")
    assert browser.page is not None
    assert page_problems(browser.page) == []
    assert "Alex" in _section(browser, "No answer to a check-in for 3 days")
    browser.get("/admin/?unanswered=7")
    assert "Everyone has answered" in _section(browser, "No answer to a check-in for 7")
    world.say("alex", "5")
    browser.get("/admin/")
    assert "Everyone has answered" in _section(browser, "No answer to a check-in for 3")
