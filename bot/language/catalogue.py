"""The languages there are, and whether a fluent clinician has reviewed each one."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

import yaml

from bot.settings import PROJECT_ROOT

LANGUAGE_DIR: Final = PROJECT_ROOT / "dialogs" / "language"
ENGLISH: Final = "en"
REVIEW_FILE: Final = "review.yaml"
WORDS_FILE: Final = "words.yaml"


class LanguageError(ValueError):
    """A sentence a person can act on."""


class NeedsAdmin(LanguageError):
    """Only an admin can enable a translation no fluent clinician has reviewed."""


class NeedsAcknowledgement(LanguageError):
    """Enabling an unreviewed translation needs the admin to say they know."""


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # its own name: "Cymraeg"
    english_name: str  # "Welsh", for the admin pages (which stay in English)
    source: bool  # the language the others are translated from
    translated_by: str
    translated_on: date
    reviewed_by: str | None
    reviewed_on: date | None

    @property
    def reviewed(self) -> bool:
        """The source language, or a translation a fluent clinician has signed off."""
        return self.source or (bool(self.reviewed_by) and self.reviewed_on is not None)

    @property
    def label(self) -> str:
        """ "Welsh (Cymraeg)" on the English admin pages."""
        if self.name == self.english_name:
            return self.name
        return f"{self.english_name} ({self.name})"


def languages(root: Path = LANGUAGE_DIR) -> dict[str, Language]:
    """Every language with a review file, English first."""
    return _read(root.resolve())


def language(code: str, root: Path = LANGUAGE_DIR) -> Language:
    """The language of `code`, or LanguageError naming the ones there are."""
    known = languages(root)
    found = known.get(code.strip().casefold())
    if found is None:
        names = ", ".join(f"{c} ({lang.english_name})" for c, lang in known.items())
        raise LanguageError(f"There is no language {code!r}. Languages: {names}.")
    return found


@functools.cache
def _read(root: Path) -> dict[str, Language]:
    found: dict[str, Language] = {}
    for path in sorted(root.glob(f"*/{REVIEW_FILE}")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        found[path.parent.name] = _language(path, data)
    return dict(sorted(found.items(), key=lambda kv: kv[0] != ENGLISH))


def _language(path: Path, data: Any) -> Language:
    if not isinstance(data, dict) or data.get("locale") != path.parent.name:
        raise LanguageError(f"{path}: 'locale' must be {path.parent.name!r}.")
    return Language(
        code=str(data["locale"]),
        name=str(data["name"]),
        english_name=str(data["english_name"]),
        source=bool(data.get("source", False)),
        translated_by=str(data["translated_by"]),
        translated_on=_date(path, data.get("translated_on")),
        reviewed_by=str(data["reviewed_by"]) if data.get("reviewed_by") else None,
        reviewed_on=_date(path, data["reviewed_on"]) if data.get("reviewed_on") else None,
    )


def _date(path: Path, value: Any) -> date:
    if isinstance(value, date):
        return value
    raise LanguageError(f"{path}: dates are written YYYY-MM-DD, not {value!r}.")
