"""What a discharged person gets back when they write in. Their channels were unlinked at
discharge and nobody confirms an address is still theirs (phone numbers are given to
someone else after a while), so nothing of their record is sent: no name, no plan, no
contacts. They still get the numbers to call, and a risk alert still reaches the team.
The reasoning is in docs/clinical-safety.md (hazard H-DIS-1)."""

from __future__ import annotations

from bot.engine.turn import Turn
from bot.keywords import Keyword, keyword
from bot.safety import RiskMatch
from bot.staff.notify import raise_alert
from bot.wording import Wording
from store.models import Alert

DISCHARGED = "discharged"


def answer(
    turn: Turn,
    text: str,
    risk: RiskMatch | None,
    message_id: int,
    wording: Wording,
) -> bool:
    """The replies for one text from a discharged participant; True if risk was found."""
    locale, team = turn.participant.locale, turn.team
    asked = keyword(text) is Keyword.CRISIS
    if risk is not None:
        _alert(turn, "risk_language", message_id, risk)
        turn.say(wording.render("system/discharged_safety", locale, team=team))
    if asked:
        turn.crisis = True
        _alert(turn, "crisis_requested", message_id)
        if risk is None:  # else the numbers were just sent
            turn.say(wording.render("system/discharged_crisis", locale, team=team))
    elif risk is None:
        turn.say(wording.render("system/after_discharge", locale, team=team))
    return risk is not None


def _alert(turn: Turn, kind: str, message_id: int, risk: RiskMatch | None = None) -> None:
    # Through raise_alert, so the duty contacts hear of it as of anyone's (H25).
    raise_alert(
        turn.session,
        Alert(
            participant_id=turn.participant.id,
            team_id=turn.team.id,
            kind=kind,
            category=risk.category if risk else None,
            severity=risk.severity if risk else None,
            rule=risk.phrase_id if risk else None,
            message_id=message_id,
            created_at=turn.now,
        ),
        turn.team,
    )
