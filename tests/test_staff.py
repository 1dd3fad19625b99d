"""Safety alerts reach a person: duty contacts by email (a real SMTP server) and SMS (the
fake Twilio), escalation to the lead and the administrators on a clock the test moves,
out of hours to the out-of-hours contact, acknowledgement from anywhere stopping it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.cli import _parser
from bot.delivery import Dispatcher, build_senders
from bot.fakes.twilio import FakeTwilio
from bot.outbox import Policy, Unsure
from bot.staff import command, mailbox
from bot.staff.hours import next_read
from bot.staff.loop import Desk
from bot.staff.mail import build_mailer
from bot.staff.notify import raise_alert
from store.models import Alert, Notification, Team
from tests.admin_support import PASSWORD, World, admin_world
from tests.smtp_support import Received, SmtpServer

ACCOUNT_SID = "AC" + "5" * 32
AUTH_TOKEN = "e" * 32
FROM = "+447700900001"
PUBLIC = "http://127.0.0.1:8000"  # the default TOUCHPOINT_PUBLIC_URL
# Tuesday 3 March 2026 (GMT: London time is UTC).
TUESDAY_2PM = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)
TUESDAY_8PM = datetime(2026, 3, 3, 20, 0, tzinfo=UTC)
RISK = "I have a plan to end my life"
DUTY = ["--duty-email", "duty@example.org", "--duty-phone", "07400 111222"]
OUT_OF_HOURS = ["--out-of-hours-email", "ooh@example.org", "--out-of-hours-phone", "07400 333444"]


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake:
        yield fake


class Duty:
    """The admin world, the worker's staff desk and outbox, and what reached staff."""

    def __init__(self, world: World, smtp: SmtpServer, twilio: FakeTwilio) -> None:
        self.world, self.smtp, self.twilio = world, smtp, twilio
        settings = world.settings
        self.desk = Desk(
            world.db, build_mailer(settings), clock=world.clock, public_url=settings.public_url
        )
        self.senders = build_senders(settings, channels=("sms",))
        smtp.mailbox.clear()
        twilio.clear()

    def team(self, *options: str) -> None:
        """`touchpoint team set --team <team A> ...`, in this process."""
        args = _parser().parse_args(["team", "set", "--team", self.team_name, *options])
        assert command.run(self.world.settings, args) == 0

    @property
    def team_name(self) -> str:
        with self.world.db.read() as session:
            team = session.get(Team, self.world.ids["team_a"])
            assert team is not None
            return team.name

    def poll(self) -> None:
        """One poll of `touchpoint worker`: staff notifications, then the outbox."""

        async def once() -> None:
            dispatcher = Dispatcher(self.world.db, self.senders, clock=self.world.clock)
            await self.desk.tick()
            await dispatcher.deliver_due()

        asyncio.run(once())

    def mail(self) -> list[Received]:
        got = self.smtp.mailbox.received
        self.smtp.mailbox.clear()
        return got

    def texts(self) -> list[tuple[str, str]]:
        got = [(sms.to, sms.body) for sms in self.twilio.sent]
        self.twilio.clear()
        return got

    def alert(self) -> Alert:
        with self.world.db.read() as session:
            return session.scalars(select(Alert).order_by(Alert.id.desc())).first()  # type: ignore[return-value]


@pytest.fixture
def duty(db_url: str, smtp: SmtpServer, twilio: FakeTwilio) -> Iterator[Duty]:
    overrides = {
        "smtp_url": smtp.url,
        "mail_from": "touchpoint@trust.example.org",
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_from_number": FROM,
        "twilio_api_base_url": twilio.url,
    }
    with admin_world(db_url, **overrides) as world:
        yield Duty(world, smtp, twilio)


def test_a_risk_message_at_2pm_on_a_tuesday_reaches_duty_then_lead_then_admins(
    duty: Duty,
) -> None:
    duty.team(*DUTY, "--hours", "Mon-Fri 09:00-17:00", "--escalate-after", "30", *OUT_OF_HOURS)
    duty.world.clock.now = TUESDAY_2PM
    duty.world.say("alex", RISK)
    alert = duty.alert()

    duty.poll()  # one worker poll: an email and an SMS to the duty contacts
    [mail] = duty.mail()
    assert mail.to == ("duty@example.org",)
    assert mail.subject.startswith("Safety alert: risk language")
    link = f"{PUBLIC}/admin/alerts/{alert.id}"
    assert link in mail.body
    assert f"participant {duty.world.ids['alex']} (A.)" in mail.body
    assert "Tue 3 Mar 2026, 14:00" in mail.body
    assert "end my life" not in mail.body  # never the person's words
    [(to, sms)] = duty.texts()
    assert to == "+447400111222"
    assert link in sms
    assert "end my life" not in sms

    duty.world.clock.advance(minutes=29)
    duty.poll()
    assert duty.mail() == []
    assert duty.texts() == []

    duty.world.clock.advance(minutes=2)  # 31 minutes, nobody acknowledged: the lead
    duty.poll()
    [lead] = duty.mail()
    assert lead.to == ("lee@example.org",)
    assert lead.subject.startswith("Safety alert not yet acknowledged")
    assert "as the team lead" in lead.body
    assert duty.texts() == []  # in hours: not the out-of-hours contact

    duty.world.clock.advance(minutes=31)  # then the administrators
    duty.poll()
    assert [m.to for m in duty.mail()] == [("ada@example.org",)]
    duty.world.clock.advance(hours=5)
    duty.poll()
    assert duty.mail() == []  # and no further


def test_out_of_hours_the_out_of_hours_contact_is_told_at_once_and_at_each_step(
    duty: Duty,
) -> None:
    duty.team(*DUTY, "--hours", "Mon-Fri 09:00-17:00", "--escalate-after", "20", *OUT_OF_HOURS)
    duty.world.clock.now = TUESDAY_8PM
    duty.world.say("alex", RISK)
    duty.poll()
    assert sorted(m.to[0] for m in duty.mail()) == ["duty@example.org", "ooh@example.org"]
    assert sorted(to for to, _ in duty.texts()) == ["+447400111222", "+447400333444"]
    duty.world.clock.advance(minutes=21)
    duty.poll()
    assert sorted(m.to[0] for m in duty.mail()) == ["lee@example.org", "ooh@example.org"]
    [(to, sms)] = duty.texts()
    assert to == "+447400333444"
    assert "NOT YET ACKNOWLEDGED" in sms


def test_the_safety_message_says_when_the_team_will_read_it(duty: Duty) -> None:
    duty.team("--hours", "Mon-Fri 09:00-17:00")
    with duty.world.db.read() as session:
        team = session.get(Team, duty.world.ids["team_a"])
        assert team is not None
        assert next_read(team, TUESDAY_8PM) == "tomorrow from 9am"
        assert next_read(team, TUESDAY_2PM) == "today"


def test_acknowledging_from_the_notification_link_stops_escalation(duty: Duty) -> None:
    duty.team(*DUTY, "--escalate-after", "15")
    duty.world.clock.now = TUESDAY_2PM
    duty.world.say("alex", RISK)
    duty.poll()
    alert = duty.alert()
    browser = duty.world.browser()
    path = f"/admin/alerts/{alert.id}"  # the link in the email, without its host
    response = browser.get(path)
    assert response.url.path == "/admin/sign-in"  # nothing shown before signing in
    assert "Alex" not in browser.text
    browser.submit("/sign-in", {"email": "lee@example.org", "password": PASSWORD})
    assert browser.response is not None
    assert browser.response.url.path == path
    assert "duty@example.org" in browser.text  # who was told
    browser.submit(f"/alerts/{alert.id}/acknowledge", {"note": "Called Alex; safe at home"})
    assert "Alert acknowledged" in browser.text
    assert "Called Alex; safe at home" in browser.text
    [event] = duty.world.audit("alert.acknowledge")
    assert event.record_id == alert.id
    assert event.detail["with_note"] is True
    assert "Called Alex" not in str(event.detail)  # the note stays on the alert
    duty.mail()
    duty.texts()  # the duty contacts' notice, before it was acknowledged
    duty.world.clock.advance(hours=2)
    duty.poll()
    assert duty.mail() == []
    assert duty.texts() == []


def test_crisis_requests_and_opt_outs_notify_only_when_the_team_chose_so(duty: Duty) -> None:
    duty.team(*DUTY)
    duty.world.say("alex", "CRISIS")
    duty.poll()
    assert duty.mail() == []
    duty.team("--notify-also", "crisis,opt_out")
    duty.world.say("alex", "CRISIS")
    duty.poll()
    [mail] = duty.mail()
    assert "asked for their crisis plan" in mail.subject
    duty.world.say("sam", "STOP")
    duty.poll()
    [mail] = duty.mail()
    assert "opted out (STOP)" in mail.subject


def test_an_opt_out_soon_after_risk_language_is_always_told(duty: Duty) -> None:
    duty.team(*DUTY)
    duty.world.say("alex", RISK)
    duty.world.clock.advance(hours=2)
    duty.world.say("alex", "STOP")
    duty.poll()
    subjects = sorted(m.subject for m in duty.mail())
    assert any("opted out (STOP) soon after risk language" in s for s in subjects)


def test_with_no_duty_contacts_the_lead_hears_at_once(duty: Duty) -> None:
    duty.world.say("alex", RISK)
    duty.poll()
    assert [m.to for m in duty.mail()] == [("lee@example.org",)]


def test_a_lost_email_is_sent_again_with_the_same_message_id(duty: Duty) -> None:
    """The guarantee for email is at least once: a worker that dies after the server took
    the message and before writing that down sends it again, as the same message."""
    duty.team("--duty-email", "duty@example.org")
    duty.world.say("alex", RISK)
    world, policy = duty.world, Policy()
    claim = mailbox.claim_email(world.db, world.clock(), policy, "tp@example.org", PUBLIC)
    assert claim is not None
    assert mailbox.claim_email(world.db, world.clock(), policy, "tp@example.org", PUBLIC) is None
    world.clock.advance(seconds=policy.lease.total_seconds() + 1)  # that worker died
    again = mailbox.claim_email(world.db, world.clock(), policy, "tp@example.org", PUBLIC)
    assert again is not None
    assert again.id == claim.id
    assert again.attempt == 2
    assert again.message_id == claim.message_id
    # The first claim can no longer settle it; a lost connection is tried again later.
    assert mailbox.settle(world.db, claim, Unsure("smtp_lost"), world.clock(), policy) == "sending"
    assert mailbox.settle(world.db, again, Unsure("smtp_lost"), world.clock(), policy) == "queued"


def test_an_smtp_server_that_is_down_is_tried_again(duty: Duty) -> None:
    duty.team("--duty-email", "duty@example.org")
    duty.world.say("alex", RISK)
    real = duty.desk.mailer
    assert real is not None
    duty.desk.mailer = replace(real, port=1)  # nothing listens there
    duty.poll()
    with duty.world.db.read() as session:
        row = session.scalars(select(Notification)).one()
        assert (row.status, row.error_code) == ("queued", "smtp_connect")
    duty.desk.mailer = real
    duty.world.clock.advance(minutes=1)
    duty.poll()
    assert [m.to for m in duty.mail()] == [("duty@example.org",)]


def test_raise_alert_without_a_team_goes_to_the_administrators(duty: Duty) -> None:
    world = duty.world
    with world.db.write() as session:
        raise_alert(session, Alert(kind="risk_language", created_at=world.clock()))
    duty.poll()
    [mail] = duty.mail()
    assert mail.to == ("ada@example.org",)
    assert "Who: someone not enrolled" in mail.body


def test_team_show_prints_the_settings_and_team_set_refuses_mistakes(
    duty: Duty, capsys: pytest.CaptureFixture[str]
) -> None:
    def run(*argv: str) -> int:
        return command.run(duty.world.settings, _parser().parse_args(["team", *argv]))

    duty.team(*DUTY, "--hours", "Mon-Fri 09:00-17:00", "--notify-also", "low_rating")
    capsys.readouterr()
    assert run("show", "--team", duty.team_name) == 0
    shown = capsys.readouterr().out
    assert "Duty emails:        duty@example.org" in shown
    assert "Duty phones:        +447400111222" in shown
    assert "Hours:              Mon-Fri 09:00-17:00" in shown
    assert "Notified:           risk language, low_rating" in shown
    assert run("set", "--team", "Riverside CMTH", "--escalate-after", "10") == 1
    assert "There is no team called 'Riverside CMTH'" in capsys.readouterr().err
    assert run("set", "--team", duty.team_name, "--escalate-after", "2", "--timezone", "Mars") == 1
    problems = capsys.readouterr().err
    assert "Escalate after 5 to 1440 minutes." in problems
    assert "'Mars' is not a time zone" in problems
    assert run("set", "--team", duty.team_name, "--duty-email", "none", "--hours", "none") == 0
    with duty.world.db.read() as session:
        team = session.get(Team, duty.world.ids["team_a"])
        assert team is not None
        assert (team.duty_emails, team.working_hours) == ([], None)
        assert team.duty_phones == ["+447400111222"]  # not given: unchanged
