"""Every admin page over HTTP, parsed: dashboard, caseload, participant, alerts, enrolment,
team settings, practitioners, audit log, simulator; and what every page must be."""

from __future__ import annotations

import base64
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from sqlalchemy import select

from bot.channels.linking import redeem
from bot.enrolment import add_participant
from bot.plans import item
from bot.types import Channel
from store.models import Alert, ChannelIdentity, Invite, Message, Participant, Practitioner, Team
from tests.admin_html import page_problems, parse
from tests.admin_support import World, admin_world


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    with admin_world(db_url) as w:
        yield w


def _pages(world: World) -> list[str]:
    alex = world.ids["alex"]
    return [
        "/admin/",
        "/admin/participants",
        "/admin/participants?q=al&sort=name",
        f"/admin/participants/{alex}",
        f"/admin/participants/{alex}/plans/crisis",
        f"/admin/participants/{alex}/plans/crisis/review",
        f"/admin/participants/{alex}/plans/crisis/versions/1",
        f"/admin/participants/{alex}/plans/crisis/versions/1/print",
        f"/admin/participants/{alex}/plans/crisis/versions/1/edit",
        "/admin/alerts",
        "/admin/participants/new",
        "/admin/account",
        "/admin/account/password",
        "/admin/teams",
        f"/admin/teams/{world.ids['team_a']}",
        "/admin/practitioners",
        f"/admin/practitioners/{world.ids['pat']}",
        "/admin/audit",
        "/admin/simulator",
    ]


def test_every_page_is_labelled_scriptless_styled_from_a_file_and_not_cached(
    world: World,
) -> None:
    world.plan_version("alex", sections={"coping": [item("A walk")]})
    with world.db.write() as session:
        session.add(
            Alert(participant_id=world.ids["alex"], kind="risk_language", created_at=world.clock())
        )
    browser = world.signed_in("ada")
    for path in _pages(world):
        response = browser.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-store"
        assert browser.page is not None
        assert page_problems(browser.page) == [], path
        sheet = browser.page.find("link", rel="stylesheet").get("href")
        assert sheet == "/admin/static/admin.css"
        assert browser.page.find("meta", name="viewport")
        assert browser.page.find("html").get("lang") == "en"
    css = browser.client.get("/admin/static/admin.css")
    assert css.headers["content-type"].startswith("text/css")
    assert "@media (max-width" in css.text
    assert "@media print" in css.text


def test_the_admin_app_loads_fhir_models_and_qr_codes_only_when_a_page_needs_them() -> None:
    # fhir.resources' models alone are ~9 MiB: every web process would carry them for an
    # export a practitioner makes now and then (the memory budget: docs/admin.md).
    heavy = ("fhir", "qrcode")
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, bot.admin.app; "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "[]"


def test_signed_out_visitors_are_sent_to_sign_in(world: World) -> None:
    browser = world.browser()
    for path in _pages(world):
        response = browser.client.get(path)
        assert response.status_code == 303, path
        assert urlsplit(response.headers["location"]).path == "/admin/sign-in"


def test_unknown_pages_are_a_plain_404(world: World) -> None:
    browser = world.signed_in("pat")
    response = browser.get("/admin/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in browser.text


def test_dashboard_shows_what_needs_attention(world: World) -> None:
    world.plan_version("alex", sections={"coping": [item("A walk")]})
    with world.db.write() as session:
        session.add(
            Alert(participant_id=world.ids["alex"], kind="risk_language", created_at=world.clock())
        )
    world.clock.advance(days=8)
    browser = world.signed_in("pat")
    browser.get("/admin/")
    assert browser.page is not None
    sections = {s.find("h2").text(): s.text() for s in browser.page.find_all("section")}
    assert "Alex" in sections["Safety alerts not yet acknowledged (1)"]
    # text() spaces the elements apart: the name is isolated in a <bdi>.
    assert "Review Alex 's crisis plan" in sections["Plans waiting for review (1)"]
    assert "Alex" in sections["No reply for 7 days or more (1)"]


def test_caseload_search_sort_and_pages(world: World) -> None:
    with world.db.write() as session:
        pat = session.get(Practitioner, world.ids["pat"])
        assert pat is not None
        for n in range(25):
            add_participant(
                session, name=f"Person {n:02d}", team=pat.team, now=world.clock(), practitioner=pat
            )
        session.add(
            Alert(participant_id=world.ids["alex"], kind="risk_language", created_at=world.clock())
        )
    browser = world.signed_in("pat")
    browser.get("/admin/participants")
    assert browser.page is not None
    rows = browser.page.find("tbody").find_all("tr")
    assert len(rows) == 20
    assert rows[0].find("td").text() == "Alex"  # an alert puts them first
    assert "26 people" in browser.text
    browser.get("/admin/participants?sort=name")
    assert browser.page is not None
    browser.get(browser.page.find("a", rel="next").attrs["href"])
    assert browser.page is not None
    names = [r.find("td").text() for r in browser.page.find("tbody").find_all("tr")]
    assert names == [f"Person {n:02d}" for n in range(19, 25)]
    assert not browser.page.find_all("a", rel="next")  # the last page
    for who in ("pat", "lee", "ada"):  # each role's way of finding who needs attention
        reader = world.signed_in(who)
        reader.get("/admin/participants?sort=attention")
        seen: list[str] = []
        while True:
            assert reader.page is not None
            seen += [r.find("td").text() for r in reader.page.find("tbody").find_all("tr")]
            later = reader.page.find_all("a", rel="next")
            if not later:
                break
            reader.get(later[0].attrs["href"])
        assert seen[0] == "Alex", who  # an alert first, then everyone once
        assert len(seen) == len(set(seen)) == (26 if who == "pat" else 27 if who == "lee" else 28)
    browser.get("/admin/participants?q=person+0&sort=name")
    assert "10 people matching" in browser.text
    browser.get("/admin/participants?q=%25")  # LIKE wildcards are only text
    assert "0 people" in browser.text
    browser.get("/admin/participants?page=banana&sort=nonsense")
    assert browser.response is not None
    assert browser.response.status_code == 200


def test_participant_page(world: World) -> None:
    world.say("alex", "hello there")
    world.plan_version("alex", sections={"coping": [item("A walk")]})
    browser = world.signed_in("pat")
    browser.get(f"/admin/participants/{world.ids['alex']}")
    text = browser.text
    assert "SMS: +44 7400 123456" in text  # spaced as people read it
    assert "newest is version 1, waiting for review" in text
    assert "hello there" in text
    assert world.audit("participant.view")[-1].record_id == world.ids["alex"]
    browser.submit("/appointment", {"next_appointment": "2026-04-01"})
    assert "Wed 1 Apr 2026" in browser.text
    response = browser.submit("/appointment", {"next_appointment": "1st April"})
    assert response.status_code == 400
    assert browser.page is not None
    assert browser.page.find("title").text().startswith("Error:")
    summary = browser.page.find("div", class_="error-summary")
    assert "autofocus" in summary.attrs
    [link] = summary.find_all("a")
    assert link.get("href") == "#next_appointment"
    assert "year-month-day" in link.text()


def test_alerts_and_acknowledging_them(world: World) -> None:
    with world.db.write() as session:
        session.add(
            Alert(
                participant_id=world.ids["alex"],
                kind="risk_language",
                category="self_harm",
                severity="high",
                rule="hurt_self",
                created_at=world.clock(),
            )
        )
    browser = world.signed_in("pat")
    browser.get("/admin/alerts")
    assert "risk language, self harm" in browser.text
    assert "rule: hurt_self" in browser.text.casefold()
    browser.submit("/acknowledge")
    assert "Alert acknowledged" in browser.text
    assert "Acknowledged by Pat Practitioner" in browser.text
    with world.db.read() as session:
        alert = session.scalars(select(Alert)).one()
        assert alert.acknowledged_by == world.ids["pat"]


def test_enrolling_with_sms_sends_an_invitation(world: World) -> None:
    browser = world.signed_in("pat")
    browser.submit(
        "/participants/new",
        {"name": "Robin", "phone": "07400 654321"},
        page="/admin/participants/new",
    )
    assert "Robin is enrolled" in browser.text
    with world.db.read() as session:
        robin = session.scalars(
            select(Participant).where(Participant.display_name == "Robin")
        ).one()
        assert robin.practitioner_id == world.ids["pat"]
        message = session.scalars(select(Message).where(Message.participant_id == robin.id)).one()
    assert (message.channel, message.address, message.status) == ("sms", "+447400654321", "queued")
    assert "Reply HI to begin" in message.body


def test_enrolling_with_telegram_shows_a_working_link_and_qr_code(world: World) -> None:
    browser = world.signed_in("pat")
    browser.submit(
        "/participants/new", {"name": "Jo", "telegram": "yes"}, page="/admin/participants/new"
    )
    assert browser.page is not None
    assert page_problems(browser.page) == []
    link = browser.page.find("a", class_="deep-link").get("href")
    assert link.startswith("https://t.me/touchpoint_test_bot?start=")
    token = parse_qs(urlsplit(link).query)["start"][0]
    assert len(token) == 64
    qr = browser.page.find("img", class_="qr").get("src")
    svg = base64.b64decode(qr.split(",", 1)[1])
    assert qr.startswith("data:image/svg+xml;base64,")
    assert svg.startswith(b"<svg")
    with world.db.write() as session:
        assert token not in {i.token_hash for i in session.scalars(select(Invite)).all()}
        person = redeem(session, token, Channel.TELEGRAM, "5551234", world.clock())
        assert person is not None
        assert person.display_name == "Jo"
    assert world.audit("invite.create")[-1].actor == f"practitioner:{world.ids['pat']}"


def test_a_new_telegram_link_replaces_the_old_one(world: World) -> None:
    browser = world.signed_in("pat")
    page = f"/admin/participants/{world.ids['alex']}"
    links = []
    for _ in range(2):
        browser.submit("/telegram-link", page=page)
        assert browser.page is not None
        links.append(browser.page.find("a", class_="deep-link").get("href").split("=")[1])
    with world.db.write() as session:
        assert redeem(session, links[0], Channel.TELEGRAM, "1", world.clock()) is None
        assert redeem(session, links[1], Channel.TELEGRAM, "1", world.clock()) is not None


@pytest.mark.parametrize(
    ("data", "says", "field"),
    [
        ({"name": ""}, "Give the name", "name"),
        ({"name": "Robin"}, "Give a mobile number", "phone"),
        ({"name": "Robin", "phone": "12"}, "not a valid phone number", "phone"),
        ({"name": "Robin", "phone": "07400 123456"}, "already belongs to someone", "phone"),
        (
            {"name": "Robin", "phone": "07400 654321", "nhs_number": "123"},
            "10 digits",
            "nhs_number",
        ),
    ],
)
def test_enrolment_mistakes_are_explained_and_typing_kept(
    world: World, data: dict[str, str], says: str, field: str
) -> None:
    browser = world.signed_in("pat")
    response = browser.submit("/participants/new", data, page="/admin/participants/new")
    assert response.status_code == 400
    assert says in browser.text
    assert browser.page is not None
    assert browser.page.find("input", name="name").get("value") == data["name"]
    # The summary at the top links to the field the mistake is in.
    [link] = browser.page.find("div", class_="error-summary").find_all("a")
    assert link.get("href") == f"#{field}"
    assert browser.page.find("input", id=field)


def test_a_lead_can_enrol_for_someone_in_their_team(world: World) -> None:
    browser = world.signed_in("lee")
    browser.get("/admin/participants/new")
    assert browser.page is not None
    options = [
        o.text() for o in browser.page.find("select", name="practitioner").find_all("option")
    ]
    assert len(options) == 3
    assert all("Riverside" in o for o in options)
    browser.submit(
        "/participants/new",
        {"name": "Robin", "phone": "07400 654321", "practitioner": str(world.ids["pia"])},
    )
    with world.db.read() as session:
        robin = session.scalars(
            select(Participant).where(Participant.display_name == "Robin")
        ).one()
    assert robin.practitioner_id == world.ids["pia"]
    browser.submit(
        "/participants/new",
        {"name": "Kit", "phone": "07400 654322", "practitioner": str(world.ids["bo"])},
        page="/admin/participants/new",
    )
    assert "Choose a practitioner" in browser.text


def test_team_settings_reach_the_crisis_reply(world: World) -> None:
    browser = world.signed_in("lee")
    browser.get("/admin/teams")
    assert browser.response is not None
    assert browser.response.url.path == f"/admin/teams/{world.ids['team_a']}"
    browser.submit(
        f"/teams/{world.ids['team_a']}",
        {
            "crisis_line_name": "Riverside night line",
            "crisis_line_number": "0800 765 4321",
            "crisis_line_hours": "8pm to 8am",
        },
    )
    assert "Team settings saved" in browser.text
    assert "0800 765 4321" in world.say("alex", "CRISIS")
    assert world.audit("team.update")


def test_team_settings_refuse_what_a_phone_cannot_dial(world: World) -> None:
    browser = world.signed_in("lee")
    browser.get(f"/admin/teams/{world.ids['team_a']}")
    response = browser.submit(
        f"/teams/{world.ids['team_a']}",
        {
            "crisis_line_number": "call us!",
            "emergency_number": "",
        },
    )
    assert response.status_code == 400
    assert "Crisis line: use digits" in browser.text
    assert "Emergency number: give" in browser.text
    assert browser.page is not None
    assert browser.page.find("input", name="crisis_line_number").get("value") == "call us!"
    with world.db.read() as session:
        team = session.get(Team, world.ids["team_a"])
        assert team is not None
        assert team.crisis_line_number == "0800 123 4567"


def test_national_lines_can_be_added_and_removed(world: World) -> None:
    browser = world.signed_in("ada")
    browser.get(f"/admin/teams/{world.ids['team_b']}")
    data = {
        "line_name": ["Samaritans", "Shout", ""],
        "line_number": ["116 123", "85258", ""],
        "line_hours": ["24 hours", "", ""],
    }
    assert browser.page is not None
    from tests.admin_html import fields, form

    body = fields(form(browser.page, f"/teams/{world.ids['team_b']}"))
    body.pop("line_name", None)
    response = browser.client.post(
        f"/admin/teams/{world.ids['team_b']}", data={**body, **data}, follow_redirects=True
    )
    assert response.status_code == 200
    with world.db.read() as session:
        team = session.get(Team, world.ids["team_b"])
        assert team is not None
        assert team.national_lines == [
            {"name": "Samaritans", "number": "116 123", "hours": "24 hours"},
            {"name": "Shout", "number": "85258"},
        ]


def test_admins_create_teams_and_manage_practitioners(world: World) -> None:
    browser = world.signed_in("ada")
    browser.submit("/teams", {"name": "Valley team"}, page="/admin/teams")
    assert "Team created" in browser.text
    browser.submit("/teams", {"name": "valley TEAM"}, page="/admin/teams")
    assert "already a team" in browser.text
    browser.submit(
        f"/practitioners/{world.ids['pat']}",
        {"role": "team_lead"},
        page=f"/admin/practitioners/{world.ids['pat']}",
    )
    assert "Practitioner saved" in browser.text
    pat = world.signed_in("pat")
    browser.submit(f"/practitioners/{world.ids['pat']}", {"active": ""})
    assert pat.get("/admin/").url.path == "/admin/sign-in"  # turned off: signed out
    browser.submit(
        f"/practitioners/{world.ids['ada']}",
        {"role": "practitioner"},
        page=f"/admin/practitioners/{world.ids['ada']}",
    )
    assert "can't take away your own" in browser.text
    browser.submit("/reset-password", page=f"/admin/practitioners/{world.ids['pia']}")
    assert browser.page is not None
    temporary = browser.page.find("p", class_="temporary").text()
    assert temporary
    # Post/redirect/get: a reload shows the same password and resets nothing again.
    again = browser.get(f"/admin/practitioners/{world.ids['pia']}/password")
    assert again.url.path == f"/admin/practitioners/{world.ids['pia']}/password"
    assert temporary in again.text
    # Nobody else's page shows it.
    other = browser.get(f"/admin/practitioners/{world.ids['pat']}/password")
    assert other.url.path == f"/admin/practitioners/{world.ids['pat']}"
    assert temporary not in other.text
    with world.db.read() as session:
        pia = session.get(Practitioner, world.ids["pia"])
        assert pia is not None
        assert pia.password_changed_at is None
    world.add_practitioner(browser, name="X", email="pat@example.org", role="admin")
    assert "already an account" in browser.text


def test_audit_log_filters(world: World) -> None:
    world.signed_in("pat").get(f"/admin/participants/{world.ids['alex']}")
    world.clock.advance(days=2)
    browser = world.signed_in("ada")
    browser.get(f"/admin/audit?actor=practitioner:{world.ids['pat']}")
    assert browser.page is not None
    actions = {
        r.find("td", data_label="What").text() for r in browser.page.find("tbody").find_all("tr")
    }
    assert actions == {"signin.ok", "participant.view"}
    browser.get(
        f"/admin/audit?record_type=participant&record_id={world.ids['alex']}"
        "&action=participant.view"
    )
    assert "1 event." in browser.text
    day = (world.clock() - timedelta(days=1)).date().isoformat()
    browser.get(f"/admin/audit?since={day}&action=participant.view")
    assert "0 events" in browser.text
    browser.get("/admin/audit?since=not-a-date&record_id=x")
    assert browser.response is not None
    assert browser.response.status_code == 200
    assert "audit.view" in {e.action for e in world.audit()}


def test_audit_never_holds_message_text(world: World) -> None:
    world.plan_version("alex", sections={"coping": [item("Secret words")]})
    browser = world.signed_in("pat")
    browser.get(f"/admin/participants/{world.ids['alex']}/plans/crisis/review")
    browser.submit("/send-back", {"note": "Private note words"})
    for event in world.audit():
        blob = repr(event.detail) + event.action + (event.address or "")
        assert "Secret" not in blob
        assert "Private" not in blob


def test_simulator_round_trip(world: World) -> None:
    browser = world.signed_in("pat")
    browser.submit("/simulator", page="/admin/simulator")
    assert browser.response is not None
    assert browser.response.url.path.startswith("/admin/simulator/")
    browser.submit(browser.response.url.path, {"text": "hello"})
    assert browser.page is not None
    assert page_problems(browser.page) == []
    chat = browser.page.find("ol", class_="chat")
    messages = chat.find_all("li")
    assert messages[0].find("bdi", class_="body").text() == "hello"
    assert "automated" in " ".join(m.text() for m in messages[1:]).lower()
    assert messages[-1].get("id") == "latest"
    pid = int(browser.response.url.path.rsplit("/", 1)[1])
    with world.db.read() as session:
        demo = session.get(Participant, pid)
        assert demo is not None
        assert demo.is_demo
        assert demo.practitioner_id == world.ids["pat"]
        identity = session.scalars(
            select(ChannelIdentity).where(
                ChannelIdentity.participant_id == pid, ChannelIdentity.channel == "web"
            )
        ).one()
        assert identity.address == str(pid)


def test_the_simulator_never_types_into_a_real_persons_record(world: World) -> None:
    browser = world.signed_in("pat")
    assert browser.client.get(f"/admin/simulator/{world.ids['alex']}").status_code == 404
    browser.get("/admin/")
    assert browser.page is not None
    csrf = browser.page.find("input", name="csrf").get("value")
    response = browser.client.post(
        f"/admin/simulator/{world.ids['alex']}", data={"csrf": csrf, "text": "hello"}
    )
    assert response.status_code == 404
    with world.db.read() as session:
        assert (
            session.scalars(
                select(Message).where(Message.participant_id == world.ids["alex"])
            ).all()
            == []
        )


def test_team_settings_refuse_no_national_line_and_take_a_text_line(world: World) -> None:
    browser = world.signed_in("ada")
    browser.get(f"/admin/teams/{world.ids['team_b']}")
    assert browser.page is not None
    from tests.admin_html import fields, form

    body = fields(form(browser.page, f"/teams/{world.ids['team_b']}"))
    empty = {"line_name": ["", ""], "line_number": ["", ""], "line_hours": ["", ""]}
    response = browser.client.post(
        f"/admin/teams/{world.ids['team_b']}", data={**body, **empty}, follow_redirects=True
    )
    assert response.status_code == 400
    assert "Keep at least one national line" in response.text
    text_line = {
        "line_name": ["Shout", ""],
        "line_number": ["text SHOUT to 85258", ""],
        "line_hours": ["any time", ""],
    }
    response = browser.client.post(
        f"/admin/teams/{world.ids['team_b']}", data={**body, **text_line}, follow_redirects=True
    )
    assert response.status_code == 200
    with world.db.read() as session:
        team = session.get(Team, world.ids["team_b"])
        assert team is not None
        assert team.national_lines == [
            {"name": "Shout", "number": "text SHOUT to 85258", "hours": "any time"}
        ]


def test_a_strangers_risk_alert_is_triaged_by_the_numbers_team(world: World) -> None:
    from datetime import UTC, datetime

    from store.models import Alert

    now = datetime.now(UTC)
    with world.db.write() as session:
        for team_id, rule in ((world.ids["team_b"], "rule_team_b"), (None, "rule_nobody")):
            session.add(
                Alert(
                    participant_id=None,
                    team_id=team_id,
                    kind="risk_language",
                    category="suicidal_intent",
                    severity="high",
                    rule=rule,
                    created_at=now,
                )
            )
    lead_a = world.signed_in("lee")
    lead_a.get("/admin/alerts")
    assert "rule_team_b" not in lead_a.text
    assert "rule_nobody" not in lead_a.text
    lead_b = world.signed_in("bea")
    lead_b.get("/admin/alerts")
    assert "rule_team_b" in lead_b.text
    assert "rule_nobody" not in lead_b.text
    admin = world.signed_in("ada")
    admin.get("/admin/alerts")
    assert "rule_team_b" in admin.text
    assert "rule_nobody" in admin.text


def test_the_conversation_pages_and_finds_words_exactly(world: World) -> None:
    for text in ("100% better today", "snake_case is not a feeling", *[f"m{n}" for n in range(60)]):
        world.say("alex", text)
    browser = world.signed_in("pat")
    page = f"/admin/participants/{world.ids['alex']}/conversation"
    browser.get(page)
    assert browser.page is not None
    assert page_problems(browser.page) == []
    assert len(browser.page.find("ol", class_="chat").find_all("li")) == 50
    assert "Page 1 of" in browser.text
    # % and _ are the words typed, not patterns.
    for words, found in (("100%", 1), ("E_C", 1), ("%", 1), ("_", 1), ("m5", 11)):
        browser.get(f"{page}?q={quote(words)}")
        assert browser.page is not None
        rows = [li for li in browser.page.find_all("li") if "msg" in li.get("class")]
        inbound = [li for li in rows if "from-them" in li.get("class")]
        assert len(inbound) == found, (words, [li.text() for li in inbound])
    # Who looked is audited; what they searched for is not.
    viewed = world.audit("participant.conversation_view")
    assert viewed
    assert all("q" not in e.detail and "m5" not in str(e.detail) for e in viewed)


def test_enrolment_is_post_redirect_get(world: World) -> None:
    browser = world.signed_in("pat")
    browser.get("/admin/participants/new")
    response = browser.submit("/participants/new", {"name": "Jo", "telegram": "yes"})
    [redirect] = response.history
    assert redirect.status_code == 303
    assert response.url.path.endswith("/enrolled")
    assert browser.page is not None
    link = browser.page.find("a", class_="deep-link").get("href")
    again = browser.client.get(response.url)  # a reload: a GET, the same link, no new person
    assert parse(again.text).find("a", class_="deep-link").get("href") == link
    with world.db.read() as session:
        assert session.scalars(select(Participant).where(Participant.display_name == "Jo")).one()
    # The link is only for the page of the person it was made for.
    other = browser.client.get(f"/admin/participants/{world.ids['alex']}/enrolled")
    assert other.status_code == 303
    assert other.headers["location"].endswith(f"/participants/{world.ids['alex']}")
