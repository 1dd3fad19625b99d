"""Replaying the spool: the messages kept while the database was unavailable go through
the normal step (safety screen, router, dialogs), at the time they were received, so
their alerts carry that time. Their replies go to the outbox (the webhook's answer is
long gone). A message the database already has (the provider sent it again, or its
commit landed just before the outage was noticed) is dropped: one effect each.

`touchpoint serve` replays in the background while it runs; `touchpoint spool replay`
does it once, e.g. after an outage with no web process running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from dataclasses import dataclass

from bot.assistant import Assistant
from bot.channels.exchange import answer_directly, text_only_reply
from bot.settings import Settings
from bot.types import Channel, Inbound, Step
from store.db import UNAVAILABLE, Database
from store.spool import Spool, Spooled

log = logging.getLogger(__name__)

REPLAY_EVERY = 2.0  # seconds between two looks at the spool while serving


@dataclass(frozen=True)
class Replayed:
    stored: int  # handled now, for the first time
    duplicates: int  # the database had them already
    left: int  # still waiting: the database is unavailable again


def replay(assistant: Assistant, spool: Spool) -> Replayed:
    """Hand every waiting message to the assistant, oldest first; stop at the first
    sign that the database is unavailable (the rest waits for the next time)."""
    waiting = spool.take()
    stored = duplicates = 0
    for done, (path, message) in enumerate(waiting):
        try:
            step = _step(assistant, message)
        except UNAVAILABLE:
            return Replayed(stored, duplicates, len(waiting) - done)
        except Exception:
            # Not the database: this message can't be replayed (a channel this version
            # does not know, say). It must not hold up the rest.
            log.exception("spooled message %s can't be replayed", path.name)
            spool.set_aside(path)
            continue
        spool.remove(path)
        if step.duplicate:
            duplicates += 1
        else:
            stored += 1
    return Replayed(stored, duplicates, 0)


def _step(assistant: Assistant, message: Spooled) -> Step:
    inbound = Inbound(
        Channel(message.channel),
        message.address,
        message.text,
        message.external_id,
        received_at=message.received_at,
        edited=message.edited,
    )
    if message.kind == "media":
        return answer_directly(
            assistant.db,
            inbound,
            stored_body="[media]",
            decide=text_only_reply(assistant),
            inline_limit=0,
            now=message.received_at,
        )
    return assistant.handle(inbound, inline_limit=0, at=message.received_at)


async def keep_replaying(
    assistant: Assistant, spool: Spool, stop: asyncio.Event, every: float = REPLAY_EVERY
) -> None:
    """While the web app runs: replay whatever waits, whenever the database takes it."""
    while not stop.is_set():
        try:
            if spool.waiting():
                done = await asyncio.to_thread(replay, assistant, spool)
                if done.stored or done.duplicates:
                    log.info(
                        "spool: %d messages replayed, %d already stored, %d waiting",
                        done.stored,
                        done.duplicates,
                        done.left,
                    )
        except Exception:
            log.exception("replaying the spool at %s failed; trying again shortly", spool.folder)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)


def command(settings: Settings) -> int:
    """`touchpoint spool replay`: 0 when the spool is empty afterwards, 1 if not."""
    db = Database(settings.database_url)
    try:
        db.check_migrated()
        done = replay(Assistant(settings, db), Spool(settings.spool_dir))
    except UNAVAILABLE:
        print(
            "The database is unavailable, so nothing was replayed. Run `touchpoint spool "
            "replay` again once it is back.",
            file=sys.stderr,
        )
        return 1
    finally:
        db.dispose()
    print(
        f"Replayed {done.stored} messages from {settings.spool_dir}; "
        f"{done.duplicates} were already in the database."
    )
    if done.left:
        print(
            f"{done.left} messages are still waiting: the database is unavailable. "
            "Run `touchpoint spool replay` again once it is back.",
            file=sys.stderr,
        )
        return 1
    return 0
