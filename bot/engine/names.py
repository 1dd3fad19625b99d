"""The name a person wants to be called: understood from how people answer the question.

"Sam", "it's Sam", "my name is Samantha but call me Sam", "Sam please", "I'm Sam x"
all mean Sam. What is not a name (a sentence, a number, a link) is refused, with a
sentence saying what to send; the words are never stored as the name. Risk language
never reaches here: the safety screen holds it first (bot/router.py).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from bot.engine.answers import Parsed

MAX_NAME_CHARS: Final = 40
MAX_NAME_WORDS: Final = 3

# The name follows the last of these ("it's Alex but call me Lex" -> "Lex").
_LEAD_INS: Final = re.compile(
    r"(?:^|\b)(?:call me|you can call me|just call me|i go by|i'm called|im called|"
    r"i am called|known as|name is|name's|names|my name is|it's|its|it is|i'm|im|i am|"
    r"this is|prefer|i prefer|i'd like|id like|rather be called|call me just)\s+",
    re.IGNORECASE,
)
# Words around a name that are not part of it.
_AROUND: Final = frozenset(
    {
        "please",
        "pls",
        "plz",
        "thanks",
        "thank",
        "you",
        "thankyou",
        "ty",
        "x",
        "xx",
        "xxx",
        "just",
        "hi",
        "hello",
        "hey",
        "ok",
        "okay",
        "is",
        "fine",
        "thats",
        "that's",
        "me",
        "mate",
        "then",
        "lol",
        "haha",
        "for",
        "now",
        "please.",
        "its",
        "it's",
        "im",
        "i'm",
        "call",
        "name",
        "my",
        "and",
        "but",
        "so",
        "well",
        "um",
        "erm",
        "yeah",
        "yes",
        "sure",
    }
)
# Words that say the answer is not a name at all ("I'm not sure", "whatever you like").
_NOT_NAMES: Final = frozenset(
    {
        "i",
        "not",
        "sure",
        "whatever",
        "anything",
        "dunno",
        "idk",
        "dont",
        "don't",
        "know",
        "nothing",
        "none",
        "no",
        "nobody",
        "the",
        "a",
        "to",
        "want",
        "like",
        "what",
        "why",
        "who",
        "how",
        "feel",
        "feeling",
        "sad",
        "tired",
        "good",
        "bad",
        "doesnt",
        "matter",
        "care",
        "anyone",
        "someone",
        "help",
        "stop",
        "later",
        "skip",
        "pass",
        "rather",
    }
)
_EDGE: Final = " \t\r\n.,!?;:\"'()[]{}*~-_"
# Letters of any script, with the marks, apostrophes, hyphens and dots names carry.
_NAME_WORD: Final = re.compile(r"[^\W\d_](?:[\w'\u2019.\-]*[^\W\d_])?\.?")


def parse_name(text: str) -> Parsed:
    cleaned = unicodedata.normalize("NFC", text.replace("\x00", "")).strip()
    if not cleaned.strip(_EDGE):
        return Parsed(ok=False, error="empty")
    if len(cleaned) > 200 or "://" in cleaned or "www." in cleaned.casefold():
        return Parsed(ok=False, error="not_name")
    tail = cleaned
    for lead_in in _LEAD_INS.finditer(cleaned):
        tail = cleaned[lead_in.end() :]
    words = [w.strip(_EDGE) for w in re.split(r"[\s,]+", tail)]
    words = [w for w in words if w]
    while words and words[0].casefold() in _AROUND:
        words.pop(0)
    # The name ends where other words begin: "Sam please", "Lex, thanks x".
    name_words: list[str] = []
    for word in words:
        if word.casefold() in _AROUND:
            break
        name_words.append(word)
    if not name_words or len(name_words) > MAX_NAME_WORDS:
        return Parsed(ok=False, error="not_name")
    if any(w.casefold() in _NOT_NAMES for w in name_words):
        return Parsed(ok=False, error="not_name")
    if not all(_NAME_WORD.fullmatch(w) for w in name_words):
        return Parsed(ok=False, error="not_name")
    name = " ".join(name_words)
    if len(name) > MAX_NAME_CHARS:
        return Parsed(ok=False, error="not_name")
    return Parsed(ok=True, value=name)
