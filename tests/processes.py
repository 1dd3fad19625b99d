"""Starting real Touchpoint processes in tests: a free port, a command run to its end, a
`serve` started with its output in a log, and waiting for /healthz."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(
    url: str,
    process: subprocess.Popen[bytes],
    output: Callable[[], str],
    *,
    timeout: float = 60,
) -> None:
    """Until `url`/healthz answers 200; fails with the process's output if it exits or
    is not healthy within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"serve exited:\n{output()}"
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"serve did not become healthy:\n{output()}")


def touchpoint(folder: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`touchpoint ARGS` run to its end in `folder`, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def start_serve(
    folder: Path, env: dict[str, str], port: int, *extra: str
) -> tuple[subprocess.Popen[bytes], Callable[[], str]]:
    """`touchpoint serve` on 127.0.0.1:`port`, its output in a log of `folder`; the
    process, and a way to read what it printed."""
    log = folder / f"serve-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                *extra,
            ],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return process, lambda: log.read_text(errors="replace")
