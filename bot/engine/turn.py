"""The context of handling one message: who, where, when, and what to say back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from store.models import Participant, Team


@dataclass
class Turn:
    session: Session
    participant: Participant
    team: Team
    now: datetime
    replies: list[str] = field(default_factory=list)

    def say(self, text: str) -> None:
        if text:
            self.replies.append(text)
