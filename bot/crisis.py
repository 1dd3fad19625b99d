"""The CRISIS reply and the safety message: short parts, the most useful steps first."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from bot import gsm, plans
from bot.safety import RiskMatch
from bot.wording import Wording
from store.models import Participant, Team

MAX_SEGMENTS = 3  # about 480 GSM-7 characters: what one message may cost a phone in a crisis


def crisis_parts(
    session: Session, wording: Wording, participant: Participant, team: Team
) -> list[str]:
    """Every part of the crisis reply, in order; the caller sends the first, MORE the rest."""
    version, approved = plans.for_crisis(session, participant.id)
    locale = participant.locale
    context: dict[str, Any] = {
        "name": participant.display_name,
        "team": team,
        "approved": approved,
        "has_plan": version is not None,
        "sections": plans.Sections(version.sections if version is not None else {}),
    }
    body = wording.render("crisis/plan", locale, **context)
    more = wording.render("crisis/more", locale)
    last = wording.render("crisis/emergency", locale, team=team)
    return paginate(body, more=more, last=last)


def safety_message(
    session: Session | None,
    wording: Wording,
    *,
    participant: Participant | None,
    team: Team | None,
    service: dict[str, Any],
) -> str:
    """What a risk phrase gets back: numbers first, then the person's own people."""
    contacts: list[dict[str, Any]] = []
    if session is not None and participant is not None:
        version, _ = plans.for_crisis(session, participant.id)
        if version is not None:
            contacts = [c for c in version.sections.get("people_help", []) if c.get("phone")]
    locale = participant.locale if participant is not None else "en"
    name = participant.display_name if participant is not None else None
    # Shorter and shorter until it fits three segments: the person's own contacts go
    # first, then their name (a name outside GSM-7 makes every character cost double),
    # then national lines beyond the first. The emergency number always stays.
    variants = [(2, name, 2), (1, name, 2), (0, name, 2), (0, None, 2), (0, None, 1)]
    text = ""
    for keep, called, lines in variants:
        text = wording.render(
            "safety/message",
            locale,
            name=called,
            team=team,
            service=service,
            contacts=contacts[:keep],
            lines=lines,
        )
        if gsm.segments(text) <= MAX_SEGMENTS:
            break
    return text


def category_message(
    wording: Wording, match: RiskMatch, locale: str, service: Mapping[str, Any]
) -> str | None:
    """The words a risk category has of its own (someone else at risk, harm from
    others), sent with the safety message; None for a category without them."""
    name = f"safety/category/{match.category}"
    if not wording.exists(name):
        return None
    lines = service.get("category_lines", {}).get(match.category, [])
    return wording.render(name, locale, service=service, category_lines=lines)


def paginate(body: str, *, more: str, last: str) -> list[str]:
    """Pack blocks (paragraphs) into parts of at most MAX_SEGMENTS SMS segments each."""
    blocks = [b.strip() for b in body.split("\n\n") if b.strip()]
    pieces: list[str] = []
    for block in blocks:
        pieces.extend(_split_block(block, more, last))
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
    finished = [f"{p}\n\n{more}\n{last}" for p in parts[:-1]]
    finished.append(f"{parts[-1]}\n\n{last}" if parts[-1] else last)
    return finished


def _fits(text: str, more: str, last: str) -> bool:
    return gsm.segments(f"{text}\n\n{more}\n{last}") <= MAX_SEGMENTS


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
