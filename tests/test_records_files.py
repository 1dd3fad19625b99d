"""The record commands as an operator runs them (real processes on a real SQLite file),
erasure searched for in the database files' bytes, and retention in small batches."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from bot import plans
from bot.assistant import Assistant
from bot.records import retention
from bot.records.discharge import discharge
from bot.records.erase import erase
from bot.types import Channel, Inbound
from store.db import Database
from store.models import AuditEvent, Message, Participant, PlanVersion
from tests.conftest import Stack, make_settings

PHONE, E164 = "07400 111222", "+447400111222"


def _run(args: list[str], db: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TOUCHPOINT_DATABASE_URL": f"sqlite:///{db}"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=db.parent,
        timeout=120,
    )


def _files(db: Path) -> list[Path]:
    return [p for p in db.parent.iterdir() if p.name.startswith(db.name)]


def _found(db: Path, needle: bytes) -> list[str]:
    return [p.name for p in _files(db) if needle in p.read_bytes()]


def test_export_discharge_and_erase_from_the_command_line(
    tmp_path: Path, migrated_template: Path
) -> None:
    db = tmp_path / "touchpoint.db"
    shutil.copyfile(migrated_template, db)
    added = _run(
        [
            "participant",
            "add",
            "--name",
            "Jo",
            "--team",
            "North",
            "--phone",
            PHONE,
            "--nhs-number",
            "943 476 5919",
        ],
        db,
    )
    assert added.returncode == 0, added.stderr
    marker = f"marker-{uuid.uuid4().hex}"
    stack = Stack(f"sqlite:///{db}", make_settings(f"sqlite:///{db}"))
    try:
        stack.send(1, f"my word is {marker}", channel=Channel.SMS, address=E164)
        with stack.db.write() as session:
            draft = plans.draft(session, 1, "crisis")
            plans.set_section(draft, "coping", [plans.item(f"walk {marker}")])
        # Someone else's messages after it: pages split and move what they hold.
        other = stack.add_participant("Sam")
        for n in range(300):
            stack.send(other, f"filler message number {n} " + "x" * 80)
    finally:
        stack.db.dispose()
    assert _found(db, marker.encode())  # the search can find it before

    out = tmp_path / "jo.zip"
    exported = _run(["participant", "export", "--participant", "1", "--out", str(out)], db)
    assert exported.returncode == 0, exported.stderr
    held = json.loads(zipfile.ZipFile(out).read("everything-held.json"))
    assert held["participant"]["nhs_number"] == "9434765919"
    assert any(marker in m["body"] for m in held["messages"])

    discharged = _run(["participant", "discharge", "--participant", "1"], db)
    assert discharged.returncode == 0, discharged.stderr
    assert "closing message is queued by sms" in discharged.stdout

    refused = _run(["participant", "erase", "--participant", "1", "--reason", "Wrong person"], db)
    assert refused.returncode == 1
    assert "--confirm" in refused.stderr
    erased = _run(
        ["participant", "erase", "--participant", "1", "--reason", "Wrong person", "--confirm"],
        db,
    )
    assert erased.returncode == 0, erased.stderr
    assert _found(db, marker.encode()) == []
    assert _found(db, b"9434765919") == []
    check = Database(f"sqlite:///{db}")
    try:
        with check.read() as session:
            actions = session.scalars(
                select(AuditEvent.action).where(AuditEvent.record_id == 1)
            ).all()
            assert "participant.erase" in actions
            assert "participant.export" in actions
            assert session.scalars(select(Message).where(Message.address == E164)).all() == []
    finally:
        check.dispose()


def test_retention_empties_old_texts_in_small_writes_and_keeps_the_rest(stack: Stack) -> None:
    pid = stack.add_participant()
    now = datetime(2026, 6, 1, tzinfo=UTC)
    rows = [
        {
            "participant_id": pid,
            "channel": "sms",
            "address": E164,
            "direction": "in" if n % 2 else "out",
            "body": f"message {n}",
            "status": "received" if n % 2 else "sent",
            "created_at": now - timedelta(days=400 - n // 3),
        }
        for n in range(900)  # 300 days of messages, three a day, from 400 days ago
    ]
    with stack.db.write() as session:
        session.execute(insert(Message), rows)
        draft = plans.draft(session, pid, "crisis")
        plans.set_section(draft, "coping", [plans.item("an old plan item")])
    sweep = retention.remove_old_texts(stack.db, now, 365, batch=50, pause=0)
    cut = now - timedelta(days=365)
    old = [r for r in rows if r["created_at"] < cut]
    assert sweep.emptied == len(old) == 105
    assert len(sweep.writes_ms) == 3  # 50 + 50 + 5: never more than a batch per write
    with stack.db.read() as session:
        kept = session.execute(select(Message.created_at, Message.body)).all()
        assert all((body == "") == (at < cut) for at, body in kept)
        assert len(kept) == 900
        [version] = session.scalars(select(PlanVersion)).all()
        assert version.sections["coping"][0]["text"] == "an old plan item"
    again = retention.remove_old_texts(stack.db, now, 365, batch=50, pause=0)
    assert again.emptied == 0
    assert retention.remove_old_texts(stack.db, now, 0).emptied == 0  # 0: kept for ever


def test_the_worker_loop_sweeps_at_start_and_stops_when_asked(stack: Stack) -> None:
    pid = stack.add_participant()
    long_ago = datetime.now(UTC) - timedelta(days=40)
    with stack.db.write() as session:
        session.execute(
            insert(Message),
            [
                {
                    "participant_id": pid,
                    "channel": "sms",
                    "address": E164,
                    "direction": "in",
                    "body": "from long ago",
                    "status": "received",
                    "created_at": long_ago,
                }
            ],
        )

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.create_task(retention.daily(stack.db, lambda: datetime.now(UTC), 30, stop))
        for _ in range(200):
            await asyncio.sleep(0.01)
            with stack.db.read() as session:
                if session.scalar(select(Message.body)) == "":
                    break
        stop.set()
        await asyncio.wait_for(loop, 5)

    asyncio.run(run())
    with stack.db.read() as session:
        assert session.scalar(select(Message.body)) == ""


def test_a_discharged_person_in_the_console_still_gets_the_numbers(stack: Stack) -> None:
    pid = stack.add_participant()
    with stack.db.write() as session:
        draft = plans.draft(session, pid, "crisis")
        plans.set_section(draft, "coping", [plans.item("Call Auntie Bee")])
    assistant: Assistant = stack.assistant
    with stack.db.write() as session:
        person = session.get(Participant, pid)
        assert person is not None
        discharge(session, person, wording=assistant.wording, now=datetime.now(UTC), actor="test")
    reply = "\n".join(assistant.handle(Inbound(Channel.CONSOLE, str(pid), "SOS", "x-1")).replies)
    assert reply.startswith("In danger now? Call 999.")
    assert "Auntie Bee" not in reply
    assert "Alex" not in reply


def test_erasure_while_the_database_stays_open_leaves_no_trace_in_its_files(
    tmp_path: Path, migrated_template: Path
) -> None:
    """As from the admin page: the server keeps the database open. Without secure_delete
    the words stay in the freed space; without the checkpoint, in the WAL's old pages."""
    db = tmp_path / "touchpoint.db"
    shutil.copyfile(migrated_template, db)
    url = f"sqlite:///{db}"
    stack = Stack(url, make_settings(url))
    try:
        with stack.db.read() as session:
            assert session.connection().exec_driver_sql("PRAGMA secure_delete").scalar() == 1
        jo = stack.add_participant("Jo", phone=PHONE)
        marker = f"marker-{uuid.uuid4().hex}"
        stack.send(jo, f"remember {marker}", channel=Channel.SMS, address=E164)
        other = stack.add_participant("Sam")
        for n in range(300):
            stack.send(other, f"filler message number {n} " + "x" * 80)
        assert _found(db, marker.encode())
        erased = erase(
            stack.db, jo, reason="Enrolled in error", actor="test", now=datetime.now(UTC)
        )
        assert erased.wal_truncated is True
        assert erased.rows["message"] >= 2  # what they sent and what they were sent
        assert _found(db, marker.encode()) == []
        assert stack.say(other, "MENU")  # the others carry on
    finally:
        stack.db.dispose()
