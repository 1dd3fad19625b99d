"""SQLAlchemy models. The Alembic migrations in store/migrations are the truth."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    event,
    false,
    inspect,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.state import InstanceState
from sqlalchemy.sql.dml import Update
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = JSON().with_variant(JSONB(), "postgresql")
# SQLite only numbers an INTEGER PRIMARY KEY automatically; PostgreSQL gets a BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")
# Compared byte by byte on both databases, so that a prefix is a range of the index.
NameKeyType = String(120).with_variant(String(120, collation="C"), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every database."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Team(Base):
    __tablename__ = "team"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    region: Mapped[str] = mapped_column(String(2), default="GB")
    locale: Mapped[str] = mapped_column(String(16), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    emergency_number: Mapped[str] = mapped_column(String(32), default="999")
    crisis_line_name: Mapped[str | None] = mapped_column(String(120))
    crisis_line_number: Mapped[str | None] = mapped_column(String(32))
    crisis_line_hours: Mapped[str | None] = mapped_column(String(120))
    # [{"name": "Samaritans", "number": "116 123", "hours": "24 hours"}]
    national_lines: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Every practitioner of the team must sign in with a one-time code too.
    require_totp: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Who hears of a new alert, when the team reads messages, and when an alert nobody
    # has acknowledged goes further (bot/staff; docs/clinical-safety.md, "never seen").
    duty_emails: Mapped[list[str]] = mapped_column(JSONType, default=list, server_default="[]")
    duty_phones: Mapped[list[str]] = mapped_column(JSONType, default=list, server_default="[]")
    working_hours: Mapped[str | None] = mapped_column(String(200))  # "Mon-Fri 09:00-17:00"
    escalate_after_minutes: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    out_of_hours_email: Mapped[str | None] = mapped_column(String(320))
    out_of_hours_phone: Mapped[str | None] = mapped_column(String(32))
    # Alert kinds notified besides risk language: crisis_requested, opted_out, low_rating.
    notify_also: Mapped[list[str]] = mapped_column(JSONType, default=list, server_default="[]")
    # The languages besides English the team offers (bot/language): {"cy": {"by": actor,
    # "at": ISO time, "unreviewed": true}}; "unreviewed" records that an admin enabled a
    # translation no fluent clinician had reviewed, knowing so.
    languages: Mapped[dict[str, dict[str, Any]]] = mapped_column(
        JSONType, default=dict, server_default="{}"
    )


class Practitioner(Base):
    __tablename__ = "practitioner"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(20), default="practitioner")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None: a password someone else chose (must be changed at the next sign-in).
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # The last time step a code was accepted for: a code works once.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    team: Mapped[Team] = relationship()


class Participant(Base):
    __tablename__ = "participant"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
    practitioner_id: Mapped[int | None] = mapped_column(ForeignKey("practitioner.id"))
    display_name: Mapped[str] = mapped_column(String(120))
    locale: Mapped[str] = mapped_column(String(16), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    # active | opted_out | discharged
    status: Mapped[str] = mapped_column(String(20), default="active")
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    onboarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    quiet_start: Mapped[str] = mapped_column(String(5), default="21:00")
    quiet_end: Mapped[str] = mapped_column(String(5), default="09:00")
    next_appointment: Mapped[date | None] = mapped_column(Date)
    # The rest of a long reply, sent one part per MORE.
    more: Mapped[list[str]] = mapped_column(JSONType, default=list)
    last_inbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A made-up service user for the simulator; never a real person.
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Ten digits, check digit verified (bot/records/nhs_number.py); None: not known.
    nhs_number: Mapped[str | None] = mapped_column(String(10))
    discharged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The name as searched and sorted: see name_key(); kept by the event below.
    name_key: Mapped[str] = mapped_column(NameKeyType, default="", server_default="")
    # When a check-in or appointment prep last asked them something (the dashboard's
    # "no reply" list reads this instead of aggregating the job table).
    last_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    team: Mapped[Team] = relationship()


def name_key(name: str) -> str:
    """A name as the caseload searches and sorts it: accents and case folded, spaces
    collapsed ("  Zoë  O'Neil" -> "zoe o'neil")."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())[:120]


@event.listens_for(Participant.display_name, "set", propagate=True)
def _keep_name_key(target: Participant, value: str, _old: object, _initiator: object) -> None:
    target.name_key = name_key(value or "")


# What the admin pages filter and sort participants on, in each scope: everyone (an
# administrator), a team (its lead), a caseload (docs/performance.md).
Index("ix_participant_name", Participant.name_key, Participant.id)
Index("ix_participant_team_name", Participant.team_id, Participant.name_key, Participant.id)
Index(
    "ix_participant_practitioner_name",
    Participant.practitioner_id,
    Participant.name_key,
    Participant.id,
)
Index("ix_participant_quiet", Participant.last_inbound_at, Participant.id)
# A lead's dashboard lists their team's people nobody looks after yet: a few, if any.
_UNASSIGNED = text("practitioner_id IS NULL")
Index(
    "ix_participant_unassigned",
    Participant.team_id,
    Participant.name_key,
    Participant.id,
    sqlite_where=_UNASSIGNED,
    postgresql_where=_UNASSIGNED,
)
# Only the simulator's made-up people: an index on the flag itself would tempt SQLite to
# read every real person through it for the lists that leave the made-up ones out.
Index(
    "ix_participant_demo",
    Participant.id,
    sqlite_where=text("is_demo IS 1"),
    postgresql_where=text("is_demo IS true"),
)
Index("ix_participant_team_quiet", Participant.team_id, Participant.last_inbound_at)
Index("ix_participant_practitioner_quiet", Participant.practitioner_id, Participant.last_inbound_at)
# The dashboard's "no reply" list: only those asked since they last wrote are indexed, so
# the list is read from a few entries, not by checking every person a team ever asked.
_UNANSWERED = text("last_inbound_at IS NULL OR last_inbound_at < last_asked_at")
Index(
    "ix_participant_unanswered",
    Participant.last_asked_at,
    sqlite_where=_UNANSWERED,
    postgresql_where=_UNANSWERED,
)
Index(
    "ix_participant_team_unanswered",
    Participant.team_id,
    Participant.last_asked_at,
    sqlite_where=_UNANSWERED,
    postgresql_where=_UNANSWERED,
)
Index(
    "ix_participant_practitioner_unanswered",
    Participant.practitioner_id,
    Participant.last_asked_at,
    sqlite_where=_UNANSWERED,
    postgresql_where=_UNANSWERED,
)


class ChannelIdentity(Base):
    __tablename__ = "channel_identity"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(120))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set at discharge: nothing is sent here any more, and the address may be enrolled
    # again; until then a CRISIS from it still gets the numbers to call.
    unlinked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Invite(Base):
    __tablename__ = "invite"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Conversation(Base):
    __tablename__ = "conversation"
    __table_args__ = (
        Index("ix_conversation_participant_status", "participant_id", "status"),
        # The team reports read one dialog's runs since a date (bot/coproduction).
        Index("ix_conversation_dialog_created", "dialog", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"))
    dialog: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(64))
    # active (takes the next text) | suspended (left by MENU) | completed
    status: Mapped[str] = mapped_column(String(20), default="active")
    # Answers and the step's working memory (list in progress, BACK history, bad answers).
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Message(Base):
    """Every message in and out. An outbound row with status `queued` is the outbox."""

    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        Index("ix_message_outbox", "status", "next_attempt_at"),
        Index("ix_message_participant", "participant_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participant.id"))
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(120))
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    external_id: Mapped[str | None] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    # in: received | out: inline, queued, sending, sent, delivered, failed, undeliverable,
    # cancelled (queued when the person was discharged), held (waiting for WhatsApp's
    # window; released when the person writes: bot/channels/whatsapp_window.py)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error_code: Mapped[str | None] = mapped_column(String(40))
    # out: the inbound message this replies to (a provider's retry of it gets it again).
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Plan(Base):
    __tablename__ = "plan"
    __table_args__ = (UniqueConstraint("participant_id", "kind"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"))
    kind: Mapped[str] = mapped_column(String(20))  # crisis | care
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PlanVersion(Base):
    """One version of a plan. Only a draft may change; the store refuses anything else."""

    __tablename__ = "plan_version"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    # draft | submitted | approved | changes_requested | superseded
    status: Mapped[str] = mapped_column(String(20), default="draft")
    # {section: [{"text": ..., "by": "participant" | "practitioner:<id>", ...}]}
    sections: Mapped[dict[str, list[dict[str, Any]]]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("practitioner.id"))
    review_note: Mapped[str | None] = mapped_column(Text)

    plan: Mapped[Plan] = relationship()


class Alert(Base):
    __tablename__ = "alert"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participant.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # risk_language | crisis_requested
    category: Mapped[str | None] = mapped_column(String(40))
    # high | medium | low, from the safety screen's category (None: not a risk alert).
    severity: Mapped[str | None] = mapped_column(String(10))
    rule: Mapped[str | None] = mapped_column(String(80))  # the screen's phrase id
    # The team whose leads see an alert about a sender with no participant (triage).
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("practitioner.id"))
    acknowledged_note: Mapped[str | None] = mapped_column(Text)
    # 0: the duty contacts were told; 1: the team lead; 2: the administrators.
    escalation_step: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When it goes to the next step unless acknowledged (None: acknowledged, or no step left).
    escalate_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


_OPEN = text("acknowledged_at IS NULL")
Index("ix_alert_open", Alert.participant_id, sqlite_where=_OPEN, postgresql_where=_OPEN)
# Covering what the caseload and dashboard read of them, so that the (large) rows
# themselves are not read: whose alert, which plan.
Index("ix_alert_acknowledged", Alert.acknowledged_at, Alert.participant_id)
Index("ix_plan_version_status", PlanVersion.status, PlanVersion.submitted_at, PlanVersion.plan_id)
# Whether one person has a version waiting: from their plans to those plans' versions.
Index("ix_plan_version_plan_status", PlanVersion.plan_id, PlanVersion.status)


class Notification(Base):
    """One alert told to one member of staff by email or SMS (bot/staff/notify.py).

    An SMS is handed to the outbox (`message_id`) in the alert's transaction; an email
    is sent from here by the worker: queued -> sending (leased) -> sent | failed."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("alert_id", "step", "channel", "address"),
        Index("ix_notification_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id"))
    step: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(10))  # email | sms
    address: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(String(20))  # duty | out_of_hours | lead | admin
    # email: queued, sending, sent, failed, cancelled | sms: handed (to the outbox)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error_code: Mapped[str | None] = mapped_column(String(40))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))
    email_id: Mapped[str | None] = mapped_column(String(200))  # the Message-ID header
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    alert: Mapped[Alert] = relationship()


class AuditEvent(Base):
    """Append-only. Who did what to which record, when, from where. Never message text."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(80))
    record_type: Mapped[str | None] = mapped_column(String(40))
    record_id: Mapped[int | None] = mapped_column(BigInteger)
    address: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


# The audit log's filters, each newest first.
Index("ix_audit_event_actor", AuditEvent.actor, AuditEvent.id)
Index("ix_audit_event_action", AuditEvent.action, AuditEvent.id)
Index("ix_audit_event_record", AuditEvent.record_type, AuditEvent.record_id, AuditEvent.id)


class PlanPin(Base):
    """A participant's PIN for their plan: an argon2 hash, never the digits; and where a
    conversation about it stands (docs/privacy.md)."""

    __tablename__ = "plan_pin"

    participant_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("participant.id"), primary_key=True, autoincrement=False
    )
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    set_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the next message of 4 to 6 digits answers: new | confirm | current | unlock.
    awaiting: Mapped[str | None] = mapped_column(String(10))
    awaiting_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What an unlock goes on to show: crisis | review | reprompt.
    then: Mapped[str | None] = mapped_column(String(10))
    # A new PIN waiting to be typed a second time (hashed too).
    candidate_hash: Mapped[str | None] = mapped_column(String(255))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unlocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Supporter(Base):
    """Someone the participant chose, from their crisis plan, to hold a copy of it."""

    __tablename__ = "supporter"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(32), index=True)  # E.164
    # The crisis plan's sections they may see.
    sections: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # A short SMS (no plan content) when the participant texts CRISIS.
    notify_crisis: Mapped[bool] = mapped_column(Boolean, default=False)
    # choosing (the participant is still deciding) | invited | active (they replied YES)
    # | declined (they replied NO) | stopped (they sent STOP) | removed (by the participant)
    status: Mapped[str] = mapped_column(String(12), default="choosing")
    # The approved plan version they were sent; a newer one goes only with consent.
    sent_version_id: Mapped[int | None] = mapped_column(ForeignKey("plan_version.id"))
    last_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SupporterConsent(Base):
    """Append-only: every consent about a supporter, given or withdrawn, by whom and when."""

    __tablename__ = "supporter_consent"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    supporter_id: Mapped[int] = mapped_column(ForeignKey("supporter.id"), index=True)
    # chosen | sections | notify_crisis | invitation | share_update | stop | removed
    what: Mapped[str] = mapped_column(String(20))
    given: Mapped[bool] = mapped_column(Boolean)
    by: Mapped[str] = mapped_column(String(12))  # participant | supporter | team
    detail: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImmutableVersionError(RuntimeError):
    """A submitted plan version was about to change."""


def refuse_change_unless_draft(version: PlanVersion) -> None:
    """ImmutableVersionError if `version`'s sections changed and it was not a draft.
    Run before anything writes a changed version: the flush (below) and `write_back`."""
    state = inspect(version)
    if not state.attrs.sections.history.has_changes():
        return
    status_history = state.attrs.status.history
    before = (status_history.deleted or status_history.unchanged or [version.status])[0]
    if before != "draft":
        raise ImmutableVersionError(
            f"plan version {version.id} is {before}; only a draft can change"
        )


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_submitted_versions(session: Session, _ctx: object, _i: object) -> None:
    for obj in session.dirty:
        if isinstance(obj, PlanVersion):
            refuse_change_unless_draft(obj)


# Writing back without the unit of work.
#
# The message step changes one conversation (now and then its participant or the
# plan's draft) and commits. The unit of work's flush of one changed row costs ~350
# Python calls, several times the UPDATE itself; `write_back` does what the flush would
# do for that row with one Core UPDATE: the same columns (those whose value really
# changed, compared as the flush compares them), the same version check and increment,
# the same `onupdate` (updated_at), the same StaleDataError when the row was changed
# under us. The row is then taken out of the session, so the flush at commit has nothing
# left to do with it. A plan version is checked by the same guard as in the flush
# (above) first. Anything not written back this way (new rows, alerts) is flushed by the
# ORM as before.
@dataclass(frozen=True)
class _Writer:
    """What `write_back` needs of one mapped class, worked out once."""

    statement: Update  # the SET clause comes from the parameters of each execution
    columns: dict[str, str]  # attribute -> column
    version: str | None  # the version attribute, if the class has one
    next_version: Callable[[Any], Any] | None  # the mapper's version_id_generator


@functools.cache
def _writer(cls: type[Base]) -> _Writer:
    mapper = inspect(cls)
    table = mapper.local_table
    assert isinstance(table, Table)
    statement = update(table).where(table.c.id == bindparam("where_id"))
    version, next_version = None, None
    if mapper.version_id_col is not None:
        statement = statement.where(mapper.version_id_col == bindparam("where_version"))
        version = mapper.get_property_by_column(mapper.version_id_col).key
        generator = mapper.version_id_generator
        assert callable(generator)  # False would mean versions the program sets itself
        next_version = generator
    columns = {attr.key: attr.columns[0].key for attr in mapper.column_attrs}
    return _Writer(statement, columns, version, next_version)


def write_back(session: Session, obj: Conversation | Participant | PlanVersion) -> bool:
    """Write `obj`'s changed columns with one UPDATE and take it out of `session`.

    False, and nothing done (the flush at commit writes it, as always), unless it is a
    loaded row of this session whose changes are all plain column values."""
    if not isinstance(obj, Conversation | Participant | PlanVersion):
        return False
    state: InstanceState[Base] = inspect(obj)
    if not state.persistent or state.session_id != session.hash_key:
        return False
    if isinstance(obj, PlanVersion):
        refuse_change_unless_draft(obj)  # as the flush would
    writer = _writer(type(obj))
    changed: dict[str, Any] = {}  # attribute -> new value
    for key in state.manager.keys() - state.unmodified:
        if key not in writer.columns or key == writer.version:
            return False  # a relationship (foreign keys to sync) or the version itself
        history = state.attrs[key].history
        if not history.has_changes():
            continue  # set to an equal value: the flush would not write it either
        if not history.added:
            return False  # an attribute deleted: left to the flush
        changed[key] = history.added[0]
    if changed:
        params = {writer.columns[key]: value for key, value in changed.items()}
        params["where_id"] = obj.id
        if writer.version is not None and writer.next_version is not None:
            old = getattr(obj, writer.version)
            params[writer.columns[writer.version]] = writer.next_version(old)
            params["where_version"] = old
        result = session.connection().execute(writer.statement, params)
        if result.rowcount != 1:
            raise StaleDataError(
                f"UPDATE statement on table '{state.mapper.local_table.description}' "
                f"expected to update 1 row(s); {result.rowcount} were matched."
            )
        # Left as the flush leaves it: no pending changes, and what the database now
        # holds (the new version, onupdate values such as updated_at).
        written = result.last_updated_params()
        assert isinstance(written, dict)
        for key, column in writer.columns.items():
            if key in changed:
                set_committed_value(obj, key, changed[key])
            elif column in written:
                set_committed_value(obj, key, written[column])
    session.expunge(obj)
    return True


# The admin web page: sessions, failed sign-ins, browsers that signed in before.


class AdminSession(Base):
    """A signed-in browser. Only the token's SHA-256 is stored."""

    __tablename__ = "admin_session"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"), index=True)
    # code (a one-time code is still needed) | setup (one must be set up first) | ok
    stage: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    address: Mapped[str | None] = mapped_column(String(64))


class SigninFailure(Base):
    """One failed sign-in, kept for the throttle's window. The account is a hash."""

    __tablename__ = "signin_failure"
    __table_args__ = (
        Index("ix_signin_failure_account", "account_key", "at"),
        Index("ix_signin_failure_address", "address", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    account_key: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    # The failure came from a browser this account signed in with before.
    known_device: Mapped[bool] = mapped_column(Boolean, default=False)


class TrustedDevice(Base):
    """A browser an account signed in with: its sign-ins skip the account-wide throttle."""

    __tablename__ = "trusted_device"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Between appointments: each person's rhythm, and the scheduled work (docs/scheduling.md).

# The outbox claims the oldest pending message whose recipient has nothing older pending.
# With thousands of scheduled messages queued at once, both look-ups need an index; these
# hold only the rows still pending (a handful, normally), so they cost inserts nothing.
_PENDING_OUT = text("direction = 'out' AND status IN ('queued', 'sending')")
Index("ix_message_pending", Message.id, postgresql_where=_PENDING_OUT, sqlite_where=_PENDING_OUT)
Index(
    "ix_message_pending_recipient",
    Message.channel,
    Message.address,
    Message.id,
    postgresql_where=_PENDING_OUT,
    sqlite_where=_PENDING_OUT,
)


class Schedule(Base):
    """How often, and when, a participant hears from the assistant between appointments.

    Their time zone, quiet hours and next appointment stay on the participant."""

    __tablename__ = "schedule"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), unique=True)
    # One of the two: every N days, or on these weekdays ("mon,thu").
    every_days: Mapped[int | None] = mapped_column(Integer)
    weekdays: Mapped[str | None] = mapped_column(String(27))
    # The preferred window, local "HH:MM" to "HH:MM".
    window_start: Mapped[str] = mapped_column(String(5), default="10:00")
    window_end: Mapped[str] = mapped_column(String(5), default="12:00")
    # Scheduled messages a day at most (replies and CRISIS are never counted or held).
    daily_cap: Mapped[int] = mapped_column(Integer, default=2)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(80))


class Job(Base):
    """Scheduled work, claimed with a lease by any worker; `key` makes its effect run once.

    status: pending -> running (claimed: `claimed_until`, `attempts` + 1) -> done, with
    the `outcome` (sent, or skipped and why). A job that is no longer wanted is deleted."""

    __tablename__ = "job"
    __table_args__ = (
        UniqueConstraint("key"),
        Index("ix_job_due", "status", "due_at"),
        Index("ix_job_participant", "participant_id", "kind", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # check_in | appointment_prep | reminder
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"))
    key: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # What the plan was made from: a job whose basis no longer matches is planned again.
    basis: Mapped[str | None] = mapped_column(String(64))
    for_date: Mapped[date | None] = mapped_column(Date)  # the local day, or the appointment
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversation.id"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(40))
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Co-production (docs/coproduction.md): the team suggests, the person decides.


class Suggestion(Base):
    """A change the team proposed to a submitted plan version; the person answers it.

    status: proposed (on the review page, not sent yet) -> pending (sent back, waiting
    its turn) -> asked (the question is with the person) -> accepted | declined |
    unsure (a question or "not sure": nothing changes, the team talks it through) |
    reworded (their own words). A proposal taken back before sending is deleted."""

    __tablename__ = "suggestion"
    __table_args__ = (Index("ix_suggestion_participant_status", "participant_id", "status"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"))
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_version.id"), index=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"))
    action: Mapped[str] = mapped_column(String(10))  # add | reword | remove
    section: Mapped[str] = mapped_column(String(40))
    original: Mapped[str | None] = mapped_column(Text)  # the item's words, for reword/remove
    text: Mapped[str | None] = mapped_column(Text)  # the suggested words, for add/reword
    reason: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)  # the review note sent with it
    # Taking it would weaken a crisis plan (an item taken out): only ever on their YES.
    weakens: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[str] = mapped_column(String(12), default="proposed")
    answer: Mapped[str | None] = mapped_column(Text)  # what they replied, word for word
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Override(Base):
    """An edit-then-approve: the practitioner changed the person's words, with a reason.
    UNDO from the person restores their words (`restored_id`) for the team to look at."""

    __tablename__ = "override"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_version.id"))  # approved, edited
    replaced_id: Mapped[int] = mapped_column(ForeignKey("plan_version.id"))  # their words
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    changes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    removed_safety: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    restored_id: Mapped[int | None] = mapped_column(ForeignKey("plan_version.id"))
