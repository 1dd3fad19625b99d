"""Help-seeking phrasings: other words a person in distress uses for CRISIS.

The phrasings are data (dialogs/safety/help_seeking.yaml, described at its top),
compared after the safety screen's normalisation. A message is help-seeking when it
is one of the phrases, or starts with one and goes on only with short words of
urgency or politeness ("crisis plan please", "help me now pls").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from bot.safety import normalise

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "dialogs" / "safety" / "help_seeking.yaml"
# Long messages are sentences, not requests: the screen reads those.
MAX_WORDS = 16
_MIN_TYPO_LETTERS = 5


@dataclass(frozen=True)
class HelpSeeking:
    phrases: tuple[tuple[str, ...], ...]
    before: frozenset[str]
    after: tuple[tuple[str, ...], ...]
    not_typos: frozenset[str] = frozenset()

    @classmethod
    def from_file(cls, path: Path) -> HelpSeeking:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("version") != 1:
            raise ValueError(f"{path}: needs 'version: 1' and a list of phrases.")
        phrases = [_words(path, p) for p in _strings(path, data, "phrases")]
        before = frozenset(w for p in _strings(path, data, "before") for w in _words(path, p))
        after = sorted({_words(path, p) for p in _strings(path, data, "after")}, key=len)
        # Longest first, so "my crisis plan" is tried before "my".
        ordered = tuple(sorted(set(phrases), key=len, reverse=True))
        not_typos = frozenset(w for p in _strings(path, data, "not_typos") for w in _words(path, p))
        return cls(ordered, before, tuple(reversed(after)), not_typos)

    def matches(self, text: str) -> bool:
        if len(text) > 200:
            return False
        words = normalise(text).split()
        if not words or len(words) > MAX_WORDS:
            return False
        while len(words) > 1 and words[0] in self.before:
            words = words[1:]
        return any(
            len(phrase) <= len(words)
            and self._same(words[: len(phrase)], phrase)
            and self._only_after_words(words[len(phrase) :])
            for phrase in self.phrases
        )

    def _same(self, words: list[str], phrase: tuple[str, ...]) -> bool:
        return all(
            w == p or (w not in self.not_typos and _one_typo(w, p))
            for w, p in zip(words, phrase, strict=True)
        )

    def _only_after_words(self, rest: list[str]) -> bool:
        while rest:
            for filler in self.after:
                if tuple(rest[: len(filler)]) == filler:
                    rest = rest[len(filler) :]
                    break
            else:
                return False
        return True


def _one_typo(word: str, wanted: str) -> bool:
    """One insertion, deletion, substitution or swap, in words of five letters or more."""
    if len(wanted) < _MIN_TYPO_LETTERS or abs(len(word) - len(wanted)) > 1 or word == wanted:
        return False
    if len(word) == len(wanted):
        diffs = [i for i, (a, b) in enumerate(zip(word, wanted, strict=True)) if a != b]
        if len(diffs) == 1:
            return True
        i, j = diffs[0], diffs[-1]
        return len(diffs) == 2 and j == i + 1 and word[i] == wanted[j] and word[j] == wanted[i]
    short, long = (word, wanted) if len(word) < len(wanted) else (wanted, word)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _strings(path: Path, data: dict[str, object], key: str) -> list[str]:
    value = data.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{path}: '{key}' must be a list of phrases in quotes or plain words.")
    return value


def _words(path: Path, phrase: str) -> tuple[str, ...]:
    words = tuple(normalise(phrase).split())
    if not words:
        raise ValueError(f"{path}: {phrase!r} has no words in it.")
    return words


@cache
def default() -> HelpSeeking:
    return HelpSeeking.from_file(DEFAULT_FILE)


def is_help_seeking(text: str) -> bool:
    return default().matches(text)
