"""The message handling alone, in-process: time per message, SQL statements per message,
and (with --profile) where the time goes. No HTTP. `python -m bench.inprocess`.

The machine may be shared, so the stream is run --repeat times on copies of one
prepared database, timed in chunks, and each chunk's best time is kept: a chunk that
ran undisturbed once counts. (Consecutive messages are one lap position across every
participant, i.e. one kind of message, so chunks are only compared with themselves.)
"""

from __future__ import annotations

import argparse
import collections
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench.prepare import enrol
from bench.traffic import message_sid
from bench.workload import stream
from bot.assistant import Assistant
from bot.settings import Settings
from bot.types import Channel, Inbound
from store.db import Database, upgrade

CHUNK = 50


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.inprocess")
    parser.add_argument("--participants", type=int, default=200)
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", choices=["pyinstrument", "cprofile"], default=None)
    parser.add_argument(
        "--prefill", type=Path, help="start from a copy of this database (bench.populate's)"
    )
    parser.add_argument("--statements", action="store_true", help="print each distinct SQL")
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="tp-inproc-"))
    try:
        snapshot = folder / "snapshot.db"
        if args.prefill is not None:
            shutil.copyfile(args.prefill, snapshot)
        upgrade(f"sqlite:///{snapshot}")
        people = enrol(Settings(database_url=f"sqlite:///{snapshot}"), args.participants)
        sends = list(stream(len(people), args.messages))
        inbound = [
            Inbound(Channel.SMS, people[s.participant].phone, s.text, message_sid(i))
            for i, s in enumerate(sends)
        ]
        warm = max(CHUNK, len(inbound) // 10 // CHUNK * CHUNK)
        best: list[float] = []
        totals: list[float] = []
        # Run 0 is profiled (function calls counted, or --profile), the others timed.
        for run in range(args.repeat + 1):
            path = folder / "bench.db"
            for old in folder.glob("bench.db*"):
                old.unlink()
            shutil.copyfile(snapshot, path)
            url = f"sqlite:///{path}"
            db = Database(url)
            assistant = Assistant(Settings(database_url=url), db)
            counts = _counter(db)
            for message in inbound[:warm]:  # templates compiled, statement caches filled
                assistant.handle(message, inline_limit=None)
            counts.clear()
            if run == 0:
                io_before = _io()
                calls, errors = _profiled(assistant, inbound[warm:], args.profile)
                io = {k: v - io_before.get(k, 0) for k, v in _io().items()}
                statements = counts.copy()
            else:
                chunks, errors = _timed(assistant, inbound[warm:])
                best = (
                    chunks if not best else [min(a, b) for a, b in zip(best, chunks, strict=True)]
                )
                totals.append(sum(chunks))
            db.dispose()
        handled = len(inbound) - warm
        if totals:
            totals.sort()
            median = totals[len(totals) // 2] / handled * 1e6
            print(
                f"{handled} messages x {args.repeat}: best {sum(best) / handled * 1e6:.0f} "
                f"us/message (each chunk's best run), median run {median:.0f} us/message"
            )
        print(f"Fallback replies: {errors}")
        print(f"SQL statements per message: {sum(statements.values()) / handled:.1f}")
        print(f"Python function calls per message: {calls / handled:,.0f} (counted, not timed)")
        if io:
            print(
                "File I/O per message: "
                + ", ".join(f"{k} {v / handled:,.1f}" for k, v in sorted(io.items()))
            )
        if args.statements:
            for statement, n in statements.most_common():
                print(f"{n / handled:6.2f}  {' '.join(statement.split())[:160]}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def _io() -> dict[str, int]:
    """This process's I/O so far (Linux): syscalls and bytes read and written."""
    try:
        lines = Path("/proc/self/io").read_text().splitlines()
    except OSError:
        return {}
    wanted = {"rchar", "wchar", "syscr", "syscw"}
    pairs = (line.split(": ") for line in lines)
    return {k: int(v) for k, v in pairs if k in wanted}


def _counter(db: Database) -> collections.Counter[str]:
    counts: collections.Counter[str] = collections.Counter()

    @event.listens_for(db.engine, "before_cursor_execute")
    def _count(_c: Any, _cur: Any, statement: str, *_rest: Any) -> None:
        counts[statement] += 1

    return counts


def _profiled(assistant: Assistant, inbound: list[Inbound], how: str | None) -> tuple[int, int]:
    """Function calls made handling `inbound`; with `how`, print where the time goes."""
    import cProfile
    import pstats

    if how == "pyinstrument":
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0002)
        with profiler:
            _, errors = _timed(assistant, inbound)
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        return 0, errors
    with cProfile.Profile() as cprofiler:
        _, errors = _timed(assistant, inbound)
    stats = pstats.Stats(cprofiler)
    if how == "cprofile":
        stats.sort_stats("tottime").print_stats(40)
        stats.sort_stats("cumulative").print_stats(80)
    return int(stats.total_calls), errors  # type: ignore[attr-defined]


def _timed(assistant: Assistant, inbound: list[Inbound]) -> tuple[list[float], int]:
    chunks: list[float] = []
    errors = 0
    for start in range(0, len(inbound), CHUNK):
        began = time.perf_counter()
        for message in inbound[start : start + CHUNK]:
            step = assistant.handle(message, inline_limit=None)
            if any("went wrong" in r for r in step.replies):
                errors += 1
        chunks.append(time.perf_counter() - began)
    return chunks, errors


if __name__ == "__main__":
    raise SystemExit(main())
