"""What the store says about one participant, for planning and for deciding.

The statements are built once (building one costs more than running it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from bot import jobs
from bot.schedule.local import Quiet, zone_or_default
from bot.schedule.plan import Person
from bot.schedule.rhythm import rhythm_from_row
from bot.types import Channel
from store.models import ChannelIdentity, Job, Message, Participant, Schedule

CHECK_IN, PREP, REMINDER = "check_in", "appointment_prep", "reminder"
# Where scheduled messages go, in order of preference when the person has not written
# to us yet. The web channel is the admin simulator: demo people only.
REACHABLE = (Channel.SMS.value, Channel.WHATSAPP.value, Channel.TELEGRAM.value)
SIMULATOR = Channel.WEB.value
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# The participant row-locked (PostgreSQL) as the assistant locks it for a message, so a
# scheduled step and a message of the same person never interleave; their rhythm with it.
_LOAD = (
    select(Participant, Schedule)
    .outerjoin(Schedule, Schedule.participant_id == Participant.id)
    .where(Participant.id == bindparam("pid"))
    .with_for_update(of=Participant)
)
_LOCK = select(Participant).where(Participant.id == bindparam("pid")).with_for_update()
_SCHEDULE = select(Schedule).where(Schedule.participant_id == bindparam("pid"))
_LAST_CHECK_IN = select(func.max(Job.for_date)).where(
    Job.participant_id == bindparam("pid"), Job.kind == CHECK_IN, Job.status == jobs.DONE
)
_SENT_SINCE = select(Job.kind, Job.done_at).where(
    Job.participant_id == bindparam("pid"),
    Job.outcome == jobs.SENT,
    Job.done_at >= bindparam("since"),
)
_IDENTITIES = select(ChannelIdentity.channel, ChannelIdentity.address).where(
    ChannelIdentity.participant_id == bindparam("pid"),
    ChannelIdentity.verified_at.is_not(None),
)
_LAST_INBOUND = (
    select(Message.channel, Message.address)
    .where(Message.participant_id == bindparam("pid"), Message.direction == "in")
    .order_by(Message.id.desc())
    .limit(1)
)


def person(participant: Participant, schedule: Schedule | None) -> Person:
    try:
        quiet = Quiet.parse(participant.quiet_start, participant.quiet_end)
    except ValueError:
        quiet = Quiet.parse("21:00", "09:00")
    rhythm = None
    if schedule is not None:
        rhythm = rhythm_from_row(
            schedule.every_days,
            schedule.weekdays,
            schedule.window_start,
            schedule.window_end,
            schedule.daily_cap,
        )
    return Person(
        id=participant.id,
        zone=zone_or_default(participant.timezone),
        quiet=quiet,
        status=participant.status,
        onboarded=participant.onboarded_at is not None,
        paused_at=participant.paused_at,
        next_appointment=participant.next_appointment,
        rhythm=rhythm,
    )


def lock(session: Session, participant_id: int) -> Participant | None:
    return session.scalars(_LOCK, {"pid": participant_id}).one_or_none()


def schedule_of(session: Session, participant_id: int) -> Schedule | None:
    return session.scalars(_SCHEDULE, {"pid": participant_id}).one_or_none()


def load(session: Session, participant_id: int) -> tuple[Participant, Person] | None:
    """The participant (locked) and their planning view."""
    row = session.execute(_LOAD, {"pid": participant_id}).one_or_none()
    if row is None:
        return None
    participant, schedule = row
    return participant, person(participant, schedule)


def last_check_in_day(session: Session, participant_id: int) -> date | None:
    """The local day of the last check-in that ran (sent or skipped): the rhythm counts from it."""
    day = session.scalar(_LAST_CHECK_IN, {"pid": participant_id})
    return day if isinstance(day, date) else None


@dataclass(frozen=True)
class Lately:
    """The scheduled messages that went to one person lately."""

    today: int  # since their local midnight
    since_they_wrote: frozenset[str]  # the kinds sent since their last message

    @property
    def awaiting_reply(self) -> bool:
        """They had their one reminder and have not written since: we wait for them."""
        return REMINDER in self.since_they_wrote

    @property
    def unanswered(self) -> bool:
        """Their last scheduled question (a check-in or the appointment prep) has no reply
        yet: it gets its one reminder, and no new question is asked on top of it."""
        return bool({CHECK_IN, PREP} & self.since_they_wrote)


def lately(session: Session, participant: Participant, midnight: datetime) -> Lately:
    wrote = participant.last_inbound_at or _EPOCH
    rows = session.execute(_SENT_SINCE, {"pid": participant.id, "since": min(midnight, wrote)})
    today, kinds = 0, set()
    for kind, done_at in rows:
        if done_at is None:
            continue
        today += done_at >= midnight
        if done_at > wrote:
            kinds.add(kind)
    return Lately(today, frozenset(kinds))


def recipient(session: Session, participant: Participant) -> tuple[Channel, str] | None:
    """Where a scheduled message goes: the verified channel they last wrote from, else
    SMS, then WhatsApp, then Telegram (then the simulator, for a demo participant)."""
    allowed = (*REACHABLE, SIMULATOR) if participant.is_demo else REACHABLE
    usable = sorted(
        (ch, addr)
        for ch, addr in session.execute(_IDENTITIES, {"pid": participant.id})
        if ch in allowed
    )
    if len(usable) > 1:
        last = session.execute(_LAST_INBOUND, {"pid": participant.id}).first()
        if last is not None and (last[0], last[1]) in usable:
            return Channel(last[0]), last[1]
    for channel in allowed:
        for ch, addr in usable:
            if ch == channel:
                return Channel(ch), addr
    return None
