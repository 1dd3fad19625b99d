"""Drive a server flat out with wrk (Debian's) and bench/replay.lua."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "replay.lua"


class WrkError(RuntimeError):
    pass


class OutOfRequests(WrkError):
    """The server took every prepared request before the time was up."""

    def __init__(self, sent: int) -> None:
        super().__init__(
            f"wrk ran out of prepared requests ({sent} sent): the rest would have been "
            "duplicates. Prepare more (a larger --max-rate)."
        )
        self.sent = sent


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    errors: dict[str, int]
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise WrkError("wrk is not installed: `apt-get install wrk` (scripts/bench does it).")
    return found


def run_wrk(
    url: str,
    requests_file: Path,
    *,
    connections: int,
    seconds: float,
    threads: int = 1,
    allow_repeats: bool = False,
) -> WrkResult:
    """Run wrk; refuse the result if any response was not 2xx or (unless `allow_repeats`)
    a request was sent twice."""
    command = [
        wrk_path(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(SCRIPT),
        url,
    ]
    env = {**os.environ, "BENCH_REQUESTS": str(requests_file)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise WrkError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    if data["wrapped"] and not allow_repeats:
        raise OutOfRequests(data["requests"])
    errors = {k: v for k, v in data["errors"].items() if v}
    if errors.get("status"):
        raise WrkError(f"{errors['status']} responses were not 2xx/3xx: {done.stdout}")
    lat = data["latency_us"]
    return WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        errors=errors,
        p50_ms=lat["p50"] / 1000,
        p95_ms=lat["p95"] / 1000,
        p99_ms=lat["p99"] / 1000,
        max_ms=lat["max"] / 1000,
    )
