"""Scoring the risk screen on labelled messages (dialogs/safety/eval/*.yaml).

Recall of a risk category is the share of its messages that raise an alert at all
(the safety message goes out whatever the category); the share filed under the
right category is counted too, since some categories have their own answer. The
false-alarm rate is the share of messages labelled "none" that raise an alert.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.safety import files
from bot.safety.files import bad
from bot.safety.phrasebook import RiskMatch
from bot.safety.screen import RiskScreen

BENIGN = "none"
EXPLICIT = "suicidal_intent"
# The targets of issue 11: explicit intent always; every other risk category 95%;
# at most 5% of everyday messages raise an alert.
TARGET_EXPLICIT = 1.0
TARGET_RECALL = 0.95
TARGET_FALSE_ALARMS = 0.05


@dataclass(frozen=True)
class Example:
    text: str
    category: str
    family: str
    part: str


@dataclass(frozen=True)
class Outcome:
    example: Example
    found: RiskMatch | None

    @property
    def alerted(self) -> bool:
        return self.found is not None


@dataclass
class Score:
    outcomes: list[Outcome] = field(default_factory=list)

    def of(self, category: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.example.category == category]

    @property
    def categories(self) -> list[str]:
        seen = dict.fromkeys(o.example.category for o in self.outcomes)
        return [c for c in seen if c != BENIGN]

    def recall(self, category: str) -> float:
        outcomes = self.of(category)
        return sum(o.alerted for o in outcomes) / len(outcomes) if outcomes else 1.0

    def filed_right(self, category: str) -> float:
        outcomes = self.of(category)
        right = sum(o.found is not None and o.found.category == category for o in outcomes)
        return right / len(outcomes) if outcomes else 1.0

    @property
    def false_alarm_rate(self) -> float:
        benign = self.of(BENIGN)
        return sum(o.alerted for o in benign) / len(benign) if benign else 0.0

    @property
    def misses(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.example.category != BENIGN and not o.alerted]

    @property
    def false_alarms(self) -> list[Outcome]:
        return [o for o in self.of(BENIGN) if o.alerted]

    @property
    def misfiled(self) -> list[Outcome]:
        return [
            o
            for o in self.outcomes
            if o.found is not None
            and o.example.category != BENIGN
            and o.found.category != o.example.category
        ]

    def figures(self) -> dict[str, float]:
        """What the regression test compares: recall per category, false alarms."""
        out = {f"recall.{c}": round(self.recall(c), 4) for c in self.categories}
        out["false_alarms"] = round(self.false_alarm_rate, 4)
        return out

    def shortfalls(self) -> list[str]:
        """The targets this score does not meet, as sentences."""
        short: list[str] = []
        for category in self.categories:
            target = TARGET_EXPLICIT if category == EXPLICIT else TARGET_RECALL
            if self.recall(category) < target:
                short.append(f"{category}: recall {self.recall(category):.1%} < {target:.0%}")
        if self.false_alarm_rate > TARGET_FALSE_ALARMS:
            short.append(f"false alarms {self.false_alarm_rate:.1%} > {TARGET_FALSE_ALARMS:.0%}")
        return short


def read(path: Path) -> list[Example]:
    """Every labelled message in a file, or in every *.yaml file of a folder."""
    paths = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    examples: list[Example] = []
    for each in paths:
        if each.name == RECORDED:
            continue
        examples.extend(_read_file(each))
    if not examples:
        raise bad(path, "holds no labelled messages.")
    return examples


RECORDED = "recorded.yaml"


def _read_file(path: Path) -> list[Example]:
    data = files.mapping(
        path,
        "the file",
        files.read(path),
        frozenset({"version", "families"}),
        frozenset({"locale", "part"}),
    )
    part = str(data.get("part", path.stem))
    families = data["families"]
    if not isinstance(families, list):
        raise bad(path, "'families' must be a list.")
    examples: list[Example] = []
    for raw in families:
        family = files.mapping(
            path,
            "a family",
            raw,
            frozenset({"family", "category", "messages"}),
            frozenset({"source"}),
        )
        for text in files.strings(path, f"family {family['family']!r}", family["messages"]):
            examples.append(Example(text, str(family["category"]), str(family["family"]), part))
    return examples


def score(screen: RiskScreen, examples: Iterable[Example], locale: str | None = None) -> Score:
    return Score([Outcome(e, screen.match(e.text, locale)) for e in examples])


def parts(examples: list[Example]) -> dict[str, list[Example]]:
    out: dict[str, list[Example]] = {}
    for example in examples:
        out.setdefault(example.part, []).append(example)
    return out


def figures(whole: Score) -> dict[str, dict[str, float]]:
    """The figures of the whole set and of each of its parts, by name."""
    out = {"whole": whole.figures()}
    for name in dict.fromkeys(o.example.part for o in whole.outcomes):
        out[name] = Score([o for o in whole.outcomes if o.example.part == name]).figures()
    return out
