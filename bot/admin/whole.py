"""Whole numbers from forms and addresses, within what the database can hold.

`str.isdigit` is true for "²" and "٣", which `int` refuses, and `int` takes numbers
no column can hold: either would end in a 500. Ids are 64-bit, a plan version's number
32-bit (the columns' types on PostgreSQL)."""

from __future__ import annotations

LARGEST_ID = 2**63 - 1
LARGEST_NUMBER = 2**31 - 1
_DIGITS = frozenset("0123456789")


def whole(text: str, largest: int = LARGEST_ID) -> int | None:
    """`text` as a whole number from 0 to `largest`, or None."""
    text = text.strip()
    if not text or len(text) > 19 or not _DIGITS.issuperset(text):
        return None
    value = int(text)
    return value if value <= largest else None


def in_range(value: int, largest: int = LARGEST_ID) -> bool:
    return 0 <= value <= largest
