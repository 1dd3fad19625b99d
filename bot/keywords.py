"""Global keywords: a whole message that means one command in any state."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum, auto
from typing import Final

from bot.help_seeking import is_help_seeking
from bot.language.words import keyword_phrases


class Keyword(StrEnum):
    CRISIS = auto()
    STOP = auto()
    START = auto()
    HELP = auto()
    PAUSE = auto()
    MENU = auto()
    BACK = auto()
    SKIP = auto()
    DONE = auto()
    MORE = auto()
    REVIEW = auto()
    # "please stop texting me": asked whether they mean STOP, never opted out by it
    STOP_ASK = auto()
    PIN = auto()
    UNDO = auto()  # put back their own words after the team changed them (overrides)


# In priority order: when a typo is one edit from two keywords, the first wins.
_PHRASES: Final[dict[Keyword, tuple[str, ...]]] = {
    # "help me" and its variants mean CRISIS, not HELP: someone who writes it may
    # be in distress, and the crisis plan carries the numbers to call. Plain
    # HELP stays the service's help (carriers require it).
    Keyword.CRISIS: (
        "crisis",
        "sos",
        "safety",
        "my plan",
        "safety plan",
        "crisis plan",
        "help me",
        "please help",
        "please help me",
        "help me please",
    ),
    # Twilio's opt-out words. YES is Twilio's opt-in word too, but here it is an
    # ordinary answer, so it is not a keyword.
    Keyword.STOP: (
        "stop",
        "stopall",
        "unsubscribe",
        "cancel",
        "end",
        "quit",
        "revoke",
        "optout",
    ),
    Keyword.START: ("start", "unstop"),
    Keyword.HELP: ("help", "info"),
    Keyword.PAUSE: ("pause",),
    Keyword.MENU: ("menu",),
    Keyword.BACK: ("back",),
    Keyword.SKIP: ("skip",),
    Keyword.DONE: ("done", "finished"),
    Keyword.MORE: ("more",),
    Keyword.REVIEW: ("review",),
    Keyword.PIN: ("pin",),
    Keyword.UNDO: ("undo",),
}

# One edit (Damerau-Levenshtein distance 1) is tolerated in phrases of five or
# more letters of these keywords. STOP and START are exact in both directions:
# consent must never change by a typo ("cancer" is one edit from CANCEL,
# "smart" from START), and Twilio, which enforces opt-out at the carrier edge,
# matches exactly too; a START Twilio ignored would leave us out of step.
_TOLERANT: Final = frozenset(
    {Keyword.CRISIS, Keyword.PAUSE, Keyword.REVIEW, Keyword.DONE},
)
_MIN_TOLERANT_LETTERS: Final = 5

# One edit from a tolerant phrase, but a different English word that a person
# plausibly sends as a whole message, so the message is not taken as a typo.
# Inflections that mean the same ("crises", "paused", "reviews", "finishes")
# are not here: they still match. CRISIS is tolerant of every other typo (a
# false CRISIS only sends the plan), but "crisps" and "safely" are real answers
# (what helps? crisps) and neither is a slip of adjacent keys, so a typed
# answer is not swallowed for them.
_NOT_TYPOS: Final = frozenset(
    {
        "crisps",
        "safely",
        "my plant",
        "my plane",
        "my play",
        "my pan",
        "cause",
        "parse",
        "passe",
        "preview",
        "finisher",
    }
)

# Welsh and Polish keywords (dialogs/language/<locale>/words.yaml) work for everyone,
# beside the English ones, which work in every language.
for _name, _phrases in keyword_phrases().items():
    _PHRASES[Keyword(_name)] = (*_PHRASES[Keyword(_name)], *_phrases)

_EXACT: Final[dict[str, Keyword]] = {
    phrase: key for key, phrases in _PHRASES.items() for phrase in phrases
}


def _letters(phrase: str) -> int:
    return sum(char.isalpha() for char in phrase)


def _typo_candidates() -> dict[int, tuple[tuple[str, Keyword], ...]]:
    tolerant = [
        (phrase, key)
        for key, phrases in _PHRASES.items()
        if key in _TOLERANT
        for phrase in phrases
        if _letters(phrase) >= _MIN_TOLERANT_LETTERS
    ]
    lengths = {len(phrase) + delta for phrase, _ in tolerant for delta in (-1, 0, 1)}
    return {
        length: tuple((p, k) for p, k in tolerant if abs(len(p) - length) <= 1)
        for length in lengths
    }


# Message length -> the tolerant phrases it can be one edit from.
_TYPO_CANDIDATES: Final = _typo_candidates()
# No phrase has more than 13 letters even with a typo; a message with many more
# letters or digits is no keyword, so long messages are turned away unread.
_MAX_WORD_CHARS: Final = 32
_NON_WORD: Final = re.compile(r"\W+")

# A message of nothing but the SOS emoji (and other symbols) is CRISIS too.
_SOS_EMOJI: Final = "🆘"


def keyword(text: str) -> Keyword | None:
    """The keyword the whole message is, or None when it is anything else.

    Help-seeking phrasings ("I need help", "crisis plan please", "can someone call
    me") are CRISIS too: see bot/help_seeking.py.
    """
    found = _whole_keyword(text)
    if found is None and is_help_seeking(text):
        return Keyword.CRISIS
    if found is None and len(text) <= _MAX_STOP_ASK_CHARS and _STOP_ASK.fullmatch(_words(text)):
        return Keyword.STOP_ASK
    return found


def stop_word(text: str) -> str:
    """The STOP-family word a message is ("END", "QUIT"...), as carriers would read it."""
    return _strip_edges(_fold(text)).upper()


# Asking us, in their own words, to stop: we ask back whether they mean STOP. Only the
# STOP family itself opts out (as at the carrier); these words could be about a list.
_STOP_ASK: Final = re.compile(
    r"(?:please |pls |plz |can you |could you |just |ok |so )*"
    r"(?:(?:stop|quit|no more|dont|do not|never) "
    r"(?:texting|messaging|message|text|txt|contacting|contact|sending (?:me )?(?:messages|texts))"
    r"(?: me)?(?: (?:any ?more|again|now|please|pls|thanks|ever))*"
    r"|leave me alone(?: please)?"
    r"|unsubscribe me(?: please)?"
    r"|take me off (?:your|the|this) list(?: please)?"
    r"|i dont want (?:these|your|any|any more|anymore|more) (?:messages|texts)(?: any ?more)?"
    r"|no more (?:messages|texts)(?: please)?)"
)
_MAX_STOP_ASK_CHARS: Final = 80


def _words(text: str) -> str:
    """Folded, apostrophes dropped, other punctuation a space."""
    folded = _fold(text).replace("'", "").replace("’", "")
    return " ".join(re.sub(r"[^\w\s]", " ", folded).split())


def _whole_keyword(text: str) -> Keyword | None:
    if len(text) > _MAX_WORD_CHARS and len(_NON_WORD.sub("", text)) > _MAX_WORD_CHARS:
        return None
    folded = _fold(text)
    core = _strip_edges(folded)
    if not core:
        # Edge stripping removes symbols, so a message of only SOS emoji ends here.
        return Keyword.CRISIS if _SOS_EMOJI in folded else None
    found = _EXACT.get(core)
    if found is not None:
        return found
    if core in _NOT_TYPOS:
        return None
    for phrase, key in _TYPO_CANDIDATES.get(len(core), ()):
        if _one_edit(core, phrase):
            return key
    return None


def _fold(text: str) -> str:
    """NFKD, casefold, accents and invisible characters dropped, whitespace runs made one space.

    NFKD is NFKC's compatibility folding (fullwidth letters, ligatures) with the
    accents split off, so "CRÍSIS" and the Turkish "CRİSİS" fold to "crisis".
    """
    folded = unicodedata.normalize("NFKD", text).casefold()
    if not folded.isascii():  # no ASCII character is Cf or Mn: nothing to drop
        folded = "".join(char for char in folded if not _invisible(char))
    return " ".join(folded.split())


def _invisible(char: str) -> bool:
    # Format characters (zero-width spaces and joiners, direction marks, BOM,
    # soft hyphen), combining marks (accents) and emoji variation selectors
    # never change which keyword was meant.
    return unicodedata.category(char) in {"Cf", "Mn"}


def _strip_edges(text: str) -> str:
    """Trim punctuation, symbols (emoji included), separators and controls from both ends."""
    start, end = 0, len(text)
    while start < end and _edge(text[start]):
        start += 1
    while end > start and _edge(text[end - 1]):
        end -= 1
    return text[start:end]


def _edge(char: str) -> bool:
    return unicodedata.category(char)[0] in "PSZC"


def _one_edit(text: str, phrase: str) -> bool:
    """Whether text is one insertion, deletion, substitution or adjacent swap from phrase."""
    if text == phrase:
        return False
    if len(text) == len(phrase):
        i = next(k for k, (a, b) in enumerate(zip(text, phrase, strict=True)) if a != b)
        if text[i + 1 :] == phrase[i + 1 :]:
            return True
        return (
            i + 1 < len(text)
            and text[i] == phrase[i + 1]
            and text[i + 1] == phrase[i]
            and text[i + 2 :] == phrase[i + 2 :]
        )
    shorter, longer = (text, phrase) if len(text) < len(phrase) else (phrase, text)
    if len(longer) - len(shorter) != 1:
        return False
    i = next(
        (k for k, (a, b) in enumerate(zip(shorter, longer, strict=False)) if a != b), len(shorter)
    )
    return shorter[i:] == longer[i + 1 :]
