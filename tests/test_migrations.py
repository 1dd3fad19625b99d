"""The migrations are the truth: the models must describe what they build, and back."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from bot.assistant import load_service
from bot.enrolment import add_participant, get_or_create_team
from bot.settings import PROJECT_ROOT
from store.db import (
    SCHEMA_HEAD,
    Database,
    DatabaseNotReady,
    alembic_config,
    create_db_engine,
    upgrade,
)
from store.models import Base, Participant

DIALOGS = PROJECT_ROOT / "dialogs"


def _differences(url: str) -> list[object]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
            conn.rollback()
    finally:
        engine.dispose()
    return list(diff)


def test_models_match_the_migrated_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url)
    assert _differences(url) == []


def test_migrated_database_is_at_head(db_url: str) -> None:
    db = Database(db_url)
    try:
        db.check_migrated()
    finally:
        db.dispose()


def test_the_head_the_store_checks_for_is_alembics_head(tmp_path: Path) -> None:
    script = ScriptDirectory.from_config(alembic_config(f"sqlite:///{tmp_path / 'h.db'}"))
    assert script.get_current_head() == SCHEMA_HEAD


def test_an_older_or_unmigrated_database_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    db = Database(url)
    try:
        with pytest.raises(DatabaseNotReady, match="has not been set up"):
            db.check_migrated()
        upgrade(url, "0001")
        with pytest.raises(DatabaseNotReady, match="is out of date"):
            db.check_migrated()
        upgrade(url)
        db.check_migrated()
    finally:
        db.dispose()


def test_a_serve_process_checks_its_database_without_importing_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    upgrade(url)
    program = (
        "import sys; import bot.cli, bot.web.server; from store.db import Database; "
        f"db = Database({url!r}); db.check_migrated(); "
        "assert 'alembic' not in sys.modules, 'alembic was imported'"
    )
    subprocess.run([sys.executable, "-c", program], check=True, timeout=120)


def test_downgrade_to_the_first_revision_and_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    upgrade(url)
    command.downgrade(alembic_config(url), "0001")
    engine = create_db_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert "admin_session" not in tables
    assert "practitioner" in tables
    upgrade(url)
    assert _differences(url) == []


def test_a_database_with_people_in_it_goes_down_and_up_again(tmp_path: Path) -> None:
    """SQLite changes a table by rebuilding it; with rows pointing at the team (people,
    their messages), that must neither fail on the foreign keys nor lose a row."""
    url = f"sqlite:///{tmp_path / 'lived-in.db'}"
    upgrade(url)
    db = Database(url)
    try:
        with db.write() as session:
            team = get_or_create_team(session, "Riverside", load_service(DIALOGS))
            person = add_participant(
                session, name="Sam", team=team, now=datetime.now(UTC), phone="+447400123456"
            )
            pid = person.id
    finally:
        db.dispose()
    command.downgrade(alembic_config(url), "0001")
    upgrade(url)
    assert _differences(url) == []
    db = Database(url)
    try:
        with db.read() as session:
            person = session.get(Participant, pid)
            assert person is not None
            assert person.display_name == "Sam"
            assert person.team.name == "Riverside"
            assert session.execute(text("PRAGMA foreign_key_check")).all() == []
            assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        db.dispose()
