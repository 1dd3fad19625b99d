"""Edit then approve: the practitioner's changes to a submitted version, attributed to
them, and a short list of what changed for the service user."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.admin.notify import quote
from bot.admin.sections import SECTION_TITLES
from bot.enrolment import EnrolmentError, e164
from bot.plans import SECTIONS, item

Item = dict[str, Any]
CONTACT_SECTIONS = ("people_help", "professionals")
STEP_SECTIONS = ("goals",)
MAX_TEXT = 500
NEW_SLOTS = 1  # one empty box per section: the form stays short
Fields = Callable[[str], str]


@dataclass
class Edited:
    sections: dict[str, list[Item]] = field(default_factory=dict)
    changes: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FormItem:
    index: int
    text: str
    phone: str
    steps: str
    by: str


@dataclass(frozen=True)
class FormSection:
    key: str
    title: str
    items: tuple[FormItem, ...]
    contact: bool
    has_steps: bool
    new_items: tuple[tuple[str, str, str, str], ...]  # (text field, text, phone field, phone)


def _steps_text(entry: Item) -> str:
    return "\n".join(str(s.get("text", "")) for s in entry.get("steps") or [])


def chosen(kind: str, section: str) -> tuple[str, ...]:
    """The sections one edit page shows: the one asked for, or every one."""
    return (section,) if section in SECTIONS[kind] else SECTIONS[kind]


def form_model(
    original: dict[str, list[Item]], kind: str, fields: Fields | None, section: str = ""
) -> list[FormSection]:
    """What the edit form shows: the version's items, or what was typed into the form."""
    out = []
    for key in chosen(kind, section):
        items = []
        for i, entry in enumerate(original.get(key) or []):
            items.append(
                FormItem(
                    index=i,
                    text=fields(f"t-{key}-{i}") if fields else str(entry.get("text", "")),
                    phone=fields(f"p-{key}-{i}") if fields else str(entry.get("phone") or ""),
                    steps=fields(f"s-{key}-{i}") if fields else _steps_text(entry),
                    by=str(entry.get("by", "participant")),
                )
            )
        new = tuple(
            (
                f"n-{key}-{j}",
                fields(f"n-{key}-{j}") if fields else "",
                f"np-{key}-{j}",
                fields(f"np-{key}-{j}") if fields else "",
            )
            for j in range(NEW_SLOTS)
        )
        out.append(
            FormSection(
                key,
                SECTION_TITLES.get(key, key),
                tuple(items),
                key in CONTACT_SECTIONS,
                key in STEP_SECTIONS,
                new,
            )
        )
    return out


def _phone(raw: str, region: str, name: str, edited: Edited) -> str | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return e164(raw, region)
    except EnrolmentError:
        edited.errors[name] = "That isn't a phone number I can read. Check it, or leave it empty."
        return None


def _steps(old: Item, raw: str, actor: str) -> list[Item]:
    known = {str(s.get("text", "")): s for s in old.get("steps") or []}
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    return [copy.deepcopy(known[line]) if line in known else item(line, by=actor) for line in lines]


def _long(text: str, name: str, edited: Edited) -> bool:
    if len(text) > MAX_TEXT:
        edited.errors[name] = f"Keep this to {MAX_TEXT} characters or fewer."
        return True
    return False


def apply(
    original: dict[str, list[Item]],
    kind: str,
    fields: Fields,
    actor: str,
    region: str,
    section: str = "",
) -> Edited:
    """The version with the form's changes; sections the page did not show stay as they were."""
    edited = Edited()
    shown = chosen(kind, section)
    for key in SECTIONS[kind]:
        if key not in shown:
            if key in original:
                edited.sections[key] = copy.deepcopy(original[key])
            continue
        items: list[Item] = []
        for i, old in enumerate(original.get(key) or []):
            text = " ".join(fields(f"t-{key}-{i}").split())
            before = str(old.get("text", ""))
            if not text:
                edited.changes.append(f"removed {quote(before)}")
                continue
            if _long(text, f"t-{key}-{i}", edited):
                continue
            entry = copy.deepcopy(old)
            if text != before:
                # Whose words these were stays with the item: the version page shows the
                # practitioner's change word by word against them.
                entry["was"] = {"text": before, "by": str(old.get("by", "participant"))}
                entry.update(text=text, by=actor)
                if key in CONTACT_SECTIONS:
                    entry["name"] = text
                edited.changes.append(f"changed {quote(before)} to {quote(text)}")
            if key in CONTACT_SECTIONS:
                phone = _phone(fields(f"p-{key}-{i}"), region, f"p-{key}-{i}", edited)
                if phone != (old.get("phone") or None):
                    entry.update(phone=phone, by=actor)
                    edited.changes.append(f"changed the number for {quote(text)}")
            if key in STEP_SECTIONS:
                steps = _steps(old, fields(f"s-{key}-{i}"), actor)
                if [s["text"] for s in steps] != [s.get("text") for s in old.get("steps") or []]:
                    entry["steps"] = steps
                    edited.changes.append(f"changed the steps for {quote(text)}")
            items.append(entry)
        for j in range(NEW_SLOTS):
            text = " ".join(fields(f"n-{key}-{j}").split())
            if not text or _long(text, f"n-{key}-{j}", edited):
                continue
            extra: dict[str, Any] = {}
            if key in CONTACT_SECTIONS:
                extra = {
                    "name": text,
                    "phone": _phone(fields(f"np-{key}-{j}"), region, f"np-{key}-{j}", edited),
                }
            items.append(item(text, by=actor, **extra))
            edited.changes.append(f"added {quote(text)}")
        if items or key in original:
            edited.sections[key] = items
    return edited
