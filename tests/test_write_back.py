"""store.models.write_back: one Core UPDATE that does what the unit of work's flush does."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from bot import plans
from store.models import (
    Conversation,
    ImmutableVersionError,
    Participant,
    PlanVersion,
    Team,
    write_back,
)
from tests.conftest import Stack

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
_CONVERSATION = Conversation.metadata.tables["conversation"]


def _conversation(stack: Stack) -> tuple[int, int]:
    """A participant with an active conversation (the menu): their id and its id."""
    pid = stack.add_participant()
    stack.say(pid, "hello")
    with stack.db.read() as session:
        conv = session.scalars(select(Conversation).where(Conversation.participant_id == pid)).one()
        return pid, conv.id


def _row(stack: Stack, conv_id: int) -> dict[str, Any]:
    with stack.db.read() as session:
        row = session.execute(select(_CONVERSATION).where(_CONVERSATION.c.id == conv_id)).one()
        return dict(row._mapping)


def _changed(session: Session, conv_id: int, **values: Any) -> Conversation:
    conv = session.get(Conversation, conv_id)
    assert conv is not None
    for key, value in values.items():
        setattr(conv, key, value)
    return conv


def test_the_same_row_as_the_flush_writes(stack: Stack) -> None:
    _, conv_id = _conversation(stack)
    before = _row(stack, conv_id)
    data = {**before["data"], "bad": 1}
    with stack.db.write() as session:
        conv = _changed(session, conv_id, data=data, state="elsewhere")
        assert write_back(session, conv)
        assert conv not in session
        assert conv.version == before["version"] + 1  # left as the database holds it
    by_write_back = _row(stack, conv_id)
    with stack.db.write() as session:
        _changed(session, conv_id, data={**data, "bad": 2}, state="again")
    by_flush = _row(stack, conv_id)

    assert by_write_back["version"] == before["version"] + 1
    assert by_flush["version"] == before["version"] + 2
    assert before["updated_at"] < by_write_back["updated_at"] < by_flush["updated_at"]
    assert by_write_back["data"] == data
    assert by_write_back["state"] == "elsewhere"
    for row in (by_write_back, by_flush):
        for key in ("id", "participant_id", "dialog", "status", "created_at"):
            assert row[key] == before[key]


def test_an_equal_value_writes_nothing(stack: Stack) -> None:
    _, conv_id = _conversation(stack)
    before = _row(stack, conv_id)
    with stack.db.write() as session:
        conv = _changed(session, conv_id, data=dict(before["data"]), status=before["status"])
        assert write_back(session, conv)
    assert _row(stack, conv_id) == before  # no version bump, as with the flush


def test_a_row_changed_under_us_is_stale(stack: Stack) -> None:
    _, conv_id = _conversation(stack)
    before = _row(stack, conv_id)

    def step() -> None:
        with stack.db.write() as session:
            conv = _changed(session, conv_id, state="elsewhere")
            session.connection().execute(
                update(_CONVERSATION)
                .where(_CONVERSATION.c.id == conv_id)
                .values(version=_CONVERSATION.c.version + 1)
            )
            write_back(session, conv)

    with pytest.raises(StaleDataError):
        step()
    assert _row(stack, conv_id) == before  # rolled back


def test_only_the_changed_participant_columns(stack: Stack) -> None:
    pid = stack.add_participant()
    participants = Participant.metadata.tables["participant"]
    with stack.db.write() as session:
        participant = session.get(Participant, pid)
        assert participant is not None
        # As the step does: last_inbound_at with Core, so the object's value is old.
        session.connection().execute(
            update(participants).where(participants.c.id == pid).values(last_inbound_at=NOW)
        )
        participant.display_name = "Sam"
        participant.paused_at = None  # the value it has: not written
        assert write_back(session, participant)
    with stack.db.read() as session:
        row = session.execute(select(participants).where(participants.c.id == pid)).one()
    assert row.display_name == "Sam"
    assert row.last_inbound_at == NOW


def test_a_submitted_plan_version_still_cannot_change(stack: Stack) -> None:
    pid = stack.add_participant()
    version_id = stack.submitted_crisis_plan(pid, "Walk", NOW)
    with stack.db.write() as session:
        version = session.get(PlanVersion, version_id)
        assert version is not None
        plans.set_section(version, "coping", [plans.item("Changed")])
        with pytest.raises(ImmutableVersionError):
            write_back(session, version)
        session.rollback()
    with stack.db.read() as session:
        version = session.get(PlanVersion, version_id)
        assert version is not None
        assert version.sections["coping"][0]["text"] == "Walk"


def test_a_draft_is_written_back(stack: Stack) -> None:
    pid = stack.add_participant()
    with stack.db.write() as session:
        version_id = plans.draft(session, pid, "crisis").id
    with stack.db.write() as session:
        version = session.get(PlanVersion, version_id)
        assert version is not None
        plans.set_section(version, "coping", [plans.item("Tea")])
        assert write_back(session, version)
    with stack.db.read() as session:
        version = session.get(PlanVersion, version_id)
        assert version is not None
        assert version.sections["coping"] == [plans.item("Tea")]


def test_what_it_does_not_write_is_left_to_the_flush(stack: Stack) -> None:
    pid, conv_id = _conversation(stack)
    with stack.db.write() as session:
        new = Conversation(
            participant_id=pid, dialog="menu", state="start", status="completed", data={}
        )
        session.add(new)
        assert not write_back(session, new)  # not in the database yet
        participant = session.get(Participant, pid)
        assert participant is not None
        other = Team(name="Elsewhere")
        participant.team = other  # a relationship: foreign keys to sync
        assert not write_back(session, participant)
        conv = _changed(session, conv_id, version=99)
        assert not write_back(session, conv)  # the version is the flush's to set
        session.expire(conv)
    with stack.db.read() as session:
        participant = session.get(Participant, pid)
        assert participant is not None
        assert participant.team.name == "Elsewhere"
        assert session.get(Conversation, new.id) is not None


def test_a_step_writes_its_conversation_once(stack: Stack) -> None:
    pid, conv_id = _conversation(stack)
    before = _row(stack, conv_id)
    assert "reply with one of the numbers" in stack.say(pid, "nonsense")  # a bad answer
    after = _row(stack, conv_id)
    assert after["version"] == before["version"] + 1
    assert after["data"]["bad"] == before["data"].get("bad", 0) + 1
