"""Which words a message holds: text-speak expanded, misspellings corrected only
towards the screen's own vocabulary, run-together words split, and each word's lemma.

A word that is already an ordinary word of the language is never "corrected": only
words the dictionary does not know are moved, and only onto a word some rule uses,
so "pull" never becomes "pill" and "dye" stays "dye" unless the phrase file says so.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import simplemma
from symspellpy import SymSpell, Verbosity  # type: ignore[import-untyped]

Word = tuple[str, str]  # (the word as written, after correction; its lemma)

COMMON_FORMS = 3000  # the commonest words, whose lemmas count as met that often
SEGMENT_MAX = 30  # longer runs of letters are not split (nobody writes them; it costs)
_LETTERS = re.compile(r"[^\W\d_]+")
_DOUBLE = re.compile(r"([^\W\d_])\1")


@dataclass(frozen=True)
class Dictionary:
    """The ordinary words of a language with how common each is (higher, commoner)."""

    counts: Mapping[str, float]

    @classmethod
    def read(cls, path: Path, most: int) -> Dictionary:
        lines = path.read_text(encoding="utf-8").split("\n", most)[:most]
        pairs = (line.partition(" ") for line in lines)
        return cls({word: float(count or 1) for word, _, count in pairs if word})


class KnownForms(Mapping[str, float]):
    """Every word form simplemma's dictionary holds for a language, as known words (for a
    language without a frequency list: Welsh, Polish). It knows no frequencies, so every
    form counts once, and it lists none: nothing is learned from its order."""

    def __init__(self, language: str) -> None:
        self._language = language

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and simplemma.is_known(
            word, lang=self._language, low_memory=self._language in _LOW_MEMORY
        )

    def __getitem__(self, word: str) -> float:
        if word in self:
            return 1.0
        raise KeyError(word)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


class Lexicon:
    def __init__(
        self,
        language: str,
        dictionary: Dictionary,
        *,
        textspeak: Mapping[str, str],
        spellings: Mapping[str, str],
        short_words: Iterable[str],
    ) -> None:
        self._language = language
        self._known = dictionary.counts
        # Without a frequency list (Welsh, Polish), a word is moved onto a rule's word only
        # by a thumb slip or by its missing accents ("zyc" is "żyć"): a Welsh "gwallt" is
        # never read as the Polish "gwałt" (every locale screens every message).
        self._slips_only = isinstance(dictionary.counts, KnownForms)
        self._textspeak = {k: tuple(v.split()) for k, v in textspeak.items()}
        self._spellings = dict(spellings)
        self._short = frozenset(short_words)
        self._vocabulary: set[str] = set()
        self._inflections: dict[str, str] = {}
        self._lemma_counts: dict[str, float] | None = None
        self._speller = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        self.words = functools.lru_cache(maxsize=50_000)(self._words)

    # Building: the rules' words become the vocabulary corrections may reach.

    def lemma_of(self, word: str) -> str:
        if found := self._inflections.get(word):
            return found
        return _lemma(word, self._language)

    def commonness(self, lemma: str) -> float:
        """How often a lemma is met in the language, in any of its forms among the
        commonest words ("be" is met as is, was, are...); 1 for one it does not know."""
        if self._lemma_counts is None:
            self._lemma_counts = {}
            for word, count in itertools.islice(self._known.items(), COMMON_FORMS):
                lemma_of = self.lemma_of(word)
                self._lemma_counts[lemma_of] = self._lemma_counts.get(lemma_of, 0.0) + count
        return max(self._known.get(lemma, 1.0), self._lemma_counts.get(lemma, 0.0))

    def learn_common_forms(self) -> None:
        """Add to the vocabulary the common words whose lemma is a rule's ("going",
        "took", "was"), so that a slip of one of them can be corrected too."""
        for word in itertools.islice(self._known, COMMON_FORMS):
            if self.lemma_of(word) in self._vocabulary:
                self._add(word)

    def forget(self) -> None:
        """Drop what was read before the vocabulary changed (after loading)."""
        self.words.cache_clear()

    def pattern_words(self, text: str) -> tuple[str, ...]:
        """The lemmas of a rule's words (text-speak expanded, as in messages)."""
        out: list[str] = []
        for raw in text.split():
            for word in self._textspeak.get(raw, (self._spellings.get(raw, raw),)):
                out.append(self.lemma_of(word))
        return tuple(out)

    def learn(self, lemmas: Iterable[str], surfaces: Iterable[str] = ()) -> None:
        """Add a rule's words (and their everyday inflections) to the vocabulary."""
        for lemma in lemmas:
            self._add(lemma)
            for form in _inflect(lemma) if len(lemma) >= 3 else ():
                # The rules' reading wins over the lemmatiser's where the lemmatiser
                # has none of its own ("thinking" is not "thinke"; "meds" is "med").
                theirs = _lemma(form, self._language)
                if theirs in (form, lemma) or theirs not in self._known:
                    self._inflections.setdefault(form, lemma)
                    self._add(form)  # so "stokpiling" can reach "stockpiling"
        for surface in surfaces:
            self._add(surface)

    def _add(self, word: str) -> None:
        if word in self._vocabulary or not _LETTERS.fullmatch(word):
            return
        self._vocabulary.add(word)
        if len(word) >= 3:
            self._speller.create_dictionary_entry(word, max(1, int(self._known.get(word, 1))))

    # Reading a message.

    def _words(self, raw: str) -> tuple[Word, ...]:
        return tuple((w, self.lemma_of(w)) for w in self._spelled(raw))

    def _spelled(self, raw: str) -> tuple[str, ...]:
        if expanded := self._textspeak.get(raw):
            return expanded
        if "'" in raw:  # a contraction the table does not list: "don't" reads "dont"
            raw = raw.replace("'", "")
            if expanded := self._textspeak.get(raw):
                return expanded
        raw = self._spellings.get(raw, raw)
        if self._is_word(raw) or not raw.isalpha():
            return (raw,)
        single = _DOUBLE.sub(r"\1", raw)
        if single != raw and self._is_word(single):
            return (single,)
        if (fixed := self._corrected(raw)) is not None and _slip(raw, fixed):
            return (fixed,)
        if pieces := self._segment(raw):
            return tuple(w for piece in pieces for w in self._textspeak.get(piece, (piece,)))
        return (self._corrected(raw) or self._corrected(single) or raw,)

    def _is_word(self, word: str) -> bool:
        return (
            word in self._known
            or word in self._vocabulary
            or word in self._textspeak
            or word in self._inflections
        )

    def _corrected(self, word: str) -> str | None:
        if len(word) < 3:
            return None
        distance = 1 if len(word) < 6 else 2
        found: list[str] = [s.term for s in self._speller.lookup(word, Verbosity.CLOSEST, distance)]
        # The commonest slips: two letters swapped ("wnat" is "want", not "what"), a
        # key next to the right one ("diw" is "die"), a letter typed once ("kil"). A
        # word of three letters is corrected for those alone.
        # Of two slips, the likelier kind (a doubled or swapped letter before a near
        # key or a dropped one), then the rarer word: a rule word is rarer
        # than "did" or "what", and it is the rule words the screen is listening for.
        likely = sorted(
            (t for t in found if _slip(word, t)),
            key=lambda t: (min(_slip(word, t), 3), self.commonness(t)),
        )
        if len(word) == 3:
            found = likely
        if self._slips_only:
            bare = _unaccented(word)
            found = [t for t in found if _slip(word, t) or _unaccented(t) == bare]
        chosen = likely or found
        return chosen[0] if chosen else None

    def _segment(self, word: str) -> tuple[str, ...] | None:
        """Split letters written without spaces into known words ("iwanttodie"): the
        fewest pieces, then the commonest; None when no split is all words."""
        if len(word) < 5 or len(word) > SEGMENT_MAX:
            return None
        # best[i]: (pieces, -sum of log counts, split) for word[:i]
        best: list[tuple[int, float, tuple[str, ...]] | None] = [None] * (len(word) + 1)
        best[0] = (0, 0.0, ())
        for end in range(1, len(word) + 1):
            for start in range(max(0, end - 20), end):
                before = best[start]
                piece = word[start:end]
                if before is None or not self._piece(piece):
                    continue
                rarity = -math.log(self._known.get(piece, 1e5))
                option = (before[0] + 1, before[1] + rarity, (*before[2], piece))
                current = best[end]
                if current is None or option[:2] < current[:2]:
                    best[end] = option
        done = best[len(word)]
        return done[2] if done is not None and done[0] > 1 else None

    def _piece(self, piece: str) -> bool:
        if len(piece) < 3:
            return piece in self._short
        return piece in self._known or piece in self._vocabulary or piece in self._textspeak


_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEAR = {
    key: {
        other
        for r, row in enumerate(_ROWS)
        for c, other in enumerate(row)
        if abs(r - kr) <= 1 and abs(c - kc) <= 1 and other != key
    }
    for kr, krow in enumerate(_ROWS)
    for kc, key in enumerate(krow)
}


def _slip(typed: str, word: str) -> int:
    """How `typed` is one thumb slip away from `word`, likeliest first: 1, a doubled
    letter typed once; 2, two letters swapped; 3, a key next to the right one (on a
    QWERTY keyboard); 4, a letter left out. 0 when it is not."""
    if len(word) == len(typed) + 1:
        return 1 if _DOUBLE.sub(r"\1", word) == typed else 4 if _dropped(typed, word) else 0
    if len(typed) != len(word):
        return 0
    diff = [(a, b) for a, b in zip(typed, word, strict=True) if a != b]
    if len(diff) == 2 and sorted(typed) == sorted(word):
        return 2
    if len(diff) == 1 and diff[0][0] in _NEAR.get(diff[0][1], ()):
        return 3
    return 0


def _dropped(typed: str, word: str) -> bool:
    """Is `typed` the word with one letter left out ("rop" for "rope")?"""
    return len(word) == len(typed) + 1 and any(
        word[:i] + word[i + 1 :] == typed for i in range(len(word))
    )


def _unaccented(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.replace("ł", "l"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# simplemma's Polish dictionary is 3.6 million forms: read whole it costs ~400 MB and
# seconds at start-up; its low-memory reader looks words up in the packed file instead.
# English keeps the fast reader it always had.
_LOW_MEMORY: Final = frozenset({"cy", "pl"})


def _lemma(word: str, language: str) -> str:
    return simplemma.lemmatize(word, lang=language, low_memory=language in _LOW_MEMORY).lower()


def _inflect(lemma: str) -> set[str]:
    """Regular English-like inflections; only those the dictionary knows are kept."""
    forms = {lemma + "s", lemma + "es", lemma + "ed", lemma + "ing", lemma + "d"}
    if lemma.endswith("e"):
        forms |= {lemma[:-1] + "ing", lemma[:-1] + "ed"}
    if lemma.endswith("ie"):
        forms.add(lemma[:-2] + "ying")
    if lemma.endswith("y"):
        forms |= {lemma[:-1] + "ies", lemma[:-1] + "ied"}
    if len(lemma) >= 3 and lemma[-1] not in "aeiouwxy" and lemma[-2] in "aeiou":
        forms |= {lemma + lemma[-1] + "ing", lemma + lemma[-1] + "ed"}
    return forms
