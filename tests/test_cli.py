"""The command line, as a person runs it: real processes, a real SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.settings import PROJECT_ROOT


def _run(args: list[str], db: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TOUCHPOINT_DATABASE_URL": f"sqlite:///{db}"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=db.parent,
        timeout=120,
    )


def test_an_unmigrated_database_is_refused_with_what_to_run(tmp_path: Path) -> None:
    done = _run(["chat", "--participant", "1"], tmp_path / "new.db")
    assert done.returncode == 2
    assert "has not been set up" in done.stderr
    assert "touchpoint db upgrade" in done.stderr


def test_add_a_participant_and_chat_through_a_pipe(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    assert _run(["db", "upgrade"], db).returncode == 0
    added = _run(
        ["participant", "add", "--name", "Jo", "--team", "North", "--phone", "07400 123456"], db
    )
    assert added.returncode == 0, added.stderr
    assert "touchpoint chat --participant 1" in added.stdout
    chat = _run(["chat", "--participant", "1"], db, stdin="hello\nyes\nJo\nok\nok\nCRISIS\n")
    assert chat.returncode == 0, chat.stderr
    assert "you> hello" in chat.stdout
    assert "automated assistant" in chat.stdout
    assert "You're all set, Jo" in chat.stdout
    assert "call 999" in chat.stdout
    # The same number cannot be enrolled twice.
    again = _run(
        ["participant", "add", "--name", "Al", "--team", "North", "--phone", "+447400123456"], db
    )
    assert again.returncode == 1
    assert "already belongs to someone" in again.stderr


def test_a_bad_phone_number_is_explained(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    _run(["db", "upgrade"], db)
    done = _run(["participant", "add", "--name", "Jo", "--team", "North", "--phone", "12"], db)
    assert done.returncode == 1
    assert "not a valid phone number" in done.stderr or "not a phone number" in done.stderr


def test_chat_with_an_unknown_participant(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    _run(["db", "upgrade"], db)
    done = _run(["chat", "--participant", "42"], db)
    assert done.returncode == 1
    assert "There is no participant 42" in done.stderr


def test_python_dash_m_and_the_console_script_are_the_same() -> None:
    script = Path(sys.executable).parent / "touchpoint"
    done = subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, check=False, cwd=PROJECT_ROOT
    )
    assert done.returncode == 0
    assert "dialogs" in done.stdout
