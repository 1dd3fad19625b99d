"""The assistant as one object: dialogs, wording and safety loaded once; one message,
one transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager

from bot.engine.actions import ACTIONS
from bot.engine.compiler import DialogSet
from bot.engine.runner import Engine
from bot.engine.turn import Turn
from bot.inline import Owed, owed, record
from bot.keywords import Keyword, keyword
from bot.privacy.pin import could_be_pin
from bot.router import Router
from bot.safety import RiskMatch, RiskScreen
from bot.settings import Settings
from bot.staff.notify import raise_alert
from bot.types import Inbound, Step
from bot.wording import Wording
from store.db import UNAVAILABLE, Database
from store.models import (
    Alert,
    ChannelIdentity,
    Conversation,
    Message,
    Participant,
    PlanVersion,
    write_back,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
MAX_STORED_CHARS = 20_000
# What is stored instead of a message that was a PIN (docs/privacy.md).
REDACTED_PIN = "[PIN, not stored]"

# Messages are written with Core, not through the ORM's unit of work: nothing reads
# them back as objects, and a flush costs several times the INSERT itself.
_MESSAGES: Table = Message.metadata.tables["message"]
_INSERT_MESSAGE = _MESSAGES.insert()
_REDACT_MESSAGE = (
    _MESSAGES.update().where(_MESSAGES.c.id == bindparam("message_id")).values(body=REDACTED_PIN)
)
_LAST_INBOUND = (
    update(Participant.metadata.tables["participant"])
    .where(Participant.metadata.tables["participant"].c.id == bindparam("participant_id"))
    .values(last_inbound_at=bindparam("now"))
)
# Built once: building a statement costs more than running it on SQLite.
# The verified sender, their team with them, in one statement; the participant row is
# locked (PostgreSQL) so one person's messages are handled one at a time.
_IDENTIFY = (
    select(Participant)
    .join(ChannelIdentity, ChannelIdentity.participant_id == Participant.id)
    .join(Participant.team)
    .options(contains_eager(Participant.team))
    .where(
        ChannelIdentity.channel == bindparam("channel"),
        ChannelIdentity.address == bindparam("address"),
        ChannelIdentity.verified_at.is_not(None),
    )
    .with_for_update(of=Participant)
)


def utc_now() -> datetime:
    return datetime.now(UTC)


class _Duplicate(Exception):
    pass


def clean_text(text: str) -> str:
    """What can be stored on every database: no NUL, no lone surrogates; nothing else changes."""
    text = text.replace("\x00", "")
    return text.encode("utf-8", "replace").decode("utf-8")[:MAX_STORED_CHARS]


def load_service(dialogs_dir: Path) -> dict[str, Any]:
    """Numbers for people we do not know: the service's emergency and national lines."""
    data = yaml.safe_load((dialogs_dir / "safety" / "numbers.yaml").read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "emergency_number" not in data:
        raise ValueError(f"{dialogs_dir / 'safety' / 'numbers.yaml'}: needs emergency_number")
    data.setdefault("national_lines", [])
    return data


@dataclass(frozen=True)
class Outcome:
    step: Step
    message_id: int | None


class Assistant:
    def __init__(self, settings: Settings, db: Database, clock: Clock = utc_now) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock
        self.wording = Wording(settings.templates_dir)
        self.dialogs = DialogSet.load(
            settings.dialogs_dir, actions=ACTIONS, template_exists=self.wording.exists
        )
        self.screen = RiskScreen.from_file(settings.dialogs_dir / "safety")
        self.service = load_service(settings.dialogs_dir)
        self.engine = Engine(self.dialogs, self.wording)
        self.router = Router(self.engine, self.wording, self.screen, self.service)

    def handle(
        self, inbound: Inbound, *, inline_limit: int | None = None, at: datetime | None = None
    ) -> Step:
        """Handle one inbound message in one transaction. Replies past `inline_limit`
        go to the outbox in that same transaction. `at`: when it was received, if not
        now (a message kept in the spool while the database was unavailable)."""
        text = clean_text(inbound.text)
        # The whole text is screened, even past what is stored.
        risk = self.screen.match(inbound.text)
        now = at or self.clock()
        try:
            with self.db.write() as session:
                return self._handle(session, inbound, text, risk, inline_limit, now)
        except _Duplicate:
            return self.duplicate(inbound)
        except UNAVAILABLE:
            raise  # the database is down or locked: the channel spools it (bot/channels/outage.py)
        except Exception:
            log.exception("message handling failed; sending the fallback reply")
            return self._fallback(inbound, text, risk, inline_limit, now)

    def duplicate(self, inbound: Inbound) -> Step:
        """A message handled before: no second effect, and the same inline replies as
        the first time (its HTTP answer may never have reached the provider)."""
        given = owed(self.db, inbound)
        return Step(replies=given.replies, reply_ids=given.ids, duplicate=True)

    def _handle(
        self,
        session: Session,
        inbound: Inbound,
        text: str,
        risk: RiskMatch | None,
        inline_limit: int | None,
        now: datetime,
    ) -> Step:
        participant = self._identify(session, inbound)
        # The transaction's connection (the ORM's too), asked for once: Core goes there.
        connection = session.connection()
        row = {
            "participant_id": participant.id if participant else None,
            "channel": inbound.channel.value,
            "address": inbound.address,
            "direction": "in",
            "external_id": inbound.external_id,
            "body": text,
            "status": "received",
            "created_at": now,
        }
        try:
            inserted = connection.execute(_INSERT_MESSAGE, row)
        except IntegrityError as exc:
            # (channel, external_id) is unique: the provider sent this one before, or is
            # sending it twice at once. Rolled back: no second effect.
            raise _Duplicate from exc
        key = inserted.inserted_primary_key
        assert key is not None
        message_id = int(key[0])
        if participant is None:
            crisis = keyword(text) is Keyword.CRISIS
            channel = inbound.channel.value
            replies = (
                None
                if risk is not None or crisis
                else self.router.supporter(session, channel, inbound.address, text, now)
            ) or self.router.unknown_sender(
                risk,
                crisis,
                session=session,
                channel=inbound.channel.value,
                address=inbound.address,
                message_id=message_id,
                now=now,
            )
            given = record(
                connection,
                inbound,
                participant_id=None,
                replies=replies,
                inline_limit=inline_limit,
                reply_to=message_id,
                now=now,
            )
            return Step(
                replies=given.replies,
                reply_ids=given.ids,
                safety_alert=risk is not None,
                crisis=crisis,
            )
        params = {"participant_id": participant.id, "now": now}
        connection.execute(_LAST_INBOUND, params)
        turn = Turn(
            session=session,
            participant=participant,
            team=participant.team,
            now=now,
            channel=inbound.channel.value,
        )
        if inbound.edited:
            alerted = self.router.screen_edit(turn, risk, message_id)
        else:
            alerted = self.router.route(turn, text, risk, message_id)
        if turn.redact:
            connection.execute(_REDACT_MESSAGE, {"message_id": message_id})
        given = record(
            connection,
            inbound,
            participant_id=participant.id,
            replies=turn.replies,
            inline_limit=inline_limit,
            reply_to=message_id,
            now=now,
        )
        # The changed conversation, participant and plan draft go with one UPDATE each
        # instead of the unit of work's flush at commit (~350 Python calls a row); rows
        # of one table in the flush's order, by primary key.
        changed = [
            o for o in session.dirty if isinstance(o, Conversation | Participant | PlanVersion)
        ]
        for obj in sorted(changed, key=lambda o: (type(o).__name__, o.id)):
            write_back(session, obj)
        return Step(
            replies=given.replies,
            reply_ids=given.ids,
            participant_id=participant.id,
            safety_alert=alerted,
            crisis=turn.crisis,
        )

    @staticmethod
    def _identify(session: Session, inbound: Inbound) -> Participant | None:
        """Only a verified identity is anybody; the row is locked so one person's
        messages are handled one at a time."""
        params = {"channel": inbound.channel.value, "address": inbound.address}
        return session.scalars(_IDENTIFY, params).one_or_none()

    def _fallback(
        self,
        inbound: Inbound,
        text: str,
        risk: RiskMatch | None,
        inline_limit: int | None,
        now: datetime,
    ) -> Step:
        """Something failed while handling: still answer, still raise the alert, and give
        the numbers to call to anyone at risk or asking for their crisis plan."""
        replies: list[str] = []
        given: Owed | None = None
        participant_id: int | None = None
        crisis = keyword(text) is Keyword.CRISIS
        try:
            with self.db.write() as session:
                participant = self._identify(session, inbound)
                participant_id = participant.id if participant else None
                message = Message(
                    participant_id=participant_id,
                    channel=inbound.channel.value,
                    address=inbound.address,
                    direction="in",
                    external_id=inbound.external_id,
                    # Digits alone may be a PIN: never kept when we could not tell.
                    body=REDACTED_PIN if could_be_pin(text) else text,
                    status="received",
                    created_at=now,
                )
                session.add(message)
                session.flush()
                if risk is not None and participant_id is not None:
                    raise_alert(
                        session,
                        Alert(
                            participant_id=participant_id,
                            kind="risk_language",
                            category=risk.category,
                            severity=risk.severity,
                            rule=risk.phrase_id,
                            message_id=message.id,
                            created_at=now,
                        ),
                    )
                if risk is not None or crisis:
                    team = participant.team if participant else None
                    replies.append(self.router.safety(None, participant, team))
                replies.append(self.wording.render("system/error", service=self.service))
                given = record(
                    session.connection(),
                    inbound,
                    participant_id=participant_id,
                    replies=replies,
                    inline_limit=inline_limit,
                    reply_to=message.id,
                    now=now,
                )
        except IntegrityError:
            return self.duplicate(inbound)
        except UNAVAILABLE:
            raise  # gone since the first try: the channel spools it, the replay retries it
        except Exception:
            log.exception("the fallback reply failed too")
            if not replies:
                replies = [self.wording.render("system/error", service=self.service)]
        if given is None:  # nothing could be stored: answer all the same
            given = Owed(tuple(replies if inline_limit is None else replies[:inline_limit]), ())
        return Step(
            replies=given.replies,
            reply_ids=given.ids,
            participant_id=participant_id,
            safety_alert=risk is not None,
            crisis=crisis,
        )
