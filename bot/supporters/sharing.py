"""What goes to a supporter: the invitation (double opt-in), a copy of the approved plan
(the parts they may see), and a short notice when the person texts CRISIS. All by SMS,
through the outbox, in the caller's transaction."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy.orm import Session

from bot import crisis, gsm, outbox, plans
from bot.supporters import people
from bot.types import Channel
from bot.wording import Wording
from store.models import Participant, PlanVersion, Supporter, Team

INVITE: Final = "invite"
COPY: Final = "copy"
NOTICE_EVERY: Final = timedelta(hours=6)  # CRISIS notices to one supporter, at most
_PENDING: Final = "supporters_to_send"


def later(session: Session, supporter_id: int, what: str) -> None:
    """Mark a message for a supporter to be sent when this message's step is over."""
    session.info.setdefault(_PENDING, []).append((supporter_id, what))


class Sharing:
    def __init__(self, wording: Wording, service: dict[str, Any]) -> None:
        self.wording = wording
        self.service = service

    def send_pending(
        self, session: Session, participant: Participant, team: Team, now: datetime
    ) -> None:
        for supporter_id, what in session.info.pop(_PENDING, []):
            supporter = session.get(Supporter, supporter_id)
            if supporter is None or supporter.status not in people.LIVE:
                continue
            if what == INVITE:
                self.invite(session, participant, team, supporter, now)
            else:
                self.send_copy(session, participant, team, supporter, now)

    def invite(
        self,
        session: Session,
        participant: Participant,
        team: Team,
        supporter: Supporter,
        now: datetime,
    ) -> None:
        text = self.wording.render(
            "supporters/invitation",
            participant.locale,
            supporter=supporter,
            name=participant.display_name,
            team=team,
        )
        self._send(session, supporter, text, now)

    def send_copy(
        self,
        session: Session,
        participant: Participant,
        team: Team,
        supporter: Supporter,
        now: datetime,
    ) -> bool:
        """The approved plan's parts they may see; nothing before the team approved it."""
        if supporter.status != "active":
            return False
        version = _approved(session, participant.id)
        if version is None:
            return False
        allowed = set(supporter.sections)
        shown = [
            (title, version.sections.get(key, []))
            for key, title in people.section_titles()
            if key in allowed and version.sections.get(key)
        ]
        text = self.wording.render(
            "supporters/copy",
            participant.locale,
            supporter=supporter,
            name=participant.display_name,
            team=team,
            shown=shown,
            contact=lambda item: crisis.contact_line(item, team.region),
            first_line=crisis.first_line(team, crisis.national_lines(team, self.service)),
        )
        self._send(session, supporter, text, now)
        supporter.sent_version_id = version.id
        supporter.updated_at = now
        return True

    def crisis_notice(
        self, session: Session, participant: Participant, team: Team, now: datetime
    ) -> None:
        """A short SMS, no plan content, to each supporter who is to be told, at most
        once every six hours each."""
        for supporter in people.of(session, participant.id):
            if supporter.status != "active" or not supporter.notify_crisis:
                continue
            last = supporter.last_notice_at
            if last is not None and now - last < NOTICE_EVERY:
                continue
            lines = crisis.national_lines(team, self.service)
            text = self.wording.render(
                "supporters/crisis_notice",
                participant.locale,
                supporter=supporter,
                name=participant.display_name,
                team=team,
                first_line=crisis.first_line(team, lines),
            )
            self._send(session, supporter, text, now)
            supporter.last_notice_at = now

    def on_approved(
        self, session: Session, participant: Participant, kind: str, now: datetime
    ) -> None:
        """A newly approved crisis plan goes to supporters who have none yet; one who
        holds an older copy gets the new one only when the person chooses them again."""
        if kind != "crisis":
            return
        for supporter in people.of(session, participant.id):
            if supporter.status == "active" and supporter.sent_version_id is None:
                self.send_copy(session, participant, participant.team, supporter, now)

    @staticmethod
    def _send(session: Session, supporter: Supporter, text: str, now: datetime) -> None:
        outbox.enqueue(
            session,
            channel=Channel.SMS,
            address=supporter.phone,
            text=gsm.to_gsm7(text),
            participant_id=None,  # not the participant's conversation
            now=now,
        )


def _approved(session: Session, participant_id: int) -> PlanVersion | None:
    latest = plans.current(session, participant_id, "crisis")
    return plans.approved_version(session, latest.plan_id) if latest is not None else None
