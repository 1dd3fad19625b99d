"""One locale's rules, and how a screened message is read against them.

Slots: a rule's match is dropped when a negation stands just before it ("I'm not
suicidal"); in a category about the person themself, the nearest subject decides
whose risk it is ("my friend wants to die" is someone else at risk); a category
may cover what it overlaps (a past attempt covers the "kill myself" inside "I tried
to kill myself"); the first category in the file wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.safety.lexicon import Lexicon
from bot.safety.patterns import Regex
from bot.safety.text import CLAUSE

LOOK_BACK = 8  # words before a match searched for its subject


@dataclass(frozen=True)
class RiskMatch:
    category: str
    phrase_id: str
    severity: str = "high"


@dataclass(frozen=True)
class Category:
    id: str
    severity: str
    covers: frozenset[str] = frozenset()
    someone_else: str | None = None  # the category when the subject is someone else
    with_other_risk: str | None = None  # the category when other risk is in the message
    only_with: str | None = None  # its rules count only beside this category's


@dataclass(frozen=True)
class Rule:
    id: str
    category: Category
    severity: str
    pattern: Regex
    exceptions: tuple[Regex, ...]
    negatable: bool


@dataclass(frozen=True)
class Slots:
    negations: frozenset[str]
    negation_skips: frozenset[str]
    own: frozenset[str]
    others: frozenset[str]
    subjects: frozenset[str]  # count before a match only: in it, "them" may be tablets


@dataclass(frozen=True)
class _Hit:
    rule: Rule
    category: Category
    start: int
    end: int


@dataclass
class Phrasebook:
    locale: str
    lexicon: Lexicon
    slots: Slots
    categories: tuple[Category, ...]
    rules: tuple[Rule, ...]
    triggers: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    def screened(self, raw_words: Iterable[str]) -> str:
        """The words of a message as rules read them: "lemma_surface", "." at clause ends."""
        out: list[str] = []
        for raw in raw_words:
            if raw == CLAUSE:
                if out and not out[-1].endswith("."):
                    out[-1] += "."
                continue
            out.extend(f"{lemma}_{surface}" for surface, lemma in self.lexicon.words(raw))
        return " ".join(out)

    def find(self, raw_words: list[str]) -> RiskMatch | None:
        text = self.screened(raw_words)
        present = {part for word in text.replace(".", "").split() for part in word.split("_")}
        present.add("")
        candidates = sorted(
            {i for w in present.intersection(self.triggers) for i in self.triggers[w]}
        )
        hits = [hit for i in candidates if (hit := self._hit(self.rules[i], text)) is not None]
        return self._decide(hits)

    def _hit(self, rule: Rule, text: str) -> _Hit | None:
        pattern = rule.pattern.compiled
        found = pattern.search(text)
        if found is None:
            return None
        spans = [e.span() for ex in rule.exceptions for e in ex.compiled.finditer(text)]
        while found is not None:
            start, end = found.span()
            # An exception suppresses only the occurrence it overlaps.
            excepted = any(a < end and start < b for a, b in spans)
            if not excepted and not (rule.negatable and self._negated(text, start)):
                return _Hit(rule, self._whose(rule.category, text, start, end), start, end)
            found = pattern.search(text, start + 1)
        return None

    def _negated(self, text: str, start: int) -> bool:
        for word in reversed(text[:start].split()[-4:]):
            if word.endswith("."):
                return False
            lemma = word.partition("_")[0]
            if lemma in self.slots.negations:
                return True
            if lemma not in self.slots.negation_skips:
                return False
        return False

    def _whose(self, category: Category, text: str, start: int, end: int) -> Category:
        if category.someone_else is None:
            return category
        inside = [w.partition("_")[0] for w in text[start:end].split()]
        before: list[str] = []
        for word in reversed(text[:start].split()[-LOOK_BACK:]):
            if word.endswith("."):
                break
            before.append(word.partition("_")[0])
        # Inside the match the person's own words win ("they'd be happier if I wasn't
        # here"); before it, the nearest subject does ("my friend says she wants to die").
        if any(lemma in self.slots.own for lemma in inside):
            return category
        inside = [lemma for lemma in inside if lemma not in self.slots.subjects]
        for lemma in [*inside, *before]:
            if lemma in self.slots.others:
                return self._category(category.someone_else)
            if lemma in self.slots.own:
                return category
        return category

    def _category(self, cid: str) -> Category:
        return next(c for c in self.categories if c.id == cid)

    def _decide(self, hits: list[_Hit]) -> RiskMatch | None:
        covering = [h for h in hits if h.category.covers]
        hits = [
            h
            for h in hits
            if not any(
                h.category.id in c.category.covers and c.start <= h.start and h.end <= c.end
                for c in covering
            )
        ]
        ids = {h.category.id for h in hits}
        hits = [h for h in hits if h.category.only_with is None or h.category.only_with in ids]
        if not hits:
            return None
        order = {c.id: i for i, c in enumerate(self.categories)}
        best = min(hits, key=lambda h: order[h.category.id])
        for hit in hits:
            others = [h for h in hits if h.category.id != hit.category.id]
            if hit.category.with_other_risk is None or not others:
                continue
            raised = self._category(hit.category.with_other_risk)
            if order[raised.id] <= order[best.category.id]:
                return RiskMatch(raised.id, f"{hit.rule.id}+{others[0].rule.id}", raised.severity)
        return RiskMatch(best.category.id, best.rule.id, _severity(best))


def _severity(hit: _Hit) -> str:
    # A rule's own severity holds in its own category; moved to another category
    # (someone else at risk), the hit takes that category's.
    if hit.category is hit.rule.category:
        return hit.rule.severity
    return hit.category.severity
