"""The plan behind a PIN: setting it by message, asking for it, three tries and a cool-off.

The router asks three things of it: `take` (was this message about the PIN?), `guarded`
(is the plan behind the PIN right now?) and `gate` (a dialog's replies, withheld until
the PIN). The numbers to call never wait for it (docs/privacy.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

from bot import crisis
from bot.engine.runner import Engine
from bot.engine.turn import Turn
from bot.keywords import Keyword
from bot.privacy import pin
from bot.wording import Wording
from store.models import PlanPin

OPEN_FOR: Final = timedelta(minutes=15)  # a right PIN shows the plan for this long
ASKED_FOR: Final = timedelta(minutes=15)  # digits within this long answer the question
COOL_OFF: Final = timedelta(minutes=30)
TRIES: Final = 3
# Dialogs whose prompts and read-backs show what the person wrote in their plans.
PRIVATE_DIALOGS: Final = frozenset(
    {"crisis_plan", "care_plan", "review", "check_in", "appointment_prep", "supporters"}
)
# Their replies are never withheld: consent, the service's help, a pause.
_NEVER_GATED: Final = frozenset({Keyword.STOP, Keyword.HELP, Keyword.PAUSE, Keyword.PIN})


class PlanLock:
    def __init__(self, engine: Engine, wording: Wording, service: dict[str, Any]) -> None:
        self.engine = engine
        self.wording = wording
        self.service = service

    # -- what the router asks ------------------------------------------------------

    def guarded(self, turn: Turn) -> bool:
        """A PIN is set and has not been given in the last 15 minutes."""
        row = _row(turn)
        return row is not None and _guarded(row, turn.now)

    def take(self, turn: Turn, text: str, word: Keyword | None) -> bool:
        """Answer the message if it is about the PIN (True); otherwise leave it (False)."""
        if word is Keyword.PIN:
            self._keyword(turn)
            return True
        row = _row(turn)
        if row is None:
            return False
        digits = pin.pin_like(text)
        awaiting = row.awaiting if _still(row.awaiting_until, turn.now) else None
        if digits is None:
            if awaiting in ("new", "confirm", "current"):
                if awaiting == "new" and row.pin_hash and text.strip().casefold() == "off":
                    self._remove(turn, row)
                    return True
                _clear(row)
                self._say(turn, "not_changed")
            elif word is Keyword.MORE and awaiting == "unlock" and row.then:
                self.ask(turn, row.then)  # the rest of the plan is what the PIN shows
                return True
            elif _shows_plan(turn, word) and _guarded(row, turn.now):
                self.ask(turn, "more" if word is Keyword.MORE else "review")
                return True
            return False
        if awaiting in ("unlock", "current") and not pin.is_pin(digits):
            awaiting = None  # "7" after CRISIS is a check-in's answer, not a wrong PIN
        if awaiting is not None:
            turn.redact = True
            if awaiting in ("unlock", "current") and row.pin_hash is None:
                _clear(row)  # the team reset it meanwhile
                self._say(turn, "reset")
                return True
            self._answer(turn, row, awaiting, digits)
            return True
        if row.pin_hash is None:
            return False
        if _still(row.locked_until, turn.now):
            turn.redact = True  # a PIN typed unasked is never kept, locked or not
            self._locked(turn, row, numbers=True)
            return True
        if pin.verify(row.pin_hash, digits):
            turn.redact = True
            self._unlock(turn, row, then="reprompt")
            return True
        return False  # digits that are not the PIN: an answer like any other

    def crisis(self, turn: Turn) -> None:
        """CRISIS behind a PIN: the numbers to call at once, then the PIN for the rest."""
        turn.say(self.crisis_numbers(turn))
        turn.participant.more = []
        self.ask(turn, "crisis")

    def ask(self, turn: Turn, then: str) -> None:
        """Ask for the PIN; once it is given, show what `then` names."""
        row = _row(turn)
        assert row is not None
        if _still(row.locked_until, turn.now):
            self._locked(turn, row, numbers=False)
            return
        row.awaiting, row.awaiting_until, row.then = "unlock", turn.now + ASKED_FOR, then
        self._say(turn, "ask", then=then)

    def gate(self, turn: Turn, said: int, word: Keyword | None) -> None:
        """What a dialog said after reply `said`, withheld behind the PIN when it is a
        dialog that shows the person's plans; shown again once the PIN is given."""
        if len(turn.replies) <= said or word in _NEVER_GATED or not self.guarded(turn):
            return
        conv = self.engine.active(turn)
        if conv is None or conv.dialog not in PRIVATE_DIALOGS:
            return
        del turn.replies[said:]
        self.ask(turn, "reprompt")

    def crisis_numbers(self, turn: Turn) -> str:
        return crisis.numbers_part(
            self.wording, turn.participant, turn.team, service=self.service, sms=turn.sms
        )

    # -- setting it ----------------------------------------------------------------

    def _keyword(self, turn: Turn) -> None:
        row = _row(turn)
        if row is None:
            row = PlanPin(participant_id=turn.participant.id, failures=0)
            turn.session.add(row)
        if row.pin_hash is None:
            row.awaiting, row.awaiting_until = "new", turn.now + ASKED_FOR
            self._say(turn, "ask_new")
        elif _still(row.locked_until, turn.now):
            self._locked(turn, row, numbers=False)
        else:
            row.awaiting, row.awaiting_until = "current", turn.now + ASKED_FOR
            self._say(turn, "ask_current")

    def _answer(self, turn: Turn, row: PlanPin, awaiting: str, digits: str) -> None:
        if awaiting == "new":
            reason = pin.refusal(digits)
            if reason is not None:
                row.awaiting_until = turn.now + ASKED_FOR
                self._say(turn, "refused", reason=reason)
                return
            row.candidate_hash = pin.hash_pin(digits)
            row.awaiting, row.awaiting_until = "confirm", turn.now + ASKED_FOR
            self._say(turn, "confirm")
        elif awaiting == "confirm":
            if pin.verify(row.candidate_hash, digits):
                row.pin_hash, row.set_at, row.candidate_hash = row.candidate_hash, turn.now, None
                row.failures, row.locked_until = 0, None
                row.unlocked_until = turn.now + OPEN_FOR
                _clear(row)
                self._say(turn, "set")
            else:
                row.candidate_hash = None
                row.awaiting, row.awaiting_until = "new", turn.now + ASKED_FOR
                self._say(turn, "mismatch")
        elif _still(row.locked_until, turn.now):
            self._locked(turn, row, numbers=True)
        elif pin.verify(row.pin_hash, digits):
            if awaiting == "current":
                row.failures = 0
                row.awaiting, row.awaiting_until = "new", turn.now + ASKED_FOR
                self._say(turn, "ask_new_or_off")
            else:
                self._unlock(turn, row, then=row.then)
        else:
            self._wrong(turn, row)

    def _remove(self, turn: Turn, row: PlanPin) -> None:
        reset(row)
        self._say(turn, "removed")

    # -- giving it -------------------------------------------------------------------

    def _unlock(self, turn: Turn, row: PlanPin, then: str | None) -> None:
        row.failures, row.locked_until = 0, None
        row.unlocked_until = turn.now + OPEN_FOR
        _clear(row)
        self._say(turn, "unlocked")
        participant = turn.participant
        if then == "crisis":
            parts = crisis.crisis_parts(
                turn.session,
                self.wording,
                participant,
                turn.team,
                service=self.service,
                sms=turn.sms,
            )
            turn.say(parts[0])
            participant.more = parts[1:]
        elif then == "more" and participant.more:
            turn.say(participant.more[0])
            participant.more = participant.more[1:]
        elif then == "review":
            self.engine.start(turn, "review" if participant.onboarded_at else "onboarding")
        else:
            conv = self.engine.active(turn)
            if conv is not None:
                self.engine.reprompt(turn, conv)
            elif participant.more:  # a message from the team, held behind the PIN
                turn.say(participant.more[0])
                participant.more = participant.more[1:]

    def _wrong(self, turn: Turn, row: PlanPin) -> None:
        row.failures = (row.failures or 0) + 1
        if row.failures >= TRIES:
            row.failures, row.locked_until = 0, turn.now + COOL_OFF
            self._locked(turn, row, numbers=True)
            _clear(row)
            return
        row.awaiting_until = turn.now + ASKED_FOR
        self._say(turn, "wrong", left=TRIES - row.failures, team=turn.team)

    def _locked(self, turn: Turn, row: PlanPin, *, numbers: bool) -> None:
        """The numbers to call, always first: a forgotten PIN never stands between the
        person and them."""
        if numbers:
            turn.say(self.crisis_numbers(turn))
        left = (row.locked_until or turn.now) - turn.now
        minutes = max(1, -(-int(left.total_seconds()) // 60))
        self._say(turn, "locked", minutes=minutes)

    def _say(self, turn: Turn, name: str, **context: Any) -> None:
        turn.say(self.wording.render(f"privacy/{name}", turn.participant.locale, **context))


def reset(row: PlanPin) -> None:
    """No PIN any more, and nothing half-done about one."""
    row.pin_hash = row.set_at = row.candidate_hash = None
    row.failures, row.locked_until, row.unlocked_until = 0, None, None
    _clear(row)


def _shows_plan(turn: Turn, word: Keyword | None) -> bool:
    """REVIEW, or MORE with the rest of a crisis reply waiting."""
    return word is Keyword.REVIEW or (word is Keyword.MORE and bool(turn.participant.more))


def _row(turn: Turn) -> PlanPin | None:
    return turn.session.get(PlanPin, turn.participant.id)


def _guarded(row: PlanPin, now: datetime) -> bool:
    return row.pin_hash is not None and not _still(row.unlocked_until, now)


def _still(until: datetime | None, now: datetime) -> bool:
    return until is not None and now < until


def _clear(row: PlanPin) -> None:
    row.awaiting = row.awaiting_until = row.then = None
