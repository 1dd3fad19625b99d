"""Passwords (argon2id, a length minimum, no common passwords) and one-time codes (TOTP)."""

from __future__ import annotations

import hmac
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import pyotp
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 256  # argon2 takes any length; a cap keeps one request cheap
ISSUER = "Touchpoint"
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")

# OWASP's Password Storage Cheat Sheet minimum for argon2id: 19 MiB, 2 passes, 1 lane.
# argon2-cffi's default (RFC 9106 low-memory: 64 MiB, 4 lanes) put the serving process
# over its memory budget on every sign-in. Hashes carry their own parameters, so older
# ones still verify, and sign-in re-hashes them with these (`needs_rehash`).
_hasher = PasswordHasher(
    time_cost=2, memory_cost=19_456, parallelism=1, hash_len=32, salt_len=16, type=Type.ID
)
# Every hash and check runs on one thread of its own, one at a time. Each holds 19 MiB
# while it runs, so this bounds what a burst of sign-ins (or someone trying passwords)
# can take; and glibc keeps a freed block that size in the malloc arena of the thread
# that used it. On the admin pages' thread pool, 8 sign-ins at once left the web process
# at 250 MiB for good. (Checks used to be serialised by the database's write lock, which
# they no longer hold.) A burst queues instead: ~50 ms a sign-in, and a CPU core is left
# for the webhooks.
_HASHING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="argon2")
# Checked when the account does not exist, so both answers take the same time. Made on
# first use, not at import: every process that imports this module would pay for it.
# A module global rather than functools.cache so the tests can swap in a cheap one.
_DUMMY_HASH: str | None = None
_LEET = str.maketrans(
    {
        "@": "a",
        "4": "a",
        "3": "e",
        "1": "i",
        "!": "i",
        "0": "o",
        "$": "s",
        "5": "s",
        "7": "t",
        "+": "t",
    }
)
_EDGES = re.compile(r"^[^a-z]+|[^a-z]+$")


class PasswordRejected(ValueError):
    """A sentence saying why the password can't be used and what would do."""


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
    )


def _variants(password: str) -> set[str]:
    lower = password.lower().strip()
    plain = lower.translate(_LEET)
    out = {lower, plain, _EDGES.sub("", lower), _EDGES.sub("", plain)}
    for word in list(out):
        # "passwordpassword", "qwertyqwerty"
        for size in range(1, len(word) // 2 + 1):
            if len(word) % size == 0 and word[:size] * (len(word) // size) == word:
                out.add(word[:size])
                break
    return {v for v in out if v}


def check_policy(password: str, *, email: str = "", name: str = "") -> None:
    """Raise PasswordRejected unless the password is long and not a common one."""
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(
            f"Use at least {MIN_LENGTH} characters. A few unrelated words make a good password."
        )
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"Use at most {MAX_LENGTH} characters.")
    if len(set(password)) < 5:
        raise PasswordRejected("That password repeats too few characters. Try a few words.")
    if _variants(password) & common_passwords():
        raise PasswordRejected(
            "That password is on a list of common passwords. Choose something less guessable."
        )
    lower = password.lower()
    personal = [email.split("@")[0].lower(), *(part.lower() for part in name.split())]
    if any(len(p) >= 4 and p in lower for p in personal):
        raise PasswordRejected("Don't use your name or email address in your password.")


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:  # two threads may both make one: either will do
        _DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
    return _DUMMY_HASH


def hash_password(password: str) -> str:
    """Tens of milliseconds: call it before `db.write()`, never inside, so nothing waits
    on the database's write lock meanwhile."""
    return _HASHING.submit(_hasher.hash, password).result()


def verify_password(stored: str | None, password: str) -> bool:
    """True if it matches; takes as long for an account without a password. Tens of
    milliseconds, like `hash_password`: not inside `db.write()`."""
    if len(password) > MAX_LENGTH:
        password = password[:MAX_LENGTH]
    checked = stored or _dummy_hash()
    try:
        return _HASHING.submit(_hasher.verify, checked, password).result() and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True for a hash made with other parameters than ours (e.g. before they changed)."""
    try:
        return _hasher.check_needs_rehash(stored)
    except InvalidHashError:
        return True


def generate_password() -> str:
    """A temporary password to read out or paste: four groups, no look-alike characters."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def accept_code(secret: str, code: str, last_step: int | None, now: datetime) -> int | None:
    """The time step a code is valid for (one step of clock drift either way), or None.
    A code whose step is not after `last_step` was used already and is refused."""
    code = re.sub(r"\s", "", code)
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step if last_step is None or step > last_step else None
    return None
