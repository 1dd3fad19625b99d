"""Creating practitioner accounts: shared by `touchpoint practitioner create` and the
administrators' page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.admin import auth
from bot.admin.context import ROLES
from store.models import Practitioner, Team

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class AccountError(ValueError):
    """A sentence a person can act on."""


@dataclass(frozen=True)
class Hashed:
    """A password checked against the policy (if its owner chose it) and hashed. Made
    before the write transaction: hashing takes tens of milliseconds, and nothing should
    wait on the database's write lock meanwhile."""

    value: str


def _tidy(name: str, email: str) -> tuple[str, str]:
    return " ".join(name.split()), email.strip()


def prepare_password(password: str, *, name: str, email: str, chosen_by_owner: bool) -> Hashed:
    if chosen_by_owner:
        name, email = _tidy(name, email)
        try:
            auth.check_policy(password, email=email, name=name)
        except auth.PasswordRejected as exc:
            raise AccountError(str(exc)) from exc
    return Hashed(auth.hash_password(password))


def create_practitioner(
    session: Session,
    *,
    name: str,
    email: str,
    team: Team,
    role: str,
    password: Hashed,
    now: datetime,
    chosen_by_owner: bool,
) -> Practitioner:
    """A new account. A password someone else chose must be changed at first sign-in.
    `password` comes from `prepare_password`, called before the write transaction."""
    name, email = _tidy(name, email)
    if not name or len(name) > 200:
        raise AccountError("Give the practitioner's name (200 characters at most).")
    if not EMAIL.fullmatch(email) or len(email) > 320:
        raise AccountError(f"{email!r} doesn't look like an email address.")
    if role not in ROLES:
        raise AccountError(f"The role must be one of: {', '.join(ROLES)}.")
    taken = session.scalar(
        select(Practitioner.id).where(func.lower(Practitioner.email) == email.lower())
    )
    if taken is not None:
        raise AccountError("There is already an account with that email address.")
    practitioner = Practitioner(
        team_id=team.id,
        name=name,
        email=email,
        role=role,
        password_hash=password.value,
        password_changed_at=now if chosen_by_owner else None,
        created_at=now,
    )
    session.add(practitioner)
    session.flush()
    return practitioner
