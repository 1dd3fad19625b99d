from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from store.db import create_db_engine
from store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = create_db_engine(url)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds a SQLite table (copy, drop, rename) to change it; with
            # foreign keys enforced, dropping a table that other rows point at fails. The
            # pragma only takes effect outside a transaction, so it is set on the driver's
            # connection before SQLAlchemy begins one (store/db.py begins on first use).
            _pragma(connection, "PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                # Every row must still point at a row that exists, or nothing is committed.
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"foreign keys broken by the migration: {broken[:5]}")
        if sqlite:
            _pragma(connection, "PRAGMA foreign_keys=ON")
    engine.dispose()


def _pragma(connection: Connection, statement: str) -> None:
    driver = connection.connection.dbapi_connection
    assert driver is not None
    driver.execute(statement)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
