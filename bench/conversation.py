"""How many messages a whole crisis plan takes, as people really text it.
`python -m bench.conversation`.

Scripted service users write a crisis plan through the real assistant (router, engine,
store, templates) on a fresh SQLite file, over SMS: a tidy one (two items a section, one
at a time, DONE after each list) and a messy one (terse, typos, natural endings, a
removal while adding, a change of mind, a day's silence and an apology). For each it
prints the messages sent in, the SMS segments sent back (counted as carriers count them:
GSM-7 or UCS-2, bot/gsm.py), the time the session took, and whether the plan kept only
the person's items (no "that's it" or "skp" as plan content).

When the assistant asks a YES or NO question the script did not plan for, the person
answers "yes", so the same script measures older dialogs that asked more often.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot import gsm, plans
from bot.assistant import Assistant, load_service
from bot.enrolment import add_participant, get_or_create_team
from bot.settings import Settings
from bot.types import Channel, Inbound
from store.db import Database, upgrade

PHONE = "+447400900001"
TARGET_IN, TARGET_SEGMENTS = 32, 40
# A gap in a script: the clock moves on this long before the next message.
GAP = "<25 hours later>"
# Where the crisis plan begins: the message choosing it is the plan's first message in.
PLAN = "<the crisis plan>"
_SHOW = False

TIDY: tuple[str, ...] = (
    "hi",
    PLAN,
    "1",
    "I stop sleeping",
    "I stop answering the phone",
    "DONE",
    "Go for a walk by the river",
    "Listen to my playlist",
    "DONE",
    "The library",
    "My sister's house",
    "DONE",
    "Sam 07400 123456",
    "Mum 020 7946 0018",
    "DONE",
    "GP Dr Patel 0161 496 0000",
    "Home treatment team 0161 496 0001",
    "DONE",
    "Give my tablets to Sam",
    "Keep the car keys at Mum's",
    "DONE",
    "My cat Biscuit",
    "Seeing my niece grow up",
    "DONE",
    "Quiet and a cup of tea",
    "Someone sitting with me",
    "DONE",
    "Being told to cheer up",
    "Loud places",
    "DONE",
    "Tell Sam. Don't tell my dad.",
    "Feed Biscuit",
    "Pay the rent",
    "DONE",
)

MESSY: tuple[str, ...] = (
    "hi",
    PLAN,
    "1",
    "not sleepin",
    "stop answering phone",
    "thats it",
    "walk",
    "music",
    "remove 1",
    "walking by the river",
    "no more",
    "library",
    "sisters",
    "nothing else",
    "Sam 07400 123456",
    "mum 020 7946 0018",
    "dnoe",
    GAP,
    "hi sorry ive been rubbish at replying",
    "gp dr patel 0161 496 0000",
    "crisis team 0161 496 0001",
    "thats all",
    "tablets to sam",
    "car keys at mums",
    "that's it",
    "skp",
    "quiet, tea",
    "someone with me",
    "done",
    "being told to cheer up",
    "loud places",
    "done",
    "tell sam not dad",
    "feed biscuit",
    "rent",
    "done",
)
# What the messy person never meant as plan content.
ENDINGS = frozenset({"thats it", "that's it", "no more", "nothing else", "dnoe", "thats all"})
ENDINGS |= {"skp", "done", "yes", "ye", "hi sorry ive been rubbish at replying"}


@dataclass
class Result:
    name: str
    sent: int = 0
    segments: int = 0
    plan_sent: int = 0  # from the message that chose the crisis plan
    plan_segments: int = 0
    replies: int = 0
    seconds: float = 0.0
    submitted: bool = False
    stray_items: int = 0


@dataclass
class _Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


def run_session(folder: Path, name: str, script: Iterable[str]) -> Result:
    path = folder / f"{name}.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    settings = Settings(database_url=url)
    db = Database(url)
    clock = _Clock(datetime.now(UTC))
    result = Result(name)
    try:
        pid = _enrol(settings, db, clock.now)
        assistant = Assistant(settings, db, clock=clock)
        started = time.perf_counter()
        last: tuple[str, ...] = ()
        for text in script:
            if text == GAP:
                clock.now += timedelta(hours=25)
                continue
            if text == PLAN:
                result.plan_sent, result.plan_segments = -result.sent, -result.segments
                continue
            # A YES/NO question the script did not expect: the person says yes.
            while last and _asks_yes(last[-1]) and text.casefold() not in ("yes", "no"):
                last = _send(assistant, result, clock, "yes")
            last = _send(assistant, result, clock, text)
        while last and _asks_yes(last[-1]):
            last = _send(assistant, result, clock, "yes")
        result.seconds = time.perf_counter() - started
        result.plan_sent += result.sent
        result.plan_segments += result.segments
        _inspect(db, pid, result)
    finally:
        db.dispose()
    return result


def _send(assistant: Assistant, result: Result, clock: _Clock, text: str) -> tuple[str, ...]:
    clock.now += timedelta(seconds=30)
    result.sent += 1
    step = assistant.handle(
        Inbound(Channel.SMS, PHONE, text, external_id=f"bench-{result.name}-{result.sent}"),
        inline_limit=None,
    )
    if _SHOW:
        print(f"> {text}")
        for reply in step.replies:
            print(f"  [{gsm.segments(reply)}] " + reply.replace("\n", "\n      "))
    result.replies += len(step.replies)
    result.segments += sum(gsm.segments(reply) for reply in step.replies)
    return step.replies


def _asks_yes(reply: str) -> bool:
    return "Reply YES" in reply


def _enrol(settings: Settings, db: Database, now: datetime) -> int:
    service = load_service(settings.dialogs_dir)
    with db.write() as session:
        team = get_or_create_team(session, "Conversation benchmark team", service)
        team.crisis_line_name = "Riverside crisis line"
        team.crisis_line_number = "0800 123 4567"
        person = add_participant(session, name="Alex", team=team, now=now, phone=PHONE)
        person.consented_at = person.onboarded_at = now
        return person.id


def _inspect(db: Database, pid: int, result: Result) -> None:
    with db.read() as session:
        version = plans.current(session, pid, "crisis")
        if version is None:
            return
        result.submitted = version.status == "submitted"
        for items in version.sections.values():
            for entry in items:
                if str(entry.get("text", "")).strip().casefold() in ENDINGS:
                    result.stray_items += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.conversation")
    parser.add_argument("--show", action="store_true", help="print each session's messages")
    args = parser.parse_args(argv)
    global _SHOW
    _SHOW = args.show
    folder = Path(tempfile.mkdtemp(prefix="tp-conversation-"))
    try:
        results = [run_session(folder, "tidy", TIDY), run_session(folder, "messy", MESSY)]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print("session  in (plan)  segments out (plan)  replies      ms  submitted  stray items")
    for r in results:
        print(
            f"{r.name:8} {r.sent:3d} ({r.plan_sent:3d})  {r.segments:8d} ({r.plan_segments:3d})"
            f"       {r.replies:7d} {r.seconds * 1000:7.0f}  {'yes' if r.submitted else 'no':9}"
            f"  {r.stray_items}"
        )
    tidy = results[0]
    met = tidy.plan_sent <= TARGET_IN and tidy.plan_segments <= TARGET_SEGMENTS
    print(
        f"Target for the tidy crisis plan (from choosing it in the menu): <= {TARGET_IN} in, "
        f"<= {TARGET_SEGMENTS} segments out: "
        f"{'met' if met else 'not met'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
