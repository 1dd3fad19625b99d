"""The words of each language the assistant understands (dialogs/language/<locale>/words.yaml).

Keywords of every language are keywords for everyone (bot/keywords.py merges them),
so a person who writes CYMORTH before switching to Welsh is understood. Answer words
(yes and no, numbers, times of day, the end of a list) are read in the person's own
language: they are said again as the English parsers read them ("ie" is "yes",
"o dziewiątej wieczorem" is "at 9 pm"), and the person's words are stored as sent.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from bot.language.catalogue import LANGUAGE_DIR, WORDS_FILE, LanguageError

# Letters NFKD does not split from an accent.
_BARE: Final = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ß": "ss"})
_APOSTROPHES: Final = str.maketrans("", "", "'’‘`´")
# Answers that the English parsers read as they stand (a free text, a name, a contact).
_READ_AS_SENT: Final = frozenset({"text", "name", "contact", "list", "none"})


@dataclass(frozen=True)
class Words:
    locale: str
    switch: frozenset[str] = frozenset()
    keywords: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    yes: frozenset[str] = frozenset()
    no: frozenset[str] = frozenset()
    unclear: frozenset[str] = frozenset()
    # Phrases said again in English, longest first: numbers and times of day.
    phrases: tuple[tuple[str, str], ...] = ()
    list_done: frozenset[str] = frozenset()
    list_skip: frozenset[str] = frozenset()
    list_later: frozenset[str] = frozenset()
    thanks: frozenset[str] = frozenset()
    keep: frozenset[str] = frozenset()
    # When the team will next read messages (bot/language/seen.py), and the days of
    # the week, Monday first, as that table says them.
    seen: Mapping[str, str] = field(default_factory=dict)
    days: tuple[str, ...] = ()
    carry_on: frozenset[str] = frozenset()
    remove: frozenset[str] = frozenset()


def fold(text: str) -> str:
    """Lower case, accents and apostrophes dropped, punctuation a space, spaces single."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_BARE))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    bare = bare.translate(_APOSTROPHES)
    spaced = "".join(" " if unicodedata.category(c)[0] in "PS" else c for c in bare)
    return " ".join(spaced.split())


def all_words(root: Path = LANGUAGE_DIR) -> dict[str, Words]:
    return _read(root.resolve())


def words(locale: str, root: Path = LANGUAGE_DIR) -> Words:
    return all_words(root).get(locale) or Words(locale)


def keyword_phrases(root: Path = LANGUAGE_DIR) -> dict[str, tuple[str, ...]]:
    """Keyword name -> the phrases of every language besides English, folded as
    bot/keywords.py folds a message (accents dropped, "ł" kept, hyphens kept)."""
    merged: dict[str, list[str]] = {}
    for each in all_words(root).values():
        for key, phrases in each.keywords.items():
            merged.setdefault(key, []).extend(phrases)
    return {key: tuple(dict.fromkeys(phrases)) for key, phrases in merged.items()}


def switch_to(text: str, root: Path = LANGUAGE_DIR) -> str | None:
    """The locale a whole message asks to be spoken to in ("CYMRAEG", "polski"), or None."""
    said = fold(text)
    if not said or len(said) > 40:
        return None
    for each in all_words(root).values():
        if said in each.switch:
            return each.locale
    return None


def for_parser(text: str, locale: str, kind: str) -> str:
    """`text` as the English parser of `kind` reads it; unchanged in English."""
    table = words(locale)
    if kind in _READ_AS_SENT or (not table.phrases and not table.yes):
        return text
    said = fold(text)
    if kind == "yes_no":
        if said in table.unclear:
            return "maybe"
        if said in table.yes:
            return "yes"
        if said in table.no:
            return "no"
        return text
    glossed = _gloss(said, table.phrases)
    return glossed if glossed != said else text


def for_list(text: str, locale: str) -> str:
    """A message to a list question as the English list words read it (an ending, a skip,
    "not now", a nod); anything else unchanged, so it is kept as the person's words."""
    table = words(locale)
    said = fold(text)
    if said in table.list_done:
        return "thats it"
    if said in table.list_skip:
        return "skip it"
    if said in table.list_later:
        return "not now"
    if said in table.thanks or said in table.yes:
        return "thanks"
    first, _, rest = said.partition(" ")
    if first in table.remove and rest:
        return f"remove {rest}"
    return text


def for_hold(text: str, locale: str) -> str:
    """What to do with words held after risk language: KEEP them, or carry on."""
    table = words(locale)
    said = fold(text)
    if said in table.keep:
        return "keep"
    if said in table.carry_on:
        return "carry on"
    return text


def _gloss(said: str, phrases: tuple[tuple[str, str], ...]) -> str:
    """One pass, left to right, the longest phrase at each word: "am ddeg y bore" is
    "at 10 am" (the Welsh "am" is "at", but the "am" said for "y bore" stays)."""
    table = dict(phrases)
    longest = max((len(p.split()) for p, _ in phrases), default=0)
    tokens, out, i = said.split(), [], 0
    while i < len(tokens):
        for size in range(min(longest, len(tokens) - i), 0, -1):
            english = table.get(" ".join(tokens[i : i + size]))
            if english is not None:
                out.extend(english.split())
                i += size
                break
        else:
            out.append(tokens[i])
            i += 1
    return " ".join(out)


def _keyword_fold(phrase: str) -> str:
    decomposed = unicodedata.normalize("NFKD", phrase).casefold()
    kept = "".join(c for c in decomposed if unicodedata.category(c) not in {"Cf", "Mn"})
    return " ".join(kept.split())


@functools.cache
def _read(root: Path) -> dict[str, Words]:
    found: dict[str, Words] = {}
    for path in sorted(root.glob(f"*/{WORDS_FILE}")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("locale") != path.parent.name:
            raise LanguageError(f"{path}: 'locale' must be {path.parent.name!r}.")
        found[path.parent.name] = _words(path.parent.name, data)
    return found


def _words(locale: str, data: dict[str, Any]) -> Words:
    def folded(key: str) -> frozenset[str]:
        return frozenset(fold(str(w)) for w in data.get(key) or [])

    numbers = {fold(str(k)): str(v) for k, v in (data.get("numbers") or {}).items()}
    times = {fold(str(k)): str(v or "") for k, v in (data.get("times") or {}).items()}
    table = {**numbers, **times}
    phrases = tuple(sorted(table.items(), key=lambda kv: (-len(kv[0].split()), -len(kv[0]))))
    keywords = {
        str(key): tuple(_keyword_fold(str(p)) for p in values)
        for key, values in (data.get("keywords") or {}).items()
    }
    return Words(
        locale=locale,
        switch=folded("switch"),
        keywords=keywords,
        yes=folded("yes"),
        no=folded("no"),
        unclear=folded("unclear"),
        phrases=phrases,
        list_done=folded("list_done"),
        list_skip=folded("list_skip"),
        list_later=folded("list_later"),
        thanks=folded("thanks"),
        keep=folded("keep"),
        carry_on=folded("carry_on"),
        remove=folded("remove"),
        seen={str(k): str(v) for k, v in (data.get("seen") or {}).items()},
        days=tuple(str(d) for d in data.get("days") or ()),
    )
