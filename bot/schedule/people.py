"""What the store says about one participant, for planning and for deciding."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import jobs
from bot.schedule.local import Quiet, zone_or_default
from bot.schedule.plan import Person
from bot.schedule.rhythm import rhythm_from_row
from bot.types import Channel
from store.models import ChannelIdentity, Job, Message, Participant, Schedule

CHECK_IN, PREP, REMINDER = "check_in", "appointment_prep", "reminder"
# Where scheduled messages can go, in order of preference when the person has not
# written to us yet (the web channel is the admin simulator: demo people only).
REACHABLE = (Channel.SMS, Channel.TELEGRAM, Channel.WEB)


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
    """The participant, row-locked (PostgreSQL) as the assistant locks it for a message:
    a scheduled step and a message of the same person never interleave."""
    return session.scalars(
        select(Participant).where(Participant.id == participant_id).with_for_update()
    ).one_or_none()


def schedule_of(session: Session, participant_id: int) -> Schedule | None:
    return session.scalars(
        select(Schedule).where(Schedule.participant_id == participant_id)
    ).one_or_none()


def load(session: Session, participant_id: int) -> tuple[Participant, Person] | None:
    """The participant (locked) and their planning view."""
    participant = lock(session, participant_id)
    if participant is None:
        return None
    return participant, person(participant, schedule_of(session, participant_id))


def last_check_in_day(session: Session, participant_id: int) -> date | None:
    """The local day of the last check-in that ran (sent or skipped): the rhythm counts from it."""
    day = session.scalar(
        select(func.max(Job.for_date)).where(
            Job.participant_id == participant_id,
            Job.kind == CHECK_IN,
            Job.status == jobs.DONE,
        )
    )
    return day if isinstance(day, date) else None


def sent_since(session: Session, participant_id: int, since: datetime) -> int:
    """Scheduled messages that went to this person since `since`."""
    return int(
        session.scalar(
            select(func.count()).where(
                Job.participant_id == participant_id,
                Job.status == jobs.DONE,
                Job.outcome == jobs.SENT,
                Job.done_at >= since,
            )
        )
        or 0
    )


def awaiting_reply(session: Session, participant: Participant) -> bool:
    """They had their one reminder and have not written since: we wait for them."""
    stmt = select(Job.id).where(
        Job.participant_id == participant.id,
        Job.kind == REMINDER,
        Job.outcome == jobs.SENT,
    )
    if participant.last_inbound_at is not None:
        stmt = stmt.where(Job.done_at > participant.last_inbound_at)
    return session.scalar(stmt.limit(1)) is not None


def unanswered(session: Session, participant: Participant) -> bool:
    """Their last scheduled question (a check-in or the appointment prep) has no reply yet:
    it gets its one reminder, and no new question is asked on top of it."""
    stmt = select(Job.id).where(
        Job.participant_id == participant.id,
        Job.kind.in_((CHECK_IN, PREP)),
        Job.outcome == jobs.SENT,
    )
    if participant.last_inbound_at is not None:
        stmt = stmt.where(Job.done_at > participant.last_inbound_at)
    return session.scalar(stmt.limit(1)) is not None


def recipient(session: Session, participant_id: int) -> tuple[Channel, str] | None:
    """Where a scheduled message goes: the verified channel they last wrote from, else
    SMS, then Telegram, then the simulator."""
    identities = session.execute(
        select(ChannelIdentity.channel, ChannelIdentity.address).where(
            ChannelIdentity.participant_id == participant_id,
            ChannelIdentity.verified_at.is_not(None),
        )
    ).all()
    usable = {(ch, addr) for ch, addr in identities if ch in {c.value for c in REACHABLE}}
    if not usable:
        return None
    last = session.execute(
        select(Message.channel, Message.address)
        .where(Message.participant_id == participant_id, Message.direction == "in")
        .order_by(Message.id.desc())
        .limit(1)
    ).first()
    if last is not None and (last[0], last[1]) in usable:
        return Channel(last[0]), last[1]
    for channel in REACHABLE:
        for ch, addr in sorted(usable):
            if ch == channel.value:
                return channel, addr
    return None
