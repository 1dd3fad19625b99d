"""Who sees what: every role against every other role's records. Out of reach is 404,
with an audit entry, for reading and for changing alike."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.plans import item
from store.models import Alert, AuditEvent, Participant
from tests.admin_support import World, admin_world

# Who may see whom (see tests/admin_support.py): pat and pia are practitioners in team A,
# lee leads team A, bo is a practitioner in team B, bea leads team B, ada is an admin.
SEES = {
    "pat": {"alex"},
    "pia": {"sam"},
    "lee": {"alex", "sam"},
    "bo": {"kim"},
    "bea": {"kim"},
    "ada": {"alex", "sam", "kim"},
}
EVERYONE = ("alex", "sam", "kim")


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    with admin_world(db_url) as w:
        for person in EVERYONE:
            w.plan_version(person, sections={"warning_signs": [item(f"{person}'s sign")]})
        with w.db.write() as session:
            for person in EVERYONE:
                session.add(
                    Alert(participant_id=w.ids[person], kind="risk_language", created_at=w.clock())
                )
        yield w


def _read_paths(world: World, person: str) -> list[str]:
    pid = world.ids[person]
    base = f"/admin/participants/{pid}"
    return [
        base,
        f"{base}/conversation",
        f"{base}/conversation?q=a&page=2",
        f"{base}/plans/crisis",
        f"{base}/plans/crisis/review",
        f"{base}/plans/crisis/versions/1",
        f"{base}/plans/crisis/versions/1/print",
        f"{base}/plans/crisis/versions/1/fhir",
        f"{base}/plans/crisis/versions/1/edit",
    ]


@pytest.mark.parametrize("who", sorted(SEES))
def test_each_role_reads_exactly_its_own_records(world: World, who: str) -> None:
    browser = world.signed_in(who)
    for person in EVERYONE:
        for path in _read_paths(world, person):
            status = browser.client.get(path).status_code
            expected = 200 if person in SEES[who] else 404
            assert status == expected, (who, path, status)
    denied = world.audit("access.denied")
    outside = [p for p in EVERYONE if p not in SEES[who]]
    assert len(denied) == len(outside) * len(_read_paths(world, "alex"))
    assert {e.actor for e in denied} <= {f"practitioner:{world.ids[who]}"}


@pytest.mark.parametrize("who", sorted(SEES))
def test_each_role_can_only_change_its_own_records(world: World, who: str) -> None:
    browser = world.signed_in(who)
    browser.get("/admin/")
    assert browser.page is not None
    csrf = browser.page.find("input", name="csrf").get("value")
    for person in EVERYONE:
        pid = world.ids[person]
        base = f"/admin/participants/{pid}"
        actions = {
            f"{base}/appointment": {"next_appointment": "2026-05-01"},
            f"{base}/telegram-link": {},
            f"{base}/plans/crisis/versions/1/send-back": {"note": "Please add a phone number"},
        }
        for path, data in actions.items():
            response = browser.client.post(path, data={"csrf": csrf, **data})
            if person in SEES[who]:
                assert response.status_code in (200, 303), (who, path)
            else:
                assert response.status_code == 404, (who, path)
    with world.db.read() as session:
        touched = {
            p.display_name.lower()
            for p in session.scalars(select(Participant)).all()
            if p.next_appointment is not None
        }
    assert touched == SEES[who]
    statuses = {person: world.versions(person)[0].status for person in EVERYONE}
    assert {p for p, s in statuses.items() if s == "changes_requested"} == SEES[who]


@pytest.mark.parametrize("who", sorted(SEES))
def test_alerts_are_acknowledged_only_within_reach(world: World, who: str) -> None:
    browser = world.signed_in(who)
    browser.get("/admin/alerts")
    assert browser.page is not None
    csrf = browser.page.find("input", name="csrf").get("value")
    with world.db.read() as session:
        alerts = {a.participant_id: a.id for a in session.scalars(select(Alert)).all()}
    for person in EVERYONE:
        response = browser.client.post(
            f"/admin/alerts/{alerts[world.ids[person]]}/acknowledge", data={"csrf": csrf}
        )
        assert response.status_code == (303 if person in SEES[who] else 404)


@pytest.mark.parametrize("who", sorted(SEES))
def test_lists_show_only_people_within_reach(world: World, who: str) -> None:
    browser = world.signed_in(who)
    for path in ("/admin/participants", "/admin/", "/admin/alerts"):
        browser.get(path)
        assert browser.page is not None
        links = {a.get("href").split("/plans")[0] for a in browser.page.find_all("a")}
        shown = {p for p in EVERYONE if f"/admin/participants/{world.ids[p]}" in links}
        assert shown == SEES[who], (who, path)


def test_a_guessed_id_is_404_and_audited(world: World) -> None:
    browser = world.signed_in("pat")
    response = browser.client.get("/admin/participants/99999")
    assert response.status_code == 404
    event = world.audit("access.denied")[-1]
    assert (event.record_type, event.record_id) == ("participant", 99999)
    assert event.address == "testclient"
    assert event.detail["path"] == "/admin/participants/99999"
    # Someone else's looks just the same as no one's.
    other = browser.client.get(f"/admin/participants/{world.ids['kim']}")
    assert other.status_code == 404
    assert other.text == response.text


@pytest.mark.parametrize(
    ("who", "team", "status"),
    [
        ("pat", "team_a", 404),
        ("lee", "team_a", 200),
        ("lee", "team_b", 404),
        ("bea", "team_b", 200),
        ("ada", "team_a", 200),
        ("ada", "team_b", 200),
    ],
)
def test_team_settings_belong_to_leads_of_the_team_and_admins(
    world: World, who: str, team: str, status: int
) -> None:
    browser = world.signed_in(who)
    assert browser.client.get(f"/admin/teams/{world.ids[team]}").status_code == status


@pytest.mark.parametrize(("who", "status"), [("pat", 404), ("lee", 404), ("ada", 200)])
def test_only_admins_manage_practitioners(world: World, who: str, status: int) -> None:
    browser = world.signed_in(who)
    assert browser.client.get("/admin/practitioners").status_code == status
    assert browser.client.get(f"/admin/practitioners/{world.ids['pat']}").status_code == status


@pytest.mark.parametrize(("who", "status"), [("pat", 404), ("lee", 200), ("ada", 200)])
def test_the_audit_log_is_for_leads_and_admins(world: World, who: str, status: int) -> None:
    browser = world.signed_in(who)
    assert browser.client.get("/admin/audit").status_code == status


def test_a_lead_reads_only_their_teams_audit_events(world: World) -> None:
    world.signed_in("bo").get(f"/admin/participants/{world.ids['kim']}")
    world.signed_in("pat").get(f"/admin/participants/{world.ids['alex']}")
    lead = world.signed_in("lee")
    lead.get("/admin/audit?action=participant.view")
    rows = lead.page.find("tbody").find_all("tr")  # type: ignore[union-attr]
    who = {row.find("td", data_label="Who").text() for row in rows}
    assert who == {"Pat Practitioner"}
    admin = world.signed_in("ada")
    admin.get("/admin/audit?action=participant.view")
    rows = admin.page.find("tbody").find_all("tr")  # type: ignore[union-attr]
    assert {row.find("td", data_label="Who").text() for row in rows} == {
        "Pat Practitioner",
        "Bo Practitioner",
    }


def test_a_leads_audit_log_names_and_shows_only_their_team(world: World) -> None:
    with world.db.write() as session:
        ours = Alert(
            participant_id=world.ids["alex"], kind="risk_language", created_at=world.clock()
        )
        theirs = Alert(
            participant_id=world.ids["kim"], kind="risk_language", created_at=world.clock()
        )
        session.add_all([ours, theirs])
        session.flush()
        ours_id, theirs_id = ours.id, theirs.id
    world.signed_in("pat").get(f"/admin/alerts/{ours_id}")
    world.signed_in("bo").get(f"/admin/alerts/{theirs_id}")
    lead = world.signed_in("lee")
    lead.get("/admin/audit?action=alert.view")
    assert lead.page is not None
    records = {
        r.find("td", data_label="Record").text() for r in lead.page.find("tbody").find_all("tr")
    }
    assert records == {f"alert {ours_id}"}
    offered = {o.text() for o in lead.page.find("select", id="actor").find_all("option")}
    assert "Pat Practitioner" in offered
    assert "Bo Practitioner" not in offered
    assert "Ada Admin" not in offered
    # Asking for the other team's practitioner by name finds nothing of theirs.
    lead.get(f"/admin/audit?actor=practitioner:{world.ids['bo']}")
    assert "0 events" in lead.text
    admin = world.signed_in("ada")
    admin.get("/admin/audit?action=alert.view")
    assert admin.page is not None
    records = {
        r.find("td", data_label="Record").text() for r in admin.page.find("tbody").find_all("tr")
    }
    assert records == {f"alert {ours_id}", f"alert {theirs_id}"}


def test_the_audit_log_pages_back_from_the_newest(world: World) -> None:
    with world.db.write() as session:
        for n in range(120):
            session.add(
                AuditEvent(at=world.clock(), actor="cli", action="bench.event", detail={"n": n})
            )
    admin = world.signed_in("ada")
    seen: list[str] = []
    admin.get("/admin/audit?action=bench.event")
    while True:
        assert admin.page is not None
        rows = admin.page.find("tbody").find_all("tr")
        seen += [r.find("td", data_label="Details").text() for r in rows]
        older = admin.page.find_all("a", rel="next")
        if not older:
            break
        admin.get(older[0].attrs["href"])
    assert seen == [f"n: {n}" for n in reversed(range(120))]
