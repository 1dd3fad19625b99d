"""A PostgreSQL server of a test's own, in a temporary folder, that the test may stop and
start again without touching the server the rest of the suite uses."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from store.db import upgrade
from tests.schedule_processes import free_port


def _bin() -> Path | None:
    given = os.environ.get("TOUCHPOINT_TEST_POSTGRES_BIN")
    if given:
        return Path(given)
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    return Path(found[-1]) if found else None


def _as_postgres() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@dataclass
class PostgresServer:
    bin: Path
    folder: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://touchpoint@127.0.0.1:{self.port}/touchpoint"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            [*_as_postgres(), str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._ctl("-l", str(self.folder / "log"), "-w", "-o", options, "start")

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "stop")


@contextmanager
def throwaway_postgres() -> Iterator[PostgresServer]:
    """A fresh cluster with a migrated database `touchpoint`; removed afterwards."""
    binary = _bin()
    if os.environ.get("TOUCHPOINT_TEST_POSTGRES_URL") is None or binary is None:
        pytest.skip("PostgreSQL tests are off (CI=true scripts/test runs them)")
    folder = Path(tempfile.mkdtemp(prefix="touchpoint-pg-own-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    server = PostgresServer(binary, folder, free_port())
    initdb = [str(binary / "initdb"), "-D", str(folder / "data"), "-U", "touchpoint"]
    subprocess.run(
        [*_as_postgres(), *initdb, "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    server.start()
    try:
        where = ["-h", "127.0.0.1", "-p", str(server.port), "-U", "touchpoint", "-d", "postgres"]
        subprocess.run(
            [str(binary / "psql"), *where, "-c", "CREATE DATABASE touchpoint"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        upgrade(server.url)
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            server._ctl("-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)
