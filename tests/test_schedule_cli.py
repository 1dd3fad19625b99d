"""`touchpoint participant schedule`, as a practitioner runs it: a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

from store.db import Database
from store.models import Schedule
from tests.schedule_support import world


def _run(db_url: str, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TOUCHPOINT_DATABASE_URL": db_url}
    return subprocess.run(
        [sys.executable, "-m", "bot", "participant", "schedule", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=folder,
        timeout=120,
    )


def _enrol(db_url: str) -> int:
    with world(db_url) as w:
        return w.enrol("Jo", every=None)


def test_set_and_show_a_schedule(db_url: str, tmp_path: Path) -> None:
    pid = _enrol(db_url)
    shown = _run(db_url, tmp_path, "--participant", str(pid))
    assert shown.returncode == 0, shown.stderr
    assert "Check-ins: none" in shown.stdout
    assert "Nothing planned." in shown.stdout
    appointment = date.today() + timedelta(days=10)
    done = _run(
        db_url,
        tmp_path,
        "--participant", str(pid),
        "--weekdays", "mon,thu",
        "--window", "17:00-19:00",
        "--timezone", "America/New_York",
        "--appointment", appointment.isoformat(),
        "--cap", "3",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "time zone America/New_York" in out
    assert "Check-ins: on Mondays and Thursdays, between 17:00 and 19:00." in out
    assert f"Next appointment: {appointment.isoformat()}." in out
    assert "At most 3 scheduled messages a day." in out
    assert "  check-in  " in out
    assert "  appointment prep  " in out
    assert " E" in out  # times are shown in their zone (EST or EDT)
    off = _run(db_url, tmp_path, "--participant", str(pid), "--off", "--no-appointment")
    assert off.returncode == 0, off.stderr
    assert "Check-ins: none" in off.stdout
    assert "Nothing planned." in off.stdout


def test_mistakes_are_sentences(db_url: str, tmp_path: Path) -> None:
    pid = str(_enrol(db_url))
    cases = [
        (["--every", "3", "--timezone", "Mars/Base"], "is not a time zone I know"),
        (["--every", "3", "--window", "9-11"], "Write it as HH:MM"),
        (["--every", "3", "--window", "12:00-10:00"], "must start before it ends"),
        (["--weekdays", "mon,someday"], "is not a day of the week"),
        (["--every", "40"], "every 1 to 28 days"),
        (["--appointment", "2020-01-01"], "has passed"),
        (["--appointment", "14/03/2026"], "year-month-day"),
        (["--window", "10:00-12:00"], "say how often as well"),
        (["--every", "3", "--window", "22:00-23:00"], "all inside their quiet hours"),
    ]
    for args, says in cases:
        done = _run(db_url, tmp_path, "--participant", pid, *args)
        assert done.returncode == 1, (args, done.stdout)
        assert says in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr
    missing = _run(db_url, tmp_path, "--participant", "999")
    assert missing.returncode == 1
    assert "There is no participant 999" in missing.stderr
    db = Database(db_url)
    try:
        with db.read() as session:
            assert session.scalar(select(func.count()).select_from(Schedule)) == 0
    finally:
        db.dispose()
