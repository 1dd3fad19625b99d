"""The CRISIS reply and the safety message: short parts, the numbers to call first."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import phonenumbers
from sqlalchemy.orm import Session

from bot import gsm, plans
from bot.language import plurals
from bot.language.seen import seen_in
from bot.safety import RiskMatch
from bot.staff import hours
from bot.wording import Wording
from store.models import Participant, PlanVersion, Team

MAX_SEGMENTS = 3  # about 480 GSM-7 characters: what one message may cost a phone in a crisis
# Until the team's working hours are known: when somebody will next read messages.
DEFAULT_SEEN = "the next working day"


def crisis_parts(
    session: Session,
    wording: Wording,
    participant: Participant,
    team: Team,
    *,
    service: dict[str, Any] | None = None,
    sms: bool = True,
) -> list[str]:
    """Every part of the crisis reply, in order; the caller sends the first, MORE the rest.

    The first part always opens with the emergency number and the first line to call;
    on SMS the reply is spelt in GSM-7 only, so a name like Siân or a curly apostrophe
    in a contact never halves what a part holds (docs/clinical-safety.md, H19).
    """
    version, approved = plans.for_crisis(session, participant.id)
    locale = participant.locale
    lines = national_lines(team, service)
    context: dict[str, Any] = {
        "name": participant.display_name,
        "team": team,
        "approved": approved,
        "label": _label(version, approved),
        "reviewed_on": plurals.day_month(version.reviewed_at if version else None, locale),
        "has_plan": version is not None,
        "sections": plans.Sections(version.sections if version is not None else {}),
        "lines": lines,
        "first_line": first_line(team, lines),
        "contact": lambda item: contact_line(item, team.region),
    }
    body = wording.render("crisis/plan", locale, **context)
    more = wording.render("crisis/more", locale)
    last = wording.render("crisis/emergency", locale, team=team)
    if sms:
        body, more, last = gsm.to_gsm7(body), gsm.to_gsm7(more), gsm.to_gsm7(last)
    return paginate(body, more=more, last=last)


def numbers_part(
    wording: Wording,
    participant: Participant,
    team: Team,
    *,
    service: dict[str, Any] | None = None,
    sms: bool = True,
) -> str:
    """The numbers to call and nothing of the plan: what CRISIS gets at once while the
    plan waits behind a PIN (docs/privacy.md). One part, GSM-7 on SMS."""
    lines = national_lines(team, service)
    first = first_line(team, lines)
    text = wording.render(
        "crisis/numbers",
        participant.locale,
        team=team,
        first_line=first,
        lines=[line for line in pick_lines(lines, 3) if line != first],
    )
    return gsm.to_gsm7(text) if sms else text


def national_lines(team: Team | None, service: dict[str, Any] | None) -> list[dict[str, str]]:
    """The team's national lines; the service's when the team has none (never nothing)."""
    if team is not None and team.national_lines:
        return list(team.national_lines)
    return list((service or {}).get("national_lines", []))


def first_line(team: Team | None, lines: list[dict[str, str]]) -> dict[str, str] | None:
    """The first line to call after the emergency number: the team's crisis line, else
    the first national line a person can ring."""
    if team is not None and team.crisis_line_number:
        line = {"name": team.crisis_line_name or "Crisis line", "number": team.crisis_line_number}
        if team.crisis_line_hours:
            line["hours"] = team.crisis_line_hours
        return line
    voice = [line for line in lines if not is_text_line(line)]
    candidates = voice or lines
    return candidates[0] if candidates else None


def is_text_line(line: dict[str, str]) -> bool:
    """A line one texts rather than rings: "text SHOUT to 85258"."""
    return str(line.get("number", "")).strip().casefold().startswith("text ")


def pick_lines(lines: list[dict[str, str]], count: int) -> list[dict[str, str]]:
    """At most `count` lines, keeping one a person can text (they are texting now)."""
    voice = [line for line in lines if not is_text_line(line)]
    text = [line for line in lines if is_text_line(line)]
    if not text or count < 2:
        return (voice or text)[:count]
    return [*voice[: count - 1], text[0]]


def format_phone(number: str | None, region: str) -> str:
    """A stored number (E.164) as the person's country writes it: "07700 900123"."""
    if not number:
        return ""
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return number
    if not phonenumbers.is_valid_number(parsed):
        return number
    same_country = phonenumbers.region_code_for_number(parsed) == region.upper()
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if same_country
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return str(phonenumbers.format_number(parsed, style))


def contact_line(item: dict[str, Any], region: str) -> str:
    """A contact as the person wrote it, with the number from its phone field when the
    words do not already hold it (a practitioner may have typed it into the Phone box)."""
    text = str(item.get("text", "")).strip()
    phone = item.get("phone")
    if not phone:
        return text
    digits = "".join(c for c in text if c.isdigit())
    national = "".join(c for c in format_phone(phone, region) if c.isdigit())
    if national and national in digits:
        return text
    name = text or str(item.get("name", "")).strip()
    shown = format_phone(phone, region)
    return f"{name}: {shown}" if name else shown


def _label(version: PlanVersion | None, approved: bool) -> str:
    if version is None:
        return "none"
    if approved:
        return "approved"
    return version.status  # draft | submitted | changes_requested


def safety_message(
    session: Session | None,
    wording: Wording,
    *,
    participant: Participant | None,
    team: Team | None,
    service: dict[str, Any],
    now: datetime | None = None,
    sms: bool = True,
    contacts_shown: bool = True,
) -> str:
    """What a risk phrase gets back: the numbers first (the emergency number, the team's
    crisis line, national lines with one to text), that nobody is reading now and when
    the team will, then the person's own people."""
    contacts: list[str] = []
    region = team.region if team is not None else "GB"
    # Behind a PIN, the person's own people are plan content (docs/privacy.md).
    if session is not None and participant is not None and contacts_shown:
        version, _ = plans.for_crisis(session, participant.id)
        if version is not None:
            contacts = [
                contact_line(c, region)
                for c in version.sections.get("people_help", [])
                if c.get("phone")
            ]
    locale = participant.locale if participant is not None else "en"
    name = participant.display_name if participant is not None else None
    lines = national_lines(team, service)
    crisis_line = first_line(team, []) if team is not None else None
    # Shorter and shorter until it fits three segments: the person's own contacts go
    # first, then their name, then national lines beyond one to ring and one to text.
    # The emergency number, the crisis line and "nobody is reading now" always stay.
    variants = [(2, name, 3), (1, name, 3), (0, name, 3), (0, None, 3), (0, None, 2)]
    text = ""
    for keep, called, count in variants:
        text = wording.render(
            "safety/message",
            locale,
            name=called,
            team=team,
            emergency=team.emergency_number if team is not None else service["emergency_number"],
            crisis_line=crisis_line,
            lines=pick_lines(lines, count),
            contacts=contacts[:keep],
            seen=seen_in(when_seen(team, now), locale),
        )
        if sms:
            text = gsm.to_gsm7(text)
        if gsm.segments(text) <= MAX_SEGMENTS:
            break
    return text


def when_seen(team: Team | None, now: datetime | None) -> str:
    """When somebody at the team will next read messages, in a few plain words, from the
    team's working hours (bot/staff/hours.py); "the next working day" without them."""
    if team is None or now is None:
        return DEFAULT_SEEN
    return hours.next_read(team, now)


def category_message(
    wording: Wording,
    match: RiskMatch,
    locale: str,
    service: Mapping[str, Any],
    *,
    sms: bool = True,
) -> str | None:
    """The words a risk category has of its own (someone else at risk, harm from
    others), sent with the safety message; None for a category without them. On SMS
    spelt in GSM-7, as the safety message is."""
    name = f"safety/category/{match.category}"
    if not wording.exists(name):
        return None
    lines = service.get("category_lines", {}).get(match.category, [])
    text = wording.render(name, locale, service=service, category_lines=lines)
    return gsm.to_gsm7(text) if sms else text


def paginate(body: str, *, more: str, last: str) -> list[str]:
    """Pack blocks (paragraphs) into parts of at most MAX_SEGMENTS SMS segments each."""
    blocks = [b.strip() for b in body.split("\n\n") if b.strip()]
    pieces: list[str] = []
    for index, block in enumerate(blocks):
        # The first block (who it is for, the emergency number, the first line to call)
        # is never split: in a longer language or in UCS-2 the numbers stay in part one.
        pieces.extend([block] if index == 0 else _split_block(block, more, last))
    parts: list[str] = []
    current: list[str] = []
    for piece in pieces:
        candidate = "\n\n".join([*current, piece])
        if current and not _fits(candidate, more, last):
            parts.append("\n\n".join(current))
            current = [piece]
        else:
            current.append(piece)
    if current or not parts:
        parts.append("\n\n".join(current))
    # Every part ends with the emergency number too (the first also opens with it),
    # in case a later part is the only one read.
    finished = [f"{p}\n\n{more}\n{last}" for p in parts[:-1]]
    finished.append(f"{parts[-1]}\n\n{last}" if parts[-1] else last)
    return finished


def _fits(text: str, more: str, last: str) -> bool:
    # Measured as SMS sends it (in GSM-7; already so on SMS): on Telegram, where Welsh
    # and Polish letters are kept, a part holds as much as an SMS part does, not the
    # third of it that UCS-2 would leave.
    return gsm.segments(gsm.to_gsm7(f"{text}\n\n{more}\n{last}")) <= MAX_SEGMENTS


def _split_block(block: str, more: str, last: str) -> list[str]:
    """A block too long for one part is split by lines, and a too-long line by words."""
    if _fits(block, more, last):
        return [block]
    out: list[str] = []
    current = ""
    for line in block.splitlines():
        for word in _words_or_line(line, more, last):
            candidate = f"{current}\n{word}" if current else word
            if current and not _fits(candidate, more, last):
                out.append(current)
                current = word
            else:
                current = candidate
    if current:
        out.append(current)
    return out


def _words_or_line(line: str, more: str, last: str) -> list[str]:
    if _fits(line, more, last):
        return [line]
    chunks: list[str] = []
    current = ""
    for word in _hard_split(line.split(" ")):
        candidate = f"{current} {word}" if current else word
        if current and not _fits(candidate, more, last):
            chunks.append(current)
            current = word
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks


def _hard_split(words: list[str]) -> list[str]:
    """A "word" longer than a line (a pasted link, a run of emoji) is cut into pieces
    small enough for one part whatever their encoding."""
    out: list[str] = []
    for word in words:
        width = 120 if gsm.is_gsm7(word) else 40
        out.extend(word[i : i + width] for i in range(0, max(len(word), 1), width))
    return out
