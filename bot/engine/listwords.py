"""What ends a list, in the words people use: "that's it", "no more", "dnoe", "skp".

A list question takes any text as a new item, so an ending must be recognised before
it becomes plan content. DONE and SKIP are keywords (bot/keywords.py); here are the
natural endings and the one-letter slips of DONE and SKIP that no keyboard-level
check there catches (they are four letters). A slip that is itself a word ("dome",
"gone", "ship", "skin") is an answer, never an ending.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from bot.engine.answers import parse_yes_no, plain_words


class ListWord(StrEnum):
    DONE = "done"
    SKIP = "skip"
    LATER = "later"  # not now: the question waits, nothing is added


# fmt: off
_ENDINGS: Final = frozenset({
    "thats it", "thats all", "that is it", "that is all", "thats it thanks", "thats all thanks",
    "thats it for now", "thats all for now", "thats everything", "thats enough", "no more",
    "nothing more", "nothing else", "no thats it", "no thats all", "no nothing else",
    "no thanks", "nope", "nah", "no", "none", "all done", "im done", "i am done", "done now",
    "finished", "im finished", "thats me", "that will do", "thatll do", "nothing",
    "no thats everything", "not really", "end of list", "all good", "next",
    "next question", "move on",
})
_SKIPS: Final = frozenset({
    "skip it", "skip this", "skip this one", "pass", "next one", "not this one",
    "skip please", "please skip",
})
_LATER: Final = frozenset({
    "not now", "later", "maybe later", "not today", "another time", "not right now",
    "not yet", "no not now", "not now thanks", "not now sorry", "later thanks",
})
# Real words one letter from DONE or SKIP: answers, not slips.
_WORDS_NEAR: Final = frozenset({
    "bone", "cone", "dome", "dine", "dune", "dote", "dose", "dove", "doe", "don", "one",
    "gone", "hone", "lone", "tone", "zone", "node", "doge", "dope", "dole", "dons", "dona",
    "ski", "kip", "sip", "skin", "skid", "skim", "skit", "slip", "ship", "snip", "skips",
    "spin",
})
# fmt: on


def _one_edit(text: str, word: str) -> bool:
    """One insertion, deletion, substitution or swap of neighbours."""
    if text == word or abs(len(text) - len(word)) > 1:
        return False
    if len(text) == len(word):
        diffs = [i for i, (a, b) in enumerate(zip(text, word, strict=True)) if a != b]
        if len(diffs) == 1:
            return True
        first = diffs[0]
        return (
            len(diffs) == 2
            and diffs[1] == first + 1
            and text[first] == word[first + 1]
            and text[first + 1] == word[first]
        )
    short, long = (text, word) if len(text) < len(word) else (word, text)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


# Said around an ending without changing it: "nope that's it thanks x".
_BEFORE: Final = frozenset({"no", "nope", "nah", "ok", "okay", "um", "erm", "er", "and", "so"})
_AFTER: Final = frozenset({"thanks", "thx", "ta", "x", "xx", "cheers", "really", "i think"})


def _trimmed(words: str) -> str:
    parts = words.split()
    while len(parts) > 1 and parts[0] in _BEFORE:
        parts = parts[1:]
    while len(parts) > 1 and parts[-1] in _AFTER:
        parts = parts[:-1]
    return " ".join(parts)


def parse_list_word(text: str) -> ListWord | None:
    """DONE or SKIP when the whole message means it; None for an item."""
    words = plain_words(text)
    if words in _ENDINGS or _trimmed(words) in _ENDINGS:
        return ListWord.DONE
    if words in _SKIPS:
        return ListWord.SKIP
    if words in _LATER:
        return ListWord.LATER
    if words in _WORDS_NEAR or " " in words:
        return None
    if _one_edit(words, "done"):
        return ListWord.DONE
    if _one_edit(words, "skip"):
        return ListWord.SKIP
    return None


_THANKS: Final = frozenset(
    {"thanks", "thank you", "thx", "ta", "cheers", "ty", "ok thanks", "ok thank you", "great"}
)


def is_nod(text: str) -> bool:
    """A yes, an ok or a thanks: an acknowledgement, never a list item."""
    return plain_words(text) in _THANKS or parse_yes_no(text).value is True
