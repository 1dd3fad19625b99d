"""Any text, at any state of any dialog: always a reply, never an error, never anyone
else's data."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, update

from bot import plans
from bot.settings import PROJECT_ROOT
from bot.wording import Wording
from store.models import Conversation, Participant
from tests.conftest import Stack

ERROR_REPLY = "something went wrong on our side"
OTHER_NAME = "Zebediah"
OTHER_SECRET = "Xylophone lighthouse"

AWKWARD = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "a\x00b",
        "x" * 5000,
        "\u200f\u202eDONE",
        "\U0001f600" * 40,
        "REMOVE 0",
        "remove 99999999999999999999",
        "DONE",
        "BACK",
        "SKIP",
        "MORE",
        "yes",
        "no",
        "7/10",
        "25:99",
        "+44",
        "{{ team.name }}",
        "<script>alert(1)</script>",
        '=HYPERLINK("http://x")',
        "\ud7ff",
    ]
)
TEXT = st.one_of(AWKWARD, st.text(max_size=300), st.text(min_size=1000, max_size=2000))


def _states(stack: Stack) -> list[tuple[str, str]]:
    return [
        (name, state)
        for name, dialog in stack.assistant.dialogs.dialogs.items()
        for state, spec in dialog.spec.states.items()
        if not spec.end
    ]


@pytest.fixture
def world(stack: Stack) -> tuple[Stack, int]:
    pid = stack.add_participant("Alex")
    other = stack.add_participant(OTHER_NAME)
    with stack.db.write() as session:
        draft = plans.draft(session, other, "crisis")
        plans.set_section(draft, "people_help", [plans.item(OTHER_SECRET)])
        plans.set_section(draft, "warning_signs", [plans.item(OTHER_SECRET)])
    return stack, pid


def _put(stack: Stack, pid: int, dialog: str, state: str, phase: str | None) -> None:
    data: dict[str, object] = {"answers": {}, "history": []}
    if phase is not None:
        data |= {"phase": phase, "items": [plans.item("first")], "pending": "Jo"}
    with stack.db.write() as session:
        session.execute(delete(Conversation).where(Conversation.participant_id == pid))
        session.execute(
            update(Participant)
            .where(Participant.id == pid)
            .values(status="active", paused_at=None, more=[])
        )
        session.add(
            Conversation(participant_id=pid, dialog=dialog, state=state, status="active", data=data)
        )


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_text_at_any_state(world: tuple[Stack, int], data: st.DataObject) -> None:
    stack, pid = world
    dialog, state = data.draw(st.sampled_from(_states(stack)), label="state")
    phase = data.draw(st.sampled_from([None, "confirming", "contact_confirm"]), label="phase")
    text = data.draw(TEXT, label="text")
    _put(stack, pid, dialog, state, phase)
    step = stack.send(pid, text)
    said = "\n".join(step.replies)
    if text.strip().upper() in {"STOP", "END", "CANCEL", "QUIT"}:
        assert step.replies  # the opt-out confirmation
    assert step.replies, f"no reply at {dialog}.{state} to {text!r}"
    assert ERROR_REPLY not in said, f"{dialog}.{state} failed on {text!r}"
    assert OTHER_NAME not in said
    assert OTHER_SECRET not in said


def test_every_state_answers_a_plain_answer(world: tuple[Stack, int]) -> None:
    stack, pid = world
    for dialog, state in _states(stack):
        for text in ("yes", "1", "Something I want to say", "07400 123456", "9am"):
            _put(stack, pid, dialog, state, None)
            said = "\n".join(stack.send(pid, text).replies)
            assert said, f"{dialog}.{state}: no reply to {text!r}"
            assert ERROR_REPLY not in said, f"{dialog}.{state} failed on {text!r}"


def test_the_error_reply_is_what_the_check_looks_for() -> None:
    wording = Wording(PROJECT_ROOT / "templates")
    text = wording.render("system/error", service={"emergency_number": "999"})
    assert ERROR_REPLY in text
