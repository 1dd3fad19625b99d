"""Loading dialogs/safety/<locale>/phrases.yaml into a Phrasebook, checking it as it goes.

The syntax is described at the top of dialogs/safety/en/phrases.yaml. Everything is
compiled once, at load; a mistake is an error naming the file and what to fix.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from collections import Counter
from pathlib import Path

from bot.safety import files
from bot.safety.files import bad
from bot.safety.lexicon import Dictionary, Lexicon
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
_ID = re.compile(r"[a-z][a-z0-9_]*")
_FILE_KEYS = frozenset(
    {"language", "dictionary", "short_words", "textspeak", "spellings", "negation", "who"}
)
_CATEGORY_KEYS = frozenset(
    {"description", "covers", "someone_else", "with_other_risk", "only_with"}
)


@functools.cache
def _dictionary(where: str, base: Path, most: int) -> Dictionary:
    package, _, name = where.partition(":")
    if name:
        with importlib.resources.as_file(importlib.resources.files(package) / name) as path:
            return Dictionary.read(path, most)
    return Dictionary.read(base / where, most)


def load(path: Path) -> Phrasebook:
    data = files.mapping(
        path, "the file", files.read(path), frozenset({"version", "locale", "categories"}),
        _FILE_KEYS | {"groups", "dictionary_words"},
    )
    if data["version"] != 2:
        raise bad(path, "version must be 2.")
    locale = str(data["locale"])
    spellings = _spellings(path, data.get("spellings", {}))
    lexicon = Lexicon(
        str(data.get("language", locale)),
        _dictionary(str(data.get("dictionary", "")), path.parent, int(str(data.get("dictionary_words", 60000))))
        if data.get("dictionary")
        else Dictionary({}),
        textspeak=files.text_map(path, "textspeak", data.get("textspeak", {})),
        spellings=spellings,
        short_words=files.strings(path, "short_words", data.get("short_words", ["i", "a"])),
    )
    negation = files.mapping(path, "negation", data.get("negation", {"words": ["not"]}),
                             frozenset({"words"}), frozenset({"skip"}))
    who = files.mapping(path, "who", data.get("who", {"own": ["i"], "others": ["he"]}),
                        frozenset({"own", "others"}), frozenset({"subjects"}))

    def words(text: str) -> tuple[str, ...]:
        out: list[str] = []
        for raw in text.lower().split():
            out.extend([raw] if raw.startswith("=") else lexicon.pattern_words(raw))
        return tuple(out)

    def lemmas(key: str, value: object) -> frozenset[str]:
        return frozenset(w for item in files.strings(path, key, value) for w in words(item))

    # Twice: the first pass teaches the lexicon every rule word (and so its
    # inflections), the second compiles with that knowledge.
    for final in (False, True):
        book = _rules(path, data, words, lexicon, final)
    slots = Slots(
        negations=lemmas("negation words", negation["words"]),
        negation_skips=lemmas("negation skip", negation.get("skip", ["do"])),
        own=lemmas("who own", who["own"]),
        others=lemmas("who others", who["others"]),
        subjects=lemmas("who subjects", who.get("subjects", ["they"])),
    )
    categories, rules, tokens = book
    return Phrasebook(locale, lexicon, slots, categories, rules, _triggers(tokens))


_Built = tuple[tuple[Category, ...], tuple[Rule, ...], list[Seq]]


def _rules(path: Path, data: dict[str, object], words: object, lexicon: Lexicon, final: bool) -> _Built:
    assert callable(words)
    groups: dict[str, Alt] = {}
    raw_groups = data.get("groups", {})
    if not isinstance(raw_groups, dict):
        raise bad(path, "'groups' must map each group name to a list of words.")
    for name, members in raw_groups.items():
        if not isinstance(name, str) or not _ID.fullmatch(name):
            raise bad(path, f"group name {name!r} must be lower-case letters, digits and _.")
        options = []
        for member in files.strings(path, f"group {name!r}", members):
            if re.search(r"[(){}<>#|]", member) or not words(member):
                raise bad(path, f"group {name!r}: {member!r} must be plain words.")
            options.append(words(member))
        groups[name] = group(options)

    raw_categories = data["categories"]
    if not isinstance(raw_categories, list) or not raw_categories:
        raise bad(path, "'categories' must be a non-empty list.")
    categories: list[Category] = []
    rules: list[Rule] = []
    tokens: list[Seq] = []
    seen: set[str] = set()
    for raw in raw_categories:
        item = files.mapping(path, "a category", raw, frozenset({"id", "severity", "phrases"}), _CATEGORY_KEYS)
        cid = item["id"]
        if not isinstance(cid, str) or not _ID.fullmatch(cid):
            raise bad(path, f"category id {cid!r} must be lower_case_with_underscores.")
        category = Category(
            cid,
            _severity(path, cid, item["severity"]),
            covers=frozenset(files.strings(path, f"{cid}: covers", item["covers"])) if "covers" in item else frozenset(),
            someone_else=_optional(item, "someone_else"),
            with_other_risk=_optional(item, "with_other_risk"),
            only_with=_optional(item, "only_with"),
        )
        categories.append(category)
        phrases = item["phrases"]
        if not isinstance(phrases, list):
            raise bad(path, f"category {cid!r}: 'phrases' must be a list.")
        for raw_rule in phrases:
            rule = files.mapping(path, f"a phrase in {cid!r}", raw_rule, frozenset({"id", "phrase"}),
                                 frozenset({"unless", "severity", "negation"}))
            rid, written = rule["id"], rule["phrase"]
            if not isinstance(rid, str) or not _ID.fullmatch(rid) or rid in seen:
                raise bad(path, f"phrase id {rid!r} in {cid!r} must be new and in lower_case_with_underscores.")
            seen.add(rid)
            if not isinstance(written, str):
                raise bad(path, f"phrase {rid!r}: 'phrase' must be text; put it in quotes.")
            unless = files.strings(path, f"phrase {rid!r}: unless", rule["unless"]) if "unless" in rule else []
            try:
                phrase = parse(written, words, groups)
                excepts = [parse(u, words, groups) for u in unless]
            except PatternError as exc:
                raise bad(path, f"phrase {rid!r}: {exc}.") from exc
            if not final:
                for each in (phrase, *excepts):
                    lexicon.learn(*plain_words(each))
                continue
            tokens.append(phrase)
            rules.append(
                Rule(
                    rid,
                    category,
                    _severity(path, rid, rule.get("severity", category.severity)),
                    compile_rule(phrase, exception=False),
                    tuple(compile_rule(u, exception=True) for u in excepts),
                    negatable=rule.get("negation", "blocks") != "ignore",
                )
            )
    ids = {c.id for c in categories}
    for c in categories:
        for other in (*c.covers, c.someone_else, c.with_other_risk, c.only_with):
            if other is not None and other not in ids:
                raise bad(path, f"category {c.id!r} names {other!r}, which is not a category here.")
    return tuple(categories), tuple(rules), tokens


def _optional(item: dict[str, object], key: str) -> str | None:
    value = item.get(key)
    return None if value is None else str(value)


def _severity(path: Path, where: str, value: object) -> str:
    if value not in SEVERITIES:
        raise bad(path, f"{where}: severity must be one of {', '.join(SEVERITIES)}.")
    return str(value)


def _spellings(path: Path, table: object) -> dict[str, str]:
    if not isinstance(table, dict):
        raise bad(path, "'spellings' must map each correct word to a list of misspellings.")
    spellings: dict[str, str] = {}
    for correct, wrongs in table.items():
        for wrong in files.strings(path, f"spellings of {correct!r}", wrongs):
            if spellings.get(wrong, str(correct)) != str(correct):
                raise bad(path, f"spellings: {wrong!r} is listed for both {spellings[wrong]!r} and {correct!r}.")
            spellings[str(wrong)] = str(correct)
    return spellings


def _triggers(rules: list[Seq]) -> dict[str, tuple[int, ...]]:
    # A rule is looked at only when the message holds a word its rarest required
    # position can start with ("" : always looked at, when no position is simple).
    heads = [[w for w in map(first_words, rule.items) if w is not None] for rule in rules]
    counts: Counter[str] = Counter(w for options in heads for words in options for w in words)
    triggers: dict[str, set[int]] = {}
    for index, options in enumerate(heads):
        rarest = min(options, key=lambda ws: (sum(counts[w] for w in ws), len(ws)), default=None)
        for word in rarest if rarest is not None else {""}:
            triggers.setdefault(word, set()).add(index)
    return {word: tuple(sorted(ids)) for word, ids in triggers.items()}
