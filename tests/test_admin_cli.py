"""`touchpoint practitioner create` and `touchpoint demo`, as a person runs them."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.admin import auth
from bot.admin.demo import DEMO_EMAIL, seed
from bot.commands import seed_demo
from store.db import Database, upgrade
from store.models import Participant, Practitioner
from tests.admin_html import fields, form, parse
from tests.conftest import make_settings

STRONG = "Window garden copper 12"


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


def _create(db: Path, password: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return _run(
        [
            "practitioner",
            "create",
            "--name",
            "Jo Bloggs",
            "--email",
            "jo@example.org",
            "--team",
            "North",
            *extra,
        ],
        db,
        stdin=f"{password}\n",
    )


def test_practitioner_create_reads_the_password_from_standard_input(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    _run(["db", "upgrade"], db)
    done = _create(db, STRONG, "--role", "team_lead", "--create-team")
    assert done.returncode == 0, done.stderr
    assert "jo@example.org" in done.stdout
    assert STRONG not in done.stdout + done.stderr
    database = Database(f"sqlite:///{db}")
    try:
        with database.read() as session:
            jo = session.scalars(select(Practitioner)).one()
            assert jo.role == "team_lead"
            assert jo.password_changed_at is not None
            assert auth.verify_password(jo.password_hash, STRONG)
            assert jo.password_hash
            assert jo.password_hash.startswith("$argon2id$")
    finally:
        database.dispose()
    again = _create(db, STRONG)
    assert again.returncode == 1
    assert "already an account" in again.stderr


@pytest.mark.parametrize(
    ("password", "why"), [("short", "at least 12"), ("qwertyuiop123", "common passwords")]
)
def test_practitioner_create_refuses_weak_passwords(
    tmp_path: Path, password: str, why: str
) -> None:
    db = tmp_path / "t.db"
    _run(["db", "upgrade"], db)
    done = _create(db, password)
    assert done.returncode == 1
    assert why in done.stderr


def test_practitioner_create_refuses_a_team_that_does_not_exist(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    _run(["db", "upgrade"], db)
    assert _create(db, STRONG, "--create-team").returncode == 0  # makes "North"
    typo = _run(
        ["practitioner", "create", "--name", "Al", "--email", "al@example.org", "--team", "Nroth"],
        db,
        stdin=f"{STRONG}\n",
    )
    assert typo.returncode == 1
    assert "no team called 'Nroth'" in typo.stderr
    assert "--create-team" in typo.stderr
    database = Database(f"sqlite:///{db}")
    try:
        with database.read() as session:
            assert [p.email for p in session.scalars(select(Practitioner))] == ["jo@example.org"]
    finally:
        database.dispose()


def test_a_password_is_never_a_command_line_argument(tmp_path: Path) -> None:
    done = _run(["practitioner", "create", "--help"], tmp_path / "t.db")
    assert "--password" not in done.stdout
    assert "stdin" in done.stdout or "asked for" in done.stdout


def test_demo_seed_makes_a_lead_who_owns_the_demo_participant(db_url: str) -> None:
    settings = make_settings(db_url)
    participant_id = seed_demo(settings)
    first = seed(settings, participant_id)
    second = seed(settings, participant_id)
    assert first.password != second.password
    assert first.email == DEMO_EMAIL
    db = Database(db_url)
    try:
        with db.read() as session:
            demo = session.scalars(select(Practitioner)).one()
            person = session.get(Participant, participant_id)
            assert person is not None
            assert person.is_demo
            assert person.practitioner_id == demo.id
            assert demo.role == "team_lead"
            assert auth.verify_password(demo.password_hash, second.password)
    finally:
        db.dispose()


@pytest.mark.slow
def test_touchpoint_demo_serves_the_admin_page_with_the_printed_sign_in(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    env = {**os.environ, "TOUCHPOINT_DATABASE_URL": f"sqlite:///{db}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo", "--host", "127.0.0.1", "--port", "0"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        while not any("Ctrl-C" in line for line in lines):
            line = process.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        printed = "".join(lines)
        password = re.search(r"Password\s+(\S+)", printed)
        address = re.search(r"Open\s+(http://127\.0\.0\.1:\d+)/admin/", printed)
        assert password, printed
        assert address, printed
        # Listening before it printed: the first request is answered, with no retry loop.
        with httpx.Client(base_url=address[1], timeout=10) as client:
            page = client.get("/admin/sign-in")
            body = fields(form(parse(page.text), "/sign-in"))
            body |= {"email": DEMO_EMAIL, "password": password[1]}
            signed_in = client.post("/admin/sign-in", data=body, follow_redirects=True)
            assert signed_in.url.path == "/admin/"
            assert "Dashboard" in signed_in.text
    finally:
        process.terminate()
        process.wait(timeout=20)
        if process.stdout is not None:
            process.stdout.close()


def test_touchpoint_demo_on_a_busy_port_says_so_and_prints_no_password(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        done = _run(["demo", "--host", "127.0.0.1", "--port", str(port)], tmp_path / "demo.db")
    assert done.returncode == 1
    assert f"Can't listen on 127.0.0.1 port {port}" in done.stderr
    assert "--port" in done.stderr
    assert "Password" not in done.stdout
    assert "running" not in done.stdout


def test_upgrade_is_what_the_demo_runs_first(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    upgrade(url)
    db = Database(url)
    try:
        db.check_migrated()
    finally:
        db.dispose()
