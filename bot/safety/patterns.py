"""The rule syntax of dialogs/safety/<locale>/phrases.yaml, compiled to regular
expressions over a screened message.

A screened message is its words separated by single spaces, each written
"lemma_surface" ("try_tried"), with a "." glued after the last word of a clause
(the lemma first, so that most words of a rule are a literal at the start of a word).
A rule's plain word matches the lemma (so "kill" matches killed, kills, killing); a
word written "=tried" matches that exact form (for tense: "tried to", not "trying to").
Choices nest: "(end (my|his) life|die)"; "(a|b)?" may be left out.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

MAX_GAP = 6
_LEXEME = re.compile(r"\{(\d+)-(\d+)\}|<([a-z0-9_]+)>|[()|?#$]|[^\s(){}<>|?#$]+|\s+|.")


class PatternError(ValueError):
    pass


@dataclass(frozen=True)
class Word:
    text: str  # a lemma, or "=form"


@dataclass(frozen=True)
class Gap:
    least: int
    most: int


@dataclass(frozen=True)
class Number:
    pass


@dataclass(frozen=True)
class End:
    """`$`: the word before ends a sentence or clause (or the message)."""


@dataclass(frozen=True)
class Alt:
    options: tuple[Seq, ...]
    optional: bool = False


@dataclass(frozen=True)
class Seq:
    items: tuple[Item, ...]


Item = Word | Gap | Number | End | Alt
Words = Callable[[str], tuple[str, ...]]


class _Parser:
    def __init__(self, pattern: str, words: Words, groups: Mapping[str, Alt]) -> None:
        self.pattern = pattern
        self.lexemes = [m.group() for m in _LEXEME.finditer(pattern) if not m.group().isspace()]
        self.at = 0
        self.words = words
        self.groups = groups

    def peek(self) -> str | None:
        return self.lexemes[self.at] if self.at < len(self.lexemes) else None

    def seq(self, closing: frozenset[str]) -> Seq:
        items: list[Item] = []
        while (lexeme := self.peek()) is not None and lexeme not in closing:
            self.at += 1
            if lexeme == "(":
                options = [self.seq(frozenset("|)"))]
                while self.peek() == "|":
                    self.at += 1
                    options.append(self.seq(frozenset("|)")))
                if self.peek() != ")":
                    raise PatternError(f"{self.pattern!r} has a ( without its )")
                self.at += 1
                optional = self.peek() == "?"
                self.at += optional
                if any(not o.items for o in options):
                    raise PatternError(f"{self.pattern!r} has an empty choice")
                if _ends(options) and (optional or not items or isinstance(items[-1], Gap)):
                    raise PatternError(f"{self.pattern!r}: a choice with $ must follow a word")
                items.append(Alt(tuple(options), optional))
            elif lexeme.startswith("{"):
                least, most = (int(n) for n in lexeme[1:-1].split("-"))
                if not least <= most <= MAX_GAP:
                    raise PatternError(f"{lexeme} must be {{N-M}} with N <= M <= {MAX_GAP}")
                items.append(Gap(least, most))
            elif lexeme.startswith("<"):
                if lexeme[1:-1] not in self.groups:
                    raise PatternError(
                        f"the group {lexeme} is not defined under 'groups'; "
                        "define it or fix its name"
                    )
                items.append(self.groups[lexeme[1:-1]])
            elif lexeme == "#":
                items.append(Number())
            elif lexeme == "$" and not items and "|" in closing:
                items.append(End())  # an option "$": the word before ends a clause
                if self.peek() not in closing:
                    raise PatternError(f"{self.pattern!r}: an option $ must be alone")
                return Seq(tuple(items))
            elif lexeme == "$":
                if not items or isinstance(items[-1], Gap | End):
                    raise PatternError(f"{self.pattern!r}: $ must follow a word")
                items.append(End())
            elif lexeme in ")|?" or not re.fullmatch(r"=?[\w']+", lexeme):
                raise PatternError(
                    f"unexpected {lexeme!r} in {self.pattern!r}; "
                    "brackets are (a|b), (a|b)?, <group> and {0-2}"
                )
            elif lexeme.startswith("="):
                items.append(Word(lexeme.lower()))
            else:
                items.extend(Word(w) for w in self.words(lexeme))
        _check(self.pattern, items)
        return Seq(tuple(items))


def _check(pattern: str, items: list[Item]) -> None:
    required = [i for i in items if not isinstance(i, Gap | End) and not _optional(i)]
    if not required:
        raise PatternError(f"{pattern!r} has no words it must find")
    last = items[-1]
    if isinstance(items[0], Gap) or isinstance(last, Gap) or _optional(last):
        raise PatternError(f"{pattern!r} may not start or end with a gap or an optional (a|b)?")
    for a, b in itertools.pairwise(items):
        if isinstance(a, Gap) and isinstance(b, Gap):
            raise PatternError(f"{pattern!r} has two gaps in a row; use one")


def _ends(options: list[Seq] | tuple[Seq, ...]) -> bool:
    return any(o.items == (End(),) for o in options)


def _optional(item: Item) -> bool:
    return isinstance(item, Alt) and item.optional


def parse(pattern: str, words: Words, groups: Mapping[str, Alt]) -> Seq:
    """One written rule; `words` turns written words into the lemmas rules compare."""
    parser = _Parser(pattern, words, groups)
    seq = parser.seq(frozenset())
    if parser.peek() is not None:
        raise PatternError(f"{pattern!r} has a {parser.peek()} with nothing to close")
    return seq


def group(members: list[tuple[str, ...]]) -> Alt:
    return Alt(tuple(Seq(tuple(Word(w) for w in m)) for m in dict.fromkeys(members)))


def _word(word: str, end: str) -> str:
    if word.startswith("="):
        return r"[^\s_]+_" + re.escape(word[1:]) + end
    return re.escape(word) + r"_[^\s.]+" + end


def _seq(seq: Seq, end: str, gap_word: str) -> str:
    parts: list[str] = []
    prefix = ""  # a gap and optional words go before the next word that must be there
    for item in seq.items:
        if isinstance(item, Gap):
            prefix += f"(?:{gap_word}){{{item.least},{item.most}}}"
            continue
        if isinstance(item, End):
            parts[-1] += r"(?:(?<=\.)|$)"
            continue
        if isinstance(item, Word):
            body = _word(item.text, end)
        elif isinstance(item, Number):
            body = r"\d+_\d+" + end
        elif _ends(item.options):
            words = [o for o in item.options if o.items != (End(),)]
            options = sorted({_seq(o, end, gap_word) for o in words}, key=len, reverse=True)
            parts[-1] += "(?: (?:" + "|".join(options) + r")|(?<=\.)|$)"
            continue
        else:
            options = sorted({_seq(o, end, gap_word) for o in item.options}, key=len, reverse=True)
            body = "(?:" + "|".join(options) + ")"
            if item.optional:
                prefix += f"(?:{body} )?"
                continue
        parts.append(prefix + body)
        prefix = ""
    return " ".join(parts)


class Regex:
    """A regular expression compiled the first time a message needs it (`eager`: at
    load). A rule's own expression is compiled at load, so no message waits for it;
    its exceptions, looked at only once the rule has matched, wait until then."""

    __slots__ = ("_compiled", "source")

    def __init__(self, source: str, *, eager: bool = False) -> None:
        self.source = source
        self._compiled: re.Pattern[str] | None = re.compile(source) if eager else None

    @property
    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(self.source)
        return self._compiled


def compile_rule(seq: Seq, *, exception: bool) -> Regex:
    # A rule reads across clause ends, an exception does not (except after its last word).
    end = "" if exception else r"\.?"
    gap_word = r"[^\s.]+ " if exception else r"\S+ "
    tail = r"\.?" if exception else ""
    return Regex(r"(?<!\S)" + _seq(seq, end, gap_word) + tail + r"(?!\S)", eager=True)


def first_words(item: Item) -> frozenset[str] | None:
    """The words a required item can start with, or None when that is not simple."""
    if isinstance(item, Word):
        return frozenset({item.text.removeprefix("=")})
    if isinstance(item, Alt) and not item.optional:
        found: set[str] = set()
        for option in item.options:
            head = option.items[0]
            if isinstance(head, Gap) or _optional(head):
                return None
            words = first_words(head)
            if words is None:
                return None
            found |= words
        return frozenset(found)
    return None


def plain_words(seq: Seq) -> tuple[list[str], list[str]]:
    """The lemmas and the exact forms a rule uses (for the lexicon's vocabulary)."""
    lemmas: list[str] = []
    exact: list[str] = []
    stack: list[Item] = list(seq.items)
    while stack:
        item = stack.pop()
        if isinstance(item, Word):
            (exact if item.text.startswith("=") else lemmas).append(item.text.removeprefix("="))
        elif isinstance(item, Alt):
            for option in item.options:
                stack.extend(option.items)
    return lemmas, exact
