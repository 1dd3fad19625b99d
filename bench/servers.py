"""Server processes for the benchmark: start, wait until ready, peak memory, stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class Server:
    """One server process (and its workers, if any) for the length of a `with` block."""

    def __init__(
        self,
        name: str,
        args: list[str],
        *,
        port: int,
        env: dict[str, str] | None = None,
        unset: tuple[str, ...] = (),
        cwd: Path | None = None,
        log: Path,
        health: str | None = "/healthz",
    ) -> None:
        self.name = name
        self.args = args
        self.port = port
        inherited = {k: v for k, v in os.environ.items() if k not in unset}
        self.env = {**inherited, **(env or {})}
        self.cwd = cwd
        self.log = log
        self.health = health
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> Server:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.args, stdout=out, stderr=subprocess.STDOUT, env=self.env, cwd=self.cwd
            )
        self._wait_ready(timeout=120)
        return self

    def _wait_ready(self, timeout: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise RuntimeError(f"{self.name} exited ({code}); see {self.log}")
            try:
                if self.health is None:
                    socket.create_connection((HOST, self.port), timeout=1).close()
                    return
                with urllib.request.urlopen(self.url + self.health, timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start within {timeout:.0f}s; see {self.log}")

    def pids(self) -> list[int]:
        """The server's process and its children (uvicorn's workers, when there are several)."""
        assert self.process is not None
        found = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            found += [int(p) for p in children.read_text().split()]
        return found

    def peak_rss_mb(self) -> float:
        """The largest peak resident set (VmHWM) of one serving process, in MiB: since it
        started, or since reset_peak()."""
        peaks = [_vm_hwm_kib(pid) for pid in self.pids()]
        return max((p for p in peaks if p is not None), default=0) / 1024

    def reset_peak(self) -> bool:
        """Start VmHWM again from the current RSS (Linux's clear_refs), so what start-up
        took can be told apart from what serving takes. False if not allowed."""
        try:
            for pid in self.pids():
                Path(f"/proc/{pid}/clear_refs").write_text("5")
        except OSError:
            return False
        return True

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _exc: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _vm_hwm_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]
