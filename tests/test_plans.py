"""Plans: submitted versions never change; the crisis reply is short and ends with 999."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot import crisis, gsm, plans
from bot.settings import PROJECT_ROOT
from bot.wording import Wording
from store.models import ImmutableVersionError, Participant, PlanVersion
from tests.conftest import Stack

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def _change(stack: Stack, version_id: int) -> None:
    with stack.db.write() as session:
        version = session.get(PlanVersion, version_id)
        assert version is not None
        plans.set_section(version, "coping", [plans.item("Changed")])


def test_a_submitted_version_cannot_change(stack: Stack) -> None:
    pid = stack.add_participant()
    version_id = stack.submitted_crisis_plan(pid, "Walk", NOW)
    with pytest.raises(ImmutableVersionError):
        _change(stack, version_id)
    with stack.db.write() as session:
        edited = plans.draft(session, pid, "crisis")
        assert edited.id != version_id
        assert edited.number == 2
        assert edited.sections["coping"][0]["text"] == "Walk"


def test_the_approved_plan_wins_over_a_newer_draft(stack: Stack) -> None:
    pid = stack.add_participant()
    with stack.db.write() as session:
        first = plans.draft(session, pid, "crisis")
        plans.set_section(first, "coping", [plans.item("Approved words")])
        plans.submit(session, first, NOW)
        first.status = "approved"
        second = plans.draft(session, pid, "crisis")
        plans.set_section(second, "coping", [plans.item("Draft words")])
    with stack.db.read() as session:
        version, approved = plans.for_crisis(session, pid)
        assert approved
        assert version is not None
        assert version.sections["coping"][0]["text"] == "Approved words"


def test_a_long_crisis_plan_comes_in_short_parts(stack: Stack) -> None:
    pid = stack.add_participant()
    long_item = "I notice I stop eating and I can't face anyone at all " * 3
    with stack.db.write() as session:
        draft = plans.draft(session, pid, "crisis")
        for section in plans.CRISIS_SECTIONS:
            plans.set_section(draft, section, [plans.item(long_item), plans.item("Tea")])
        plans.set_section(draft, "people_help", [plans.item("Sam 07400 123456")])
    wording = Wording(PROJECT_ROOT / "templates")
    with stack.db.read() as session:
        participant = session.get(Participant, pid)
        assert participant is not None
        parts = crisis.crisis_parts(session, wording, participant, participant.team)
    assert len(parts) > 2
    assert parts[0].startswith("Alex, your crisis plan (draft, not yet reviewed")
    assert "Sam 07400 123456" in parts[0]
    assert "Riverside crisis line: 0800 123 4567" in parts[0]
    for part in parts:
        assert gsm.segments(part) <= crisis.MAX_SEGMENTS, part
        assert part.endswith("If you are in danger now, call 999.")
    for part in parts[:-1]:
        assert "Reply MORE for the rest." in part
    joined = "\n".join(parts)
    assert joined.count("Tea") == len(plans.CRISIS_SECTIONS) - 1  # people_help replaced


def test_more_walks_through_the_parts(stack: Stack) -> None:
    pid = stack.add_participant()
    with stack.db.write() as session:
        draft = plans.draft(session, pid, "crisis")
        for section in plans.CRISIS_SECTIONS:
            plans.set_section(draft, section, [plans.item(f"{section} " + "words " * 30)])
    first = stack.say(pid, "CRISIS")
    seen = [first]
    for _ in range(10):
        reply = stack.say(pid, "MORE")
        if "nothing more to show" in reply:
            break
        seen.append(reply)
    assert len(seen) > 1
    assert all("call 999" in part for part in seen)
    assert "unwell_practical" in "\n".join(seen)


def test_a_pasted_wall_of_text_is_split_not_cut(stack: Stack) -> None:
    pid = stack.add_participant()
    wall = "x" * 3000
    with stack.db.write() as session:
        draft = plans.draft(session, pid, "crisis")
        plans.set_section(draft, "coping", [plans.item(wall)])
    parts = [stack.say(pid, "CRISIS")]
    for _ in range(20):
        reply = stack.say(pid, "MORE")
        if "nothing more to show" in reply:
            break
        parts.append(reply)
    assert "".join(parts).count("x") >= 3000
