"""The crisis path around CRISIS: the numbers first whatever the characters, every
number the plan holds, honest labels, never an empty list of lines, and an alert for a
stranger at risk. Through the real assistant on a real database (issue 10)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot import gsm, plans
from bot.crisis import MAX_SEGMENTS
from bot.types import Channel
from store.models import Alert, ChannelIdentity, Participant, PlanVersion, Team
from tests.conftest import Stack

PHONE = "+447400111222"
NOW = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


def _plan(
    stack: Stack, pid: int, status: str = "approved", **sections: list[dict[str, object]]
) -> None:
    with stack.db.write() as session:
        draft = plans.draft(session, pid, "crisis")
        for section, items in sections.items():
            plans.set_section(draft, section, items)
        if status != "draft":
            plans.submit(session, draft, NOW)
            draft.status = status
            draft.reviewed_at = NOW if status in ("approved", "changes_requested") else None


def _sms(stack: Stack, pid: int, text: str) -> list[str]:
    return list(stack.send(pid, text, channel=Channel.SMS, address=PHONE).replies)


@pytest.mark.parametrize("name", ["Łukasz", "Siân", "Zoë", "Ｌｅｘ", "Đặng Thị"])
def test_the_first_sms_part_holds_the_numbers_whatever_the_characters(
    stack: Stack, name: str
) -> None:
    pid = stack.add_participant(name, phone=PHONE)
    people = [
        plans.item("Siân’s mum – 07400 123456", name="Siân’s mum", phone="+447400123456"),
        plans.item("Zoë (my sister) 07400 123457", name="Zoë (my sister)", phone="+447400123457"),
    ]
    long_words = [plans.item("Listen to “Łódź” playlist… and breathe 🌊 " * 4)] * 4
    _plan(stack, pid, people_help=people, coping=long_words, reasons=long_words)
    replies = _sms(stack, pid, "CRISIS")
    first = replies[0]
    assert first.index("call 999") < 200
    assert "0800 123 4567" in first
    assert gsm.is_gsm7(first), first
    assert gsm.segments(first) <= MAX_SEGMENTS
    assert "07400 123456" in first


def test_other_channels_keep_the_letters_as_written(stack: Stack) -> None:
    pid = stack.add_participant("Siân")
    replies = stack.send(pid, "CRISIS").replies
    assert replies[0].startswith("Siân, you don't have a crisis plan yet")


def test_a_number_typed_into_the_phone_box_is_in_the_reply(stack: Stack) -> None:
    pid = stack.add_participant(phone=PHONE)
    # A practitioner's edit: the words without the number, the number in its own field.
    edited = plans.item("Mum", by="practitioner", name="Mum", phone="+447400123456")
    typed = plans.item("Jo 07400 123457", name="Jo", phone="+447400123457")
    _plan(stack, pid, people_help=[edited, typed])
    said = "\n".join(_sms(stack, pid, "CRISIS"))
    assert "- Mum: 07400 123456" in said
    assert "- Jo 07400 123457" in said  # the person's own words, not repeated
    assert "07400 123457" not in said.replace("Jo 07400 123457", "")


@pytest.mark.parametrize(
    ("status", "label"),
    [
        ("approved", "Alex, your crisis plan:"),
        ("changes_requested", "your team asked for changes on 24 November"),
        ("submitted", "sent to your team, not yet reviewed"),
        ("draft", "draft, not yet reviewed by your team"),
    ],
)
def test_the_label_says_what_is_true(stack: Stack, status: str, label: str) -> None:
    pid = stack.add_participant()
    _plan(stack, pid, status, coping=[plans.item("A walk")])
    said = stack.send(pid, "CRISIS").replies[0]
    assert label in said
    assert "A walk" in "\n".join(stack.send(pid, "CRISIS").replies) + stack.say(pid, "MORE")


def test_a_team_with_no_national_lines_falls_back_to_the_services(stack: Stack) -> None:
    pid = stack.add_participant()
    with stack.db.write() as session:
        participant = session.get(Participant, pid)
        assert participant is not None
        team = session.get(Team, participant.team_id)
        assert team is not None
        team.national_lines = []
        team.crisis_line_number = None
    said = stack.say(pid, "CRISIS")
    assert "call 999" in said
    assert "Samaritans: 116 123" in said
    safety = stack.say(pid, "I want to end my life")
    assert "Samaritans: 116 123" in safety
    assert "text SHOUT to 85258" in safety


def test_the_safety_message_on_sms(stack: Stack) -> None:
    pid = stack.add_participant("Łukasz", phone=PHONE)
    said = _sms(stack, pid, "i want to kill myself")
    message = said[0]
    for part in (
        "call 999",
        "Riverside crisis line: 0800 123 4567",
        "Samaritans: 116 123",
        "text SHOUT to 85258",
        "nobody is reading messages right now",
        "the next working day",
        "Lukasz",
    ):
        assert part in message, part
    assert gsm.is_gsm7(message)
    assert gsm.segments(message) <= MAX_SEGMENTS
    assert message.index("call 999") < message.index("nobody is reading")
    assert not any("1. My crisis plan" in reply for reply in said)


def test_a_contact_waiting_for_keep_it_is_kept_on_done(stack: Stack) -> None:
    pid = stack.add_participant()
    for text in ("MENU", "1", "yes", "skip", "skip", "skip"):
        stack.send(pid, text)
    assert "couldn't find a phone number" in stack.say(pid, "My sister Jo")
    said = stack.say(pid, "DONE")
    assert "Kept: My sister Jo" in said  # kept at DONE, read back, no YES step
    with stack.db.read() as session:
        version = session.scalars(select(PlanVersion).order_by(PlanVersion.id.desc())).first()
        assert version is not None
        assert [i["text"] for i in version.sections["people_help"]] == ["My sister Jo"]


def test_a_stranger_at_risk_raises_a_triage_alert(stack: Stack) -> None:
    said = "\n".join(
        stack.send(0, "I want to die", channel=Channel.SMS, address="+447400999888").replies
    )
    assert "call 999" in said
    assert "Samaritans" in said
    # A number given at enrolment but not yet verified: that team's leads see it.
    pid = stack.add_participant("Kit")
    with stack.db.write() as session:
        session.add(ChannelIdentity(participant_id=pid, channel="sms", address="+447400999777"))
    stack.send(0, "going to kill myself tonight", channel=Channel.SMS, address="+447400999777")
    with stack.db.read() as session:
        participant = session.get(Participant, pid)
        assert participant is not None
        alerts = list(session.scalars(select(Alert).order_by(Alert.id)))
        assert [(a.participant_id, a.team_id, a.kind) for a in alerts] == [
            (None, None, "risk_language"),
            (None, participant.team_id, "risk_language"),
        ]
        assert all(a.rule and a.severity for a in alerts)
    # Nothing personal reaches the unverified number.
    assert "Kit" not in "\n".join(
        stack.send(0, "CRISIS", channel=Channel.SMS, address="+447400999777").replies
    )


@pytest.mark.parametrize(
    "text",
    [
        "CRISIS please",
        "my crisis plan pls",
        "I need help",
        "help me now",
        "can someone call me",
        "Can somebody call me?",
        "is anyone there",
        "SOS!!",
        "pls help",
        "i need to talk to someone",
        "crisus plan",
        "I don't feel safe",
    ],
)
def test_help_seeking_gets_the_crisis_reply_in_a_question(stack: Stack, text: str) -> None:
    pid = stack.add_participant()
    for step in ("MENU", "1", "yes"):
        stack.send(pid, step)
    said = stack.say(pid, text)
    assert "call 999" in said
    assert "0800 123 4567" in said
    assert "Added:" not in said


@pytest.mark.parametrize(
    ("text", "category", "words"),
    [
        ("my friend wants to die and has pills saved", "someone_else", "someone you care about"),
        ("he said he'd kill me if I left", "harm_from_others", "press 55"),
    ],
)
def test_someone_else_at_risk_and_harm_from_others_get_their_own_words(
    stack: Stack, text: str, category: str, words: str
) -> None:
    pid = stack.add_participant(phone=PHONE)
    replies = _sms(stack, pid, text)
    assert words in replies[0]
    assert "call 999" in replies[0].casefold()
    assert "nobody is reading messages right now" in replies[1]
    with stack.db.read() as session:
        alert = session.scalars(select(Alert).where(Alert.participant_id == pid)).one()
        assert (alert.category, alert.severity) == (category, "high")


def test_a_person_whose_alerts_notified_staff_can_still_be_erased(stack: Stack) -> None:
    from bot.records.erase import erase
    from store.models import Message, Notification

    pid = stack.add_participant(phone=PHONE)
    with stack.db.write() as session:
        participant = session.get(Participant, pid)
        assert participant is not None
        team = session.get(Team, participant.team_id)
        assert team is not None
        team.duty_emails = ["duty@example.org"]
        team.duty_phones = ["+447700900555"]
    _sms(stack, pid, "I want to kill myself")
    with stack.db.read() as session:
        assert session.scalars(select(Notification)).first() is not None
    erase(stack.db, pid, reason="enrolled in error", actor="admin:1", now=NOW)
    with stack.db.read() as session:
        assert session.scalars(select(Notification)).first() is None
        assert session.scalars(select(Alert)).first() is None
        assert not [m for m in session.scalars(select(Message)) if m.participant_id == pid]
