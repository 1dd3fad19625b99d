"""A hello or an apology is not an answer: "hi", "morning!", "sorry been rubbish at replying".

Whole messages only. A bare greeting never answers a question. An apology for being
away ("sorry I've been busy") counts only after a gap, and only when short: a long
message may carry the answer itself ("sorry, been a hard week, work mostly").
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from bot.engine.answers import plain_words

GAP: Final = timedelta(hours=6)
_MAX_WORDS: Final = 12

# fmt: off
_HELLO: Final = frozenset({
    "hi", "hii", "hiya", "hey", "heya", "hello", "helo", "hallo", "yo", "good morning",
    "good afternoon", "good evening", "hi there", "hey there", "hello there", "im back",
    "its me", "hi its me", "hello again", "hi again", "hey again",
})
# A hello that may come with a name or a "you": "hi Sam", "hey you".
_HELLO_AND_NAME: Final = frozenset({"hi", "hii", "hiya", "hey", "heya", "hello"})
_SORRY: Final = frozenset({"sorry", "soz", "sry", "apologies", "apols"})
# Words that say "I've been away" in an apology.
_AWAY: Final = frozenset({
    "replying", "reply", "replied", "busy", "away", "ages", "forgot", "late", "slow",
    "rubbish", "useless", "quiet", "ill", "poorly", "sick", "hectic", "responding", "texting",
    "while", "absent", "awol",
})
# fmt: on


def is_greeting(text: str) -> bool:
    """Only a hello, perhaps with a name or thanks: never an answer."""
    words = plain_words(text)
    if words in _HELLO:
        return True
    head, _, rest = words.partition(" ")
    return head in _HELLO_AND_NAME and len(rest.split()) == 1 and rest not in ("no", "yes")


def is_return(text: str, away: timedelta | None) -> bool:
    """A greeting, or after a gap a short apology for being away."""
    if is_greeting(text):
        return True
    if away is None or away < GAP:
        return False
    words = plain_words(text).split()
    if not words or len(words) > _MAX_WORDS:
        return False
    sorry = any(w in _SORRY for w in words)
    return sorry and (any(w in _AWAY for w in words) or len(words) <= 2)
