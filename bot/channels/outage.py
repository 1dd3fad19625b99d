"""What a webhook does while the database is unavailable: keep the verified message in
the spool (store/spool.py) before answering, and answer from what was made at start-up.
CRISIS, help-seeking and risk texts get the numbers to call; anything else a short
"I'll reply soon". The real step runs when the spool is replayed (bot/replay.py).
See docs/deployment.md, "When the database is unavailable"."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.assistant import Assistant
from bot.keywords import Keyword, keyword
from bot.types import Inbound
from store.spool import Spool, Spooled

log = logging.getLogger(__name__)


class Outage:
    def __init__(self, assistant: Assistant, spool: Spool) -> None:
        self.spool = spool
        self._screen = assistant.screen
        service, wording = assistant.service, assistant.wording
        # Rendered once, now: nothing of it may need the database later.
        self._safety = assistant.router.safety(None, None, None)
        self._crisis = wording.render("system/unavailable", service=service, crisis=True)
        self._soon = wording.render("system/unavailable", service=service, crisis=False)

    def keep(self, inbound: Inbound, *, kind: str = "text", now: datetime) -> list[str] | None:
        """Spool `inbound`; the replies to give now. None: it could not be kept and
        nothing in it is urgent, so the provider is asked to send it again (503)."""
        if self._screen.match(inbound.text) is not None:
            replies = [self._safety]
        elif inbound.edited:
            replies = []  # an edit is screened, never answered (bot/router.py)
        elif keyword(inbound.text) is Keyword.CRISIS:
            replies = [self._crisis]
        else:
            replies = [self._soon]
        spooled = Spooled(
            channel=inbound.channel.value,
            address=inbound.address,
            text=inbound.text,
            external_id=inbound.external_id,
            received_at=now,
            kind=kind,
            edited=inbound.edited,
        )
        try:
            self.spool.append(spooled)
        except OSError:
            log.exception("the spool at %s can't keep a message", self.spool.folder)
            # The numbers all the same: a person at risk is answered whatever else fails.
            urgent = bool(replies) and replies[0] is not self._soon
            return replies if urgent else None
        return replies
