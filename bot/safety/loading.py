"""Loading dialogs/safety/<locale>/phrases.yaml into a Phrasebook, checking it as it goes.

The syntax is described at the top of dialogs/safety/en/phrases.yaml. Everything is
compiled once, at load; a mistake is an error naming the file and what to fix.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from collections.abc import Callable
from pathlib import Path

from bot.safety import files
from bot.safety.files import bad
from bot.safety.lexicon import Dictionary, KnownForms, Lexicon
from bot.safety.patterns import (
    Alt,
    PatternError,
    Seq,
    compile_rule,
    first_words,
    group,
    parse,
    plain_words,
)
from bot.safety.phrasebook import Category, Phrasebook, Rule, Slots

SEVERITIES = ("high", "medium", "low")
VERSION = 2
_ID = re.compile(r"[a-z][a-z0-9_]*")
_FILE_KEYS = frozenset(
    {
        "language",
        "dictionary",
        "dictionary_words",
        "short_words",
        "textspeak",
        "spellings",
        "negation",
        "who",
        "groups",
    }
)
_CATEGORY_KEYS = frozenset(
    {"description", "covers", "someone_else", "with_other_risk", "only_with"}
)
_RULE_KEYS = frozenset({"unless", "severity", "negation"})


@functools.cache
def _dictionary(where: str, base: Path, most: int) -> Dictionary:
    """ "package:file" (a word list shipped with a library), "simplemma:<language>" (the
    word forms of the lemmatiser's dictionary) or a file beside the rules."""
    package, _, name = where.partition(":")
    if package == "simplemma":
        return Dictionary(KnownForms(name))
    if name:
        with importlib.resources.as_file(importlib.resources.files(package) / name) as path:
            return Dictionary.read(path, most)
    return Dictionary.read(base / where, most)


def load(path: Path) -> Phrasebook:
    return _Loader(path).phrasebook()


class _Loader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.data = files.mapping(
            path,
            "the file",
            files.read(path),
            frozenset({"version", "locale", "categories"}),
            _FILE_KEYS,
        )
        if self.data["version"] != VERSION:
            raise bad(path, f"version must be {VERSION}.")
        self._words: dict[str, tuple[str, ...]] = {}
        self.lexicon = self._lexicon()

    def phrasebook(self) -> Phrasebook:
        # Twice: the first pass teaches the lexicon every rule word (and so its
        # inflections), the second compiles with that knowledge.
        self._categories(learn=True)
        self.lexicon.learn_common_forms()
        self._words.clear()
        self.lexicon.forget()
        categories, rules, written = self._categories(learn=False)
        locale = str(self.data["locale"])
        triggers = _triggers(written, self.lexicon.commonness)
        return Phrasebook(locale, self.lexicon, self._slots(), categories, rules, triggers)

    def words(self, text: str) -> tuple[str, ...]:
        if (known := self._words.get(text)) is not None:
            return known
        out: list[str] = []
        for raw in text.lower().split():
            out.extend([raw] if raw.startswith("=") else self.lexicon.pattern_words(raw))
        self._words[text] = tuple(out)
        return self._words[text]

    def _lexicon(self) -> Lexicon:
        data = self.data
        where = data.get("dictionary")
        most = data.get("dictionary_words", 60_000)
        if not isinstance(most, int):
            raise bad(self.path, "dictionary_words must be a whole number.")
        return Lexicon(
            str(data.get("language", data["locale"])),
            _dictionary(str(where), self.path.parent, most) if where else Dictionary({}),
            textspeak=files.text_map(self.path, "textspeak", data.get("textspeak", {})),
            spellings=self._spellings(),
            short_words=files.strings(self.path, "short_words", data.get("short_words", ["i"])),
        )

    def _spellings(self) -> dict[str, str]:
        table = self.data.get("spellings", {})
        if not isinstance(table, dict):
            raise bad(self.path, "'spellings' must map each word to a list of misspellings.")
        spellings: dict[str, str] = {}
        for correct, wrongs in table.items():
            for wrong in files.strings(self.path, f"spellings of {correct!r}", wrongs):
                if spellings.setdefault(wrong, str(correct)) != str(correct):
                    raise bad(
                        self.path,
                        f"spellings: {wrong!r} is listed for {spellings[wrong]!r} "
                        f"and {correct!r}; keep one.",
                    )
        return spellings

    def _slots(self) -> Slots:
        negation = files.mapping(
            self.path,
            "negation",
            self.data.get("negation", {"words": ["not"]}),
            frozenset({"words"}),
            frozenset({"skip"}),
        )
        who = files.mapping(
            self.path,
            "who",
            self.data.get("who", {"own": ["i"], "others": ["he", "she"]}),
            frozenset({"own", "others"}),
            frozenset({"subjects"}),
        )
        return Slots(
            negations=self._lemmas("negation: words", negation["words"]),
            negation_skips=self._lemmas("negation: skip", negation.get("skip", ["do"])),
            own=self._lemmas("who: own", who["own"]),
            others=self._lemmas("who: others", who["others"]),
            subjects=self._lemmas("who: subjects", who.get("subjects", ["they"])),
        )

    def _lemmas(self, where: str, value: object) -> frozenset[str]:
        items = files.strings(self.path, where, value)
        return frozenset(w for item in items for w in self.words(item))

    def _groups(self) -> dict[str, Alt]:
        raw = self.data.get("groups", {})
        if not isinstance(raw, dict):
            raise bad(self.path, "'groups' must map each group name to a list of words.")
        groups: dict[str, Alt] = {}
        for name, members in raw.items():
            if not isinstance(name, str) or not _ID.fullmatch(name):
                raise bad(self.path, f"group name {name!r} must be lower-case letters, digits, _.")
            options = []
            for member in files.strings(self.path, f"group {name!r}", members):
                if re.search(r"[(){}<>#|?$=]", member) or not self.words(member):
                    raise bad(self.path, f"group {name!r}: {member!r} must be plain words.")
                options.append(self.words(member))
            groups[name] = group(options)
        return groups

    def _categories(
        self, *, learn: bool
    ) -> tuple[tuple[Category, ...], tuple[Rule, ...], list[Seq]]:
        raw = self.data["categories"]
        if not isinstance(raw, list) or not raw:
            raise bad(self.path, "'categories' must be a non-empty list.")
        groups = self._groups()
        categories: list[Category] = []
        rules: list[Rule] = []
        written: list[Seq] = []
        seen: set[str] = set()
        for item in raw:
            category, phrases = self._category(item)
            categories.append(category)
            for phrase in phrases:
                rule, seq, unless = self._rule(category, phrase, groups, seen)
                if learn:
                    for each in (seq, *unless):
                        self.lexicon.learn(*plain_words(each))
                    continue
                rules.append(rule(seq, unless))
                written.append(seq)
        self._check_names(categories)
        return tuple(categories), tuple(rules), written

    def _category(self, raw: object) -> tuple[Category, list[object]]:
        item = files.mapping(
            self.path, "a category", raw, frozenset({"id", "severity", "phrases"}), _CATEGORY_KEYS
        )
        cid = item["id"]
        if not isinstance(cid, str) or not _ID.fullmatch(cid):
            raise bad(self.path, f"category id {cid!r} must be lower_case_with_underscores.")
        phrases = item["phrases"]
        if not isinstance(phrases, list):
            raise bad(self.path, f"category {cid!r}: 'phrases' must be a list.")
        covers = item.get("covers")
        category = Category(
            cid,
            self._severity(cid, item["severity"]),
            covers=frozenset(files.strings(self.path, f"{cid}: covers", covers) if covers else ()),
            someone_else=_optional(item, "someone_else"),
            with_other_risk=_optional(item, "with_other_risk"),
            only_with=_optional(item, "only_with"),
        )
        return category, phrases

    def _rule(
        self, category: Category, raw: object, groups: dict[str, Alt], seen: set[str]
    ) -> tuple[_RuleMaker, Seq, list[Seq]]:
        item = files.mapping(
            self.path, f"a phrase in {category.id!r}", raw, frozenset({"id", "phrase"}), _RULE_KEYS
        )
        rid, written = item["id"], item["phrase"]
        if not isinstance(rid, str) or not _ID.fullmatch(rid) or rid in seen:
            raise bad(
                self.path,
                f"phrase id {rid!r} in {category.id!r} must be new, lower_case_with_underscores.",
            )
        seen.add(rid)
        if not isinstance(written, str):
            raise bad(self.path, f"phrase {rid!r}: 'phrase' must be text; put it in quotes.")
        unless = item.get("unless")
        try:
            seq = parse(written, self.words, groups)
            excepts = [
                parse(u, self.words, groups)
                for u in (files.strings(self.path, f"{rid}: unless", unless) if unless else [])
            ]
        except PatternError as exc:
            raise bad(self.path, f"phrase {rid!r}: {exc}.") from exc
        if item.get("negation", "blocks") not in ("blocks", "ignore"):
            raise bad(self.path, f"phrase {rid!r}: negation must be 'blocks' or 'ignore'.")
        return (
            _RuleMaker(
                rid,
                category,
                self._severity(rid, item.get("severity", category.severity)),
                negatable=item.get("negation", "blocks") == "blocks",
            ),
            seq,
            excepts,
        )

    def _severity(self, where: str, value: object) -> str:
        if value not in SEVERITIES:
            raise bad(self.path, f"{where}: severity must be one of {', '.join(SEVERITIES)}.")
        return str(value)

    def _check_names(self, categories: list[Category]) -> None:
        ids = {c.id for c in categories}
        for c in categories:
            for other in (*c.covers, c.someone_else, c.with_other_risk, c.only_with):
                if other is not None and other not in ids:
                    raise bad(self.path, f"category {c.id!r} names {other!r}: not a category here.")


class _RuleMaker:
    def __init__(self, rid: str, category: Category, severity: str, *, negatable: bool) -> None:
        self.rid, self.category, self.severity, self.negatable = rid, category, severity, negatable

    def __call__(self, seq: Seq, unless: list[Seq]) -> Rule:
        return Rule(
            self.rid,
            self.category,
            self.severity,
            compile_rule(seq, exception=False),
            tuple(compile_rule(u, exception=True) for u in unless),
            self.negatable,
        )


def _optional(item: dict[str, object], key: str) -> str | None:
    value = item.get(key)
    return None if value is None else str(value)


def _triggers(rules: list[Seq], commonness: Callable[[str], float]) -> dict[str, tuple[int, ...]]:
    # A rule is looked at only when the message holds a word its rarest required
    # position can start with, rarest in the language ("" : always looked at, when no
    # position is simple): "want to die" waits for "die", not for "to".
    triggers: dict[str, set[int]] = {}
    for index, rule in enumerate(rules):
        heads = [w for w in map(first_words, rule.items) if w is not None]
        rarest = min(heads, key=lambda ws: sum(map(commonness, ws)), default=None)
        for word in rarest if rarest is not None else {""}:
            triggers.setdefault(word, set()).add(index)
    return {word: tuple(sorted(ids)) for word, ids in triggers.items()}
