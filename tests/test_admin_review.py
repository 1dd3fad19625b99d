"""Reviewing: the draft beside the approved version, approve, send back, edit then
approve; what the service user hears; version history, print view and FHIR export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fhir.resources.R4B.careplan import CarePlan
from sqlalchemy import select

from bot.admin.diff import words
from bot.plans import item
from store.models import Message, Participant, PlanVersion
from tests.admin_html import page_problems
from tests.admin_support import World, admin_world

APPROVED = {
    "warning_signs": [item("I stop sleeping and stay in my room")],
    "coping": [item("Go for a walk by the river"), item("Listen to music")],
    "people_help": [item("Mum 07400 123456", name="Mum", phone="+447400123456")],
}
SUBMITTED = {
    "warning_signs": [item("I stop sleeping well and stay in bed")],
    "coping": [item("Go for a walk by the river"), item("Call my sister")],
    "people_help": [item("Mum 07400 123456", name="Mum", phone="+447400123456")],
}
HOSTILE = {
    "warning_signs": [item("<script>alert('x')</script>")],
    "coping": [item("javascript:alert(1)")],
    "reasons": [item('=HYPERLINK("http://evil.example","click")')],
}


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    with admin_world(db_url) as w:
        w.plan_version("alex", sections=APPROVED, status="approved", by=w.ids["pat"])
        w.plan_version("alex", sections=SUBMITTED)
        yield w


def _outbox(world: World) -> list[Message]:
    with world.db.read() as session:
        return list(
            session.scalars(
                select(Message).where(Message.direction == "out", Message.status == "queued")
            ).all()
        )


def _review(world: World, who: str = "pat") -> tuple[object, str]:
    browser = world.signed_in(who)
    browser.get(f"/admin/participants/{world.ids['alex']}/plans/crisis/review")
    return browser, browser.text


def test_word_level_diff_marks_only_what_changed() -> None:
    old, new = words("I stop sleeping and stay in my room", "I stop sleeping well and stay in bed")
    assert [p.text for p in old if p.kind == "removed"] == ["my room"]
    assert [p.text.strip() for p in new if p.kind == "added"] == ["well", "bed"]
    assert "".join(p.text for p in new) == "I stop sleeping well and stay in bed"


def test_the_review_page_shows_both_versions_section_by_section(world: World) -> None:
    browser = world.signed_in("pat")
    response = browser.get(f"/admin/participants/{world.ids['alex']}/plans/crisis/review")
    assert response.status_code == 200
    page = browser.page
    assert page is not None
    assert page_problems(page) == []
    warning = page.find("section", class_="diff-section").find("table")
    assert [h.text() for h in warning.find_all("th")] == [
        "Approved (version 1)",
        "Sent for review (version 2)",
    ]
    assert [d.text() for d in warning.find_all("del")] == ["removed: my room"]
    assert [i.text() for i in warning.find_all("ins")] == ["added: well", "added: bed"]
    coping = page.find("h2", id="s-coping").text()
    assert "changed" in coping
    unchanged = page.find("h2", id="s-people_help").text()
    assert "changed" not in unchanged
    # A summary first; what did not change is folded away (<details>, closed).
    assert page.find("p", class_="changes").text() == (
        "1 item added, 1 changed, 1 removed; 2 unchanged."
    )
    folded = page.find_all("details", class_="unchanged")
    assert [d.find("summary").text() for d in folded] == [
        "1 unchanged item in “Things I can do on my own”",
        "1 unchanged section: People I can ask for help",
    ]
    assert all("open" not in d.attrs for d in folded)
    assert "Go for a walk by the river" in folded[0].text()
    assert folded[1].find("h2", id="s-people_help")
    assert "\u2068Alex\u2069 (service user)" in {
        b.text().lstrip("- ") for b in page.find_all("span", class_="by")
    }
    assert world.audit("plan.review_view")


def test_approving_notifies_by_sms_in_the_same_transaction(world: World) -> None:
    browser = world.signed_in("pat")
    browser.get(f"/admin/participants/{world.ids['alex']}/plans/crisis/review")
    browser.submit("/versions/2/approve")
    assert "Approved" in browser.text
    first, second = world.versions("alex")
    assert (first.status, second.status) == ("superseded", "approved")
    assert second.reviewed_by == world.ids["pat"]
    [message] = _outbox(world)
    assert (message.channel, message.address) == ("sms", "+447400123456")
    assert "approved" in message.body
    assert "CRISIS" in message.body
    assert message.next_attempt_at is not None
    event = world.audit("plan.approve")[-1]
    assert event.detail["notified"] == "sms"
    assert "body" not in event.detail


def test_a_decision_in_their_quiet_hours_waits_for_the_morning(world: World) -> None:
    # 23:29 in London (GMT in March): inside the default quiet hours, 21:00 to 08:00.
    world.clock.now = datetime(2026, 3, 2, 23, 29, tzinfo=UTC)
    browser = world.signed_in("pat")
    browser.get(f"/admin/participants/{world.ids['alex']}/plans/crisis/review")
    browser.submit("/versions/2/approve")
    [message] = _outbox(world)
    with world.db.read() as session:
        alex = session.get(Participant, world.ids["alex"])
        assert alex is not None
        end = alex.quiet_end
    hour, minute = (int(part) for part in end.split(":"))
    assert message.next_attempt_at == datetime(2026, 3, 3, hour, minute, tzinfo=UTC)


def test_approving_twice_changes_nothing_the_second_time(world: World) -> None:
    browser = world.signed_in("pat")
    page = f"/admin/participants/{world.ids['alex']}/plans/crisis/review"
    browser.get(page)
    stale = browser.page
    browser.submit("/versions/2/approve")
    browser.page = stale
    browser.submit("/versions/2/approve")
    assert "already reviewed" in browser.text
    assert len(_outbox(world)) == 1


def test_sending_back_delivers_the_note_and_the_person_can_resubmit(world: World) -> None:
    browser = world.signed_in("pat")
    browser.get(f"/admin/participants/{world.ids['alex']}/plans/crisis/review")
    browser.submit("/versions/2/send-back", {"note": "   "})
    assert "Write a note" in browser.text
    assert world.versions("alex")[1].status == "submitted"
    note = "Could you add who you'd call at night?"
    browser.submit("/versions/2/send-back", {"note": note})
    assert "Sent back" in browser.text
    version = world.versions("alex")[1]
    assert (version.status, version.review_note) == ("changes_requested", note)
    [message] = _outbox(world)
    assert note in message.body
    assert "REVIEW" in message.body
    assert "note" not in world.audit("plan.send_back")[-1].detail
    # They change it by message and send it again; it is waiting for review once more.
    for text in ("REVIEW", "1", "1", "Up all night", "DONE", "no"):
        world.say("alex", text)
    assert "Sent for review" in world.say("alex", "yes")
    assert [v.status for v in world.versions("alex")] == [
        "approved",
        "changes_requested",
        "submitted",
    ]
    browser.get(f"/admin/participants/{world.ids['alex']}/plans/crisis/review")
    assert browser.page is not None
    assert "added: Up all night" in [i.text() for i in browser.page.find_all("ins")]


def test_edit_then_approve_attributes_changes_and_tells_the_person(world: World) -> None:
    browser = world.signed_in("pat")
    browser.get(f"/admin/participants/{world.ids['alex']}/plans/crisis/versions/2/edit")
    assert browser.page is not None
    assert page_problems(browser.page) == []
    browser.submit(
        "/versions/2/edit",
        {
            "t-coping-1": "Call my sister Jo",
            "t-warning_signs-0": "",
            "n-reasons-0": "My dog Biscuit",
            "override_reason": "Jo is the sister you named at the appointment",
        },
    )
    assert "Your changes are saved" in browser.text
    versions = world.versions("alex")
    assert [v.status for v in versions] == ["superseded", "superseded", "approved"]
    edited = versions[2].sections
    me = f"practitioner:{world.ids['pat']}"
    assert edited["coping"][0]["by"] == "participant"
    # Whose words they were stays with the item (word-level authorship).
    assert edited["coping"][1] == {
        "text": "Call my sister Jo",
        "by": me,
        "was": {"text": "Call my sister", "by": "participant"},
    }
    assert edited["warning_signs"] == []
    assert edited["reasons"] == [{"text": "My dog Biscuit", "by": me}]
    assert versions[1].sections == SUBMITTED  # the submitted words are kept as they were
    [message] = _outbox(world)
    assert '"Call my sister" to "Call my sister Jo"' in message.body
    assert 'removed "I stop sleeping well and stay in bed"' in message.body
    assert 'added "My dog Biscuit"' in message.body
    # The version page shows the practitioner's change against the person's words.
    browser.get(f"/admin/participants/{world.ids['alex']}/plans/crisis/versions/3")
    assert "Pat Practitioner (practitioner)" in browser.text
    assert browser.page is not None
    assert page_problems(browser.page) == []
    [changed] = [i for i in browser.page.find_all("li", class_="item") if i.find_all("ins")]
    assert [i.text() for i in changed.find_all("ins")] == ["added: Jo"]
    assert "Call my sister" in changed.text()
    assert "changed from the words of \u2068Alex\u2069 (service user)" in changed.text()


def test_an_edit_with_a_mistake_keeps_everything_typed(world: World) -> None:
    browser = world.signed_in("pat")
    browser.get(f"/admin/participants/{world.ids['alex']}/plans/crisis/versions/2/edit")
    browser.submit(
        "/versions/2/edit",
        {
            "t-coping-1": "Call my sister Jo",
            "n-people_help-0": "Dr Patel",
            "np-people_help-0": "not a number",
        },
    )
    assert browser.response is not None
    assert browser.response.status_code == 400
    page = browser.page
    assert page is not None
    assert page.find("textarea", name="t-coping-1").text() == "Call my sister Jo"
    assert page.find("textarea", name="n-people_help-0").text() == "Dr Patel"
    assert page.find("input", name="np-people_help-0").get("aria-invalid") == "true"
    assert [v.status for v in world.versions("alex")] == ["approved", "submitted"]
    assert _outbox(world) == []


def test_edit_is_refused_when_the_person_has_started_changing_it_again(world: World) -> None:
    from bot import plans

    with world.db.write() as session:
        plans.draft(session, world.ids["alex"], "crisis")  # they opened REVIEW again
    browser = world.signed_in("pat")
    browser.get(f"/admin/participants/{world.ids['alex']}/plans/crisis/versions/2/edit")
    browser.submit(
        "/versions/2/edit", {"t-coping-1": "Call my sister Jo", "override_reason": "Her name"}
    )
    assert "started changing this plan again" in browser.text
    assert browser.page is not None
    assert browser.page.find("textarea", name="t-coping-1").text() == "Call my sister Jo"


def test_an_edit_that_changes_nothing_is_a_plain_approval(world: World) -> None:
    browser = world.signed_in("pat")
    browser.get(f"/admin/participants/{world.ids['alex']}/plans/crisis/versions/2/edit")
    browser.submit("/versions/2/edit")
    assert [v.status for v in world.versions("alex")] == ["superseded", "approved"]
    assert "approved it" in _outbox(world)[0].body


def test_history_lists_every_version_with_links(world: World) -> None:
    browser = world.signed_in("pat")
    browser.get(f"/admin/participants/{world.ids['alex']}/plans/crisis")
    assert browser.page is not None
    assert page_problems(browser.page) == []
    rows = browser.page.find("tbody").find_all("tr")
    assert [r.find("td").text() for r in rows] == ["2", "1"]
    assert "waiting for review" in rows[0].text()
    assert "Pat Practitioner" in rows[1].text()
    links = {a.text() for a in rows[0].find_all("a")}
    assert {"View", "Print", "FHIR export", "Review"} <= links


def test_print_view_has_the_plan_the_numbers_and_who_wrote_what(world: World) -> None:
    browser = world.signed_in("pat")
    browser.get(f"/admin/participants/{world.ids['alex']}/plans/crisis/versions/1/print")
    page = browser.page
    assert page is not None
    assert page_problems(page) == []
    assert not page.has("nav")
    text = page.text()
    assert "Riverside crisis line: 0800 123 4567" in text
    assert "Go for a walk by the river" in text
    assert "\u2068Alex\u2069 (service user)" in text
    assert world.audit("plan.print")


def test_fhir_export_is_a_valid_r4_careplan_that_replaces_the_old_one(world: World) -> None:
    browser = world.signed_in("pat")
    browser.get(f"/admin/participants/{world.ids['alex']}/plans/crisis/review")
    browser.submit("/versions/2/approve")
    response = browser.client.get(
        f"/admin/participants/{world.ids['alex']}/plans/crisis/versions/2/fhir"
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    assert response.headers["content-disposition"].startswith("attachment;")
    data = json.loads(response.text)
    plan = CarePlan.model_validate(data)
    assert plan.status == "active"
    assert plan.intent == "plan"
    # The Patient travels inside the CarePlan, with our id (and the NHS number when known).
    assert data["subject"]["reference"] == "#patient"
    [patient] = data["contained"]
    assert patient["resourceType"] == "Patient"
    local = f"{world.settings.public_url}/fhir/Patient"
    assert {"system": local, "value": str(world.ids["alex"])} in [
        {k: i[k] for k in ("system", "value")} for i in patient["identifier"]
    ]
    assert data["author"]["reference"] == f"Practitioner/{world.ids['pat']}"
    contributors = {c["reference"] for c in data["contributor"]}
    assert contributors == {"#patient", f"Practitioner/{world.ids['pat']}"}
    assert data["period"]["start"]
    descriptions = [a["detail"]["description"] for a in data["activity"]]
    assert "Call my sister" in descriptions
    assert len(descriptions) == 4
    assert data["note"]
    old = world.versions("alex")[0]
    assert data["replaces"] == [{"reference": f"CarePlan/touchpoint-plan-{old.plan_id}-v1"}]
    assert data["id"] == f"touchpoint-plan-{old.plan_id}-v2"
    first = json.loads(
        browser.client.get(
            f"/admin/participants/{world.ids['alex']}/plans/crisis/versions/1/fhir"
        ).text
    )
    assert first["status"] == "revoked"
    assert "replaces" not in first
    assert world.audit("plan.export")[-1].detail["format"] == "fhir-r4"


def test_what_a_person_typed_is_only_ever_text(db_url: str) -> None:
    with admin_world(db_url) as world:
        world.plan_version("alex", sections=HOSTILE)
        browser = world.signed_in("pat")
        base = f"/admin/participants/{world.ids['alex']}/plans/crisis"
        for path in (
            f"{base}/review",
            f"{base}/versions/1",
            f"{base}/versions/1/print",
            f"{base}/versions/1/edit",
        ):
            response = browser.get(path)
            assert response.status_code == 200
            assert browser.page is not None
            assert page_problems(browser.page) == [], path
            assert "<script>alert" not in response.text
            text = browser.text
            assert "<script>alert('x')</script>" in text or path.endswith("edit")
            assert "javascript:alert(1)" in response.text
            assert "=HYPERLINK(" in text or "=HYPERLINK(" in response.text
        export = browser.client.get(f"{base}/versions/1/fhir")
        descriptions = [a["detail"]["description"] for a in export.json()["activity"]]
        assert descriptions == [
            "<script>alert('x')</script>",
            "javascript:alert(1)",
            '=HYPERLINK("http://evil.example","click")',
        ]
        assert export.headers["x-content-type-options"] == "nosniff"
        assert "html" not in export.headers["content-type"]


def test_a_version_that_is_not_there_is_404(world: World) -> None:
    browser = world.signed_in("pat")
    base = f"/admin/participants/{world.ids['alex']}/plans"
    assert browser.client.get(f"{base}/crisis/versions/9").status_code == 404
    assert browser.client.get(f"{base}/nonsense").status_code == 404
    assert browser.client.get(f"{base}/care").status_code == 404  # no care plan yet


def test_get_never_changes_a_plan(world: World) -> None:
    browser = world.signed_in("pat")
    base = f"/admin/participants/{world.ids['alex']}/plans/crisis/versions/2"
    for action in ("approve", "send-back"):
        assert browser.client.get(f"{base}/{action}").status_code == 404
    with world.db.read() as session:
        statuses = session.scalars(select(PlanVersion.status).order_by(PlanVersion.number)).all()
    assert list(statuses) == ["approved", "submitted"]


def test_many_changes_are_all_listed_with_the_reason_and_undo(world: World) -> None:
    browser = world.signed_in("pat")
    browser.get(f"/admin/participants/{world.ids['alex']}/plans/crisis/versions/2/edit")
    new_items = {
        f"n-{key}-0": f"A new thing to write down for {key}"
        for key in (
            "coping",
            "reasons",
            "unwell_helps",
            "distractions",
            "safer_surroundings",
            "unwell_not_helpful",
            "unwell_tell",
            "unwell_practical",
        )
    }
    browser.submit("/versions/2/edit", new_items | {"override_reason": "From our talk today"})
    [message] = _outbox(world)
    assert message.body.count("- added") == len(new_items)  # exactly what changed: all of it
    assert "Why: From our talk today" in message.body
    assert "UNDO" in message.body


def test_someone_who_sent_stop_is_not_messaged(world: World) -> None:
    world.say("alex", "STOP")
    browser = world.signed_in("pat")
    browser.get(f"/admin/participants/{world.ids['alex']}/plans/crisis/review")
    browser.submit("/versions/2/approve")
    assert world.versions("alex")[1].status == "approved"
    assert [m for m in _outbox(world) if "approved" in m.body] == []
    assert world.audit("plan.approve")[-1].detail["notified"] is None


def test_one_section_on_its_own_page_leaves_the_others_as_they_were(world: World) -> None:
    browser = world.signed_in("pat")
    browser.get(f"/admin/participants/{world.ids['alex']}/plans/crisis/versions/2/edit")
    assert browser.page is not None
    link = next(
        a for a in browser.page.find_all("a") if a.text() == "Change “Things I can do on my own”"
    )
    browser.get(link.get("href"))
    assert browser.page is not None
    assert page_problems(browser.page) == []
    assert [f.find("legend").text() for f in browser.page.find_all("fieldset")] == [
        "Things I can do on my own"
    ]
    browser.submit(
        "/versions/2/edit",
        {"t-coping-1": "Call my sister Jo", "override_reason": "Jo is the sister you named"},
    )
    assert "Your changes are saved" in browser.text
    submitted, edited = world.versions("alex")[1:]
    assert edited.sections["coping"][1]["text"] == "Call my sister Jo"
    for key in submitted.sections:
        if key != "coping":
            assert edited.sections[key] == submitted.sections[key]
