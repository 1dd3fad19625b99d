"""What a notification says: the team, who (participant id and initials), what
(category, severity), when, and the link to the alert. Never what the person wrote:
email and SMS to staff phones are not safe places for it, so it is not editable either."""

from __future__ import annotations

from dataclasses import dataclass

from bot.staff import hours
from store.models import Alert, Participant, Team

KINDS = {
    "risk_language": "risk language",
    "crisis_requested": "asked for their crisis plan",
    "opted_out": "opted out (STOP)",
    "low_rating": "low check-in rating",
    "whatsapp_undelivered": "a WhatsApp message to them could not be delivered",
}
REASONS = {
    "lead": "You are getting this as the team lead: nobody has acknowledged it yet.",
    "admin": "You are getting this as an administrator: nobody has acknowledged it yet.",
    "out_of_hours": "You are getting this as the team's out-of-hours contact.",
    "duty": "You are getting this as one of the team's duty contacts.",
}


@dataclass(frozen=True)
class Facts:
    """Everything a notification may say, and nothing more."""

    alert_id: int
    team: str
    who: str  # "participant 12 (A.)" or "someone not enrolled"
    what: str  # "risk language, suicidal intent" or "asked for their crisis plan"
    severity: str | None
    when: str  # local time of the alert, with the zone
    link: str


def describe(alert: Alert) -> str:
    """ "risk language, suicidal intent", "opted out (STOP) soon after risk language"."""
    what = KINDS.get(alert.kind, alert.kind.replace("_", " "))
    if alert.kind == "risk_language" and alert.category:
        what += ", " + alert.category.replace("_", " ")
    elif alert.kind == "opted_out" and alert.category == "after_risk":
        what += " soon after risk language"
    return what


def category(alert: Alert) -> str:
    """The shortest name for what happened: the risk category, else the kind."""
    if alert.kind == "risk_language" and alert.category:
        return alert.category.replace("_", " ")
    return describe(alert)


def initials(name: str) -> str:
    return "".join(f"{word[0].upper()}." for word in name.split() if word[:1].isalpha())


def facts(alert: Alert, person: Participant | None, team: Team | None, public_url: str) -> Facts:
    tz = team.timezone if team is not None else "Europe/London"
    local = alert.created_at.astimezone(hours.zone(tz))
    what = describe(alert)
    if person is not None:
        shown = initials(person.display_name)
        who = f"participant {person.id}" + (f" ({shown})" if shown else "")
    else:
        who = "someone not enrolled"
    return Facts(
        alert_id=alert.id,
        team=team.name if team is not None else "no team",
        who=who,
        what=what,
        severity=alert.severity,
        when=f"{local:%a %-d %b %Y, %H:%M} ({tz})",
        link=f"{public_url.rstrip('/')}/admin/alerts/{alert.id}",
    )


def subject(f: Facts, step: int) -> str:
    head = "Safety alert not yet acknowledged" if step else "Safety alert"
    severity = f", {f.severity}" if f.severity else ""
    return f"{head}: {f.what}{severity} ({f.team})"


def email_body(f: Facts, step: int, reason: str, minutes: int) -> str:
    lines = [
        "A safety alert needs someone to look at it."
        if not step
        else f"This safety alert has not been acknowledged for {minutes * step} minutes or more.",
        "",
        f"Team: {f.team}",
        f"Who: {f.who}",
        f"What: {f.what}",
    ]
    if f.severity:
        lines.append(f"Severity: {f.severity}")
    lines += [
        f"When: {f.when}",
        "",
        f"Open it, then acknowledge it once it is followed up: {f.link}",
        "(You will be asked to sign in.)",
        "",
        REASONS.get(reason, ""),
        "This message leaves out what they wrote on purpose: sign in to read it.",
    ]
    return "\n".join(lines) + "\n"


def sms_body(f: Facts, step: int) -> str:
    head = "Touchpoint alert NOT YET ACKNOWLEDGED" if step else "Touchpoint alert"
    severity = f" ({f.severity})" if f.severity else ""
    return f"{head}, {f.team}: {f.who}, {f.what}{severity}, {f.when}. {f.link}"
