"""The error summary every admin page opens with when a form was refused: what went
wrong, each linked to the field it concerns, and "Error:" in the page's title."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# A page's single message sits beside its form in `_error.html` (id="form-error").
BESIDE_THE_FORM = "form-error"


@dataclass(frozen=True)
class Problem:
    message: str
    field: str  # the id the summary's link goes to ("" when no one field is at fault)


def summary(context: Mapping[str, Any]) -> list[Problem]:
    """The problems a page's context carries, in the order the page shows them.

    Pages pass `error` (one sentence, about `error_for` or the form as a whole),
    `errors` (field id -> sentence, or a list of sentences), `problem`, or a panel's
    own `<panel>_error` with `<panel>_error_for`."""
    found: list[Problem] = []
    if context.get("problem"):  # about the page as a whole: no field to go to
        found.append(Problem(str(context["problem"]), ""))
    if context.get("error"):
        field = context.get("error_for") or BESIDE_THE_FORM
        found.append(Problem(str(context["error"]), str(field)))
    errors = context.get("errors")
    if isinstance(errors, Mapping):
        found.extend(Problem(str(text), str(field)) for field, text in errors.items())
    elif isinstance(errors, list | tuple):
        found.extend(Problem(str(text), str(context.get("errors_for") or "")) for text in errors)
    for key, value in context.items():
        if key.endswith("_error") and key != "error" and value:
            found.append(Problem(str(value), str(context.get(f"{key}_for") or "")))
    return found
