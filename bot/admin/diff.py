"""Two versions of a plan side by side: items lined up, words that changed marked."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from bot.admin.sections import SECTION_TITLES

Item = dict[str, Any]
_TOKENS = re.compile(r"\s+|[^\s]+")
PAIR_AT = 0.35  # below this, a changed item is shown as one removed and one added


@dataclass(frozen=True)
class Piece:
    text: str
    kind: str  # same | added | removed


@dataclass(frozen=True)
class Row:
    status: str  # same | changed | added | removed
    old: Item | None
    new: Item | None
    old_pieces: tuple[Piece, ...]
    new_pieces: tuple[Piece, ...]


@dataclass(frozen=True)
class SectionDiff:
    key: str
    title: str
    rows: tuple[Row, ...]

    @property
    def changed(self) -> bool:
        return any(row.status != "same" for row in self.rows)


def item_text(item: Item) -> str:
    """An item as one line: its words, a contact's phone, a goal's steps."""
    text = str(item.get("text", ""))
    if item.get("phone") and not any(ch.isdigit() for ch in text):
        text = f"{text} ({item['phone']})"
    steps = [str(s.get("text", "")) for s in item.get("steps") or [] if isinstance(s, dict)]
    if steps:
        text = f"{text}; steps: " + "; ".join(steps)
    return text


def words(old: str, new: str) -> tuple[tuple[Piece, ...], tuple[Piece, ...]]:
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    left: list[Piece] = []
    right: list[Piece] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            left.append(Piece("".join(a[i1:i2]), "same"))
            right.append(Piece("".join(b[j1:j2]), "same"))
            continue
        if i2 > i1:
            left.append(Piece("".join(a[i1:i2]), "removed"))
        if j2 > j1:
            right.append(Piece("".join(b[j1:j2]), "added"))
    return tuple(left), tuple(right)


def _whole(text: str, kind: str) -> tuple[Piece, ...]:
    return (Piece(text, kind),)


def rows(old_items: list[Item], new_items: list[Item]) -> tuple[Row, ...]:
    a = [item_text(i) for i in old_items]
    b = [item_text(i) for i in new_items]
    out: list[Row] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                same = _whole(a[i], "same")
                status = "same" if old_items[i].get("by") == new_items[j].get("by") else "changed"
                out.append(Row(status, old_items[i], new_items[j], same, same))
            continue
        olds, news = list(range(i1, i2)), list(range(j1, j2))
        while olds and news:
            i, j = olds[0], news[0]
            if SequenceMatcher(None, a[i], b[j], autojunk=False).ratio() < PAIR_AT:
                break
            left, right = words(a[i], b[j])
            out.append(Row("changed", old_items[i], new_items[j], left, right))
            olds.pop(0)
            news.pop(0)
        out.extend(Row("removed", old_items[i], None, _whole(a[i], "removed"), ()) for i in olds)
        out.extend(Row("added", None, new_items[j], (), _whole(b[j], "added")) for j in news)
    return tuple(out)


def compare(
    old: dict[str, list[Item]], new: dict[str, list[Item]], sections: tuple[str, ...]
) -> list[SectionDiff]:
    return [
        SectionDiff(key, SECTION_TITLES.get(key, key), rows(old.get(key) or [], new.get(key) or []))
        for key in sections
    ]


def summary(sections: list[SectionDiff], *, first: bool) -> str:
    """What changed, in a line: "3 items added, 1 changed, 1 removed; 4 unchanged"."""
    counts = dict.fromkeys(("added", "changed", "removed", "same"), 0)
    for section in sections:
        for row in section.rows:
            counts[row.status] += 1
    if first:
        total = counts["added"]
        return f"{total} item{'s' if total != 1 else ''}, all new: nothing was approved before"
    changes = [
        f"{counts['added']} item{'s' if counts['added'] != 1 else ''} added",
        f"{counts['changed']} changed",
        f"{counts['removed']} removed",
    ]
    if not counts["added"] + counts["changed"] + counts["removed"]:
        changes = ["No items changed"]
    return ", ".join(changes) + f"; {counts['same']} unchanged"


def merged(old: str, new: str) -> tuple[Piece, ...]:
    """One line of words: what stayed, what was taken out and what was put in, in order."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    out: list[Piece] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(Piece("".join(b[j1:j2]), "same"))
            continue
        if i2 > i1:
            out.append(Piece("".join(a[i1:i2]), "removed"))
        if j2 > j1:
            out.append(Piece("".join(b[j1:j2]), "added"))
    return tuple(out)
