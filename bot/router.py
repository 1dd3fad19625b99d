"""Routing one message: an ordered list of cheap checks, the first that matches answers.

0. a discharged person gets the numbers to call and nothing of their record
1. the safety screen, on every text (it replies and raises an alert; routing goes on)
2. global keywords (CRISIS before anything else)
3. opted-out people hear nothing more, except CRISIS and START
4. a paused person is welcomed back to where they were
5. the active conversation takes the text
6. otherwise onboarding, or the menu
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot import crisis
from bot.engine.runner import Engine
from bot.engine.turn import Turn
from bot.keywords import Keyword, keyword
from bot.records import afterwards
from bot.safety import RiskMatch, RiskScreen
from bot.wording import Wording
from store.models import Alert, Participant, Team

OPTED_OUT = "opted_out"


class Router:
    def __init__(
        self, engine: Engine, wording: Wording, screen: RiskScreen, service: dict[str, Any]
    ) -> None:
        self.engine = engine
        self.wording = wording
        self.screen = screen
        self.service = service

    def unknown_sender(self, risk: RiskMatch | None, crisis: bool) -> list[str]:
        """A sender we have not verified: nothing personal, ever; the national numbers
        to anyone at risk or asking for a crisis plan (`crisis`)."""
        if risk is not None:
            return [self.safety(None, None, None)]
        return [self.wording.render("system/unknown_sender", service=self.service, crisis=crisis)]

    def safety(
        self, session: Session | None, participant: Participant | None, team: Team | None
    ) -> str:
        return crisis.safety_message(
            session, self.wording, participant=participant, team=team, service=self.service
        )

    def screen_edit(self, turn: Turn, risk: RiskMatch | None, message_id: int) -> bool:
        """An edited earlier message: the safety screen only; otherwise a deliberate
        silence (it is not an answer to the question now being asked)."""
        self._screen(turn, risk, message_id)
        return risk is not None

    def _screen(self, turn: Turn, risk: RiskMatch | None, message_id: int) -> None:
        if risk is None:
            return
        turn.session.add(
            Alert(
                participant_id=turn.participant.id,
                kind="risk_language",
                category=risk.category,
                message_id=message_id,
                created_at=turn.now,
            )
        )
        turn.say(self.safety(turn.session, turn.participant, turn.team))

    def route(self, turn: Turn, text: str, risk: RiskMatch | None, message_id: int) -> bool:
        """Decide the replies for one text (into turn.replies). True if risk was found."""
        participant = turn.participant
        if participant.status == afterwards.DISCHARGED:  # the numbers to call, nothing else
            return afterwards.answer(turn, text, risk, message_id, self.wording)
        self._screen(turn, risk, message_id)

        word = keyword(text)
        if word is Keyword.CRISIS:
            self._crisis(turn, message_id)
            return risk is not None
        if participant.status == OPTED_OUT:
            if word is Keyword.START:
                self._start(turn)
            elif word is Keyword.MORE and participant.more:
                self._keyword(turn, word)  # the rest of the crisis plan they asked for
            return risk is not None  # otherwise a deliberate silence: they asked us to stop
        if word is not None:
            self._keyword(turn, word)
            return risk is not None
        if participant.paused_at is not None:
            participant.paused_at = None
            turn.say(
                self.wording.render(
                    "system/welcome_back", participant.locale, name=participant.display_name
                )
            )
            self._carry_on(turn)
            return risk is not None
        conv = self.engine.active(turn)
        if conv is not None:
            self.engine.answer(turn, conv, text)
        elif participant.onboarded_at is None:
            self.engine.start(turn, "onboarding")
        else:
            self.engine.start(turn, "menu")
        return risk is not None

    def _crisis(self, turn: Turn, message_id: int) -> None:
        turn.crisis = True
        parts = crisis.crisis_parts(turn.session, self.wording, turn.participant, turn.team)
        turn.say(parts[0])
        turn.participant.more = parts[1:]
        turn.session.add(
            Alert(
                participant_id=turn.participant.id,
                kind="crisis_requested",
                message_id=message_id,
                created_at=turn.now,
            )
        )

    def _keyword(self, turn: Turn, word: Keyword) -> None:
        participant, loc = turn.participant, turn.participant.locale
        if word is Keyword.STOP:
            participant.status = OPTED_OUT
            participant.opted_out_at = turn.now
            participant.more = []
            turn.say(self.wording.render("system/stopped", loc, team=turn.team))
        elif word is Keyword.START:
            self._start(turn)
        elif word is Keyword.HELP:
            turn.say(self.wording.render("system/help", loc, team=turn.team))
        elif word is Keyword.PAUSE:
            participant.paused_at = turn.now
            turn.say(self.wording.render("system/paused", loc))
        elif word is Keyword.MORE:
            if participant.more:
                turn.say(participant.more[0])
                participant.more = participant.more[1:]
            else:
                turn.say(self.wording.render("system/no_more", loc))
        elif word is Keyword.MENU:
            _unpause(participant)
            self.engine.start(turn, "menu" if participant.onboarded_at else "onboarding")
        elif word is Keyword.REVIEW:
            _unpause(participant)
            self.engine.start(turn, "review" if participant.onboarded_at else "onboarding")
        else:
            self._in_dialog(turn, word)

    def _in_dialog(self, turn: Turn, word: Keyword) -> None:
        _unpause(turn.participant)
        conv = self.engine.active(turn)
        if conv is None:
            turn.say(self.wording.render("system/not_in_dialog", turn.participant.locale))
        elif word is Keyword.BACK:
            self.engine.back(turn, conv)
        elif word is Keyword.SKIP:
            self.engine.skip(turn, conv)
        elif word is Keyword.DONE:
            self.engine.done(turn, conv)

    def _start(self, turn: Turn) -> None:
        participant = turn.participant
        was_out = participant.status == OPTED_OUT
        participant.status = "active"
        participant.opted_out_at = None
        participant.paused_at = None
        turn.say(self.wording.render("system/started", participant.locale, was_out=was_out))
        self._carry_on(turn)

    def _carry_on(self, turn: Turn) -> None:
        conv = self.engine.active(turn)
        if conv is not None:
            self.engine.reprompt(turn, conv)
        elif turn.participant.onboarded_at is None:
            self.engine.start(turn, "onboarding")


def _unpause(participant: Participant) -> None:
    """Only when paused: even assigning the value it has marks the row as changed, and
    the next query's autoflush then runs the whole unit of work for nothing."""
    if participant.paused_at is not None:
        participant.paused_at = None
