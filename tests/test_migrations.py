"""The migrations are the truth: the models must describe what they build, and back."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from store.db import Database, alembic_config, create_db_engine, upgrade
from store.models import Base


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
