"""A PIN for the plan: 4 to 6 digits, hashed with argon2id, obvious ones refused."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from typing import Final

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

MIN_DIGITS: Final = 4
MAX_DIGITS: Final = 6
# A message of at most this many characters, all digits and spaces, was meant as a PIN
# when one was asked for (too short or too long included): never kept in clear.
_MAX_PIN_LIKE: Final = 16

# The parameters the admin pages use for passwords (OWASP's argon2id minimum). A PIN
# has little entropy, so the hash guards against reading it off a backup, not against a
# patient guesser offline; the three-tries lock guards the messages.
_hasher = PasswordHasher(
    time_cost=2, memory_cost=19_456, parallelism=1, hash_len=32, salt_len=16, type=Type.ID
)
# One thread, one hash at a time: each holds 19 MiB while it runs (bot/admin/auth.py).
_HASHING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pin-argon2")

_OBVIOUS: Final = frozenset({"1004", "2580", "0852", "1379", "1397", "2468", "8642", "1470"})


def pin_like(text: str) -> str | None:
    """The digits of a message that is only digits (and spaces), or None."""
    stripped = text.strip()
    if not stripped or len(stripped) > _MAX_PIN_LIKE:
        return None
    digits = stripped.replace(" ", "")
    return digits if digits.isascii() and digits.isdigit() else None


def could_be_pin(text: str) -> bool:
    """A message of 4 to 6 digits and nothing else."""
    digits = pin_like(text)
    return digits is not None and is_pin(digits)


def is_pin(digits: str) -> bool:
    return MIN_DIGITS <= len(digits) <= MAX_DIGITS


def refusal(digits: str, *, birth_year: int | None = None) -> str | None:
    """Why these digits can't be a PIN (a template name's last part), or None."""
    if not is_pin(digits):
        return "length"
    if len(set(digits)) == 1:
        return "obvious"  # 0000, 777777
    steps = {(int(b) - int(a)) % 10 for a, b in pairwise(digits)}
    if steps in ({1}, {9}):
        return "obvious"  # 1234, 4321, 567890, 3210
    if any(len(digits) % n == 0 and digits[:n] * (len(digits) // n) == digits for n in (2, 3)):
        return "obvious"  # 1212, 123123
    if digits in _OBVIOUS:
        return "obvious"
    if birth_year is not None and str(birth_year) in digits:
        return "year"
    if len(digits) == 4 and 1920 <= int(digits) <= 2029:
        return "year"  # birth years are the first guesses
    return None


def hash_pin(digits: str) -> str:
    return _HASHING.submit(_hasher.hash, digits).result()


def verify(pin_hash: str | None, digits: str) -> bool:
    if not pin_hash or not is_pin(digits):
        return False
    return _HASHING.submit(_check, pin_hash, digits).result()


def _check(pin_hash: str, digits: str) -> bool:
    try:
        return _hasher.verify(pin_hash, digits)
    except (VerificationError, InvalidHashError):
        return False
