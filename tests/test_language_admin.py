"""Languages on the admin pages (in English) and the command line: a team offers an
unreviewed translation only when an admin acknowledges it; the participant page shows a
person's language and whether it is reviewed; enrolment and `participant add --language`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.admin import notices
from store.models import AuditEvent, Message, Participant, Team
from tests.admin_support import Browser, World, admin_world, participant
from tests.test_cli import _run


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    with admin_world(db_url) as w:
        yield w


def _team(world: World) -> Team:
    with world.db.read() as session:
        team = session.get(Team, world.ids["team_a"])
        assert team is not None
        return team


def _offer(browser: Browser, world: World, code: str, *, tick: bool) -> str:
    page = f"/admin/teams/{world.ids['team_a']}"
    data = {"language": code, "action": "enable", **({"acknowledge": "yes"} if tick else {})}
    browser.submit(f"/teams/{world.ids['team_a']}/languages", data, page=page)
    return browser.text


def test_only_an_admin_who_acknowledges_it_enables_an_unreviewed_translation(
    world: World,
) -> None:
    lead = world.signed_in("lee")
    lead.get(f"/admin/teams/{world.ids['team_a']}")
    assert "not yet reviewed by a fluent clinician" in lead.text
    assert notices.NOTICES["language_admin_only"] in _offer(lead, world, "cy", tick=True)
    assert _team(world).languages == {}

    admin = world.signed_in("ada")
    assert notices.NOTICES["language_unacknowledged"] in _offer(admin, world, "cy", tick=False)
    assert _team(world).languages == {}
    assert notices.NOTICES["languages"] in _offer(admin, world, "cy", tick=True)
    record = _team(world).languages["cy"]
    assert record["unreviewed"] is True
    assert record["by"] == f"practitioner:{world.ids['ada']}"
    assert "enabled unreviewed by" in admin.text
    with world.db.read() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "team.language_enable")
        ).one()
        assert event.detail == {"language": "cy", "reviewed": False}
        assert event.record_id == world.ids["team_a"]


def test_the_participant_page_sets_and_shows_the_language(world: World) -> None:
    alex = world.ids["alex"]
    pat = world.signed_in("pat")
    pat.get(f"/admin/participants/{alex}")
    assert "Language" in pat.text
    assert "Welsh" not in pat.text  # not offered by the team yet
    pat.submit(f"/participants/{alex}/language", {"language": "cy"})
    assert notices.NOTICES["language_not_offered"] in pat.text
    assert participant(world, "alex").locale == "en"

    _offer(world.signed_in("ada"), world, "cy", tick=True)
    pat.submit(
        f"/participants/{alex}/language", {"language": "cy"}, page=f"/admin/participants/{alex}"
    )
    assert notices.NOTICES["language"] in pat.text
    assert participant(world, "alex").locale == "cy"
    assert "Welsh (Cymraeg)" in pat.text
    assert "translation not yet reviewed" in pat.text
    assert "have not been reviewed by a fluent clinician yet" in pat.text
    # The person's words stay as written; the page stays in English.
    assert "Atebwch gyda rhif" in world.say("alex", "DEWISLEN")
    pat.get(f"/admin/participants/{alex}")
    assert "DEWISLEN" in pat.text
    assert "Latest messages" in pat.text


def test_enrolling_in_welsh_sends_the_invitation_in_welsh(world: World) -> None:
    pat = world.signed_in("pat")
    form = {"name": "Siân", "phone": "07400 654321", "language": "cy"}
    pat.submit("/participants/new", form, page="/admin/participants/new")
    assert "does not offer Welsh yet" in pat.text
    _offer(world.signed_in("ada"), world, "cy", tick=True)
    pat.submit("/participants/new", form, page="/admin/participants/new")
    assert "is enrolled" in pat.text
    with world.db.read() as session:
        sian = session.scalars(select(Participant).where(Participant.display_name == "Siân")).one()
        assert sian.locale == "cy"
        message = session.scalars(select(Message).where(Message.participant_id == sian.id)).one()
    assert "Atebwch HELO i ddechrau" in message.body


def test_participant_add_language_on_the_command_line(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    assert _run(["db", "upgrade"], db).returncode == 0
    wrong = _run(["participant", "add", "--name", "Jo", "--team", "North", "--language", "xx"], db)
    assert wrong.returncode == 1
    assert "There is no language 'xx'" in wrong.stderr
    added = _run(
        ["participant", "add", "--name", "Siân", "--team", "North", "--language", "cy"], db
    )
    assert added.returncode == 0, added.stderr
    assert "has not been reviewed by a fluent clinician" in added.stdout
    chat = _run(["chat", "--participant", "1"], db, stdin="helo\nie\nSiân\niawn\niawn\nCRISIS\n")
    assert chat.returncode == 0, chat.stderr
    assert "Atebwch IE neu NA" in chat.stdout
    assert "Dyna chi'n barod, Siân" in chat.stdout
    assert "ffoniwch 999" in chat.stdout


def test_a_team_default_is_a_new_persons_language(world: World) -> None:
    admin = world.signed_in("ada")
    _offer(admin, world, "pl", tick=True)
    page = f"/admin/teams/{world.ids['team_a']}"
    admin.submit(
        f"/teams/{world.ids['team_a']}/languages",
        {"language": "pl", "action": "default"},
        page=page,
    )
    assert _team(world).locale == "pl"
    assert "team default" in admin.text
    pat = world.signed_in("pat")
    pat.submit(
        "/participants/new",
        {"name": "Ola", "phone": "07400 654322"},
        page="/admin/participants/new",
    )
    with world.db.read() as session:
        ola = session.scalars(select(Participant).where(Participant.display_name == "Ola")).one()
        assert ola.locale == "pl"
        message = session.scalars(select(Message).where(Message.participant_id == ola.id)).one()
    assert "Odpowiedz CZEŚĆ, żeby zacząć" in message.body
    # Stopping the offer puts the team's default back to English.
    admin.submit(
        f"/teams/{world.ids['team_a']}/languages",
        {"language": "pl", "action": "disable"},
        page=page,
    )
    assert _team(world).locale == "en"
    assert "pl" not in _team(world).languages
    with world.db.read() as session:
        ola = session.scalars(select(Participant).where(Participant.display_name == "Ola")).one()
        assert ola.locale == "en"  # a withdrawn translation is withdrawn from everyone
