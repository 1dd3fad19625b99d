"""`touchpoint dialogs check`, for languages: every locale has every template, every
keyword and answer word, risk rules and a review file; each mistake is one line that
names the file."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import yaml
from jinja2 import Environment, TemplateSyntaxError

from bot.keywords import Keyword
from bot.language.catalogue import ENGLISH, REVIEW_FILE, WORDS_FILE
from bot.wording import SUFFIX

# Keywords a language must have words for (STOP_ASK is English phrasing, not a keyword).
NEEDED: Final = tuple(k.value for k in Keyword if k is not Keyword.STOP_ASK)
_REVIEW_KEYS: Final = ("locale", "name", "english_name", "translated_by", "translated_on")
_ANSWER_KEYS: Final = ("switch", "yes", "no", "numbers", "times", "list_done", "keep", "carry_on")


def problems(templates_dir: Path, dialogs_dir: Path) -> list[str]:
    messages = templates_dir / "messages"
    locales = sorted(p.name for p in messages.iterdir() if p.is_dir())
    english = _templates(messages / ENGLISH)
    found: list[str] = []
    for locale in locales:
        folder = messages / locale
        have = _templates(folder)
        found += [f"{folder / n}: missing (English has it)" for n in sorted(english - have)]
        found += [
            f"{folder / n}: not in English; remove it or add it there"
            for n in sorted(have - english)
        ]
        found += _syntax(folder, have)
        found += _language(dialogs_dir, locale)
    return found


def _templates(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob(f"*{SUFFIX}")}


def _syntax(folder: Path, names: set[str]) -> list[str]:
    env = Environment(autoescape=False)  # noqa: S701 - parsed only, never rendered
    found = []
    for name in sorted(names):
        try:
            env.parse((folder / name).read_text(encoding="utf-8"))
        except TemplateSyntaxError as exc:
            found.append(f"{folder / name}:{exc.lineno}: {exc.message}")
    return found


def _language(dialogs_dir: Path, locale: str) -> list[str]:
    folder = dialogs_dir / "language" / locale
    found = []
    review = _read(folder / REVIEW_FILE)
    if review is None:
        found.append(
            f"{folder / REVIEW_FILE}: missing; say who translated {locale} and who reviewed it"
        )
    else:
        found += [f"{folder / REVIEW_FILE}: needs '{k}'" for k in _REVIEW_KEYS if not review.get(k)]
    if locale == ENGLISH:
        return found
    phrases = dialogs_dir / "safety" / locale / "phrases.yaml"
    if not phrases.is_file():
        found.append(f"{phrases}: missing; risk language in {locale} would go unseen")
    words = _read(folder / WORDS_FILE)
    if words is None:
        return [*found, f"{folder / WORDS_FILE}: missing; keywords and answers need words"]
    keywords = words.get("keywords") or {}
    found += [
        f"{folder / WORDS_FILE}: keyword '{k}' has no words in {locale}"
        for k in NEEDED
        if not keywords.get(k)
    ]
    found += [f"{folder / WORDS_FILE}: needs '{k}'" for k in _ANSWER_KEYS if not words.get(k)]
    return found


def _read(path: Path) -> dict[str, object] | None:
    if not path.is_file():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}
