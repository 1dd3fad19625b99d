"""Retention on a year of messages: how long each of its writes holds the SQLite writer,
and how long a message step running beside it waits for the writer meanwhile.

    python -m bench.retention                      # 1,000 people, a year, 3 messages a day
    python -m bench.retention --people 100 --days-kept 30

Not a test: the figures depend on the machine. See docs/data-protection.md for a run.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, update

from bot.records import retention
from store.db import Database, upgrade
from store.models import Message, Participant, Team


def _populate(db: Database, people: int, per_day: int, now: datetime) -> int:
    with db.write() as session:
        team = Team(name="Bench team")
        session.add(team)
        session.flush()
        session.execute(
            insert(Participant),
            [{"team_id": team.id, "display_name": f"P{n}"} for n in range(people)],
        )
    total = 0
    for day in range(365, 0, -1):
        at = now - timedelta(days=day)
        rows = [
            {
                "participant_id": 1 + n,
                "channel": "sms",
                "address": f"+44740000{n:04d}",
                "direction": "in" if k % 2 else "out",
                "body": f"A message of ordinary length, number {k}, from a day like any other.",
                "status": "received" if k % 2 else "sent",
                "created_at": at + timedelta(minutes=k),
            }
            for n in range(people)
            for k in range(per_day)
        ]
        with db.write() as session:
            session.execute(insert(Message), rows)
        total += len(rows)
    return total


def _pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--per-day", type=int, default=3)
    parser.add_argument("--days-kept", type=int, default=180)
    parser.add_argument("--batch", type=int, default=retention.BATCH)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        db = Database(url)
        now = datetime.now(UTC)
        started = time.perf_counter()
        total = _populate(db, args.people, args.per_day, now)
        print(f"{total:,} messages over 365 days in {time.perf_counter() - started:.0f} s")
        waits: list[float] = []
        done = threading.Event()

        def message_steps() -> None:  # a small write every 5 ms, as a steady trickle of texts
            waits.clear()
            while not done.is_set():
                asked = time.perf_counter()
                with db.write() as session:
                    session.execute(
                        update(Participant).where(Participant.id == 1).values(last_inbound_at=now)
                    )
                waits.append((time.perf_counter() - asked) * 1000)
                time.sleep(0.005)

        beside = threading.Thread(target=message_steps)  # alone first: the machine's own noise
        beside.start()
        time.sleep(5)
        done.set()
        beside.join()
        alone = list(waits)
        done.clear()
        beside = threading.Thread(target=message_steps)
        beside.start()
        started = time.perf_counter()
        sweep = retention.remove_old_texts(db, now, args.days_kept, batch=args.batch)
        took = time.perf_counter() - started
        done.set()
        beside.join()
        db.dispose()
    ms = sweep.writes_ms
    print(
        f"retention ({args.days_kept} days kept): {sweep.emptied:,} texts emptied in {took:.1f} s, "
        f"{len(ms)} writes of {args.batch}"
    )
    print(
        f"each write held the writer: median {statistics.median(ms):.2f} ms, "
        f"p99 {_pct(ms, 0.99):.2f} ms, max {max(ms):.2f} ms"
    )
    for label, values in (("alone", alone), ("beside retention", waits)):
        print(
            f"a message step {label} ({len(values)}): median {statistics.median(values):.2f} ms, "
            f"p99 {_pct(values, 0.99):.2f} ms, max {max(values):.2f} ms"
        )


if __name__ == "__main__":
    main()
