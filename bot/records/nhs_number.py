"""NHS numbers: ten digits, the last a modulus-11 check digit; shown 3-3-4."""

from __future__ import annotations

FHIR_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
_WEIGHTS = range(10, 1, -1)  # 10 for the first digit down to 2 for the ninth


class NhsNumberError(ValueError):
    """A sentence a person can act on."""


def parse(raw: str) -> str:
    """The ten digits of `raw` (spaces and dashes allowed), or NhsNumberError."""
    digits = "".join(ch for ch in raw if ch not in " -")
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        raise NhsNumberError("An NHS number has 10 digits, for example 943 476 5919.")
    total = sum(int(d) * w for d, w in zip(digits[:9], _WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10 or check != int(digits[9]):
        raise NhsNumberError(
            f"{shown(digits)} is not a valid NHS number: its check digit does not match. "
            "Check it against their letter or record."
        )
    return digits


def parse_optional(raw: str | None) -> str | None:
    """None for an empty answer; otherwise as `parse`."""
    if raw is None or not raw.strip():
        return None
    return parse(raw)


def shown(digits: str | None) -> str:
    """3-3-4, as the NHS prints it; empty when there is none."""
    if not digits:
        return ""
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
