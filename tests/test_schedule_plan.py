"""Planning as pure functions of a person's settings and an injected time: rhythms,
windows, quiet hours, pauses, appointments, and the nights the clocks change."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.schedule import plan
from bot.schedule.local import BadTime, Quiet, at, clock_time, zone
from bot.schedule.plan import Person
from bot.schedule.rhythm import Rhythm, parse_weekdays, parse_window

LONDON = ZoneInfo("Europe/London")


def person(
    rhythm: Rhythm | None = None,
    *,
    tz: str = "Europe/London",
    quiet: tuple[str, str] = ("21:00", "09:00"),
    pid: int = 1,
    paused_at: datetime | None = None,
    appointment: date | None = None,
    status: str = "active",
) -> Person:
    return Person(
        id=pid,
        zone=ZoneInfo(tz),
        quiet=Quiet.parse(*quiet),
        status=status,
        onboarded=True,
        paused_at=paused_at,
        next_appointment=appointment,
        rhythm=rhythm if rhythm is not None else Rhythm(every_days=1),
    )


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def wall(instant: datetime, tz: str = "Europe/London") -> tuple[date, time]:
    here = instant.astimezone(ZoneInfo(tz))
    return here.date(), here.time().replace(second=0, microsecond=0)


def daily_at(hhmm: str) -> Rhythm:
    start = clock_time(hhmm)
    end = (datetime.combine(date(2026, 1, 1), start) + timedelta(minutes=1)).time()
    return Rhythm(every_days=1, window_start=start, window_end=end)


def check_ins(p: Person, start: datetime, count: int) -> list[datetime]:
    found, after, last = [], start, None
    for _ in range(count):
        nxt = plan.next_check_in(p, after, last)
        assert nxt is not None
        when, last = nxt
        found.append(when)
        after = when
    return found


# -- the nights the clocks change (Europe/London: 29 March and 25 October 2026) ---------


def test_a_daily_check_in_keeps_its_local_time_across_the_spring_change() -> None:
    p = person(daily_at("10:00"))
    times = check_ins(p, utc(2026, 3, 27, 12), 4)
    assert [wall(t) for t in times] == [
        (date(2026, 3, 28), time(10, 0)),
        (date(2026, 3, 29), time(10, 0)),
        (date(2026, 3, 30), time(10, 0)),
        (date(2026, 3, 31), time(10, 0)),
    ]
    # In UTC the check-in moves an hour earlier: 23 hours between the two around the change.
    assert times[0] == utc(2026, 3, 28, 10)
    assert times[1] == utc(2026, 3, 29, 9)
    assert times[1] - times[0] == timedelta(hours=23)


def test_a_daily_check_in_keeps_its_local_time_across_the_autumn_change() -> None:
    p = person(daily_at("10:00"))
    times = check_ins(p, utc(2026, 10, 24, 12), 2)
    assert [wall(t) for t in times] == [
        (date(2026, 10, 25), time(10, 0)),
        (date(2026, 10, 26), time(10, 0)),
    ]
    assert times[0] == utc(2026, 10, 25, 10)  # GMT again
    assert times[0] - utc(2026, 10, 24, 9) == timedelta(hours=25)


def test_a_time_in_the_skipped_hour_goes_an_hour_later_on_the_clock() -> None:
    # 01:30 does not exist in London on 29 March 2026: clocks jump from 01:00 to 02:00.
    assert at(date(2026, 3, 29), time(1, 30), LONDON) == utc(2026, 3, 29, 1, 30)
    assert wall(at(date(2026, 3, 29), time(1, 30), LONDON)) == (date(2026, 3, 29), time(2, 30))
    p = person(daily_at("01:30"), quiet=("00:00", "00:00"))
    times = check_ins(p, utc(2026, 3, 28, 12), 2)
    assert [wall(t)[1] for t in times] == [time(2, 30), time(1, 30)]


def test_a_time_that_happens_twice_is_the_first_of_the_two() -> None:
    # 01:30 happens twice in London on 25 October 2026 (BST, then GMT).
    assert at(date(2026, 10, 25), time(1, 30), LONDON) == utc(2026, 10, 25, 0, 30)


def test_quiet_hours_follow_the_local_clock_the_night_it_changes() -> None:
    quiet = Quiet.parse("21:00", "09:00")
    # 08:30 BST on 29 March is 07:30 UTC: still quiet, until 09:00 BST (08:00 UTC).
    assert quiet.is_quiet(utc(2026, 3, 29, 7, 30), LONDON)
    assert quiet.next_allowed(utc(2026, 3, 29, 7, 30), LONDON) == utc(2026, 3, 29, 8)
    # 20:30 UTC on 28 March is 20:30 GMT: not quiet yet; 21:00 GMT is.
    assert not quiet.is_quiet(utc(2026, 3, 28, 20, 30), LONDON)
    assert quiet.next_allowed(utc(2026, 3, 28, 21, 0), LONDON) == utc(2026, 3, 29, 8)


# -- someone in another country ---------------------------------------------------------


def test_a_participant_in_new_york_is_asked_in_their_own_morning() -> None:
    p = person(daily_at("10:00"), tz="America/New_York")
    [first] = check_ins(p, utc(2026, 3, 2, 12), 1)
    assert first == utc(2026, 3, 2, 15)  # 10:00 EST
    # The US changes its clocks three weeks before the UK: still 10:00 local.
    times = check_ins(p, utc(2026, 3, 6, 16), 2)  # 7 March EST, 8 March EDT
    assert [wall(t, "America/New_York")[1] for t in times] == [time(10, 0), time(10, 0)]
    assert times[1] - times[0] == timedelta(hours=23)


def test_quiet_hours_are_the_participants_not_the_servers() -> None:
    p = person(tz="Asia/Kolkata")
    noon_london = utc(2026, 6, 1, 11)  # 16:30 in Kolkata
    assert not p.quiet.is_quiet(noon_london, p.zone)
    late = utc(2026, 6, 1, 17)  # 18:00 London, 22:30 Kolkata
    assert p.quiet.is_quiet(late, p.zone)
    assert wall(p.quiet.next_allowed(late, p.zone), "Asia/Kolkata") == (date(2026, 6, 2), time(9))


def test_southern_hemisphere_clocks_change_the_other_way() -> None:
    p = person(daily_at("10:00"), tz="Pacific/Auckland")
    # New Zealand leaves daylight saving on 5 April 2026.
    times = check_ins(p, utc(2026, 4, 3, 12), 2)
    assert [wall(t, "Pacific/Auckland")[1] for t in times] == [time(10), time(10)]
    assert times[1] - times[0] == timedelta(hours=25)


# -- rhythms, windows, pauses -----------------------------------------------------------


def test_every_three_days_counts_from_the_last_check_in() -> None:
    p = person(Rhythm(every_days=3))
    when, day = plan.next_check_in(p, utc(2026, 3, 2, 8), date(2026, 3, 1)) or (None, None)
    assert day == date(2026, 3, 4)
    assert when is not None
    assert time(10) <= wall(when)[1] < time(12)


def test_chosen_weekdays() -> None:
    p = person(Rhythm(weekdays=parse_weekdays("mon,thu")))
    found = plan.next_check_in(p, utc(2026, 3, 3, 12), None)  # a Tuesday
    assert found is not None
    assert found[1] == date(2026, 3, 5)
    found = plan.next_check_in(p, utc(2026, 3, 5, 12), date(2026, 3, 5))
    assert found is not None
    assert found[1] == date(2026, 3, 9)


def test_people_are_spread_over_their_window_and_never_in_quiet_hours() -> None:
    rhythm = Rhythm(every_days=1, window_start=time(8), window_end=time(11))
    seen = set()
    for pid in range(1, 200):
        when = plan.slot(person(rhythm, pid=pid), date(2026, 3, 2))
        here = wall(when)[1]
        assert time(9) <= here < time(11), (pid, here)  # quiet until 09:00
        seen.add(here)
    assert len(seen) > 50


def test_a_pause_lasts_a_week() -> None:
    paused = utc(2026, 3, 2, 12)
    p = person(paused_at=paused)
    found = plan.next_check_in(p, utc(2026, 3, 2, 13), None)
    assert found is not None
    assert found[0] >= paused + timedelta(days=7)
    assert found[1] == date(2026, 3, 10)  # the 9th's window is before the pause ends at noon


def test_nobody_inactive_gets_a_check_in() -> None:
    for status in ("opted_out", "discharged"):
        assert plan.next_check_in(person(status=status), utc(2026, 3, 2), None) is None
    assert plan.next_check_in(person(Rhythm(every_days=2)), utc(2026, 3, 2), None) is not None


def test_no_check_in_the_day_before_or_of_an_appointment() -> None:
    p = person(appointment=date(2026, 3, 4))
    found = plan.next_check_in(p, utc(2026, 3, 2, 12), date(2026, 3, 2))
    assert found is not None
    assert found[1] == date(2026, 3, 5)


# -- appointment prep ---------------------------------------------------------------------


def test_appointment_prep_is_the_day_before_in_the_window() -> None:
    p = person(appointment=date(2026, 3, 14))
    when = plan.prep_time(p, utc(2026, 3, 2, 12))
    assert when is not None
    assert wall(when)[0] == date(2026, 3, 13)
    assert time(10) <= wall(when)[1] < time(12)


def test_appointment_prep_set_late_on_the_day_before_goes_at_once_unless_quiet() -> None:
    p = person(appointment=date(2026, 3, 14))
    now = utc(2026, 3, 13, 15)
    assert plan.prep_time(p, now) == now
    assert plan.prep_time(p, utc(2026, 3, 13, 22)) is None  # quiet until the appointment day


def test_an_appointment_date_in_the_past_plans_nothing() -> None:
    for day in (date(2026, 3, 1), date(2026, 3, 2)):  # yesterday, today
        assert plan.prep_time(person(appointment=day), utc(2026, 3, 2, 8)) is None
    p = person(appointment=date(2026, 2, 1))
    assert plan.next_check_in(p, utc(2026, 3, 2, 8), None) is not None


# -- what a person or a practitioner can write --------------------------------------------


def test_less_and_often_move_along_the_ladder() -> None:
    r = Rhythm(every_days=3)
    assert r.more_often().every_days == 2
    assert r.less_often().every_days == 7
    assert Rhythm(every_days=1).more_often().every_days == 1
    assert Rhythm(every_days=28).less_often().every_days == 28
    twice_a_week = Rhythm(weekdays=parse_weekdays("mon,thu"))
    assert twice_a_week.less_often().every_days == 7
    assert twice_a_week.more_often().every_days == 3
    assert not twice_a_week.more_often().weekdays


def test_descriptions_are_plain_words() -> None:
    assert Rhythm(every_days=1).describe() == "every day, between 10:00 and 12:00"
    assert (
        Rhythm(weekdays=parse_weekdays("thu,mon")).describe()
        == "on Mondays and Thursdays, between 10:00 and 12:00"
    )


@pytest.mark.parametrize(
    ("call", "says"),
    [
        (lambda: zone("Mars/Olympus"), "IANA name"),
        (lambda: clock_time("25:00"), "HH:MM"),
        (lambda: parse_window("10:00"), "HH:MM-HH:MM"),
        (lambda: parse_weekdays("mon,funday"), "mon,tue"),
        (lambda: Rhythm(every_days=0), "every 1 to 28"),
        (lambda: Rhythm(every_days=2, window_start=time(12), window_end=time(10)), "start before"),
        (lambda: Rhythm(), "either every"),
    ],
)
def test_bad_settings_are_sentences(call: object, says: str) -> None:
    assert callable(call)
    with pytest.raises(BadTime, match=says):
        call()
