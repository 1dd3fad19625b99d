"""Supporters on the record: the participant page's panel with every consent and its
date, the FHIR CarePlan's care team (RelatedPerson), and what the export takes."""

from __future__ import annotations

import json

import pytest

from bot.supporters import people, records
from tests.admin_support import World
from tests.test_privacy_transcripts import PHONE, _send
from tests.test_privacy_transcripts import world as world  # the fixture

MUM = "+447700900111"
PLAN = {
    "coping": [{"text": "Walk the dog", "by": "participant"}],
    "people_help": [{"text": "Mum 07700 900111", "name": "Mum", "phone": MUM, "by": "participant"}],
}


@pytest.fixture
def chosen(world: World) -> World:
    world.plan_version("alex", sections=PLAN, status="approved")
    for text in ("MENU", "7", "yes", "2", "no", "no"):
        _send(world, text, PHONE)
    assert "The plan follows" in "\n".join(_send(world, "yes", MUM))
    return world


def test_the_participant_page_shows_supporters_and_every_consent(chosen: World) -> None:
    pat = chosen.signed_in("pat")
    pat.get(f"/admin/participants/{chosen.ids['alex']}")
    text = pat.text
    assert "Supporters" in text
    assert "Mum" in text
    assert "agreed" in text
    assert "Things I can do" in text
    assert "chosen by them" in text
    assert "the supporter's answer to the invitation" in text
    assert "given by the supporter" in text


def test_the_fhir_care_plan_lists_them_as_related_people(chosen: World) -> None:
    pat = chosen.signed_in("pat")
    pid = chosen.ids["alex"]
    number = chosen.versions("alex")[-1].number
    response = pat.get(f"/admin/participants/{pid}/plans/crisis/versions/{number}/fhir")
    resource = json.loads(response.text)
    related = [r for r in resource["contained"] if r["resourceType"] == "RelatedPerson"]
    assert [r["name"][0]["text"] for r in related] == ["Mum"]
    assert related[0]["telecom"][0]["value"] == MUM
    assert resource["careTeam"] == [{"reference": "#supporters"}]


def test_the_export_takes_every_supporter_and_consent(chosen: World) -> None:
    with chosen.db.read() as session:
        exported = records.for_export(session, chosen.ids["alex"])
        assert [s.status for s in people.of(session, chosen.ids["alex"])] == ["active"]
    [mum] = exported
    assert mum["phone"] == MUM
    assert mum["sections"] == ["coping"]
    assert [(c["what"], c["given"], c["by"]) for c in mum["consents"]] == [
        ("chosen", True, "participant"),
        ("sections", True, "participant"),
        ("notify_crisis", False, "participant"),
        ("invitation", True, "supporter"),
    ]


def test_whom_the_plan_says_not_to_tell() -> None:
    said = {"unwell_tell": [{"text": "Tell my mum. Don't tell my dad or Uncle Pete"}]}
    assert people.not_to_be_told(said, "Dad")
    assert people.not_to_be_told(said, "My dad")
    assert people.not_to_be_told(said, "Uncle Pete")
    assert not people.not_to_be_told(said, "Mum")
    assert not people.not_to_be_told({}, "Dad")
