"""Running one claimed job: decide again, under the person's row lock, whether its
message may go now; then start the dialog and queue the message, settle the job and
plan the next one, all in one transaction (so the effect happens once or not at all)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bot import jobs, outbox
from bot.coproduction import asking
from bot.engine.runner import Engine
from bot.engine.turn import Turn
from bot.privacy.scheduled import neutral
from bot.schedule import plan
from bot.schedule.local import today
from bot.schedule.people import CHECK_IN, PREP, REMINDER, load
from bot.schedule.plan import Person
from bot.schedule.planning import plan_check_in, plan_prep
from bot.schedule.rules import Defer, Go, Rules, Skip, verdict
from bot.types import Channel
from bot.wording import Wording
from store.db import Database
from store.models import Conversation, Job, Message, Participant

log = logging.getLogger(__name__)

APPOINTMENT_PREP_DIALOG = "appointment_prep"
REMINDER_TEMPLATE = "schedule/reminder"


class Outreach:
    def __init__(
        self,
        db: Database,
        engine: Engine,
        wording: Wording,
        clock: Callable[[], datetime],
        rules: Rules | None = None,
    ) -> None:
        self.db = db
        self.engine = engine
        self.wording = wording
        self.clock = clock
        self.rules = rules or Rules()

    def run(self, claim: jobs.Claim) -> str:
        """Run one claim; returns what happened (sent, deferred:..., skipped:..., ...)."""
        with self.db.write() as session:
            loaded = load(session, claim.participant_id)  # the person first, then the job
            job = jobs.hold(session, claim)
            if job is None:
                outcome = "lost"  # settled or claimed again elsewhere
            elif loaded is None:
                jobs.drop(session, job)
                outcome = "dropped:no_participant"
            else:
                participant, person = loaded
                outcome = self._run(session, job, participant, person, self.clock())
        # Routine outcomes at DEBUG (thousands an hour); what an operator may ask about at INFO.
        routine = outcome == jobs.SENT or outcome.startswith("deferred")
        log.log(
            logging.DEBUG if routine else logging.INFO,
            "job %s (%s): %s",
            claim.id,
            claim.kind,
            outcome,
        )
        return outcome

    def _run(
        self, session: Session, job: Job, participant: Participant, person: Person, now: datetime
    ) -> str:
        if job.kind == CHECK_IN:
            return self._check_in(session, job, participant, person, now)
        if job.kind == PREP:
            return self._prep(session, job, participant, person, now)
        if job.kind == REMINDER:
            return self._reminder(session, job, participant, person, now)
        if job.kind in asking.KINDS:  # suggestions, after an appointment (docs/coproduction.md)
            return asking.run(session, job, participant, person, now, self.engine, _deliver)
        jobs.finish(job, "skipped:unknown_kind", now)
        return "skipped:unknown_kind"

    # -- the three kinds -------------------------------------------------------------

    def _check_in(
        self, session: Session, job: Job, participant: Participant, person: Person, now: datetime
    ) -> str:
        if person.rhythm is not None and person.reachable and job.basis != person.basis():
            jobs.drop(session, job)  # settings changed since it was planned
            plan_check_in(session, person, now)
            return "replanned"
        if job.for_date is not None and now >= plan.window_end(person, job.for_date):
            return self._settle(session, job, person, now, "skipped:missed")
        decided = (
            verdict(session, participant, person, now, self.rules)
            if person.rhythm is not None
            else Skip("no_rhythm")
        )
        outcome = self._apply(job, decided, now)
        if outcome is not None:
            if outcome.startswith("skipped"):
                plan_check_in(session, person, now, after_run=job.for_date)
            return outcome
        assert isinstance(decided, Go)
        self._start(session, participant, CHECK_IN, decided, now)
        return self._settle(session, job, person, now, jobs.SENT)

    def _prep(
        self, session: Session, job: Job, participant: Participant, person: Person, now: datetime
    ) -> str:
        if job.for_date != person.next_appointment:
            jobs.drop(session, job)  # a new date (or none): planned for that one instead
            plan_prep(session, person, now)
            return "dropped:appointment_changed"
        if person.reachable and job.basis != person.basis():
            jobs.drop(session, job)
            plan_prep(session, person, now)
            return "replanned"
        if job.for_date is None or today(now, person.zone) >= job.for_date:
            jobs.finish(job, "skipped:too_late", now)
            return "skipped:too_late"
        decided = verdict(session, participant, person, now, self.rules)
        outcome = self._apply(job, decided, now)
        if outcome is not None:
            return outcome
        assert isinstance(decided, Go)
        self._start(session, participant, APPOINTMENT_PREP_DIALOG, decided, now)
        jobs.finish(job, jobs.SENT, now)
        return jobs.SENT

    def _reminder(
        self, session: Session, job: Job, participant: Participant, person: Person, now: datetime
    ) -> str:
        conv = session.get(Conversation, job.conversation_id) if job.conversation_id else None
        moved_on = conv is None or conv.status != "active" or job.basis != f"v{conv.version}"
        came_back = (
            participant.last_inbound_at is not None and participant.last_inbound_at > job.planned_at
        )
        if moved_on or came_back:
            jobs.drop(session, job)
            return "dropped:came_back"
        assert conv is not None
        decided = verdict(session, participant, person, now, self.rules, asks=False)
        outcome = self._apply(job, decided, now)
        if outcome is not None:
            return outcome
        assert isinstance(decided, Go)
        # The question is quoted, so their next message is read as its answer knowingly.
        turn = Turn(session=session, participant=participant, team=participant.team, now=now)
        text = self.wording.render(
            REMINDER_TEMPLATE,
            participant.locale,
            name=participant.display_name,
            dialog=conv.dialog,
            team=participant.team,
            question=self.engine.question(turn, conv),
        )
        said = neutral(session, participant, self.wording) or [text]
        _deliver(session, participant.id, decided, said, now)
        jobs.finish(job, jobs.SENT, now)
        return jobs.SENT

    def _start(
        self, session: Session, participant: Participant, dialog: str, target: Go, now: datetime
    ) -> None:
        """Start `dialog` afresh (an unfinished old run closed) and send its first words."""
        turn = Turn(session=session, participant=participant, team=participant.team, now=now)
        _close_unfinished(session, participant.id, dialog)
        self.engine.start(turn, dialog)
        said = neutral(session, participant, self.wording) or turn.replies
        _deliver(session, participant.id, target, said, now)
        participant.last_asked_at = now  # the dashboard's "no reply" list reads it

    # -- settling ----------------------------------------------------------------------

    @staticmethod
    def _apply(job: Job, decided: object, now: datetime) -> str | None:
        """Settle a job held back (deferred or skipped); None when it may go."""
        if isinstance(decided, Defer):
            jobs.defer(job, decided.until, now)
            return f"deferred:{decided.reason}"
        if isinstance(decided, Skip):
            jobs.finish(job, f"skipped:{decided.reason}", now)
            return f"skipped:{decided.reason}"
        return None

    @staticmethod
    def _settle(session: Session, job: Job, person: Person, now: datetime, outcome: str) -> str:
        jobs.finish(job, outcome, now)
        plan_check_in(session, person, now, after_run=job.for_date)
        return outcome


_UNFINISHED = select(Conversation).where(
    Conversation.participant_id == bindparam("pid"),
    Conversation.dialog == bindparam("dialog"),
    Conversation.status.in_(("active", "suspended")),
)


def _close_unfinished(session: Session, participant_id: int, dialog: str) -> None:
    """An old, unfinished run of this dialog is closed (its answers kept), so the new one
    starts at the beginning instead of resuming a question from days ago."""
    for conv in session.scalars(_UNFINISHED, {"pid": participant_id, "dialog": dialog}):
        conv.status = "completed"
        conv.data = {**(conv.data or {}), "ended": "unfinished"}


def _deliver(
    session: Session, participant_id: int, target: Go, texts: list[str], now: datetime
) -> None:
    for text in texts:
        if target.channel is Channel.WEB:
            # The simulator shows it; there is no provider to hand it to.
            session.add(
                Message(
                    participant_id=participant_id,
                    channel=target.channel.value,
                    address=target.address,
                    direction="out",
                    body=text,
                    status="sent",
                    created_at=now,
                )
            )
        else:
            outbox.enqueue(
                session,
                channel=target.channel,
                address=target.address,
                text=text,
                participant_id=participant_id,
                now=now,
            )
