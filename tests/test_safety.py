"""The safety screen: varied risk phrasings match, everyday idioms do not, nothing crashes.

Speed: `python -m bench.screen` (150-180 microseconds per message at the p99 on the
shared 2-core dev machine); no timed assertions here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.safety import DEFAULT_PHRASES, RiskMatch, RiskScreen, normalise

SCREEN = RiskScreen.from_file(DEFAULT_PHRASES)

RISK = [
    "I want to die",
    "i just want to die tonight",
    "I WANT TO DIEEEE",
    "I don't want to be here anymore",
    "I don\u2019t want to be here any more",
    "i dont want to be here now",
    "what's the point",
    "whats the point anymore honestly",
    "I've got the tablets ready",
    "ive got all my pills lined up",
    "everyone would be better off without me",
    "my family would be better off without me",
    "I can't go on",
    "i cant go on like this",
    "I want to end it all",
    "thinking about ending it",
    "I'm going to hurt myself",
    "im gonna hurt myself tonight",
    "I've been cutting again",
    "been self harming again",
    "no reason to live",
    "there's nothing left to live for",
    "I wrote a goodbye letter",
    "I'm saying goodbye to everyone",
    "thinking of jumping off the bridge",
    "I want to disappear forever",
    "kms",
    "suicidal",
    "feeling really sucidal today",
    "thinking about suicide",
    "I'm going to take all my pills",
    "I'm going to take all of my tablets",
    "I've stockpiled my meds",
    "I've been saving up my tablets",
    "I'm going to kill him",
    "I can't keep myself safe",
    "i feel like killing myself",
    "I want to k1ll myself",
    "I wanna die",
    "I'm such a burden to everyone",
    "nobody would miss me",
    "I've already taken them",
    "took 30 paracetamol",
    "I'm on the bridge",
    "better off dead",
    "I hope I don't wake up tomorrow",
    "I'm tired of living",
    "I want to overdose",
    "Went to the shops. Then I thought: I want to die.",
    "I have a plan to end my life",
    "the voices are telling me to hurt people",
    "want 2 die",
    "he hits me when he's drunk",
    "my partner threatened to kill me",
    "I don't feel safe at home",
]

BENIGN = [
    "this homework is killing me",
    "my feet are killing me",
    "I could kill for a coffee",
    "dying to see the new film",
    "I nearly died laughing",
    "killing time before my appointment",
    "kill the lights please",
    "I had a crisis last week but I'm ok now",
    "I want to die my hair blue",
    "the plant died",
    "my phone is dead",
    "kill the process",
    "killer heels",
    "what's the point of this question?",
    "I cut myself shaving",
    "I want to cut down on sugar",
    "I hurt my back at the gym",
    "I'm going to cut my hair",
    "Going for a walk by the river",
    "Listen to my playlist",
    "Sam 07400 123456",
    "I went to the shops on my own",
    "it hurt my feelings when he said that",
    "mum will kill me if I'm late",
    "my battery is dead again",
    "I take my tablets every morning",
    "the doctor changed my medication",
    "Bye for now",
    "I ended the call",
    "We watched Suicide Squad",
    "yes",
    "7",
    "",
    "it hurts me to say it but I miss her",
    "I went 2 the shops",
    "my knees hurt",
]


@pytest.mark.parametrize("text", RISK)
def test_risk_phrasings_match(text: str) -> None:
    assert isinstance(SCREEN.match(text), RiskMatch), text


@pytest.mark.parametrize("text", BENIGN)
def test_everyday_messages_do_not_match(text: str) -> None:
    assert SCREEN.match(text) is None, (text, SCREEN.match(text))


def test_an_idiom_does_not_hide_real_risk_in_the_same_message() -> None:
    assert SCREEN.match("work is killing me and honestly I want to kill myself") is not None


def test_normalise_removes_invisible_characters_and_repeats() -> None:
    # Runs of a letter are cut to two (the lexicon tries one when two make no word).
    assert normalise("Ki\u200bLLLL  m\u200fyself!!!") == "kill myself"
    assert normalise("DON\u2019T") == "dont"
    # Spaced-out letters are rejoined into one run; the lexicon splits it into words.
    assert normalise("k i l l  m-y-s-e-l-f") == "killmyself"
    assert normalise("\uff49\uff57\uff41\uff4e\uff54") == "iwant"


@pytest.mark.parametrize(
    "text",
    ["\x00", "a" * 5000, "\u200f\u202e kill myself \u202c", "\U0001f62d" * 300, " " * 10],
)
def test_awkward_input_never_raises(text: str) -> None:
    SCREEN.match(text)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_gives_a_match_or_none(text: str) -> None:
    assert SCREEN.match(text) is None or isinstance(SCREEN.match(text), RiskMatch)


def test_a_broken_phrase_file_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "phrases.yaml"
    bad.write_text("version: 2\nlocale: en\ncategories: [{id: x, phrases: []}]\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"phrases\.yaml"):
        RiskScreen.from_file(bad)
    bad.write_text("version: 1\ncategories:\n  - id: [unclosed\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"phrases\.yaml"):
        RiskScreen.from_file(bad)
