"""Reading a list back within two SMS segments: long items shortened, the rest counted.

A read-back is a check, not the plan itself (CRISIS and REVIEW show it whole), so it
gives each item as much room as fits: first as written, then shortened, then the first
few with how many more there are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from bot import gsm

MAX_SEGMENTS: Final = 2
# A text in UCS-2 (Welsh "ŵ", Polish "ł", an emoji) gets the same room in characters: two
# GSM-7 segments hold 306, five UCS-2 segments 335. A Polish read-back costs more, but
# shows as much of the person's list as an English one (docs/clinical-safety.md, H54).
MAX_UCS2_SEGMENTS: Final = 5
ECHO_CHARS: Final = 60  # an item echoed as it is added
_SHORTER: Final = (None, 60, 36, 20)
_ELLIPSIS: Final = "..."


def shorten(text: str, limit: int | None) -> str:
    """At most `limit` characters, cut at a word where one is near, marked with '...'."""
    text = " ".join(text.split())
    if limit is None or len(text) <= limit:
        return text
    cut = text[: limit - len(_ELLIPSIS)]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;.") + _ELLIPSIS


def fit(render: Callable[[list[str], int], str], items: list[dict[str, Any]]) -> str:
    """render(texts, hidden) for the most of `items` that fits in MAX_SEGMENTS."""
    texts = [str(entry.get("text", "")) for entry in items]
    text = ""
    for limit in _SHORTER:
        text = render([shorten(t, limit) for t in texts], 0)
        if fits(text):
            return text
    short = [shorten(t, _SHORTER[-1]) for t in texts]
    for shown in range(len(short) - 1, 0, -1):
        text = render(short[:shown], len(short) - shown)
        if fits(text):
            return text
    return text


def fits(text: str) -> bool:
    """Within two SMS segments, or the same room in characters when the text is UCS-2."""
    limit = MAX_SEGMENTS if gsm.is_gsm7(text) else MAX_UCS2_SEGMENTS
    return gsm.segments(text) <= limit
