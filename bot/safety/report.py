"""`touchpoint safety eval [FILE]`: how well the risk screen hears the labelled set."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from bot.safety.evaluation import BENIGN, RECORDED, Score, figures, parts, read, score
from bot.safety.screen import RiskScreen
from bot.settings import Settings

EVAL_FOLDER = "eval"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    safety = sub.add_parser("safety", help="risk screen commands")
    s_sub = safety.add_subparsers(dest="safety_command", required=True, metavar="SUBCOMMAND")
    evaluate = s_sub.add_parser(
        "eval",
        help="score the risk screen on labelled messages: recall, false alarms, every miss",
        description="Run the risk screen over labelled messages and print recall per "
        "category, the false-alarm rate on everyday messages, and every miss. FILE is "
        "one YAML file or a folder of them (default: dialogs/safety/eval/). Exits 1 "
        "when the whole set or one of its parts misses the targets.",
    )
    evaluate.add_argument("file", nargs="?", type=Path, help="a labelled set, file or folder")
    evaluate.add_argument("--locale", help="the person's locale, screened with English")
    evaluate.add_argument(
        "--record",
        action="store_true",
        help=f"write these figures to {EVAL_FOLDER}/{RECORDED} (the floor the tests hold to)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    folder = settings.dialogs_dir / "safety"
    source: Path = args.file or folder / EVAL_FOLDER
    try:
        screen = RiskScreen.from_file(folder)
        examples = read(source)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    whole = score(screen, examples, args.locale)
    print(f"Risk screen on {source} ({len(examples)} messages)")
    short = _table("whole set", whole)
    by_part = parts(examples)
    if len(by_part) > 1:
        for name in by_part:
            short += _table(
                f"part: {name}", Score([o for o in whole.outcomes if o.example.part == name])
            )
    _list(
        "Missed",
        [f"[{o.example.part}] {o.example.category}: {o.example.text!r}" for o in whole.misses],
    )
    _list(
        "False alarms",
        [f"[{o.example.part}] {o.example.text!r} -> {_found(o.found)}" for o in whole.false_alarms],
    )
    _list(
        "Alerted under another category",
        [
            f"[{o.example.part}] {o.example.category}: {o.example.text!r} -> {_found(o.found)}"
            for o in whole.misfiled
        ],
    )
    print()
    if args.record:
        target = source if source.is_dir() else source.parent
        (target / RECORDED).write_text(_recorded(figures(whole)), encoding="utf-8")
        print(f"Figures written to {target / RECORDED}.")
    if short:
        print("Targets NOT met: " + "; ".join(short))
        return 1
    print("Targets met: explicit intent 100%, other categories >= 95%, false alarms <= 5%.")
    return 0


def _recorded(found: dict[str, dict[str, float]]) -> str:
    head = (
        "# The risk screen's figures on this evaluation set, written by\n"
        "# `touchpoint safety eval --record`. tests/test_safety_eval.py fails when a recall\n"
        "# drops below, or the false-alarm rate rises above, what is recorded here. Record\n"
        "# again only after an improvement, and say so in the hazard log.\n"
    )
    return head + yaml.safe_dump(found, sort_keys=False)


def _found(found: object) -> str:
    return "nothing" if found is None else f"{found.category} ({found.phrase_id})"  # type: ignore[attr-defined]


def _table(title: str, result: Score) -> list[str]:
    print(f"\n{title} ({len(result.outcomes)} messages)")
    print(f"  {'category':<22} {'messages':>8} {'recall':>8} {'same category':>14}")
    for category in result.categories:
        n = len(result.of(category))
        print(
            f"  {category:<22} {n:>8} {result.recall(category):>8.1%}"
            f" {result.filed_right(category):>14.1%}"
        )
    benign = result.of(BENIGN)
    alarms = len(result.false_alarms)
    print(
        f"  false alarms: {alarms} of {len(benign)} everyday messages"
        f" ({result.false_alarm_rate:.1%})"
    )
    return [f"{title}: {s}" for s in result.shortfalls()]


def _list(title: str, lines: list[str]) -> None:
    print(f"\n{title} ({len(lines)}):")
    for line in lines:
        print(f"  {line}")
