"""`touchpoint dialogs check`, for languages: every locale has every template, every
keyword and answer word, risk rules and a review file; each mistake is one line that
names the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import yaml
from jinja2 import Environment, TemplateSyntaxError

from bot.engine.spec import Problem
from bot.keywords import Keyword
from bot.language.catalogue import ENGLISH, REVIEW_FILE, WORDS_FILE
from bot.wording import SUFFIX

# Keywords a language must have words for (STOP_ASK is English phrasing, not a keyword).
NEEDED: Final = tuple(k.value for k in Keyword if k is not Keyword.STOP_ASK)
_REVIEW_KEYS: Final = ("locale", "name", "english_name", "translated_by", "translated_on")
_ANSWER_KEYS: Final = ("switch", "yes", "no", "numbers", "times", "list_done", "keep", "carry_on")


def problems(templates_dir: Path, dialogs_dir: Path) -> list[Problem]:
    messages = templates_dir / "messages"
    locales = sorted(p.name for p in messages.iterdir() if p.is_dir())
    english = _templates(messages / ENGLISH)
    found: list[Problem] = []
    for locale in locales:
        folder = messages / locale
        have = _templates(folder)
        found += [
            Problem(folder / n, 1, "missing (English has it)") for n in sorted(english - have)
        ]
        found += [
            Problem(folder / n, 1, "not in English; remove it or add it there")
            for n in sorted(have - english)
        ]
        found += _syntax(folder, have)
        found += _language(dialogs_dir, locale)
    return found


def _templates(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob(f"*{SUFFIX}")}


def _syntax(folder: Path, names: set[str]) -> list[Problem]:
    env = Environment(autoescape=False)  # noqa: S701 - parsed only, never rendered
    found: list[Problem] = []
    for name in sorted(names):
        try:
            env.parse((folder / name).read_text(encoding="utf-8"))
        except TemplateSyntaxError as exc:
            found.append(Problem(folder / name, exc.lineno, str(exc.message)))
    return found


def _language(dialogs_dir: Path, locale: str) -> list[Problem]:
    folder = dialogs_dir / "language" / locale
    found: list[Problem] = []
    review = _read(folder / REVIEW_FILE)
    if review is None:
        found.append(
            Problem(
                folder / REVIEW_FILE, 1, f"missing; say who translated {locale} and who reviewed it"
            )
        )
    else:
        found += [
            Problem(folder / REVIEW_FILE, 1, f"needs '{k}'")
            for k in _REVIEW_KEYS
            if not review.get(k)
        ]
    if locale == ENGLISH:
        return found
    phrases = dialogs_dir / "safety" / locale / "phrases.yaml"
    if not phrases.is_file():
        found.append(Problem(phrases, 1, f"missing; risk language in {locale} would go unseen"))
    words = _read(folder / WORDS_FILE)
    if words is None:
        return [*found, Problem(folder / WORDS_FILE, 1, "missing; keywords and answers need words")]
    keywords = words.get("keywords") or {}
    found += [
        Problem(folder / WORDS_FILE, 1, f"keyword '{k}' has no words in {locale}")
        for k in NEEDED
        if not keywords.get(k)
    ]
    found += [
        Problem(folder / WORDS_FILE, 1, f"needs '{k}'") for k in _ANSWER_KEYS if not words.get(k)
    ]
    return found


def _read(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}
