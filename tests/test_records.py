"""A person's record as a whole, through the admin page and the assistant: the NHS
number, the subject access export, discharge, erasure by an administrator."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator

import pytest
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import func, select

from bot.plans import item
from bot.records.nhs_number import FHIR_SYSTEM, NhsNumberError, parse, shown
from bot.schedule.planning import replan
from bot.types import Channel, Inbound
from store.models import (
    Alert,
    AuditEvent,
    ChannelIdentity,
    Job,
    Message,
    Participant,
    PlanVersion,
    Schedule,
)
from tests.admin_html import page_problems
from tests.admin_html import parse as parse_html
from tests.admin_support import World, admin_world, participant

NHS = "9434765919"  # a valid NHS number (check digit 9)
ALEX_SMS = "+447400123456"
PLAN = {
    "warning_signs": [item("I stop sleeping and stay in my room")],
    "coping": [item("Walk the dog along the canal")],
    "people_help": [item("Mum 07400 765432", name="Mum", phone="+447400765432")],
}


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    with admin_world(db_url) as w:
        yield w


def _sms(world: World, text: str) -> list[str]:
    world.sent += 1
    inbound = Inbound(Channel.SMS, ALEX_SMS, text, f"sms-{world.sent}")
    return list(world.assistant.handle(inbound).replies)


def test_nhs_numbers_are_checked_with_modulus_11_and_shown_3_3_4() -> None:
    assert parse("943 476 5919") == NHS
    assert parse("943-476-5919") == NHS
    assert shown(NHS) == "943 476 5919"
    for bad in ("9434765918", "943476591", "94347659190", "abcdefghij", "٩٤٣٤٧٦٥٩١٩"):
        with pytest.raises(NhsNumberError):
            parse(bad)
    with pytest.raises(NhsNumberError):
        parse("1000000010")  # the check digit would be 10: no valid number ends so


def test_nhs_number_at_enrolment_and_on_the_participant_page(world: World) -> None:
    pat = world.signed_in("pat")
    pat.submit(
        "/participants/new",
        {"name": "Robin", "phone": "07400 222333", "nhs_number": "943 476 5918"},
        page="/admin/participants/new",
    )
    assert pat.response is not None
    assert pat.response.status_code == 400
    assert "check digit" in pat.text
    assert pat.page is not None
    assert 'value="943 476 5918"' in pat.response.text
    pat.submit("/participants/new", {"nhs_number": "943 476 5919"})
    with world.db.read() as session:
        robin = session.scalars(select(Participant).where(Participant.display_name == "Robin"))
        pid = robin.one().id
    pat.get(f"/admin/participants/{pid}")
    assert "943 476 5919" in pat.text
    assert "Message texts are removed 365 days after they were sent" in pat.text  # the policy
    assert not page_problems(pat.page)
    # Changed, then refused when wrong, from the participant page.
    alex = world.ids["alex"]
    pat.submit(
        f"/participants/{alex}/nhs-number",
        {"nhs_number": "4010232137"},
        page=f"/admin/participants/{alex}",
    )
    assert "401 023 2137" in pat.text
    pat.submit(f"/participants/{alex}/nhs-number", {"nhs_number": "4010232138"})
    assert "not a valid NHS number" in pat.text
    assert participant(world, "alex").nhs_number == "4010232137"
    assert world.audit("participant.nhs_number")


def _full_history(world: World) -> None:
    """Alex: an NHS number, an approved and a newer submitted plan, messages, an alert."""
    with world.db.write() as session:
        person = session.get(Participant, world.ids["alex"])
        assert person is not None
        person.nhs_number = NHS
        session.add(Schedule(participant_id=person.id, every_days=3, updated_by="test"))
    world.plan_version("alex", sections=PLAN, status="approved", by=world.ids["pat"])
    world.plan_version("alex", sections=PLAN | {"reasons": [item("My kids & <my> allotment")]})
    _sms(world, "hello there")
    _sms(world, "I want to die")
    _sms(world, "CRISIS")


def test_subject_access_export_is_readable_complete_and_valid_fhir(world: World) -> None:
    _full_history(world)
    pat = world.signed_in("pat")
    denied = pat.client.get(f"/admin/participants/{world.ids['alex']}/export")
    assert denied.status_code == 404  # a practitioner cannot; a lead or an admin can
    lee = world.signed_in("lee")
    lee.get(f"/admin/participants/{world.ids['alex']}")
    assert lee.page is not None
    link = lee.page.find("a", href=f"/admin/participants/{world.ids['alex']}/export")
    response = lee.client.get(link.get("href"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert set(archive.namelist()) == {"summary.html", "everything-held.json", "fhir-bundle.json"}

    summary = archive.read("summary.html").decode()
    doc = parse_html(summary)
    text = doc.text()
    for expected in (
        "943 476 5919",
        "hello there",
        "I want to die",
        "Walk the dog along the canal",
        "My kids & <my> allotment",
        "by Pat Practitioner",
        "Alex (service user)",
    ):
        assert expected in text, expected
    assert "<my>" not in summary  # escaped, never markup

    data = json.loads(archive.read("everything-held.json"))
    assert data["participant"]["nhs_number"] == NHS
    assert {i["address"] for i in data["channel_identities"]} >= {ALEX_SMS}
    bodies = [(m["direction"], m["body"]) for m in data["messages"]]
    assert ("in", "I want to die") in bodies
    assert ("in", "CRISIS") in bodies
    assert all(m["created_at"] for m in data["messages"])
    assert [v["number"] for v in data["plan_versions"]] == [1, 2]
    assert data["plan_versions"][0]["sections"]["coping"][0]["by"] == "participant"
    assert {a["kind"] for a in data["alerts"]} == {"risk_language", "crisis_requested"}
    assert data["schedule"]["every_days"] == 3
    assert any(e["action"] == "participant.enrol" for e in data["audit_events"])
    assert all("token_hash" not in i for i in data["invitations"])

    bundle = json.loads(archive.read("fhir-bundle.json"))
    Bundle.model_validate(bundle)
    resources = [e["resource"] for e in bundle["entry"]]
    patient = resources[0]
    assert patient["resourceType"] == "Patient"
    assert {"system": FHIR_SYSTEM, "value": NHS} in patient["identifier"]
    plans = [r for r in resources if r["resourceType"] == "CarePlan"]
    assert [p["status"] for p in plans] == ["active", "draft"]
    assert all(p["subject"]["reference"] == f"Patient/{world.ids['alex']}" for p in plans)
    assert world.audit("participant.export")[-1].actor == f"practitioner:{world.ids['lee']}"


def test_a_careplan_download_carries_the_nhs_number(world: World) -> None:
    _full_history(world)
    pat = world.signed_in("pat")
    data = pat.client.get(
        f"/admin/participants/{world.ids['alex']}/plans/crisis/versions/1/fhir"
    ).json()
    [patient] = data["contained"]
    assert {"system": FHIR_SYSTEM, "value": NHS} in patient["identifier"]


def test_discharge_closes_stops_unlinks_and_keeps_the_numbers(world: World) -> None:
    _full_history(world)
    alex = world.ids["alex"]
    with world.db.write() as session:
        replan(session, alex, world.clock())
    with world.db.read() as session:
        assert session.scalar(
            select(func.count()).select_from(Job).where(Job.participant_id == alex)
        )
    pat = world.signed_in("pat")
    pat.submit(f"/participants/{alex}/discharge", page=f"/admin/participants/{alex}")
    assert "tick the box" in pat.text  # not without confirming
    pat.submit(f"/participants/{alex}/discharge", {"confirm": "yes"})
    assert "Discharged" in pat.text
    with world.db.read() as session:
        person = session.get(Participant, alex)
        assert person is not None
        assert person.status == "discharged"
        queued = session.scalars(
            select(Message).where(Message.participant_id == alex, Message.status == "queued")
        ).all()
        assert [(m.address, "last message" in m.body) for m in queued] == [(ALEX_SMS, True)]
        assert not session.scalars(
            select(Job).where(Job.participant_id == alex, Job.status == "pending")
        ).all()
        identities = session.scalars(
            select(ChannelIdentity).where(ChannelIdentity.participant_id == alex)
        ).all()
        assert identities
        assert all(i.unlinked_at is not None for i in identities)
        assert session.scalars(select(PlanVersion)).all()  # the record is kept

    crisis = "\n".join(_sms(world, "crisis"))
    assert crisis.startswith("In danger now? Call 999.")
    assert "Riverside crisis line: 0800 123 4567" in crisis
    assert "Samaritans" in crisis
    assert "Walk the dog" not in crisis
    assert "Mum" not in crisis
    assert "Alex" not in crisis
    risk = "\n".join(_sms(world, "i want to kill myself"))
    assert "Call 999" in risk
    assert "Mum" not in risk
    assert "Alex" not in risk
    other = "\n".join(_sms(world, "hi can I start again"))
    assert "ended" in other
    assert "CRISIS" in other
    with world.db.read() as session:
        kinds = session.scalars(select(Alert.kind).where(Alert.participant_id == alex)).all()
        assert kinds.count("crisis_requested") == 2
        assert kinds.count("risk_language") == 2
        # Nothing new is planned for them, and their closing message is the only one queued.
        replan(session, alex, world.clock())
        assert not session.scalars(
            select(Job).where(Job.participant_id == alex, Job.status == "pending")
        ).all()
    assert world.audit("participant.discharge")

    # The number is free: someone enrolled with it later is a new person.
    pat.submit(
        "/participants/new", {"name": "Jo", "phone": "07400 123456"}, page="/admin/participants/new"
    )
    assert pat.response is not None
    assert pat.response.status_code == 200, pat.text
    reply = "\n".join(_sms(world, "hello"))
    assert "ended" not in reply


def test_only_an_administrator_erases_and_a_tombstone_is_all_that_is_left(world: World) -> None:
    _full_history(world)
    alex = world.ids["alex"]
    for who in ("pat", "lee"):
        browser = world.signed_in(who)
        assert browser.client.get(f"/admin/participants/{alex}/erase").status_code == 404
    ada = world.signed_in("ada")
    ada.get(f"/admin/participants/{alex}")
    ada.get(f"/admin/participants/{alex}/erase")
    assert not page_problems(ada.page)
    ada.submit(f"/participants/{alex}/erase", {"reason": "Enrolled in error"})
    assert "Tick the box" in ada.text
    ada.submit(f"/participants/{alex}/erase", {"reason": "Enrolled in error", "confirm": "yes"})
    assert "has been erased" in ada.text
    with world.db.read() as session:
        assert session.get(Participant, alex) is None
        for model in (Message, Alert, PlanVersion, ChannelIdentity, Schedule):
            left = session.scalars(select(model)).all()
            assert all(getattr(r, "participant_id", None) != alex for r in left), model
        assert not session.scalars(select(Message).where(Message.address == ALEX_SMS)).all()
        assert len(session.scalars(select(PlanVersion)).all()) == 0
        [tomb] = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "participant.erase")
        ).all()
    assert tomb.record_id == alex
    assert tomb.actor == f"practitioner:{world.ids['ada']}"
    assert tomb.detail["reason"] == "Enrolled in error"
    assert "Alex" not in json.dumps(tomb.detail)
    assert NHS not in json.dumps(tomb.detail)
    # Their number now belongs to nobody: a text from it gets no personal data.
    assert "isn't linked to anyone" in "\n".join(_sms(world, "CRISIS"))


def test_print_view_has_a_running_header_and_footer_and_a_banner_when_not_approved(
    world: World,
) -> None:
    with world.db.write() as session:
        person = session.get(Participant, world.ids["alex"])
        assert person is not None
        person.nhs_number = NHS
        person.display_name = 'Al "x" } @page { content: </style>'  # typed by someone
    world.plan_version("alex", sections=PLAN, status="approved", by=world.ids["pat"])
    world.plan_version("alex", sections=PLAN)
    pat = world.signed_in("pat")
    base = f"/admin/participants/{world.ids['alex']}/plans/crisis/versions"
    for number, approved in ((1, True), (2, False)):
        pat.get(f"{base}/{number}/print")
        assert pat.page is not None
        [sheet] = [
            link.get("href")
            for link in pat.page.find_all("link")
            if "print.css" in link.get("href")
        ]
        assert sheet == f"{base}/{number}/print.css"
        banner = pat.page.find_all("div", **{"class": "unapproved"})
        assert bool(banner) is not approved
        assert "943 476 5919" in pat.text
        css = pat.client.get(sheet)
        assert css.status_code == 200
        assert css.headers["content-type"].startswith("text/css")
        rules = css.text
        assert "@top-left" in rules
        assert "@bottom-right" in rules
        assert '"Page " counter(page) " of " counter(pages)' in rules
        assert "943 476 5919" in rules
        assert f"version {number}" in rules
        assert "Printed 2 Mar 2026" in rules
        assert ("NOT APPROVED" in rules) is not approved
        # What the person typed cannot end the string or the rule.
        assert "</style>" not in rules
        assert '"x"' not in rules
        assert rules.count("{") == rules.count("}")
    bo = world.signed_in("bo")
    assert bo.client.get(f"{base}/1/print.css").status_code == 404
