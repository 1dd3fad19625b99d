"""A team's duty settings: who hears of alerts, the hours someone reads messages, when an
alert escalates. Checked here for both the command line (`touchpoint team set`) and the
team page, so the two can never accept different things."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.enrolment import EnrolmentError, e164
from bot.staff import hours
from bot.staff.notify import OPTIONAL
from store.models import Team

EMAIL = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+")
MAX_CONTACTS = 10
MINUTES = (5, 24 * 60)  # escalate after, at least and at most
KIND_NAMES = {name: kind for kind, name in OPTIONAL.items()}  # "crisis" -> crisis_requested


@dataclass(frozen=True)
class Duty:
    duty_emails: tuple[str, ...] = ()
    duty_phones: tuple[str, ...] = ()
    working_hours: str | None = None
    timezone: str = "Europe/London"
    escalate_after_minutes: int = 30
    out_of_hours_email: str | None = None
    out_of_hours_phone: str | None = None
    notify_also: tuple[str, ...] = ()  # alert kinds: crisis_requested, opted_out, low_rating


class DutyError(ValueError):
    """Sentences saying what to fix, one a problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


def of(team: Team) -> Duty:
    return Duty(
        duty_emails=tuple(team.duty_emails or ()),
        duty_phones=tuple(team.duty_phones or ()),
        working_hours=team.working_hours,
        timezone=team.timezone,
        escalate_after_minutes=team.escalate_after_minutes,
        out_of_hours_email=team.out_of_hours_email,
        out_of_hours_phone=team.out_of_hours_phone,
        notify_also=tuple(team.notify_also or ()),
    )


def check(duty: Duty, region: str) -> Duty:
    """`duty` tidied (phone numbers in E.164, hours as typed but readable); DutyError
    naming every problem otherwise."""
    problems: list[str] = []
    emails = tuple(_email(e, "Duty email", problems) for e in duty.duty_emails if e.strip())
    phones = tuple(_phone(n, region, "Duty phone", problems) for n in duty.duty_phones if n.strip())
    if len(emails) > MAX_CONTACTS or len(phones) > MAX_CONTACTS:
        problems.append(f"Give at most {MAX_CONTACTS} duty emails and {MAX_CONTACTS} phones.")
    working = " ".join((duty.working_hours or "").split()) or None
    if working is not None:
        try:
            hours.parse(working)
        except hours.HoursError as exc:
            problems.append(str(exc))
    try:
        ZoneInfo(duty.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"{duty.timezone!r} is not a time zone: use one such as Europe/London.")
    low, high = MINUTES
    if not low <= duty.escalate_after_minutes <= high:
        problems.append(f"Escalate after {low} to {high} minutes.")
    ooh_email = duty.out_of_hours_email and duty.out_of_hours_email.strip()
    ooh_phone = duty.out_of_hours_phone and duty.out_of_hours_phone.strip()
    unknown = [k for k in duty.notify_also if k not in OPTIONAL]
    if unknown:
        problems.append(f"Choose what else to notify from: {', '.join(KIND_NAMES)}.")
    checked = replace(
        duty,
        duty_emails=emails,
        duty_phones=phones,
        working_hours=working,
        out_of_hours_email=_email(ooh_email, "Out-of-hours email", problems) if ooh_email else None,
        out_of_hours_phone=(
            _phone(ooh_phone, region, "Out-of-hours phone", problems) if ooh_phone else None
        ),
        notify_also=tuple(k for k in OPTIONAL if k in duty.notify_also),
    )
    if problems:
        raise DutyError(problems)
    return checked


def _email(value: str, label: str, problems: list[str]) -> str:
    value = value.strip()
    if not EMAIL.fullmatch(value) or len(value) > 320:
        problems.append(f"{label}: {value!r} is not an email address.")
    return value


def _phone(value: str, region: str, label: str, problems: list[str]) -> str:
    try:
        return e164(value, region)
    except EnrolmentError as exc:
        problems.append(f"{label}: {exc}")
        return value


def apply(team: Team, duty: Duty) -> None:
    """Write checked settings to the team."""
    team.duty_emails = list(duty.duty_emails)
    team.duty_phones = list(duty.duty_phones)
    team.working_hours = duty.working_hours
    team.timezone = duty.timezone
    team.escalate_after_minutes = duty.escalate_after_minutes
    team.out_of_hours_email = duty.out_of_hours_email
    team.out_of_hours_phone = duty.out_of_hours_phone
    team.notify_also = list(duty.notify_also)


def describe(team: Team) -> list[tuple[str, str]]:
    """The settings as (label, value) rows, for `team show` and the team page."""
    also = [OPTIONAL[k] for k in team.notify_also or () if k in OPTIONAL]
    return [
        ("Team", team.name),
        ("Duty emails", ", ".join(team.duty_emails or ()) or "none"),
        ("Duty phones", ", ".join(team.duty_phones or ()) or "none"),
        ("Hours", team.working_hours or "not set (never out of hours)"),
        ("Time zone", team.timezone),
        ("Escalate after", f"{team.escalate_after_minutes} minutes"),
        ("Out-of-hours email", team.out_of_hours_email or "none"),
        ("Out-of-hours phone", team.out_of_hours_phone or "none"),
        ("Notified", ", ".join(["risk language", *also])),
    ]
