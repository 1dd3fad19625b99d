"""The admin pages' Jinja2 environment: HTML-escaped, strict, loaded once."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.admin.diff import merged
from bot.admin.sections import SECTION_TITLES, plan_name
from bot.language import catalogue, offer
from bot.records.nhs_number import shown


def when(value: datetime | None, tz: str = "Europe/London") -> str:
    if value is None:
        return "never"
    try:
        zone = ZoneInfo(tz)
    except ZoneInfoNotFoundError:
        zone = ZoneInfo("UTC")
    return value.astimezone(zone).strftime("%-d %b %Y, %H:%M")


def day(value: date | None) -> str:
    return value.strftime("%a %-d %b %Y") if value is not None else "not set"


def phone(value: str | None) -> str:
    """A stored number as people read it, spaced: "+44 7700 900123"."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_needed(text: str, value: str | None) -> bool:
    """Whether a contact's number adds anything: not when their words already hold it."""
    if not value:
        return False
    try:
        significant = str(phonenumbers.parse(value, None).national_number)
    except phonenumbers.NumberParseException:
        return value not in text
    return significant not in "".join(ch for ch in text if ch.isdigit())


class Pages:
    def __init__(self, templates_dir: Path) -> None:
        self.env = Environment(
            loader=FileSystemLoader(templates_dir / "admin"),
            autoescape=True,  # everything a person typed is text, never markup
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        self.env.filters["when"] = when
        self.env.filters["day"] = day
        self.env.filters["section_title"] = lambda key: SECTION_TITLES.get(key, key)
        self.env.filters["plan_name"] = plan_name
        self.env.filters["nhs_number"] = shown
        self.env.filters["phone"] = phone
        self.env.tests["needing_phone"] = lambda entry: phone_needed(
            str(entry.get("text", "")), entry.get("phone")
        )
        self.env.filters["merged"] = lambda was, text: merged(str(was), str(text))
        self.env.globals["languages"] = catalogue.languages  # bot/language
        self.env.globals["offered"] = offer.offered
        self.css = (templates_dir / "admin" / "admin.css").read_bytes()

    def render(self, template: str, /, **context: Any) -> str:
        return self.env.get_template(template).render(**context)
