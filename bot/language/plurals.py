"""Counts and dates in the person's language, through Babel's CLDR data.

Templates call `plural(n, one=..., few=..., many=..., other=...)`: Polish has one,
few and many ("1 pozycja", "2 pozycje", "5 pozycji"), Welsh zero, one, two, few, many
and other. The template's own locale (the folder it is in) chooses the rule.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from typing import Any

from babel import Locale
from babel.dates import format_date
from jinja2 import pass_context
from jinja2.runtime import Context


@functools.cache
def _locale(code: str) -> Locale:
    return Locale.parse(code)


def plural_form(count: int, code: str) -> str:
    """The CLDR plural category of `count` in `code`: "one", "few", "many"..."""
    return str(_locale(code).plural_form(abs(count)))


def choose(count: int, code: str, forms: dict[str, str]) -> str:
    """The form for `count`; "other" when the template has not written that category."""
    return forms.get(plural_form(count, code), forms["other"])


@pass_context
def plural(context: Context, count: Any, **forms: str) -> str:
    """For templates: the word for `count` in the template's language (its folder)."""
    code = (context.name or "en").split("/", 1)[0]
    return choose(int(count), code, forms)


def day_month(when: date | datetime | None, code: str) -> str:
    """ "3 December", "3 Rhagfyr", "3 grudnia"."""
    if when is None:
        return ""
    return str(format_date(when, "d MMMM", locale=_locale(code)))
