"""What the benchmark's service users send: real dialog steps, in an order that makes sense.

Every participant starts at the first list question of their crisis plan and works
through it: list items, a read-back, a removal, SKIPs, a contact with a phone and one
without, a bad answer to the menu, the end of the dialog, the menu, and the
plan again. CRISIS (and now and then a risk phrase) comes in between, as it would.
The stream interleaves participants round-robin, so two messages of one person are
never in flight at once unless the concurrency exceeds the number of participants.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

# Sent once by `prepare` (in-process) to put a fresh participant at warning_signs.
OPENING = ("hello", "1")

# One lap of the crisis plan, from warning_signs back to warning_signs.
LAP: tuple[str, ...] = (
    "I stop sleeping",  # warning_signs: list item
    "I stop answering the phone",  # list item
    "remove 1",  # a removal while adding
    "remove 1",  # and empty again, so the lists do not grow lap after lap
    "DONE",  # kept (empty), with its read-back in front of -> coping
    "Go for a walk by the river",
    "done",  # -> distractions
    "SKIP",  # -> people_help (contacts)
    "Sam 07400 123456",  # a contact with a phone number
    "Mum",  # no number: "keep it without one?"
    "no",  # "send it again with the number"
    "DONE",  # -> professionals
    "SKIP",  # -> safer_surroundings
    "SKIP",  # -> reasons
    "My cat Biscuit",
    "DONE",  # -> unwell_helps
    "SKIP",  # -> unwell_not_helpful
    "SKIP",  # -> unwell_tell (free text)
    "SKIP",  # -> unwell_practical
    "SKIP",  # -> the end: the plan is sent for review
    "hello",  # -> the menu
    "purple",  # a bad answer
    "1",  # -> warning_signs again (the plan so far is kept)
)

CRISIS = "CRISIS"
RISK = "I want to end it all"
CRISIS_EVERY = 19  # an extra CRISIS every 19 messages (5%), from everyone in turn
# Every 14th list item is risk language instead (the safety reply and an alert, and the
# words kept as the item, so the lap stays in step): about 1% of the traffic.
RISK_EVERY_ITEMS = 14
# Steps of LAP where any text is simply a new item of the list.
_LIST_ITEMS = frozenset(
    {
        "I stop sleeping",
        "I stop answering the phone",
        "Go for a walk by the river",
        "My cat Biscuit",
    }
)


@dataclass(frozen=True)
class Send:
    participant: int  # index into the participant list
    text: str
    crisis: bool


def stream(participants: int, count: int, *, crisis: bool = True) -> Iterator[Send]:
    """`count` messages, round-robin over `participants` people, each following LAP.

    CRISIS comes as an extra message, which leaves the dialog where it was."""
    position = [0] * participants
    items = 0
    for sent in range(1, count + 1):
        who = (sent - 1) % participants
        if crisis and sent % CRISIS_EVERY == 0:
            yield Send(who, CRISIS, True)
            continue
        text = LAP[position[who] % len(LAP)]
        position[who] += 1
        if crisis and text in _LIST_ITEMS:
            items += 1
            if items % RISK_EVERY_ITEMS == 0:
                text = RISK
        yield Send(who, text, False)


def crisis_only(participants: int, count: int, offset: int = 0) -> Iterator[Send]:
    for i in range(count):
        yield Send((offset + i) % participants, CRISIS, True)
