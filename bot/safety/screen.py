"""The risk screen: finds risk language in an inbound text, before anything else runs.

It reads the locale folders of dialogs/safety/ (one phrases.yaml each) and the
reviewed emoji table beside them, once per process. A message is screened against
the person's locale, English and every other locale together, since people switch.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from bot.safety import files
from bot.safety.files import bad
from bot.safety.loading import SEVERITIES, load
from bot.safety.phrasebook import Phrasebook, RiskMatch
from bot.safety.text import CLAUSE, Characters

DEFAULT_PHRASES = Path(__file__).resolve().parents[2] / "dialogs" / "safety"
ENGLISH = "en"
EMOJI_FILE = "emoji.yaml"
PHRASES_FILE = "phrases.yaml"


@dataclass(frozen=True)
class EmojiAlone:
    """A message of emoji alone is risk when its emoji weigh this much together."""

    category: str
    severity: str
    at_least: int
    weights: dict[str, int]


class RiskScreen:
    """Answers "does this text contain risk language?" in well under a millisecond."""

    def __init__(
        self, books: dict[str, Phrasebook], characters: Characters, alone: EmojiAlone | None
    ) -> None:
        self._books = books
        self._characters = characters
        self._alone = alone

    @classmethod
    def from_file(cls, path: Path) -> RiskScreen:
        """A folder (dialogs/safety: every locale in it) or one locale's phrases.yaml."""
        stamp = tuple(p.stat().st_mtime_ns for p in sorted(_sources(path)))
        return _loaded(path.resolve(), stamp)

    @property
    def locales(self) -> tuple[str, ...]:
        return tuple(self._books)

    @property
    def categories(self) -> tuple[str, ...]:
        ids = [c.id for book in self._books.values() for c in book.categories]
        return tuple(dict.fromkeys(ids))

    def __len__(self) -> int:
        return sum(len(book.rules) for book in self._books.values())

    def match(self, text: str, locale: str | None = None) -> RiskMatch | None:
        """The risk found in `text`, in the person's locale first, then English, then the
        other locales."""
        if self._alone is not None and (emoji := self._characters.only_emoji(text)):
            weight = sum(self._alone.weights.get(word, 0) for word in emoji)
            if weight >= self._alone.at_least:
                return RiskMatch(self._alone.category, "emoji_alone", self._alone.severity)
        words = self._characters.words(text)
        if not words:
            return None
        # The person's language, English, then every other: people switch, and a Polish
        # speaker still enrolled in English writes in Polish (docs/clinical-safety.md, H51).
        for code in dict.fromkeys((locale or ENGLISH, ENGLISH, *self._books)):
            book = self._books.get(code)
            if book is not None and (found := book.find(words)) is not None:
                return found
        return None

    def forget_words(self) -> None:
        """Forget the words met so far (each locale's lexicon keeps what it worked out
        about a word); for measuring the screen as if every word were new."""
        for book in self._books.values():
            book.lexicon.forget()

    def screened(self, text: str, locale: str = ENGLISH) -> str:
        """The words as the rules of `locale` read them (for `safety eval` and tests)."""
        return self._books[locale].screened(self._characters.words(text))


def normalise(text: str) -> str:
    """Lower-case words separated by single spaces, before spelling and lemmas."""
    return " ".join(w.replace("'", "") for w in Characters({}).words(text) if w != CLAUSE)


def _sources(path: Path) -> list[Path]:
    if path.is_dir():
        return [*path.glob(f"*/{PHRASES_FILE}"), *path.glob(EMOJI_FILE)]
    return [path]


@functools.lru_cache(maxsize=8)
def _loaded(path: Path, stamp: tuple[int, ...]) -> RiskScreen:
    if not path.is_dir():
        book = load(path)
        return RiskScreen({book.locale: book}, Characters({}), None)
    books: dict[str, Phrasebook] = {}
    for phrases in sorted(path.glob(f"*/{PHRASES_FILE}")):
        book = load(phrases)
        if book.locale != phrases.parent.name:
            raise bad(
                phrases, f"locale is {book.locale!r} but the folder is {phrases.parent.name!r}."
            )
        books[book.locale] = book
    if ENGLISH not in books:
        raise bad(path, f"needs {ENGLISH}/{PHRASES_FILE}: English is always screened.")
    emoji, alone = _emoji(path / EMOJI_FILE)
    return RiskScreen(
        dict(sorted(books.items(), key=lambda kv: kv[0] != ENGLISH)), Characters(emoji), alone
    )


def _emoji(path: Path) -> tuple[dict[str, str], EmojiAlone | None]:
    if not path.exists():
        return {}, None
    data = files.mapping(
        path, "the file", files.read(path), frozenset({"version", "emoji", "alone"})
    )
    alone = files.mapping(
        path, "alone", data["alone"], frozenset({"category", "severity", "at_least"})
    )
    if alone["severity"] not in SEVERITIES:
        raise bad(path, f"alone: severity must be one of {', '.join(SEVERITIES)}.")
    table = data["emoji"]
    if not isinstance(table, list):
        raise bad(path, "'emoji' must be a list of {emoji, word, weight, why}.")
    words: dict[str, str] = {}
    weights: dict[str, int] = {}
    for raw in table:
        item = files.mapping(path, "an emoji", raw, frozenset({"emoji", "word", "weight", "why"}))
        symbol, word, weight = str(item["emoji"]), str(item["word"]), item["weight"]
        if not isinstance(weight, int) or weight < 0:
            raise bad(path, f"{symbol}: weight must be a whole number, 0 or more.")
        words[symbol] = word
        weights[word] = max(weights.get(word, 0), weight)
    return words, EmojiAlone(
        str(alone["category"]), str(alone["severity"]), int(str(alone["at_least"])), weights
    )
