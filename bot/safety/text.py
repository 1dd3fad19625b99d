"""From a message to raw words: what the characters were meant to say.

Unicode is folded (full-width letters, invisible characters, curly apostrophes),
emoji in the reviewed table become words, letters spaced out ("k i l l") are
rejoined, leetspeak between letters is read as letters ("k1ll"), and clause ends
are kept as CLAUSE so that a rule's exception never reaches across a sentence.
An apostrophe inside a word stays (as "'") for the lexicon to read "she'll".
Which words these are (spelling, text-speak, lemmas) is the lexicon's job.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

CLAUSE = "\x01"  # stands for a clause end among the words; never in input

_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")
_SYMBOL = re.compile(r"[^\w\s]")
# An apostrophe inside a word is kept, as "'": the lexicon reads "she'll" as "she
# will" before it drops it ("shell" is a word of its own).
APOSTROPHE = "'"
_APOSTROPHE = re.compile(r"(?<=\w)['\u2018\u2019\u02bc\u2032`\u00b4]+(?=\w)")
# Three or more single letters in a row, each followed by the same kind of short
# separator: "k i l l", "d.i.e", "s-e-l-f". Two letters ("u r") are left alone.
_SPACED = re.compile(r"(?<![^\W\d_])(?:[^\W\d_](?:[ .\-*_~]{1,3})){2,}[^\W\d_](?![^\W\d_])")
_SPACER = re.compile(r"[ .\-*_~]+")
# Leetspeak only between two letters, so "k1ll" reads "kill" but "5km", "4am" and
# "mp3" stay as they are.
_LEET = re.compile(r"(?<=[a-z])[013457@$!]+(?=[a-z])")
_LEET_LETTERS = str.maketrans("013457@$!", "oieastasi")
# Where a sentence or clause ends. A point or comma between digits ("2.5") is not one.
_CLAUSE = re.compile(r"(?<!\d)[.,]|[.,](?!\d)|[;:!?()\[\]{}\n\r\u2028\u2029\u2013\u2014]")
_NON_WORD = re.compile(r"[^\w\x01']+|_+|(?<!\w)'+|'+(?!\w)")
# "dieeee" -> "diee": two letters stay, so "kill" and "feel" are still words; the
# lexicon tries one letter when two make no word.
_LONG_RUN = re.compile(r"([^\W\d_])\1{2,}")


def _drop_invisible(found: re.Match[str]) -> str:
    # Format and control characters (zero-width, direction marks, null) and stray
    # combining marks are deleted, not turned into spaces: "ki\u200bll" is "kill".
    char = found.group()
    return "" if unicodedata.category(char)[0] in "CM" else char


def _unleet(found: re.Match[str]) -> str:
    return found.group().translate(_LEET_LETTERS)


def _rejoin(found: re.Match[str]) -> str:
    return _SPACER.sub("", found.group())


class Characters:
    """Normalises characters; knows the reviewed emoji (each stands for a word)."""

    def __init__(self, emoji: Mapping[str, str]) -> None:
        self._emoji = {_fold(key): f" {word} " for key, word in emoji.items()}
        keys = sorted(self._emoji, key=len, reverse=True)
        self._emoji_pattern = re.compile("|".join(map(re.escape, keys))) if keys else None

    def words(self, text: str) -> list[str]:
        """The raw words of a text, lower case, with CLAUSE between clauses."""
        if text.isascii():
            text = _ASCII_CONTROL.sub("", text.lower())
        else:
            text = _fold(text)
            if self._emoji_pattern is not None:
                text = self._emoji_pattern.sub(lambda m: self._emoji[m.group()], text)
            text = _SYMBOL.sub(_drop_invisible, text)
        text = _APOSTROPHE.sub(APOSTROPHE, text)
        text = _SPACED.sub(_rejoin, text)
        text = _LEET.sub(_unleet, text)
        text = _CLAUSE.sub(f" {CLAUSE} ", text)
        text = _NON_WORD.sub(" ", text)
        return _LONG_RUN.sub(r"\1\1", text).split()

    def only_emoji(self, text: str) -> list[str] | None:
        """The table's words for a message of emoji alone (and spaces or punctuation),
        or None when the message holds anything else."""
        if text.isascii() or self._emoji_pattern is None:
            return None
        folded = _fold(text)
        found = [self._emoji[m.group()].strip() for m in self._emoji_pattern.finditer(folded)]
        rest = self._emoji_pattern.sub("", folded)
        if not found or any(ch.isalnum() for ch in rest):
            return None
        return found


def _fold(text: str) -> str:
    # U+FE0F asks for the emoji form of a character: it changes nothing here.
    return unicodedata.normalize("NFKC", text).casefold().replace("\ufe0f", "")
