"""WhatsApp through Twilio, in-process: the real app, a real database, and the real twilio
client talking to the fake Twilio (its WhatsApp sender, templates and 24-hour window).

Whole conversations come from tests/transcripts/*.yaml, sent over WhatsApp instead of
the console: the crisis plan, and CRISIS in the middle of a list."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from sqlalchemy import select

from bot.admin import notify
from bot.channels import whatsapp_templates as templates
from bot.channels.sms import INBOUND_PATH
from bot.channels.whatsapp_invite import whatsapp_link
from bot.schedule import adjust
from bot.schedule.outreach import Outreach
from bot.schedule.scheduler import Scheduler
from store.models import Alert, ChannelIdentity, Conversation, Message, Participant
from tests.whatsapp_support import (
    CHECK_IN_SID,
    NOTICE_SID,
    WA_PHONE,
    WhatsApp,
    enrol_on_whatsapp,
    whatsapp,
)

TRANSCRIPTS = Path(__file__).parent / "transcripts"


# Whole conversations


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("name", "path"),
    [("crisis_plan_end_to_end", "/webhooks/twilio/whatsapp"), ("crisis_mid_list", INBOUND_PATH)],
)
async def test_a_transcript_over_whatsapp(db_url: str, name: str, path: str) -> None:
    """Either webhook path takes WhatsApp; the crisis reply puts the numbers first."""
    script = yaml.safe_load((TRANSCRIPTS / f"{name}.yaml").read_text(encoding="utf-8"))
    async with whatsapp(db_url) as wa:
        pid = enrol_on_whatsapp(wa.env)
        for number, step in enumerate(script["steps"], start=1):
            where = f"{name} step {number}"
            if "wait" in step:
                wa.clock.advance(**step["wait"])
            elif "check" in step:
                _check(wa, pid, step["check"], where)
            else:
                wa.clock.advance(seconds=20)
                replies = await wa.send(str(step["send"]), path=path)
                _expect(where, replies, step)
                if str(step["send"]).casefold() in ("crisus", "crisis", "my plan"):
                    assert "999" in replies[0][:200], f"{where}: numbers first"
        with wa.env.db.read() as session:
            ins = session.scalars(
                select(Message.channel).where(
                    Message.participant_id == pid, Message.direction == "in"
                )
            ).all()
        assert set(ins) == {"whatsapp"}


def _expect(where: str, replies: list[str], step: dict[str, Any]) -> None:
    said = "\n---\n".join(replies).casefold()
    assert replies, f"{where}: no reply"
    for expected in _list(step.get("expect")):
        assert str(expected).casefold() in said, f"{where}: {expected!r} not in {said}"
    for rejected in _list(step.get("reject")):
        assert str(rejected).casefold() not in said, f"{where}: {rejected!r} in {said}"
    if "replies" in step:
        assert len(replies) == step["replies"], f"{where}: {replies}"


def _check(wa: WhatsApp, pid: int, check: dict[str, Any], where: str) -> None:
    with wa.env.db.read() as session:
        if "conversation" in check:
            conv = session.scalars(
                select(Conversation).where(
                    Conversation.participant_id == pid, Conversation.status == "active"
                )
            ).one_or_none()
            got = f"{conv.dialog}.{conv.state}" if conv else None
            assert got == check["conversation"], f"{where}: in {got}"
        if "alerts" in check:
            kinds = sorted(session.scalars(select(Alert.kind).where(Alert.participant_id == pid)))
            assert kinds == sorted(check["alerts"]), f"{where}: alerts {kinds}"


def _list(value: Any) -> list[Any]:
    return [] if value is None else value if isinstance(value, list) else [value]


# The 24-hour window


@pytest.mark.asyncio
async def test_a_check_in_after_three_days_of_silence_goes_as_a_template(db_url: str) -> None:
    async with whatsapp(db_url) as wa:
        pid = enrol_on_whatsapp(wa.env)
        assert "1. My crisis plan" in "\n".join(await wa.send("hi"))
        wa.clock.advance(days=3)
        with wa.env.db.write() as session:
            adjust.apply(session, pid, adjust.Change(every_days=1), wa.clock.now, actor="test")
        _run_scheduler(wa, hours=3)

        assert await wa.deliver() == 2  # the question, held; its template, sent
        [sent] = wa.fake.sent
        assert (sent.content_sid, sent.to) == (CHECK_IN_SID, f"whatsapp:{WA_PHONE}")
        assert sent.content_variables == '{"1": "Touchpoint"}'
        [held] = _outbound(wa, pid, status="held")
        assert "How have things been" in held.body
        assert held.error_code == "window_closed"
        await wa.report(sent)  # read

        # A day on, the reminder: its own template (here the notice's), no new question.
        wa.clock.advance(hours=21)
        _run_scheduler(wa, hours=4)
        assert await wa.deliver() == 2
        assert [s.content_sid for s in wa.fake.sent] == [CHECK_IN_SID, NOTICE_SID]

        # They tap the template's button: the check-in begins where it would have.
        wa.clock.advance(hours=5)
        [first] = await wa.send("", button="Ready")
        assert "How have things been since we last spoke?" in first
        assert "reminder" not in first
        assert "gone well" in "\n".join(await wa.send("7"))
        with wa.env.db.read() as session:
            conv = session.scalars(
                select(Conversation).where(
                    Conversation.participant_id == pid, Conversation.status == "active"
                )
            ).one()
            assert conv.dialog == "check_in"
            person = session.get(Participant, pid)
            assert person is not None
            assert person.last_inbound_at == wa.clock.now
        assert await wa.deliver() == 0  # nothing else waits
        assert _outbound(wa, pid, status="held") == []


@pytest.mark.asyncio
async def test_a_63016_holds_the_message_sends_the_template_and_tells_the_team(
    db_url: str,
) -> None:
    async with whatsapp(db_url) as wa:
        pid = enrol_on_whatsapp(wa.env)
        # Our window is open (they wrote an hour ago), Twilio's is not: it never saw it.
        await wa.send("hello", twilio_knows=False)
        wa.clock.advance(hours=1)
        _notice(wa, pid, "Your practitioner has looked at your crisis plan.")
        assert await wa.deliver() == 1
        [free] = wa.fake.sent
        assert free.content_sid is None
        assert "crisis plan" in free.body
        await wa.report(free)  # failed, 63016

        [held] = _outbound(wa, pid, status="held")
        assert held.error_code == "63016"
        assert await wa.deliver() == 1
        template = wa.fake.sent[-1]
        assert template.content_sid == NOTICE_SID
        assert "crisis" not in template.body
        with wa.env.db.read() as session:
            [alert] = session.scalars(select(Alert).where(Alert.participant_id == pid)).all()
            assert (alert.kind, alert.rule) == ("whatsapp_undelivered", "63016")

        replies = await wa.send("ok")
        assert replies == ["Your practitioner has looked at your crisis plan."]


@pytest.mark.asyncio
async def test_a_template_twilio_refuses_raises_an_alert(db_url: str) -> None:
    async with whatsapp(db_url, templates=()) as wa:  # nothing approved on the account
        pid = enrol_on_whatsapp(wa.env)
        _notice(wa, pid, "There is news about your plan.")
        assert await wa.deliver() == 2
        assert wa.fake.sent == []
        with wa.env.db.read() as session:
            [alert] = session.scalars(select(Alert).where(Alert.participant_id == pid)).all()
            assert (alert.kind, alert.category, alert.rule) == (
                "whatsapp_undelivered",
                "template_notice",
                "21655",
            )
        [_held] = _outbound(wa, pid, status="held")  # kept for when they write
        assert "news about your plan" in "\n".join(await wa.send("hi"))


@pytest.mark.asyncio
async def test_no_template_once_they_have_written(db_url: str) -> None:
    async with whatsapp(db_url) as wa:
        pid = enrol_on_whatsapp(wa.env)
        _notice(wa, pid, "Your plan was approved.")
        assert await wa.dispatcher.deliver_due(limit=1) == 1  # held; its template queued
        assert await wa.send("hello") == ["Your plan was approved."]
        assert await wa.deliver() == 1  # the template: not needed any more
        assert wa.fake.sent == []
        assert [m.body for m in _outbound(wa, pid, status="cancelled")] == [
            "Hello, it's Touchpoint. There is a new message for you. Reply to this message "
            "to see it."
        ]


# What WhatsApp sends besides text


@pytest.mark.asyncio
async def test_pictures_locations_and_reactions_get_the_sentence_and_the_question(
    db_url: str,
) -> None:
    async with whatsapp(db_url) as wa:
        enrol_on_whatsapp(wa.env)
        await wa.send("MENU")
        await wa.send("1")
        media = [("https://api.twilio.com/media/1", "image/jpeg")]
        for options in (
            {"message_type": "image", "media": media},
            {"message_type": "location"},
            {"message_type": "reaction"},
        ):
            replies = await wa.send("", **options)
            assert "only read typed text" in replies[0]
            assert "crisis might be coming" in replies[-1]
        assert "Added: Tired" in "\n".join(await wa.send("Tired"))
        # A caption is read, and screened, as any text is.
        captioned = await wa.send("I want to end my life", message_type="image", media=media)
        assert "999" in "\n".join(captioned)
        assert "only read typed text" not in "\n".join(captioned)


@pytest.mark.asyncio
async def test_after_stop_nothing_held_is_sent_and_crisis_still_answers(db_url: str) -> None:
    async with whatsapp(db_url) as wa:
        pid = enrol_on_whatsapp(wa.env)
        _notice(wa, pid, "Your plan was approved.")
        assert await wa.deliver() == 2  # held (they never wrote), its template sent
        stopped = "\n".join(await wa.send("STOP"))
        assert "won't get any more messages" in stopped
        later = "\n".join(await wa.send("ok"))
        assert "approved" not in later
        crisis = await wa.send("CRISIS")
        assert "999" in crisis[0][:200]
        assert "0800 123 4567" in crisis[0]
        assert await wa.deliver() == 0
        assert len(wa.fake.sent) == 1  # the template only


# Enrolment


@pytest.mark.asyncio
async def test_enrolment_by_a_wa_me_link_with_a_single_use_code(db_url: str) -> None:
    async with whatsapp(db_url) as wa:
        pid = enrol_on_whatsapp(wa.env, phone=None)
        with wa.env.db.write() as session:
            old = whatsapp_link(session, wa.env.settings, pid, wa.clock.now)
            link = whatsapp_link(session, wa.env.settings, pid, wa.clock.now)
        parts = urlsplit(link)
        assert (parts.netloc, parts.path) == ("wa.me", "/447700900002")
        [prefilled] = parse_qs(parts.query)["text"]
        [old_text] = parse_qs(urlsplit(old).query)["text"]

        stale = await wa.send(old_text)
        assert "expired or has already been used" in stale[0]
        linked = await wa.send(prefilled)
        assert "This WhatsApp number is now linked" in linked[0]
        again = await wa.send(prefilled, phone="+447400999888")
        assert "expired or has already been used" in again[0]
        with wa.env.db.read() as session:
            identity = session.scalars(
                select(ChannelIdentity).where(ChannelIdentity.channel == "whatsapp")
            ).one()
            assert (identity.participant_id, identity.address) == (pid, WA_PHONE)
            assert identity.verified_at is not None
            stored = session.scalars(select(Message.body).where(Message.direction == "in"))
            assert not any(prefilled.split()[-1] in body for body in stored)
        assert "1. My crisis plan" in "\n".join(await wa.send("hello"))


def _run_scheduler(wa: WhatsApp, *, hours: int) -> None:
    """The worker's scheduler, over the next `hours`, a quarter of an hour at a time."""
    assistant = wa.env.assistant
    outreach = Outreach(wa.env.db, assistant.engine, assistant.wording, wa.clock)
    for _ in range(hours * 4):
        Scheduler(wa.env.db, outreach, wa.clock, worker="test").run_until_idle()
        wa.clock.advance(minutes=15)


def _notice(wa: WhatsApp, pid: int, text: str) -> None:
    with wa.env.db.write() as session:
        person = session.get(Participant, pid)
        assert person is not None
        assert notify.queue(session, person, text, wa.clock.now - timedelta(seconds=1))


def _outbound(wa: WhatsApp, pid: int, *, status: str) -> list[Message]:
    with wa.env.db.read() as session:
        return list(
            session.scalars(
                select(Message)
                .where(
                    Message.participant_id == pid,
                    Message.direction == "out",
                    Message.status == status,
                )
                .order_by(Message.id)
            )
        )


# The docs


def test_the_docs_say_where_whatsapp_arrives_and_how_a_person_joins() -> None:
    root = Path(__file__).parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    for name in (
        "/webhooks/twilio/whatsapp",
        "touchpoint invite whatsapp --participant",
        "touchpoint whatsapp templates",
        "touchpoint participant add --whatsapp",
    ):
        assert name in readme, name
    deployment = (root / "docs" / "deployment.md").read_text(encoding="utf-8")
    for template in templates.TEMPLATES:
        assert template.setting in deployment
        assert template.wording in deployment  # the suggested wording, as the command prints
