"""On the admin pages: open alerts ranked and paged, buttons that say what they act on,
nobody unassigned out of sight, opted-out people kept in view, the team's duty settings,
and the alert metrics."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import select

from bot.enrolment import add_participant
from bot.staff.metrics import AlertCollector
from bot.staff.notify import raise_alert
from store.models import Alert, Participant, Team
from tests.admin_html import page_problems
from tests.admin_support import World, admin_world
from tests.schedule_support import world as schedule_world


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    with admin_world(db_url) as w:
        yield w


def _alert(world: World, person: str | None, kind: str, **values: str) -> int:
    with world.db.write() as session:
        alert = Alert(
            participant_id=world.ids[person] if person else None,
            kind=kind,
            created_at=world.clock(),
            **values,
        )
        raise_alert(session, alert)
        session.flush()
        return alert.id


def _buttons(world: World, browser_page: str = "/admin/", who: str = "pat") -> list[str]:
    browser = world.signed_in(who)
    browser.get(browser_page)
    assert browser.page is not None
    assert page_problems(browser.page) == []
    return [b.text() for b in browser.page.find_all("button") if "Acknowledge" in b.text()]


def test_open_alerts_are_ranked_most_serious_first_with_what_each_button_acts_on(
    world: World,
) -> None:
    _alert(world, "alex", "low_rating")
    world.clock.advance(minutes=5)
    _alert(world, "alex", "opted_out")
    world.clock.advance(minutes=5)
    _alert(world, "alex", "crisis_requested")
    world.clock.advance(minutes=5)
    _alert(world, "alex", "risk_language", category="self_harm", severity="medium")
    world.clock.advance(minutes=5)
    _alert(world, "alex", "risk_language", category="suicidal_intent", severity="high")
    world.clock.advance(minutes=5)
    _alert(world, "alex", "opted_out")  # 5 minutes after risk language
    world.clock.advance(minutes=10)
    assert _buttons(world) == [
        "Acknowledge: Alex, suicidal intent, 10:20",
        "Acknowledge: Alex, self harm, 10:15",
        "Acknowledge: Alex, opted out (STOP) soon after risk language, 10:25",
        "Acknowledge: Alex, asked for their crisis plan, 10:10",
        "Acknowledge: Alex, low check-in rating, 10:00",
        "Acknowledge: Alex, opted out (STOP), 10:05",
    ]
    browser = world.signed_in("pat")
    browser.get("/admin/")
    assert "waiting 35 minutes" in browser.text  # the age of each
    # Acknowledged from the dashboard, with a note: gone from the list, back on the page.
    first = _first_alert_id(world)
    browser.submit(f"/alerts/{first}/acknowledge", {"note": "Spoke to Alex"})
    assert browser.response is not None
    assert browser.response.url.path == "/admin/"
    assert "Alert acknowledged" in browser.text
    assert "suicidal intent, 10:20" not in browser.text


def _first_alert_id(world: World) -> int:
    with world.db.read() as session:
        return session.scalars(select(Alert.id).where(Alert.category == "suicidal_intent")).one()


def test_the_dashboard_pages_through_every_open_alert(world: World) -> None:
    for _ in range(23):
        _alert(world, "alex", "crisis_requested")
        world.clock.advance(minutes=1)
    browser = world.signed_in("pat")
    browser.get("/admin/")
    assert "Safety alerts not yet acknowledged (23)" in browser.text
    assert browser.text.count("Acknowledge: Alex") == 20
    assert "Page 1 of 2" in browser.text
    browser.get("/admin/?alerts_page=2")
    assert browser.text.count("Acknowledge: Alex") == 3
    browser.get("/admin/alerts?page=2")
    assert browser.text.count("Acknowledge: Alex") == 3


def test_alerts_about_someone_not_enrolled_show_to_leads(world: World) -> None:
    with world.db.write() as session:
        raise_alert(
            session,
            Alert(
                kind="risk_language",
                category="suicidal_intent",
                team_id=world.ids["team_a"],
                created_at=world.clock(),
            ),
        )
    assert _buttons(world, who="lee") == [
        "Acknowledge: someone not enrolled, suicidal intent, 10:00"
    ]
    assert _buttons(world, who="pat") == []


def test_nobody_is_unassigned_out_of_sight_and_leads_can_reassign(world: World) -> None:
    with world.db.write() as session:
        team = session.get(Team, world.ids["team_a"])
        assert team is not None
        robin = add_participant(session, name="Robin", team=team, now=world.clock())
        world.ids["robin"] = robin.id
    lead = world.signed_in("lee")
    lead.get("/admin/")
    assert "Not assigned to a practitioner (1)" in lead.text
    assert "Robin unassigned" in lead.text
    practitioner = world.signed_in("pat")
    practitioner.get("/admin/")
    assert "Not assigned" not in practitioner.text
    assert "Robin" not in practitioner.text

    lead.get(f"/admin/participants/{robin.id}")
    assert "unassigned" in lead.text
    lead.submit("/practitioner", {"practitioner_id": str(world.ids["pat"])})
    assert "Named practitioner saved" in lead.text
    [event] = world.audit("participant.assign")
    assert event.detail == {"before": None, "after": world.ids["pat"]}
    practitioner.get("/admin/participants")
    assert "Robin" in practitioner.text
    # Someone from another team, or a practitioner trying it: not there.
    lead.submit("/practitioner", {"practitioner_id": str(world.ids["bo"])})
    assert lead.response is not None
    assert lead.response.status_code == 404
    response = practitioner.client.post(
        f"/admin/participants/{robin.id}/practitioner", data={"practitioner_id": "1"}
    )
    assert response.status_code in (403, 404)


def test_opted_out_people_stay_on_the_no_reply_list_marked(world: World) -> None:
    world.say("alex", "STOP")
    world.clock.advance(days=8)
    browser = world.signed_in("pat")
    browser.get("/admin/")
    section = browser.page.find("section", **{"aria-labelledby": "quiet-h"})  # type: ignore[union-attr]
    assert "Alex opted out (STOP)" in section.text()
    assert "Acknowledge: Alex, opted out (STOP)" in browser.text  # a signal


def test_the_team_page_sets_the_duty_settings(world: World) -> None:
    lead = world.signed_in("lee")
    page = f"/admin/teams/{world.ids['team_a']}"
    lead.submit(
        f"/teams/{world.ids['team_a']}",
        {
            "duty_emails": "duty@example.org\nsecond@example.org",
            "duty_phones": "07400 111222",
            "working_hours": "Mon-Fri 09:00-17:00",
            "timezone": "Europe/London",
            "escalate_after": "20",
            "out_of_hours_email": "ooh@example.org",
            "notify_also": "crisis_requested",
        },
        page=page,
    )
    assert "Team settings saved" in lead.text
    with world.db.read() as session:
        team = session.get(Team, world.ids["team_a"])
        assert team is not None
        assert team.duty_emails == ["duty@example.org", "second@example.org"]
        assert team.duty_phones == ["+447400111222"]
        assert (team.working_hours, team.escalate_after_minutes) == ("Mon-Fri 09:00-17:00", 20)
        assert team.notify_also == ["crisis_requested"]
    lead.submit(
        f"/teams/{world.ids['team_a']}",
        {"duty_emails": "not-an-address", "working_hours": "weekdays"},
        page=page,
    )
    assert "'not-an-address' is not an email address" in lead.text
    assert "can't read 'weekdays'" in lead.text
    with world.db.read() as session:
        team = session.get(Team, world.ids["team_a"])
        assert team is not None
        assert team.duty_emails == ["duty@example.org", "second@example.org"]


def test_metrics_time_to_acknowledge_and_what_waits_by_age(world: World) -> None:
    acked = _alert(world, "alex", "risk_language", category="self_harm")
    world.clock.advance(minutes=10)
    browser = world.signed_in("pat")
    browser.get("/admin/alerts")
    browser.submit(f"/alerts/{acked}/acknowledge")
    _alert(world, "alex", "crisis_requested")
    world.clock.advance(hours=2)
    registry = CollectorRegistry()
    registry.register(AlertCollector(world.db, world.clock))
    text = generate_latest(registry).decode()
    assert (
        'touchpoint_alert_acknowledge_seconds_bucket{kind="risk_language",le="300.0"} 0.0' in text
    )
    assert (
        'touchpoint_alert_acknowledge_seconds_bucket{kind="risk_language",le="900.0"} 1.0' in text
    )
    assert 'touchpoint_alert_acknowledge_seconds_sum{kind="risk_language"} 600.0' in text
    assert 'touchpoint_alerts_unacknowledged{age="1h_to_4h",kind="crisis_requested"} 1.0' in text


def test_a_low_check_in_rating_raises_one_alert_per_check_in(db_url: str) -> None:
    with schedule_world(db_url) as w:
        pid = w.enrol("Alex", every=1)
        [job] = w.pending(pid)
        w.clock.to(job.due_at)
        w.run()
        w.say(pid, "2")
        w.say(pid, "BACK")
        w.say(pid, "1")
        with w.db.read() as session:
            kinds = session.scalars(select(Alert.kind).where(Alert.participant_id == pid)).all()
        assert kinds == ["low_rating"]
        w.clock.advance(days=1)
        other = w.enrol("Sam", every=1)
        [job] = w.pending(other)
        w.clock.to(job.due_at)
        w.run()
        w.say(other, "7")
        with w.db.read() as session:
            assert session.scalars(select(Alert).where(Alert.participant_id == other)).all() == []
            assert session.get(Participant, other) is not None


def test_acknowledged_alerts_escalate_no_more(world: World) -> None:
    alert_id = _alert(world, "alex", "risk_language")
    browser = world.signed_in("pat")
    browser.get(f"/admin/alerts/{alert_id}")
    browser.submit(f"/alerts/{alert_id}/acknowledge")
    with world.db.read() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        assert alert.escalate_at is None
        assert alert.acknowledged_at == world.clock()
