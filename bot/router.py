"""Routing one message: an ordered list of cheap checks, the first that matches answers.

0. a discharged person gets the numbers to call and nothing of their record
1. the safety screen, on every text (it replies and raises an alert; routing goes on)
2. global keywords (CRISIS and help-seeking phrasings before anything else); then the
   PIN: the keyword, or a PIN asked for (bot/privacy; what a dialog says waits for it)
3. opted-out people: CRISIS, HELP and the safety message as ever; START opts back in;
   anything else one short line a day saying how to start again
4. risk language is never an answer: the safety message stands alone, and a question
   in progress asks how to go on (the words are kept only if the person says so)
5. a paused person is welcomed back to where they were
6. the active conversation takes the text
7. otherwise onboarding, or the menu
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from bot import crisis, more
from bot.coproduction import overrides
from bot.engine.runner import Engine
from bot.engine.turn import Turn
from bot.keywords import Keyword, keyword, stop_word
from bot.language import switch as language_switch
from bot.privacy.lock import PlanLock
from bot.records import afterwards
from bot.safety import RiskMatch, RiskScreen
from bot.staff.notify import raise_alert
from bot.supporters import replies as supporter_replies
from bot.supporters.sharing import Sharing
from bot.wording import Wording
from store.models import Alert, ChannelIdentity, Message, Participant, Team

OPTED_OUT = "opted_out"
# After STOP, a message that is not CRISIS, HELP, START or risk gets one short line
# saying how to start again, at most this often; otherwise a deliberate silence.
OPTED_OUT_NOTICE_EVERY = timedelta(days=1)

_REPLIED_SINCE = (
    select(func.count())
    .select_from(Message)
    .where(
        Message.participant_id == bindparam("participant_id"),
        Message.direction == "out",
        Message.created_at >= bindparam("since"),
    )
)
# Whose number this is, even before it is verified: that team's leads see the alert.
_TEAM_OF_ADDRESS = (
    select(Participant.team_id)
    .join(ChannelIdentity, ChannelIdentity.participant_id == Participant.id)
    .where(
        ChannelIdentity.channel == bindparam("channel"),
        ChannelIdentity.address == bindparam("address"),
    )
    .limit(1)
)


class Router:
    def __init__(
        self, engine: Engine, wording: Wording, screen: RiskScreen, service: dict[str, Any]
    ) -> None:
        self.engine = engine
        self.wording = wording
        self.screen = screen
        self.service = service
        self.pins = PlanLock(engine, wording, service)
        self.sharing = Sharing(wording, service)

    def unknown_sender(
        self,
        risk: RiskMatch | None,
        crisis: bool,
        *,
        session: Session | None = None,
        channel: str = "",
        address: str = "",
        message_id: int | None = None,
        now: datetime | None = None,
    ) -> list[str]:
        """A sender we have not verified: nothing personal, ever; the national numbers
        to anyone at risk or asking for a crisis plan (`crisis`). Risk raises an alert
        in the triage list of the team the number was given to (if any; else the
        service's admins see it)."""
        if risk is not None:
            if session is not None:
                team_id = session.scalar(_TEAM_OF_ADDRESS, {"channel": channel, "address": address})
                raise_alert(
                    session,
                    Alert(
                        participant_id=None,
                        team_id=team_id,
                        kind="risk_language",
                        category=risk.category,
                        severity=risk.severity,
                        rule=risk.phrase_id,
                        message_id=message_id,
                        created_at=now,
                    ),
                )
            sms = channel != "telegram"
            first = self._category(risk, "en", sms=sms)
            return [*([first] if first else []), self.safety(None, None, None, sms=sms)]
        lines = crisis_lines(self.service)
        return [
            self.wording.render(
                "system/unknown_sender", service=self.service, crisis=crisis, lines=lines
            )
        ]

    def supporter(
        self, session: Session, channel: str, address: str, text: str, now: datetime
    ) -> list[str] | None:
        """A supporter's YES, NO or STOP (bot/supporters); None if the number is nobody's
        supporter."""
        found = supporter_replies.of_address(session, channel, address)
        if not found:
            return None
        return supporter_replies.answer(session, self.wording, self.sharing, found, text, now)

    def safety(
        self,
        session: Session | None,
        participant: Participant | None,
        team: Team | None,
        *,
        now: datetime | None = None,
        sms: bool = True,
    ) -> str:
        return crisis.safety_message(
            session,
            self.wording,
            participant=participant,
            team=team,
            service=self.service,
            now=now,
            sms=sms,
        )

    def screen_edit(self, turn: Turn, risk: RiskMatch | None, message_id: int) -> bool:
        """An edited earlier message: the safety screen only; otherwise a deliberate
        silence (it is not an answer to the question now being asked)."""
        self._screen(turn, risk, message_id)
        return risk is not None

    def _screen(self, turn: Turn, risk: RiskMatch | None, message_id: int) -> None:
        if risk is None:
            return
        raise_alert(
            turn.session,
            Alert(
                participant_id=turn.participant.id,
                team_id=turn.team.id,
                kind="risk_language",
                category=risk.category,
                severity=risk.severity,
                rule=risk.phrase_id,
                message_id=message_id,
                created_at=turn.now,
            ),
            turn.team,
        )
        # Someone else at risk, or harm from others: their own words (what to do for
        # them; the Silent Solution, the abuse helpline) come first, then the message
        # that says nobody is reading now (docs/clinical-safety.md, H12). Behind a PIN
        # the person's own contacts are left out of it (plan content).
        turn.say(self._category(risk, turn.participant.locale, sms=turn.sms))
        turn.say(
            crisis.safety_message(
                turn.session,
                self.wording,
                participant=turn.participant,
                team=turn.team,
                service=self.service,
                now=turn.now,
                sms=turn.sms,
                contacts_shown=not self.pins.guarded(turn),
            )
        )

    def _category(self, risk: RiskMatch, locale: str, *, sms: bool) -> str:
        return crisis.category_message(self.wording, risk, locale, self.service, sms=sms) or ""

    def route(self, turn: Turn, text: str, risk: RiskMatch | None, message_id: int) -> bool:
        """Decide the replies for one text (into turn.replies). True if risk was found."""
        if turn.participant.status == afterwards.DISCHARGED:  # the numbers, nothing else
            return afterwards.answer(turn, text, risk, message_id, self.wording)
        self._screen(turn, risk, message_id)

        word = keyword(text)
        if word is Keyword.CRISIS:
            self._crisis(turn, message_id)
            return risk is not None
        if self.pins.take(turn, text, word):
            return risk is not None
        said = len(turn.replies)
        self._route(turn, text, word, risk)
        if risk is None:  # a question held after risk language is asked as it stands
            self.pins.gate(turn, said, word)
        self.sharing.send_pending(turn.session, turn.participant, turn.team, turn.now)
        return risk is not None

    def _route(self, turn: Turn, text: str, word: Keyword | None, risk: RiskMatch | None) -> None:
        participant = turn.participant
        if word is None and (code := language_switch.asked_for(text)) is not None:
            language_switch.answer(turn, code, self.engine, self.wording)  # CYMRAEG, POLSKI
            return
        if participant.status == OPTED_OUT:
            self._opted_out(turn, word, risk)
            return
        if word is not None:
            self._keyword(turn, word, text)
            return
        if risk is not None:
            # The safety message stands alone: no menu, no "Got it". A question in
            # progress waits, and asks how to go on; the words become an answer only
            # if the person says so (docs/clinical-safety.md, H1b).
            conv = self.engine.active(turn)
            if conv is not None and participant.paused_at is None:
                self.engine.hold(turn, conv, text)
            return
        if participant.paused_at is not None:
            participant.paused_at = None
            resuming = self.engine.active(turn) is not None
            turn.say(
                self.wording.render(
                    "system/welcome_back",
                    participant.locale,
                    name=participant.display_name,
                    resuming=resuming,
                )
            )
            self._carry_on(turn)
            return
        conv = self.engine.active(turn)
        if conv is not None:
            self.engine.answer(turn, conv, text)
        elif participant.onboarded_at is None:
            self.engine.start(turn, "onboarding")
        else:
            self.engine.start(turn, "menu")

    def _opted_out(self, turn: Turn, word: Keyword | None, risk: RiskMatch | None) -> None:
        """They asked us to stop: no dialog, no prompt. START opts back in; HELP and
        MORE (the rest of a crisis reply) answer; risk had its safety message; anything
        else gets one short line a day, so nobody meets silence."""
        participant = turn.participant
        if word is Keyword.START:
            self._start(turn)
        elif word is Keyword.MORE and participant.more:
            self._keyword(turn, word)
        elif word is Keyword.HELP:
            self._help(turn)
        elif risk is None and self._notice_due(turn):
            turn.say(self.wording.render("system/opted_out", participant.locale, team=turn.team))

    def _notice_due(self, turn: Turn) -> bool:
        """No reply in the last day, not counting the STOP confirmation itself (sent at
        the moment they opted out)."""
        opted_out_at = turn.participant.opted_out_at or turn.now
        day_ago = turn.now - OPTED_OUT_NOTICE_EVERY
        since, confirmation = (opted_out_at, 1) if opted_out_at >= day_ago else (day_ago, 0)
        params = {"participant_id": turn.participant.id, "since": since}
        return int(turn.session.scalar(_REPLIED_SINCE, params) or 0) <= confirmation

    def _help(self, turn: Turn) -> None:
        lines = crisis.national_lines(turn.team, self.service)
        turn.say(
            self.wording.render(
                "system/help",
                turn.participant.locale,
                team=turn.team,
                first_line=crisis.first_line(turn.team, lines),
                opted_out=turn.participant.status == OPTED_OUT,
            )
        )

    def _crisis(self, turn: Turn, message_id: int) -> None:
        turn.crisis = True
        if self.pins.guarded(turn):
            self.pins.crisis(turn)  # the numbers at once; the plan after the PIN
        else:
            parts = crisis.crisis_parts(
                turn.session,
                self.wording,
                turn.participant,
                turn.team,
                service=self.service,
                sms=turn.sms,
            )
            turn.say(parts[0])
            turn.participant.more = parts[1:]
        self.sharing.crisis_notice(turn.session, turn.participant, turn.team, turn.now)
        raise_alert(
            turn.session,
            Alert(
                participant_id=turn.participant.id,
                kind="crisis_requested",
                message_id=message_id,
                created_at=turn.now,
            ),
            turn.team,
        )

    def _keyword(self, turn: Turn, word: Keyword, text: str = "") -> None:
        participant, loc = turn.participant, turn.participant.locale
        if word is Keyword.STOP:
            # Any of the carrier's STOP words opts out (the carrier stops delivery too);
            # the reply names the word, so an "end" meant for a list is not a mystery.
            participant.status = OPTED_OUT
            participant.opted_out_at = turn.now
            participant.more = []
            raise_alert(
                turn.session,
                Alert(participant_id=participant.id, kind="opted_out", created_at=turn.now),
                turn.team,
            )
            said = stop_word(text) if text else "STOP"
            turn.say(self.wording.render("system/stopped", loc, team=turn.team, word=said))
        elif word is Keyword.STOP_ASK:
            turn.say(self.wording.render("system/stop_ask", loc))
        elif word is Keyword.START:
            self._start(turn)
        elif word is Keyword.HELP:
            self._help(turn)
        elif word is Keyword.PAUSE:
            participant.paused_at = turn.now
            turn.say(self.wording.render("system/paused", loc))
        elif word is Keyword.MORE:
            page = more.next_page(turn, self.wording, self.service)
            turn.say(page or self.wording.render("system/no_more", loc))
        elif word is Keyword.MENU:
            _unpause(participant)
            self.engine.start(turn, "menu" if participant.onboarded_at else "onboarding")
        elif word is Keyword.REVIEW:
            _unpause(participant)
            self.engine.start(turn, "review" if participant.onboarded_at else "onboarding")
        elif word is Keyword.UNDO:
            undone = overrides.undo(turn.session, participant.id, turn.now)
            template = "overrides/undone" if undone else "overrides/nothing"
            turn.say(self.wording.render(template, loc, kind=undone.kind if undone else None))
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


def crisis_lines(service: dict[str, Any]) -> list[dict[str, str]]:
    """The service's lines for a sender we do not know: one to ring, one to text."""
    return crisis.pick_lines(list(service.get("national_lines", [])), 3)


def _unpause(participant: Participant) -> None:
    """Only when paused: even assigning the value it has marks the row as changed, and
    the next query's autoflush then runs the whole unit of work for nothing."""
    if participant.paused_at is not None:
        participant.paused_at = None
