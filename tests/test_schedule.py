"""Check-ins between appointments, run by the scheduler on a real database with a clock
the test moves: who gets what, when, and what holds a message back."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete

from bot.schedule.rules import Rules
from bot.schedule.sweep import sweep
from store.models import Job
from tests.schedule_support import START, world

LONDON = ZoneInfo("Europe/London")


def local(when: datetime) -> datetime:
    return when.astimezone(LONDON)


def test_a_due_check_in_starts_the_dialog_and_queues_its_first_question(db_url: str) -> None:
    with world(db_url) as w:
        pid = w.enrol("Alex", every=1)
        [job] = w.pending(pid)
        assert job.for_date == date(2026, 3, 2)
        assert 10 <= local(job.due_at).hour < 12
        w.run()
        assert w.queued(pid) == []  # not before its time
        w.clock.to(job.due_at)
        assert w.run() == 1
        [question] = w.queued(pid)
        assert "Hi Alex. How have things been since we last spoke?" in question
        assert w.active(pid) == "check_in.rating"
        done, nxt = w.jobs(pid, "check_in")
        assert (done.status, done.outcome) == ("done", "sent")
        assert nxt.status == "pending"
        assert nxt.for_date == date(2026, 3, 3)
        # Their answer goes on through the dialog, as any message does.
        assert "gone well" in "\n".join(w.say(pid, "7"))


def test_every_three_days_over_a_fortnight(db_url: str) -> None:
    with world(db_url) as w:
        pid = w.enrol(every=3)
        days = []
        for _ in range(14 * 24):
            w.clock.advance(hours=1)
            w.run()
            days = [j.for_date for j in w.jobs(pid, "check_in") if j.outcome == "sent"]
            if w.active(pid) == "check_in.rating":
                w.finish_check_in(pid)
        assert days == [date(2026, 3, d) for d in (2, 5, 8, 11, 14)]


def test_a_person_with_no_rhythm_gets_no_check_ins(db_url: str) -> None:
    with world(db_url) as w:
        pid = w.enrol(every=None)
        w.clock.advance(days=3)
        w.run()
        assert w.jobs(pid) == []
        assert w.queued(pid) == []


@pytest.mark.parametrize("status", ["opted_out", "discharged"])
def test_nobody_opted_out_or_discharged_gets_anything(db_url: str, status: str) -> None:
    with world(db_url) as w:
        pid = w.enrol(every=1, appointment=date(2026, 3, 4))
        w.update(pid, status=status)
        for _ in range(4 * 24):
            w.clock.advance(hours=1)
            w.run()
        assert w.queued(pid) == []
        assert [j.outcome for j in w.jobs(pid) if j.outcome == "sent"] == []


def test_stop_then_start_by_message(db_url: str) -> None:
    with world(db_url) as w:
        pid = w.enrol(every=1)
        w.say(pid, "STOP")
        w.clock.advance(days=2)
        w.run()
        assert w.queued(pid) == []
        w.say(pid, "START")
        w.sweep_now()
        w.run()
        [job] = w.pending(pid)
        w.clock.to(job.due_at)
        w.run()
        assert len(w.queued(pid)) == 1


def test_nobody_is_scheduled_before_they_are_onboarded(db_url: str) -> None:
    with world(db_url) as w:
        pid = w.enrol(every=1, onboarded=False)
        w.clock.advance(days=2)
        w.run()
        assert w.queued(pid) == []


def _run_hours(w: object, hours: int) -> None:
    from tests.schedule_support import World

    assert isinstance(w, World)
    for _ in range(hours):
        w.clock.advance(hours=1)
        w.run()


# -- reminders ----------------------------------------------------------------------------


def test_an_unfinished_check_in_gets_one_reminder_then_nothing_until_they_come_back(
    db_url: str,
) -> None:
    with world(db_url) as w:
        pid = w.enrol("Alex", every=1)
        _run_hours(w, 6)  # the first check-in goes out, and nobody answers
        assert len(w.queued(pid)) == 1
        _run_hours(w, 24 * 6)
        queued = w.queued(pid)
        assert len(queued) == 2, queued
        assert "gentle reminder" in queued[1]
        assert "your check-in" in queued[1]
        reminder = [j for j in w.jobs(pid, "reminder") if j.outcome == "sent"]
        assert len(reminder) == 1
        # a check-in a day, each held back: no new question on top of an unanswered one
        skipped = [j.outcome for j in w.jobs(pid, "check_in") if j.status == "done"][1:]
        assert len(skipped) == 6  # 3 to 8 March
        assert set(skipped) == {"skipped:unanswered", "skipped:awaiting_reply"}
        # They come back: their answer carries the check-in on, and check-ins resume.
        assert "gone well" in "\n".join(w.say(pid, "4"))
        while (w.active(pid) or "").startswith("check_in."):
            w.say(pid, "SKIP")
        _run_hours(w, 30)
        sent = [j for j in w.jobs(pid, "check_in") if j.outcome == "sent"]
        assert len(sent) == 2


def test_a_dialog_left_unfinished_gets_a_reminder_in_the_window_not_at_night(
    db_url: str,
) -> None:
    with world(db_url) as w:
        pid = w.enrol("Sam", every=None)
        w.day(date(2026, 3, 2), 20)  # 20:00: they start their crisis plan, then stop
        w.say(pid, "MENU")
        w.say(pid, "1")
        assert (w.active(pid) or "").startswith("crisis_plan.")
        _run_hours(w, 24 + 3)  # 23:00 the next day: a day has passed, but it is quiet
        assert w.queued(pid) == []
        _run_hours(w, 12)  # the next morning, in their window
        [reminder] = w.queued(pid)
        assert "your crisis plan" in reminder
        sent_at = local(next(j for j in w.jobs(pid, "reminder")).done_at or START)
        assert 10 <= sent_at.hour < 12
        _run_hours(w, 24 * 7)
        assert len(w.queued(pid)) == 1  # one reminder only


def test_no_reminder_for_someone_who_is_still_writing(db_url: str) -> None:
    with world(db_url) as w:
        pid = w.enrol(every=None)
        w.say(pid, "MENU")
        w.say(pid, "2")
        for _ in range(4):
            _run_hours(w, 20)
            w.say(pid, "HELP")
        assert w.queued(pid) == []


# -- what holds a message back ----------------------------------------------------------


def test_pause_holds_everything_for_a_week_then_check_ins_resume(db_url: str) -> None:
    with world(db_url) as w:
        pid = w.enrol(every=1)
        assert "Paused" in "\n".join(w.say(pid, "PAUSE"))
        _run_hours(w, 24 * 7)
        assert w.queued(pid) == []
        _run_hours(w, 24 * 2)
        assert len(w.queued(pid)) >= 1
        first = min(j.done_at for j in w.jobs(pid, "check_in") if j.done_at and j.outcome == "sent")
        assert first >= START + timedelta(days=7)


def test_writing_during_a_pause_ends_it_and_check_ins_resume_the_next_day(db_url: str) -> None:
    with world(db_url) as w:
        pid = w.enrol(every=1)
        w.say(pid, "PAUSE")
        _run_hours(w, 24)
        assert "Welcome back" in "\n".join(w.say(pid, "hello"))
        _run_hours(w, 8)  # to 16:00 the same day
        [question] = w.queued(pid)
        assert "How have things been" in question


def test_replies_and_crisis_are_never_held_by_quiet_hours_or_a_pause(db_url: str) -> None:
    with world(db_url) as w:
        pid = w.enrol(every=1)
        w.say(pid, "PAUSE")
        w.day(date(2026, 3, 2), 23, 30)  # quiet hours
        assert "crisis" in "\n".join(w.say(pid, "CRISIS")).casefold()
        assert w.say(pid, "MENU")
        w.run()
        assert w.queued(pid) == []


def test_nothing_scheduled_goes_out_in_quiet_hours(db_url: str) -> None:
    with world(db_url) as w:
        # a window that runs into their quiet hours: only its quiet-free part is used
        pid = w.enrol(every=1, window=(time(20), time(23)))
        for _ in range(24 * 3):
            w.clock.advance(minutes=60)
            w.run()
            if w.active(pid) == "check_in.rating":
                w.clock.advance(minutes=1)
                w.finish_check_in(pid)
        sent = [j.done_at for j in w.jobs(pid, "check_in") if j.outcome == "sent"]
        assert len(sent) == 3
        for when in sent:
            assert when is not None
            assert local(when).hour == 20


def test_at_most_the_daily_cap_of_scheduled_messages(db_url: str) -> None:
    with world(db_url) as w:
        # Unfinished care plan since Monday morning; appointment on Wednesday: on Tuesday
        # a reminder and the appointment prep are both due. A cap of 1 lets one through.
        saturdays = frozenset({5})
        pid = w.enrol(every=None, weekdays=saturdays, appointment=date(2026, 3, 4), daily_cap=1)
        w.day(date(2026, 3, 2), 9)
        w.say(pid, "MENU")
        w.say(pid, "2")
        w.day(date(2026, 3, 3), 9)
        w.sweep_now()
        _run_hours(w, 10)
        sent = [j for j in w.jobs(pid) if j.outcome == "sent"]
        held = [j for j in w.jobs(pid) if j.outcome == "skipped:daily_cap"]
        assert len(sent) == 1
        assert len(held) == 1
        assert {sent[0].kind, held[0].kind} == {"reminder", "appointment_prep"}


def test_one_sweep_plans_for_everyone_after_a_restore(db_url: str) -> None:
    with world(db_url) as w:
        people = [w.enrol(f"P{n}", every=2) for n in range(7)]
        with w.db.write() as session:
            session.execute(delete(Job))  # a database restored without its jobs
        swept = sweep(w.db, w.clock(), Rules(), limit=3)
        assert swept.check_ins == 7
        assert all(len(w.pending(pid)) == 1 for pid in people)
