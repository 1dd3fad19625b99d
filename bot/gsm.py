"""GSM-7 and SMS segment arithmetic (3GPP TS 23.038, the GSM 03.38 alphabet)."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from anyascii import anyascii

# The basic character set, in code order 0x00-0x7F. 0x1B is the escape to the
# extension table, not a character of its own, so it is left out below.
_BASIC_TABLE: Final = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# The extension table: each is sent as ESC + one septet, so it counts 2.
# 0x0A form feed, 0x14 ^, 0x28 {, 0x29 }, 0x2F \, 0x3C [, 0x3D ~, 0x3E ], 0x40 |, 0x65 €.
_EXTENSION_TABLE: Final = "\x0c^{}\\[~]|€"

_BASIC: Final = frozenset(_BASIC_TABLE) - {"\x1b"}
_EXTENSION: Final = frozenset(_EXTENSION_TABLE)
_GSM7: Final = _BASIC | _EXTENSION

_GSM7_SINGLE, _GSM7_PART = 160, 153  # septets; a part loses 7 to the concatenation header
_UCS2_SINGLE, _UCS2_PART = 70, 67  # UTF-16 code units

# Typography that forces UCS-2 although plain GSM-7 says the same thing.
# Emoji are needless too (see needless_ucs2) but have no substitute: drop them.
SUBSTITUTES: Final[Mapping[str, str]] = MappingProxyType(
    {
        **dict.fromkeys("‘’‚‛′‵`´", "'"),
        **dict.fromkeys("“”„‟″«»", '"'),
        **dict.fromkeys("‐‑‒–—―−⁃", "-"),
        **dict.fromkeys("•◦‣∙·●▪", "-"),
        "…": "...",
        **dict.fromkeys("\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006", " "),
        **dict.fromkeys("\u2007\u2008\u2009\u200a\u202f\u205f\u3000\t", " "),
        **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad\ufe0e\ufe0f", ""),
        "\u2028": "\n",
        "\u2029": "\n",
        "→": "->",
        "←": "<-",
        "×": "x",
        "©": "(c)",
        "®": "(R)",
        "™": "TM",
    }
)

# Emoji and pictographs: Misc Symbols and Dingbats, Misc Symbols and Arrows,
# and the supplementary-plane pictograph blocks (cards to Symbols Extended-A,
# which includes flags' regional indicators and skin-tone modifiers), keycap
# enclosure, and the tag characters of subdivision flags.
_EMOJI_RANGES: Final = (
    (0x2600, 0x27BF),
    (0x2B00, 0x2BFF),
    (0x20E3, 0x20E3),
    (0x1F000, 0x1FAFF),
    (0xE0020, 0xE007F),
)


def is_gsm7(text: str) -> bool:
    # One set operation in C, not a generator step per character: every CRISIS reply is
    # measured for its SMS parts (docs/performance.md).
    return _GSM7.issuperset(text)


def gsm7_length(text: str) -> int:
    """Septets needed for text; ValueError if a character is not in GSM-7."""
    length = 0
    for char in text:
        if char in _BASIC:
            length += 1
        elif char in _EXTENSION:
            length += 2
        else:
            raise ValueError(f"not a GSM-7 character: {char!r}")
    return length


def segments(text: str) -> int:
    """How many SMS segments text is sent as; 0 for the empty text.

    A part of a long message never splits an escape sequence (GSM-7) or a
    surrogate pair (UCS-2): the character moves to the next part, as phones and
    Twilio do, so the count can be one more than plain division gives.
    """
    if not text:
        return 0
    if is_gsm7(text):
        units = [2 if char in _EXTENSION else 1 for char in text]
        single, part = _GSM7_SINGLE, _GSM7_PART
    else:
        units = [2 if ord(char) > 0xFFFF else 1 for char in text]
        single, part = _UCS2_SINGLE, _UCS2_PART
    if sum(units) <= single:
        return 1
    count, used = 1, 0
    for unit in units:
        if used + unit > part:
            count, used = count + 1, 0
        used += unit
    return count


def needless_ucs2(text: str) -> list[str]:
    """The characters of text that force UCS-2 but need not: each once, in order.

    Their replacements are in SUBSTITUTES; emoji are needless with no
    replacement (say it in words, or drop them).
    """
    found: dict[str, None] = {}
    for char in text:
        if char not in _GSM7 and (char in SUBSTITUTES or _is_emoji(char)):
            found[char] = None
    return list(found)


def _is_emoji(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _EMOJI_RANGES)


def to_gsm7(text: str) -> str:
    """text in GSM-7 only: typography substituted, letters outside the alphabet
    spelt without their accents ("Ł" as "L", "â" as "a"; "é", "ñ", "ü" are GSM-7 and
    stay), other scripts and emoji transliterated ("❤" as ":heart:").

    For the CRISIS reply only, where a name like Siân must never turn the message
    into UCS-2 and push the numbers to call into a later part.
    """
    if is_gsm7(text):
        return text
    out: list[str] = []
    for char in text:
        if char in _GSM7:
            out.append(char)
        elif char in SUBSTITUTES:
            out.append(SUBSTITUTES[char])
        else:
            out.append(_spelt_in_gsm7(char))
    return "".join(out)


def _spelt_in_gsm7(char: str) -> str:
    bare = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if bare and _GSM7.issuperset(bare):
        return bare
    spelt = anyascii(char)
    return spelt if _GSM7.issuperset(spelt) else ""
