"""The context of handling one message: who, where, when, and what to say back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from bot import plans
from store.models import Participant, PlanVersion, Team


@dataclass
class Turn:
    session: Session
    participant: Participant
    team: Team
    now: datetime
    replies: list[str] = field(default_factory=list)
    # The channel the message came on: SMS (and WhatsApp) replies are kept to GSM-7
    # where the numbers to call depend on it.
    channel: str = "sms"
    crisis: bool = False  # the message was a request for the crisis plan
    redact: bool = False  # the message was a PIN: its stored body is replaced (bot/privacy)
    # The newest version of each of the person's plans, once looked up: one step asks
    # for it several times (the list question's items, the prompt, the next prompt).
    # Within a turn only `draft_plan` below makes a newer version, and it keeps this up
    # to date; the version is the session's one object, so changes to it show.
    _newest_plans: dict[str, PlanVersion | None] = field(default_factory=dict, repr=False)

    @property
    def sms(self) -> bool:
        return self.channel not in ("telegram", "web", "console")

    def say(self, text: str) -> None:
        if text:
            self.replies.append(text)

    def current_plan(self, kind: str) -> PlanVersion | None:
        """plans.current for this person, looked up once a turn."""
        if kind not in self._newest_plans:
            self._newest_plans[kind] = plans.current(self.session, self.participant.id, kind)
        return self._newest_plans[kind]

    def draft_plan(self, kind: str) -> PlanVersion:
        """plans.draft for this person; the draft is the newest version from now on."""
        version = plans.draft(self.session, self.participant.id, kind)
        self._newest_plans[kind] = version
        return version
