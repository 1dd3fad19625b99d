"""An open-loop load at a fixed rate (each request leaves at its own time, whether or
not earlier ones were answered), over keep-alive connections: for latency under a
given load, which wrk (closed-loop, flat out) cannot give."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from bench.traffic import Request


@dataclass
class PacedResult:
    sent: int = 0
    seconds: float = 0.0
    crisis_ms: list[float] = field(default_factory=list)
    other_ms: list[float] = field(default_factory=list)
    late_ms: list[float] = field(default_factory=list)  # how late the client sent (its own lag)
    failures: int = 0

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


def percentile(values: Sequence[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def exchange(self, raw: bytes) -> int:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length:
            await self.reader.readexactly(length)
        return status


async def _run(
    host: str, port: int, schedule: Sequence[tuple[float, Request]], connections: int
) -> PacedResult:
    idle: asyncio.Queue[_Connection] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(_Connection(*await asyncio.open_connection(host, port)))
    result = PacedResult()
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    tasks: list[asyncio.Task[None]] = []

    async def one(at: float, request: Request) -> None:
        conn = await idle.get()
        sent = loop.time()
        result.late_ms.append((sent - at) * 1000)
        try:
            status = await conn.exchange(request.raw)
        except (OSError, asyncio.IncompleteReadError):
            result.failures += 1
            return
        took = (loop.time() - sent) * 1000
        idle.put_nowait(conn)
        if status != 200:
            result.failures += 1
        (result.crisis_ms if request.crisis else result.other_ms).append(took)

    began = time.perf_counter()
    for offset, request in schedule:
        at = start + offset
        # Always yield, even when already late: otherwise a client that fell behind
        # sends everything it owes without reading a single answer meanwhile, and the
        # latencies it measures are its own (seen at 250 ms in asyncio's debug mode).
        await asyncio.sleep(max(0.0, at - loop.time()))
        tasks.append(asyncio.create_task(one(at, request)))
    await asyncio.gather(*tasks)
    result.seconds = time.perf_counter() - began
    result.sent = len(schedule)
    while not idle.empty():
        idle.get_nowait().writer.close()
    return result


def mixed_schedule(
    background: Sequence[Request], rate: float, probes: Sequence[Request], probe_rate: float
) -> list[tuple[float, Request]]:
    """`background` evenly at `rate` per second, `probes` evenly at `probe_rate`, merged."""
    timed = [(i / rate, r) for i, r in enumerate(background)]
    timed += [(0.5 / probe_rate + i / probe_rate, r) for i, r in enumerate(probes)]
    timed.sort(key=lambda pair: pair[0])
    return timed


def run_paced(
    host: str, port: int, schedule: Sequence[tuple[float, Request]], *, connections: int = 64
) -> PacedResult:
    with _no_full_collections():
        return asyncio.run(_run(host, port, schedule, connections))


@contextmanager
def _no_full_collections() -> Iterator[None]:
    """The benchmark's process holds millions of objects (every prepared request): a
    full garbage collection walking them took 100-250 ms, during which the client read
    no answers and what it measured was its own pause. Frozen while a paced run lasts."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


async def _burst(host: str, port: int, requests: Sequence[Request], connections: int) -> int:
    queue: asyncio.Queue[Request] = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)
    failures = 0

    async def worker() -> None:
        nonlocal failures
        conn = _Connection(*await asyncio.open_connection(host, port))
        while not queue.empty():
            if await conn.exchange(queue.get_nowait().raw) != 200:
                failures += 1
        conn.writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return failures


def run_burst(host: str, port: int, requests: Sequence[Request], *, connections: int = 8) -> int:
    """Send every request once, as fast as `connections` connections go; returns failures."""
    return asyncio.run(_burst(host, port, requests, connections))


@dataclass
class ClosedResult:
    requests: int
    seconds: float
    latencies_ms: list[float]
    failures: int


async def _closed(
    host: str, port: int, requests: Sequence[Request], connections: int, seconds: float
) -> ClosedResult:
    feed = iter(requests)
    latencies: list[float] = []
    failures = 0
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds

    async def worker() -> None:
        nonlocal failures
        conn = _Connection(*await asyncio.open_connection(host, port))
        while loop.time() < deadline:
            request = next(feed, None)
            if request is None:
                break
            sent = loop.time()
            if await conn.exchange(request.raw) != 200:
                failures += 1
            latencies.append((loop.time() - sent) * 1000)
        conn.writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return ClosedResult(len(latencies), time.perf_counter() - began, latencies, failures)


def run_closed(
    host: str, port: int, requests: Sequence[Request], *, connections: int, seconds: float
) -> ClosedResult:
    """Flat out for `seconds` (or until the requests run out), like wrk but in Python:
    only for when wrk is not installed; its own ceiling is far lower."""
    return asyncio.run(_closed(host, port, requests, connections, seconds))
