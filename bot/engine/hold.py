"""After risk language in the middle of a question: how the person wants to go on.

The words that set the safety screen off are never taken as the answer by default.
The question waits; the person can keep those words as their answer (KEEP), carry on
with the question, or PAUSE. Anything else is read as an answer, as ever.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from typing import Final

MAX_HELD_CHARS: Final = 2000


class HoldChoice(StrEnum):
    KEEP = "keep"
    CARRY_ON = "carry_on"


_KEEP: Final = frozenset(
    {
        "keep",
        "keep it",
        "keep that",
        "keep them",
        "keep please",
        "keep it please",
        "yes keep",
        "yes keep it",
        "save",
        "save it",
        "save that",
        "use it",
        "use that",
        "keep my answer",
        "keep as my answer",
        "keep it as my answer",
    }
)
_CARRY_ON: Final = frozenset(
    {
        "carry on",
        "go on",
        "next",
        "continue",
        "ok",
        "okay",
        "k",
        "ok thanks",
        "okay thanks",
        "thanks",
        "thank you",
        "ty",
        "cheers",
        "no",
        "no thanks",
        "dont keep",
        "dont keep it",
        "dont save",
        "dont save it",
        "delete it",
        "forget it",
        "never mind",
        "nevermind",
        "sorry",
        "im ok",
        "im okay",
        "i'm ok",
        "im fine",
        "i'm fine",
        "fine",
        "lets carry on",
        "carry on please",
        "go on then",
        "move on",
        "ask again",
    }
)
_NOT_WORD: Final = re.compile(r"[^\w\s']+")


def parse_hold(text: str) -> HoldChoice | None:
    folded = unicodedata.normalize("NFKC", text).casefold().replace("\u2019", "'")
    words = " ".join(_NOT_WORD.sub(" ", folded).split())
    plain = words.replace("'", "")
    if words in _KEEP or plain in _KEEP:
        return HoldChoice.KEEP
    if words in _CARRY_ON or plain in _CARRY_ON:
        return HoldChoice.CARRY_ON
    return None
