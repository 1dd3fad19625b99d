"""Engines and sessions: SQLite (WAL, `BEGIN IMMEDIATE` for writers) or PostgreSQL."""

from __future__ import annotations

import functools
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import anyio.to_thread
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The newest migration in store/migrations/versions (tests/test_migrations.py keeps the
# two equal). Known here so that a serve process checks its database without importing
# Alembic, which with Mako and Pygments is ~11 MiB of a process kept under 150 MiB.
SCHEMA_HEAD = "0015"
SQLITE_BUSY_TIMEOUT_S = 5.0
WRITER_QUEUE_TIMEOUT_S = 8.0  # Twilio waits 15 s for a webhook
WRITER_POLL_S = 0.0005  # between tries for SQLite's write lock held by another process


# What a database that is down, locked past the busy timeout, or out of connections
# raises: the work can't be done now, but may be later (a webhook spools the message).
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)

P = ParamSpec("P")
T = TypeVar("T")


class DatabaseNotReady(RuntimeError):
    """The database is missing tables or is behind the code's migrations."""


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}
        engine = create_engine(url, connect_args=connect_args, hide_parameters=True, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself, so writers can take the
        # write lock up front instead of failing later with "database is locked".
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Deleted and overwritten content is zeroed, not left in free space: an erased
        # person's words must leave the file (docs/data-protection.md).
        cursor.execute("PRAGMA secure_delete=ON")
        busy_ms = int(SQLITE_BUSY_TIMEOUT_S * 1000)
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.close()
        record.info["busy_ms"] = busy_ms

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("readonly"):
            conn.exec_driver_sql("BEGIN DEFERRED")
        else:
            _begin_writing(conn)


def _begin_writing(conn: Connection) -> None:
    """BEGIN IMMEDIATE, asking again every WRITER_POLL_S while another process writes.

    SQLite's own busy handler sleeps 1, 2, 5, 10, 15, 20, 25... ms between tries: with a
    worker writing a hundred short transactions a second, a webhook's step (a CRISIS
    reply among them) waited tens of milliseconds for a lock free most of that time
    (docs/performance.md). Within the same busy timeout, then "database is locked"."""
    busy_ms = int(conn.info.get("busy_ms", SQLITE_BUSY_TIMEOUT_S * 1000))
    deadline = time.monotonic() + busy_ms / 1000
    conn.exec_driver_sql("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as exc:
                locked = "locked" in str(exc.orig) or "busy" in str(exc.orig)
                if not locked or time.monotonic() >= deadline:
                    raise
            time.sleep(WRITER_POLL_S)
    finally:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={busy_ms}")


class _Turns:
    """A re-entrant lock granted in the order it was asked for. A threading.Lock lets a
    newcomer take it ahead of threads already waiting: under load some writers waited
    half a second while later ones went through (docs/performance.md)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._queue: deque[tuple[int, threading.Lock]] = deque()
        self._owner: int | None = None
        self._depth = 0

    def __enter__(self) -> None:
        me = threading.get_ident()
        with self._guard:
            if self._owner == me:
                self._depth += 1
                return
            if self._owner is None:
                self._owner, self._depth = me, 1
                return
            turn = threading.Lock()
            turn.acquire()
            self._queue.append((me, turn))
        try:
            # Released by the thread before us, once it made us the owner. A bounded wait:
            # a caller that cannot get the writer in time answers 503 and is retried,
            # rather than keeping a provider waiting past its own timeout.
            if turn.acquire(timeout=WRITER_QUEUE_TIMEOUT_S):
                return
            with self._guard:
                handed = self._owner == me
                if not handed:
                    self._queue.remove((me, turn))
            if handed:
                return
            raise OperationalError(
                "waiting for the SQLite writer", None, TimeoutError("writer queue")
            )
        except OperationalError:
            raise
        except BaseException:
            with self._guard:
                handed = self._owner == me
                if not handed:
                    self._queue.remove((me, turn))
            if handed:
                self.__exit__()
            raise

    def __exit__(self, *_exc: object) -> None:
        with self._guard:
            self._depth -= 1
            if self._depth:
                return
            if self._queue:
                self._owner, turn = self._queue.popleft()
                self._depth = 1
                turn.release()
            else:
                self._owner = None


class Database:
    """One engine and its session factories, made once per process."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_db_engine(url, **engine_kwargs)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._writer = sessionmaker(self.engine, expire_on_commit=False)
        self._reader = sessionmaker(
            self.engine.execution_options(readonly=True), expire_on_commit=False
        )
        # SQLite has one writer. Threads of this process queue here for it, in turn, and
        # the next one starts the moment the last commits; left to SQLite's busy handler
        # they would sleep 1, 2, 5, 10... ms between tries, and under load most of a
        # message's time went on that sleeping (docs/performance.md). Re-entrant, so a
        # nested write fails as it always did (busy timeout) instead of hanging.
        self._write_lock: AbstractContextManager[None] = (
            _Turns() if self.is_sqlite else nullcontext()
        )

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One unit of work in one transaction: commit on success, roll back on error."""
        with self._write_lock, self._writer() as session, session.begin():
            yield session

    async def step(self, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run one short unit of database work (a webhook's message step) from async code.

        On SQLite, right here on the event loop. SQLite takes one writer at a time, so a
        thread pool adds no parallelism to writes: it only adds a hop to a thread and back
        and, under load, the event loop and the writer trading the GIL while the writer
        holds the write lock (most of a message's time flat out, and the CRISIS reply's
        tail: docs/performance.md). The price: while the step waits for the write lock
        (another process writing, or a thread of this one) the loop waits too, up to
        the busy timeout; every other process keeps its writes short for that reason.
        On PostgreSQL, in a worker thread: there steps do run side by side."""
        if self.is_sqlite:
            return work(*args, **kwargs)
        return await anyio.to_thread.run_sync(functools.partial(work, *args, **kwargs))

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._reader() as session, session.begin():
            yield session

    def check_migrated(self) -> None:
        current = self.schema_revision()
        if current != SCHEMA_HEAD:
            where = make_url(self.url).render_as_string(hide_password=True)
            state = "has not been set up" if current is None else "is out of date"
            raise DatabaseNotReady(
                f"The database at {where} {state}. Run `touchpoint db upgrade` and try again."
            )

    def schema_revision(self) -> str | None:
        """Alembic's record of the migration this database is at (None: never migrated)."""
        with self.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            found = list(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars())
            conn.rollback()
        return "+".join(sorted(found)) or None  # several rows would be branches: never head

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)
