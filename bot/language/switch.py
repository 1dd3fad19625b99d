"""A person changes their language by sending its own name: CYMRAEG, POLSKI, ENGLISH.

Like a keyword it works in any state and any case. The question in progress is asked
again in the new language, so switching mid-dialog loses nothing.
"""

from __future__ import annotations

from bot.engine.runner import Engine
from bot.engine.turn import Turn
from bot.language import offer
from bot.language.catalogue import LanguageError
from bot.language.words import switch_to
from bot.wording import Wording

OPTED_OUT = "opted_out"


def asked_for(text: str) -> str | None:
    """The locale the whole message names, or None."""
    return switch_to(text)


def answer(turn: Turn, code: str, engine: Engine, wording: Wording) -> None:
    person = turn.participant
    try:
        lang = offer.set_language(
            turn.session, person, turn.team, code, actor="participant", now=turn.now
        )
    except LanguageError:
        # Said in the language they asked for: they can read it, and their own stays.
        turn.say(wording.render("language/not_offered", code, team=turn.team))
        return
    turn.say(wording.render("language/changed", code, team=turn.team, reviewed=lang.reviewed))
    if person.status == OPTED_OUT or person.paused_at is not None:
        return
    conv = engine.active(turn)
    if conv is not None:
        engine.reprompt(turn, conv)
    elif person.onboarded_at is None:
        engine.start(turn, "onboarding")
