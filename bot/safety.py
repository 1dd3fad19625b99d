"""The risk screen: finds risk language in an inbound text, before anything else runs.

The phrases, the exceptions to them and the misspelling table are data
(dialogs/safety/phrases.yaml, owned by the clinical safety officer); the syntax is
described at the top of that file. Everything is compiled once, at load.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

DEFAULT_PHRASES = Path(__file__).resolve().parent.parent / "dialogs" / "safety" / "phrases.yaml"

MAX_GAP = 5
_ID = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class RiskMatch:
    category: str
    phrase_id: str


# Normalisation. The order matters: invisible characters go before apostrophes are
# looked at ("don\u200b't"), apostrophes before other punctuation ("don't" -> "dont").
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")
_SYMBOL = re.compile(r"[^\w\s]")
_APOSTROPHE = re.compile(r"(?<=\w)['\u2018\u2019\u02bc\u2032`\u00b4]+(?=\w)")
# Leetspeak only between two letters, so "k1ll" reads "kill" but "5km", "4am" and
# "mp3" stay as they are.
_LEET = re.compile(r"(?<=[a-z])[013457@$!]+(?=[a-z])")
_LEET_LETTERS = str.maketrans("013457@$!", "oieastasi")
# Where a sentence or clause ends. Kept (as a "." glued to the word before it) so
# that an exception never reaches across it: "I want to die, my hair is falling
# out" is not "die my hair". A point or comma between digits ("2.5") is not one.
_CLAUSE = re.compile(r"(?<!\d)[.,]|[.,](?!\d)|[;:!?()\[\]{}\n\r\u2028\u2029\u2013\u2014]")
_MARK = "\x01"  # stands for a clause end until the words are split; never in input
_NON_WORD = re.compile(r"[^\w\x01]+|_+")
_REPEATED_LETTER = re.compile(r"([^\W\d_])\1+")


def _drop_invisible(found: re.Match[str]) -> str:
    # Format and control characters (zero-width, direction marks, null) and stray
    # combining marks are deleted, not turned into spaces: "ki\u200bll" is "kill".
    char = found.group()
    return "" if unicodedata.category(char)[0] in "CM" else char


def _unleet(found: re.Match[str]) -> str:
    return found.group().translate(_LEET_LETTERS)


def _prepare(text: str) -> str:
    if text.isascii():
        text = _ASCII_CONTROL.sub("", text.lower())
    else:
        text = unicodedata.normalize("NFKC", text).casefold()
        text = _SYMBOL.sub(_drop_invisible, text)
    text = _APOSTROPHE.sub("", text)
    text = _LEET.sub(_unleet, text)
    text = _CLAUSE.sub(f" {_MARK} ", text)
    text = _NON_WORD.sub(" ", text)
    return _REPEATED_LETTER.sub(r"\1", text)


def normalise(text: str) -> str:
    """Lower-case words separated by single spaces, as the screen compares them.

    The misspelling table of a phrase file is not applied here: it belongs to the
    file, and RiskScreen applies it on top.
    """
    return " ".join(word for word in _prepare(text).split() if word != _MARK)


def _screen_text(text: str, spellings: Mapping[str, str]) -> str:
    """normalise(), then the misspelling table, with a "." glued to each clause end."""
    words: list[str] = []
    for word in _prepare(text).split():
        if word != _MARK:
            words.append(spellings.get(word, word))
        elif words and not words[-1].endswith("."):
            words[-1] += "."
    return " ".join(words)


# Phrases


@dataclass(frozen=True)
class _Gap:
    least: int
    most: int


@dataclass(frozen=True)
class _Choice:
    """One position of a phrase: one of these word sequences."""

    options: tuple[tuple[str, ...], ...]

    @property
    def first_words(self) -> frozenset[str]:
        return frozenset(option[0] for option in self.options)


@dataclass(frozen=True)
class _Number:
    pass


_Token = _Gap | _Choice | _Number
_PATTERN = re.compile(
    r"\{(?P<least>\d+)-(?P<most>\d+)\}|\((?P<choice>[^(){}<>#]*)\)|<(?P<group>[a-z0-9_]+)>"
    r"|(?P<number>#)|(?P<words>[^(){}<>#]+)|(?P<stray>.)"
)


class _Compiler:
    """Turns the written syntax into tokens, with the file's spellings and groups."""

    def __init__(self, path: Path, spellings: Mapping[str, str]) -> None:
        self.path = path
        self.spellings = spellings
        self.groups: dict[str, _Choice] = {}

    def words(self, text: str) -> tuple[str, ...]:
        return tuple(" ".join(self.spellings.get(w, w) for w in normalise(text).split()).split())

    def add_group(self, name: str, members: list[str]) -> None:
        options = []
        for member in members:
            if re.search(r"[(){}<>#|]", member):
                raise _bad(self.path, f"group {name!r}: {member!r} must be plain words.")
            words = self.words(member)
            if not words:
                raise _bad(self.path, f"group {name!r}: {member!r} has no words in it.")
            options.append(words)
        self.groups[name] = _Choice(tuple(dict.fromkeys(options)))

    def tokens(self, where: str, pattern: str) -> tuple[_Token, ...]:
        tokens: list[_Token] = []
        for part in _PATTERN.finditer(pattern):
            kind = part.lastgroup  # for a gap {N-M}, that is "most"
            if kind == "most":
                least, most = int(part["least"]), int(part["most"])
                if not least <= most <= MAX_GAP:
                    raise _bad(
                        self.path,
                        f"{where}: {part.group()} must be {{N-M}} with N <= M <= {MAX_GAP}.",
                    )
                tokens.append(_Gap(least, most))
            elif kind == "choice":
                options = [self.words(option) for option in part["choice"].split("|")]
                if not all(options):
                    raise _bad(self.path, f"{where}: {part.group()} has an empty choice.")
                tokens.append(_Choice(tuple(dict.fromkeys(options))))
            elif kind == "group":
                if part["group"] not in self.groups:
                    raise _bad(
                        self.path,
                        f"{where}: the group <{part['group']}> is not "
                        "defined under 'groups'; define it or fix its name.",
                    )
                tokens.append(self.groups[part["group"]])
            elif kind == "number":
                tokens.append(_Number())
            elif kind == "words":
                tokens.extend(_Choice(((word,),)) for word in self.words(part["words"]))
            else:
                raise _bad(
                    self.path,
                    f"{where}: unexpected {part.group()!r} in {pattern!r}; "
                    "brackets are (a|b), <group> and {0-2}.",
                )
        if not any(isinstance(token, _Choice) for token in tokens):
            raise _bad(self.path, f"{where}: {pattern!r} has no words in it.")
        if isinstance(tokens[0], _Gap) or isinstance(tokens[-1], _Gap):
            raise _bad(self.path, f"{where}: {pattern!r} may not start or end with a gap.")
        if any(isinstance(a, _Gap) and isinstance(b, _Gap) for a, b in itertools.pairwise(tokens)):
            raise _bad(self.path, f"{where}: {pattern!r} has two gaps in a row; use one.")
        return tuple(tokens)


def _regex(tokens: Iterable[_Token], *, exception: bool) -> re.Pattern[str]:
    # Words are separated by exactly one space in the screened text; a word may carry
    # a trailing "." (a clause end). A phrase reads across clause ends, an exception
    # does not (except after its last word).
    end = "" if exception else r"\.?"
    gap_word = r"[^\s.]+ " if exception else r"\S+ "
    parts: list[str] = []
    gap = ""
    for token in tokens:
        if isinstance(token, _Gap):
            gap = f"(?:{gap_word}){{{token.least},{token.most}}}"
            continue
        if isinstance(token, _Number):
            body = r"\d+" + end
        else:
            options = sorted(token.options, key=len, reverse=True)
            body = "(?:" + "|".join(" ".join(re.escape(w) + end for w in o) for o in options) + ")"
        parts.append(gap + body)
        gap = ""
    return re.compile(r"(?<!\S)" + " ".join(parts) + (r"\.?" if exception else "") + r"(?!\S)")


@dataclass(frozen=True)
class _Phrase:
    result: RiskMatch
    pattern: re.Pattern[str]
    exceptions: tuple[re.Pattern[str], ...]

    def found_in(self, text: str) -> bool:
        found = self.pattern.search(text)
        if found is None or not self.exceptions:
            return found is not None
        spans = [e.span() for ex in self.exceptions for e in ex.finditer(text)]
        while found is not None:
            # An exception suppresses only the occurrence it overlaps.
            if not any(start < found.end() and found.start() < end for start, end in spans):
                return True
            found = self.pattern.search(text, found.start() + 1)
        return False


class RiskScreen:
    """Answers "does this text contain risk language?" in well under a millisecond."""

    def __init__(
        self,
        phrases: Iterable[_Phrase],
        triggers: Mapping[str, Iterable[int]],
        spellings: Mapping[str, str],
    ) -> None:
        self._phrases = tuple(phrases)
        # Each phrase is looked at only when the text holds its least common word.
        self._triggers = {word: tuple(sorted(ids)) for word, ids in triggers.items()}
        self._trigger_words = frozenset(self._triggers)
        self._spellings = dict(spellings)

    @classmethod
    def from_file(cls, path: Path) -> RiskScreen:
        return _load(path)

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(phrase.result.category for phrase in self._phrases))

    def __len__(self) -> int:
        return len(self._phrases)

    def match(self, text: str) -> RiskMatch | None:
        """The first phrase found, in file order (so the first category wins), or None."""
        screened = _screen_text(text, self._spellings)
        found = self._trigger_words.intersection(screened.replace(".", "").split())
        if not found:
            return None
        for index in sorted({i for word in found for i in self._triggers[word]}):
            phrase = self._phrases[index]
            if phrase.found_in(screened):
                return phrase.result
        return None


# Loading and checking the file


def _bad(path: Path, sentence: str) -> ValueError:
    return ValueError(f"{path}: {sentence}")


def _read(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _bad(path, f"the phrase file could not be read ({exc}).") from exc
    try:
        _refuse_repeated_keys(path, yaml.compose(text, Loader=yaml.SafeLoader))
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _bad(path, f"is not valid YAML: {exc}. Fix the marked line.") from exc


def _refuse_repeated_keys(path: Path, root: yaml.Node | None) -> None:
    # Plain YAML lets a second "phrases:" silently replace the first.
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: set[object] = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value in seen:
                    raise _bad(
                        path,
                        f"line {key.start_mark.line + 1}: {key.value!r} is written "
                        "twice in the same block; merge the two.",
                    )
                seen.add(key.value)
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _mapping(
    path: Path,
    where: str,
    value: object,
    required: frozenset[str],
    optional: frozenset[str] = frozenset(),
) -> dict[str, object]:
    if not isinstance(value, dict):
        raise _bad(path, f"{where} must be a block of 'key: value' lines.")
    keys = set(value)
    if missing := required - keys:
        raise _bad(path, f"{where} needs {', '.join(sorted(missing))}.")
    if unknown := keys - required - optional:
        raise _bad(
            path,
            f"{where} has unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
            f"the keys are {', '.join(sorted(required | optional))}.",
        )
    return value


def _strings(path: Path, where: str, value: object) -> list[str]:
    if not isinstance(value, list) or not value:
        raise _bad(path, f"{where} must be a non-empty list.")
    for item in value:
        if not isinstance(item, str):
            raise _bad(path, f"{where}: {item!r} is not text; put it in quotes.")
    return value


def _spellings(path: Path, table: object) -> dict[str, str]:
    if not isinstance(table, dict):
        raise _bad(path, "'spellings' must map each correct word to a list of misspellings.")
    spellings: dict[str, str] = {}
    for correct, wrongs in table.items():
        right = normalise(str(correct))
        if not right:
            raise _bad(path, f"spellings: {correct!r} has no words in it.")
        for wrong in _strings(path, f"spellings of {correct!r}", wrongs):
            key = normalise(wrong)
            if len(key.split()) != 1:
                raise _bad(path, f"spellings of {correct!r}: {wrong!r} must be one word.")
            if spellings.get(key, right) != right:
                raise _bad(
                    path,
                    f"spellings: {wrong!r} is listed for both {spellings[key]!r} and {right!r}.",
                )
            if key != right:  # doubled letters are collapsed anyway: "kil" is "kill"
                spellings[key] = right
    for wrong, right in spellings.items():
        if chained := [w for w in right.split() if w in spellings]:
            raise _bad(
                path,
                f"spellings: {wrong!r} becomes {right!r}, but {chained[0]!r} is "
                "itself listed as a misspelling; list the final word instead.",
            )
    return spellings


def _load(path: Path) -> RiskScreen:
    data = _mapping(
        path,
        "the file",
        _read(path),
        frozenset({"version", "categories"}),
        frozenset({"spellings", "groups"}),
    )
    if data["version"] != 1:
        raise _bad(path, "version must be 1.")
    compiler = _Compiler(path, _spellings(path, data.get("spellings", {})))
    groups = data.get("groups", {})
    if not isinstance(groups, dict):
        raise _bad(path, "'groups' must map each group name to a list of words.")
    for name, members in groups.items():
        if not isinstance(name, str) or not _ID.fullmatch(name):
            raise _bad(path, f"group name {name!r} must be lower-case letters, digits and _.")
        compiler.add_group(name, _strings(path, f"group {name!r}", members))

    categories = data["categories"]
    if not isinstance(categories, list) or not categories:
        raise _bad(path, "'categories' must be a non-empty list.")
    results: list[RiskMatch] = []
    tokens: list[tuple[_Token, ...]] = []
    exceptions: list[tuple[re.Pattern[str], ...]] = []
    seen: dict[str, str] = {}
    for category in categories:
        entry = _mapping(
            path, "each category", category, frozenset({"id", "description", "phrases"})
        )
        cid = entry["id"]
        if not isinstance(cid, str) or not _ID.fullmatch(cid) or cid in seen.values():
            raise _bad(path, f"category id {cid!r} must be new and in lower_case_with_underscores.")
        phrases = entry["phrases"]
        if not isinstance(phrases, list) or not phrases:
            raise _bad(path, f"category {cid!r} needs a non-empty list of phrases.")
        for phrase in phrases:
            item = _mapping(
                path,
                f"each phrase of {cid!r}",
                phrase,
                frozenset({"id", "phrase"}),
                frozenset({"unless"}),
            )
            pid, written = item["id"], item["phrase"]
            if not isinstance(pid, str) or not _ID.fullmatch(pid) or pid in seen:
                raise _bad(
                    path,
                    f"phrase id {pid!r} in {cid!r} must be new and in lower_case_with_underscores.",
                )
            seen[pid] = cid
            where = f"phrase {pid!r}"
            if not isinstance(written, str):
                raise _bad(path, f"{where}: 'phrase' must be text; put it in quotes.")
            results.append(RiskMatch(cid, pid))
            tokens.append(compiler.tokens(where, written))
            unless = _strings(path, f"{where}: unless", item["unless"]) if "unless" in item else []
            exceptions.append(
                tuple(
                    _regex(compiler.tokens(f"{where}: unless", u), exception=True) for u in unless
                )
            )
    return _assemble(path, results, tokens, exceptions, compiler.spellings)


def _assemble(
    path: Path,
    results: list[RiskMatch],
    tokens: list[tuple[_Token, ...]],
    exceptions: list[tuple[re.Pattern[str], ...]],
    spellings: Mapping[str, str],
) -> RiskScreen:
    # The trigger of a phrase is its position whose words occur in fewest phrases.
    counts: Counter[str] = Counter()
    for phrase in tokens:
        counts.update({w for t in phrase if isinstance(t, _Choice) for w in t.first_words})
    triggers: dict[str, set[int]] = {}
    phrases: list[_Phrase] = []
    sources: dict[str, str] = {}
    for index, (result, phrase, unless) in enumerate(zip(results, tokens, exceptions, strict=True)):
        choices = [t for t in phrase if isinstance(t, _Choice)]
        rarest = min(
            choices, key=lambda c: (sum(counts[w] for w in c.first_words), len(c.first_words))
        )
        for word in rarest.first_words:
            triggers.setdefault(word, set()).add(index)
        pattern = _regex(phrase, exception=False)
        if pattern.pattern in sources:
            raise _bad(
                path,
                f"phrase {result.phrase_id!r} is the same as "
                f"{sources[pattern.pattern]!r}; keep one.",
            )
        sources[pattern.pattern] = result.phrase_id
        phrases.append(_Phrase(result, pattern, unless))
    return RiskScreen(phrases, triggers, spellings)
