"""Faults and edges of scheduling, each one a test: appointments (and dates in the past),
a setting changed while its job runs, a clock that jumps, someone in another country."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot import jobs
from bot.schedule.local import BadTime
from store.models import Conversation
from tests.schedule_support import World, world

LONDON = ZoneInfo("Europe/London")


def _hours(w: World, hours: int) -> None:
    for _ in range(hours):
        w.clock.advance(hours=1)
        w.run()


# -- the appointment --------------------------------------------------------------------


def test_the_day_before_an_appointment_they_are_asked_what_to_talk_about(db_url: str) -> None:
    with world(db_url) as w:
        pid = w.enrol("Alex", every=None, appointment=date(2026, 3, 5))
        [prep] = w.pending(pid, "appointment_prep")
        assert prep.due_at.astimezone(LONDON).date() == date(2026, 3, 4)
        _hours(w, 24 * 2)
        assert w.queued(pid) == []
        _hours(w, 6)  # 4 March, 14:00
        [question] = w.queued(pid)
        assert "Your appointment with your care team is tomorrow" in question
        assert w.active(pid) == "appointment_prep.topics"
        w.say(pid, "My new medication")
        w.say(pid, "Going back to work")
        # DONE keeps the list (no YES step since issue 13) and says who will see it.
        assert "care team will see your list" in "\n".join(w.say(pid, "DONE"))
        with w.db.read() as session:
            conv = session.scalars(
                select(Conversation).where(Conversation.dialog == "appointment_prep")
            ).one()
            topics = [item["text"] for item in conv.data["answers"]["topics"]]
        assert topics == ["My new medication", "Going back to work"]
        _hours(w, 24 * 3)
        queued = w.queued(pid)
        asked = [q for q in queued if "Your appointment with your care team is tomorrow" in q]
        assert len(asked) == 1  # asked once, for this appointment
        # ...and after it, how it went (docs/coproduction.md), once.
        # (a reminder, later, quotes the question again: issue 13)
        followed = [
            q for q in queued if "I hope your appointment went OK" in q and "reminder" not in q
        ]
        assert len(followed) == 1


def test_nothing_to_talk_about_is_fine(db_url: str) -> None:
    with world(db_url) as w:
        pid = w.enrol("Sam", every=None, appointment=date(2026, 3, 3))
        _hours(w, 6)
        assert w.active(pid) == "appointment_prep.topics"
        assert "See you at your appointment" in "\n".join(w.say(pid, "SKIP"))
        assert w.active(pid) is None


def test_a_new_appointment_date_moves_the_prep_and_no_stale_one_is_sent(db_url: str) -> None:
    with world(db_url) as w:
        pid = w.enrol(every=None, appointment=date(2026, 3, 10))
        _hours(w, 2)
        # The date is changed by another page (no replanning there): the sweep catches up.
        w.update(pid, next_appointment=date(2026, 3, 4))
        w.sweep_now()
        _hours(w, 24 * 10)
        preps = [j for j in w.jobs(pid, "appointment_prep") if j.outcome == "sent"]
        assert [j.for_date for j in preps] == [date(2026, 3, 4)]
        assert preps[0].done_at is not None
        assert preps[0].done_at.astimezone(LONDON).date() == date(2026, 3, 3)


def test_an_appointment_date_in_the_past(db_url: str) -> None:
    with world(db_url) as w:
        pid = w.enrol(every=1)
        with pytest.raises(BadTime, match="has passed"):
            w.change(pid, appointment=date(2026, 3, 1))
        w.update(pid, next_appointment=date(2026, 2, 20))  # stored by another page
        w.sweep_now()
        _hours(w, 12)
        assert w.jobs(pid, "appointment_prep") == []
        assert len(w.queued(pid)) == 1  # check-ins carry on


def test_an_appointment_tomorrow_set_in_the_evening_is_asked_about_at_once(db_url: str) -> None:
    with world(db_url) as w:
        pid = w.enrol(every=None)
        w.clock.to(datetime(2026, 3, 2, 18, 0, tzinfo=UTC))
        w.change(pid, appointment=date(2026, 3, 3))
        w.run()
        assert len(w.queued(pid)) == 1
        w.clock.to(datetime(2026, 3, 2, 22, 0, tzinfo=UTC))
        other = w.enrol("Kim", every=None)
        w.change(other, appointment=date(2026, 3, 3))  # too late: it is quiet until then
        w.run()
        assert w.queued(other) == []
        assert [j.outcome for j in w.jobs(other, "appointment_prep")] == ["skipped:too_late"]


# -- a setting changed while its job runs ---------------------------------------------------


def test_a_schedule_changed_after_its_job_was_claimed(db_url: str) -> None:
    with world(db_url) as w:
        pid = w.enrol(every=1)
        [job] = w.pending(pid)
        w.clock.to(job.due_at)
        [claim] = jobs.claim(w.db, w.clock(), lease=timedelta(minutes=1), worker="a", limit=5)
        w.change(pid, every_days=7, window=(time(15), time(16)))  # while it is claimed
        assert w.scheduler.outreach.run(claim) == "replanned"
        assert w.queued(pid) == []  # nothing sent from the old settings
        [planned] = w.pending(pid)
        assert 15 <= planned.due_at.astimezone(LONDON).hour < 16
        w.clock.to(planned.due_at)
        w.run()
        assert len(w.queued(pid)) == 1


def test_a_pause_after_the_job_was_claimed_holds_it(db_url: str) -> None:
    with world(db_url) as w:
        pid = w.enrol(every=1)
        [job] = w.pending(pid)
        w.clock.to(job.due_at - timedelta(minutes=40))
        w.say(pid, "PAUSE")
        w.clock.to(job.due_at)
        [claim] = jobs.claim(w.db, w.clock(), lease=timedelta(minutes=1), worker="a", limit=5)
        assert w.scheduler.outreach.run(claim) in ("replanned", "lost")
        w.run()
        assert w.queued(pid) == []
        [planned] = w.pending(pid)
        assert planned.due_at >= w.clock() + timedelta(days=6)


def test_a_change_made_while_the_job_is_running_waits_for_it_and_wins_after(
    db_url: str,
) -> None:
    """The job holds the person's row: the change waits, then plans from the new settings."""
    with world(db_url) as w:
        pid = w.enrol(every=1)
        [job] = w.pending(pid)
        w.clock.to(job.due_at)
        engine = w.scheduler.outreach.engine
        inside, go_on = threading.Event(), threading.Event()
        original = engine.start

        def slow_start(*args: Any, **kwargs: Any) -> Any:
            inside.set()
            assert go_on.wait(10)
            return original(*args, **kwargs)

        engine.start = slow_start  # type: ignore[method-assign]
        runner = threading.Thread(target=w.run)
        runner.start()
        assert inside.wait(10)
        changed = threading.Event()

        def change() -> None:
            w.change(pid, every_days=7)
            changed.set()

        changer = threading.Thread(target=change)
        changer.start()
        assert not changed.wait(0.5)  # held by the running job's lock
        go_on.set()
        runner.join(20)
        changer.join(20)
        engine.start = original  # type: ignore[method-assign]
        assert changed.is_set()
        assert len(w.queued(pid)) == 1  # the check-in it was running went, once
        [planned] = w.pending(pid)
        assert planned.for_date == date(2026, 3, 9)  # every 7 days, from the new settings
        assert planned.basis is not None


# -- a clock that jumps ------------------------------------------------------------------------


def test_a_clock_jumping_a_week_ahead_sends_one_check_in_not_seven(db_url: str) -> None:
    with world(db_url) as w:
        pid = w.enrol(every=1)
        w.run()
        w.clock.advance(days=7, hours=3)  # Monday 9 March, 11:00: inside the window
        w.run()
        w.run()
        assert len(w.queued(pid)) == 1
        done = [(j.for_date, j.outcome) for j in w.jobs(pid, "check_in") if j.status == "done"]
        assert done == [
            (date(2026, 3, 2), "skipped:missed"),  # its window passed while the clock was away
            (date(2026, 3, 9), "sent"),
        ]


def test_a_clock_jumping_back_sends_nothing_twice(db_url: str) -> None:
    with world(db_url) as w:
        pid = w.enrol(every=1)
        [job] = w.pending(pid)
        w.clock.to(job.due_at)
        w.run()
        w.finish_check_in(pid)
        w.clock.advance(hours=-6)  # back to before this morning's check-in
        w.sweep_now()
        for _ in range(12):
            w.clock.advance(minutes=30)
            w.run()
        sent = [j.for_date for j in w.jobs(pid, "check_in") if j.outcome == "sent"]
        assert sent == [date(2026, 3, 2)]
        assert len(w.queued(pid)) == 1


def test_a_claim_from_a_clock_that_was_ahead_is_not_held_forever(db_url: str) -> None:
    with world(db_url) as w:
        pid = w.enrol(every=1)
        [job] = w.pending(pid)
        ahead = job.due_at + timedelta(hours=3)
        jobs.claim(w.db, ahead, lease=timedelta(minutes=1), worker="fast", limit=5)
        w.clock.to(job.due_at + timedelta(minutes=1))  # our clock: behind that claim
        w.run()
        assert len(w.queued(pid)) == 1


# -- someone in another country -------------------------------------------------------------


def test_a_participant_abroad_is_asked_in_their_own_window(db_url: str) -> None:
    with world(db_url) as w:
        pid = w.enrol("Priya", every=1, tz="Asia/Kolkata")
        london = w.enrol("Alex", every=1)
        _hours(w, 4)  # 12:00 UTC is 17:30 in Kolkata: their window has passed
        assert w.queued(london)
        assert [j for j in w.jobs(pid, "check_in") if j.status == "done"] == []
        [planned] = w.pending(pid)
        assert planned.for_date == date(2026, 3, 3)  # Kolkata's window had passed at 08:00
        _hours(w, 20)  # 08:00 UTC: 13:30 in Kolkata
        sent = [j.done_at for j in w.jobs(pid, "check_in") if j.outcome == "sent"]
        assert len(sent) == 1
        assert sent[0] is not None
        assert 10 <= sent[0].astimezone(ZoneInfo("Asia/Kolkata")).hour < 12
