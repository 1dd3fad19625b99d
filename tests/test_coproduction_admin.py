"""Co-production on the admin pages: the person's voice at the top, proposing and taking
back suggestions, what the person decided, overrides counted per practitioner, and the
team's report after appointments (page and CSV, escaped against formula injection)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.coproduction import report
from bot.plans import item
from store.models import Conversation, Suggestion
from tests.admin_html import page_problems
from tests.admin_support import World, admin_world

SUBMITTED = {
    "warning_signs": [item("Not sleeping")],
    "people_help": [item("Dave 07400 654321", name="Dave", phone="+447400654321")],
}


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    with admin_world(db_url) as w:
        w.plan_version(
            "alex",
            "care",
            sections={
                "from_team": [item("Help with my benefits forms")],
                "appointment_topics": [item('=HYPERLINK("http://x")')],
            },
        )
        w.plan_version("alex", sections=SUBMITTED)
        yield w


def _review(world: World, who: str = "pat") -> object:
    browser = world.signed_in(who)
    browser.get(f"/admin/participants/{world.ids['alex']}/plans/crisis/review")
    return browser


def test_the_persons_voice_tops_the_review_and_participant_pages(world: World) -> None:
    browser = world.signed_in("pat")
    for path in (
        f"/admin/participants/{world.ids['alex']}/plans/crisis/review",
        f"/admin/participants/{world.ids['alex']}",
    ):
        browser.get(path)
        page = browser.page
        assert page is not None
        assert page_problems(page) == []
        voice = page.find("section", class_="voice")
        assert "Help with my benefits forms" in voice.text()
        assert '=HYPERLINK("http://x")' in voice.text()  # their words, shown as text
        headings = [h.text() for h in page.find_all("h2")]
        # (text() spaces out the <bdi> around the name)
        assert headings[0].replace(" 's", "'s") == "In Alex's words", headings


def test_proposals_need_a_reason_and_can_be_taken_back(world: World) -> None:
    browser = _review(world)
    base = "/versions/1/suggestions"
    browser.submit(base, {"change": "add:coping", "text": "Ring Mum", "reason": " "})
    assert browser.response is not None
    assert browser.response.status_code == 400
    assert "Give a short reason" in browser.text
    browser.submit(base, {"change": "remove:people_help:0", "reason": "He moved away"})
    assert "Ready to send (1)" in browser.text
    assert "crisis plan: needs their YES" not in browser.text  # shown once it is sent
    [withdraw] = [
        f.get("action")
        for f in browser.page.find_all("form")
        if f.get("action").endswith("/withdraw")
    ]
    browser.submit(withdraw.removeprefix("/admin/participants"))
    assert "Ready to send" not in browser.text
    with world.db.read() as session:
        assert session.scalars(select(Suggestion)).all() == []


def test_a_practitioner_of_another_caseload_cannot_suggest(world: World) -> None:
    browser = world.signed_in("bo")
    response = browser.client.post(
        f"/admin/participants/{world.ids['alex']}/plans/crisis/versions/1/suggestions",
        data={"change": "add:coping", "text": "x", "reason": "y"},
    )
    assert response.status_code in (403, 404)
    with world.db.read() as session:
        assert session.scalars(select(Suggestion)).all() == []


def test_overrides_are_counted_per_practitioner_on_the_dashboard(world: World) -> None:
    browser = world.signed_in("pat")
    browser.get(f"/admin/participants/{world.ids['alex']}/plans/crisis/versions/1/edit")
    browser.submit("/versions/1/edit", {"t-warning_signs-0": "Not sleeping well"})
    assert browser.response is not None
    assert browser.response.status_code == 400  # no reason given: nothing saved
    assert "Say why you are changing their words" in browser.text
    browser.submit(
        "/versions/1/edit",
        {"t-warning_signs-0": "Not sleeping well", "override_reason": "Their own phrase"},
    )
    lead = world.signed_in("lee")
    lead.get("/admin/")
    table = lead.page.find("section", **{"aria-labelledby": "overrides-h"})
    assert [td.text() for td in table.find_all("td")] == ["Pat Practitioner", "1", "0"]
    other = world.signed_in("bea")  # another team's lead sees none of it
    other.get("/admin/")
    assert (
        "Pat Practitioner"
        not in other.page.find("section", **{"aria-labelledby": "overrides-h"}).text()
    )


def _follow_up(world: World, day: datetime, talked: list[bool], listened: int) -> None:
    topics = [f"topic {i}" for i in range(len(talked))]
    answers: dict[str, object] = {"topics": topics, "listened": listened}
    for i, value in enumerate(talked):
        answers[f"talked_{len(topics) - i}"] = value
    with world.db.write() as session:
        session.add(
            Conversation(
                participant_id=world.ids["alex"],
                dialog="after_appointment",
                state="thanks",
                status="completed",
                data={"answers": answers},
                created_at=day,
                updated_at=day,
            )
        )


def test_the_team_report_and_its_csv(world: World) -> None:
    now = world.clock()
    _follow_up(world, now - timedelta(days=7), [True, False], 6)  # the week before
    _follow_up(world, now - timedelta(hours=2), [True, True, True], 9)
    lead = world.signed_in("lee")
    lead.get("/admin/reports/appointments")
    assert lead.page is not None
    assert page_problems(lead.page) == []
    rows = lead.page.find("table", class_="report").find("tbody").find_all("tr")
    assert [td.text() for td in rows[0].find_all("td")][1:] == [
        "1",
        "3 of 3 (100%)",
        "9.0 (9.0), 1",
    ]
    assert [td.text() for td in rows[1].find_all("td")][1:] == ["1", "1 of 2 (50%)", "6.0 (6.0), 1"]
    response = lead.client.get("/admin/reports/appointments.csv")
    assert response.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.text)))
    assert table[0][0] == "team"
    assert table[-1][2:] == ["1", "3", "3", "1.00", "1", "9.0", "9.0"]
    # Practitioners see neither.
    pat = world.signed_in("pat")
    assert pat.client.get("/admin/reports/appointments").status_code == 404
    assert pat.client.get("/admin/reports/appointments.csv").status_code == 404


def test_csv_cells_never_start_a_formula() -> None:
    rows = [report.Week(datetime(2026, 3, 2, tzinfo=UTC).date(), 0, 0, 0, ())]
    text = report.to_csv("=cmd|' /C calc'!A0", rows)
    assert list(csv.reader(io.StringIO(text)))[1][0] == "'=cmd|' /C calc'!A0"
    for bad in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert report.cell(bad).startswith("'")
    assert report.cell("Riverside") == "Riverside"


def test_the_participant_page_shows_answers_after_appointments(world: World) -> None:
    _follow_up(world, world.clock() - timedelta(hours=1), [True, False], 7)
    browser = world.signed_in("pat")
    browser.get(f"/admin/participants/{world.ids['alex']}")
    section = browser.page.find("section", **{"aria-labelledby": "after-h"})
    text = section.text()
    assert "Talked about “topic 0”? yes" in text
    assert "Talked about “topic 1”? no" in text
    assert "Felt listened to (0 to 10) 7" in text


def test_the_follow_up_moves_with_the_appointment_date(world: World) -> None:
    from store.models import Job

    browser = world.signed_in("pat")
    page = f"/admin/participants/{world.ids['alex']}"
    for day in ("2026-03-10", "2026-03-12"):
        browser.submit("/appointment", {"next_appointment": day}, page=page)
    with world.db.read() as session:
        planned = session.scalars(
            select(Job.for_date).where(Job.kind == "after_appointment", Job.status == "pending")
        ).all()
    assert [d.isoformat() for d in planned if d] == ["2026-03-12"]
    browser.get(page)
    assert "After the appointment" in browser.text  # listed with what is planned
