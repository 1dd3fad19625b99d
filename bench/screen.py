"""The risk screen alone: time per message, cold (first sight of each word) and warm.
`python -m bench.screen`. No database, no HTTP: see bench.inprocess for the whole step.

Messages: the evaluation set (dialogs/safety/eval/) plus the benchmark's own dialog
traffic (bench.workload), and long messages (a pasted paragraph, 5,000 characters of
one letter, 300 emoji). The screen is loaded once (its load time is printed), then
the messages are screened --repeat times "cold" (the lexicon's memory of words emptied
before each round) and --repeat times "warm"; for each message the best of its rounds
counts, so that a round disturbed by another process on a shared machine does not.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench.workload import LAP
from bot.safety import DEFAULT_PHRASES, RiskScreen
from bot.safety.evaluation import read

LONG = (
    "Went to the shops and then to see my mum, she was ok but tired. " * 8,
    "a" * 5000,
    "\U0001f62d" * 300,
    "x " * 2000 + "I want to die",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.screen")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    screen = RiskScreen.from_file(DEFAULT_PHRASES)
    loaded = time.perf_counter() - started
    texts = [e.text for e in read(DEFAULT_PHRASES / "eval")] + list(LAP) + list(LONG)
    cold_rounds = []
    for _ in range(args.repeat):
        screen.forget_words()
        cold_rounds.append(_times(screen, texts))
    cold = [min(each) for each in zip(*cold_rounds, strict=True)]
    warm = [
        min(each) for each in zip(*(_times(screen, texts) for _ in range(args.repeat)), strict=True)
    ]
    print(f"loaded in {loaded * 1000:.0f} ms; {len(texts)} messages; {len(screen)} rules")
    for name, times in (("cold", cold), ("warm", warm)):
        print(f"{name}: {_summary(times)}")
    slowest = sorted(zip(warm, texts, strict=True), reverse=True)[:5]
    print("slowest warm: " + "; ".join(f"{t:.0f} us {m[:40]!r}" for t, m in slowest))
    return 0


def _times(screen: RiskScreen, texts: list[str]) -> list[float]:
    out = []
    for text in texts:
        start = time.perf_counter_ns()
        screen.match(text)
        out.append((time.perf_counter_ns() - start) / 1000)
    return out


def _summary(micros: list[float]) -> str:
    ordered = sorted(micros)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"median {statistics.median(ordered):.0f} us, p99 {p99:.0f} us, "
        f"max {ordered[-1]:.0f} us per message"
    )


if __name__ == "__main__":
    raise SystemExit(main())
