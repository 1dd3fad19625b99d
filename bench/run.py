"""The benchmark, in one command: `python -m bench.run` (or scripts/bench).

1. wrk's own ceiling (a server that answers at once), so it is known not to be the limit
2. the floor (bench/floor.py) and Touchpoint (`touchpoint serve`) on SQLite, flat out at
   the same concurrency, with the same signed Twilio webhooks: msgs/s, ratio, latency
3. CRISIS replies while the rest of the traffic runs at half of Touchpoint's capacity
4. 2 and 3 again with Telegram updates
5. at scale: the same run on a database of 100,000 participants and 5,000,000 messages,
   paired with one on the empty database: the ratio full/empty

--quick runs everything small and short (a smoke run, not figures to quote).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import secrets
import shutil
import sqlite3
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory

from bench import traffic
from bench.pace import mixed_schedule, percentile, run_burst, run_closed, run_paced
from bench.populate import populate
from bench.prepare import Person, enrol
from bench.servers import HOST, Server, free_port, python_module
from bench.workload import crisis_only, stream
from bench.wrk import OutOfRequests, WrkResult, run_wrk, wrk_path
from bot.settings import Settings
from store.db import alembic_config, upgrade

# The serve process under test only shows /metrics to this (new for each run).
METRICS_TOKEN = secrets.token_urlsafe(24)

PARTS = ("sms", "telegram", "scale")
MAX_CLIENT_LAG_MS = 5.0
FALLBACK_PREFIX = "Sorry, something went wrong"
ALL_REPLIES = "touchpoint_reply_latency_seconds"
CRISIS_REPLIES = "touchpoint_crisis_reply_latency_seconds"
TARGETS = {"ratio": 0.5, "crisis_p99_ms": 25.0, "scale_ratio": 0.9, "rss_mb": 150.0}


@dataclass(frozen=True)
class Options:
    seconds: float
    connections: int
    participants: int
    max_rate: float
    probe_rate: float
    scale_participants: int
    scale_messages: int
    scale_rounds: int
    skip_scale: bool
    workers: int
    data_dir: Path
    driver: str  # wrk, or python when wrk is not installed (a lower ceiling)
    only: tuple[str, ...]  # parts to run: sms, telegram, scale
    say: Callable[[str], None] = print


@dataclass
class Flat:
    """A flat-out wrk run against one server."""

    rate: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    requests: int
    peak_rss_mb: float = 0.0  # over the process's whole life, start-up included
    serving_rss_mb: float = 0.0  # from the end of start-up (0: could not be measured)
    cpu_ms_per_msg: float = 0.0
    checked: dict[str, int] = field(default_factory=dict)


@dataclass
class HalfLoad:
    """CRISIS replies while the other traffic runs at a fixed rate."""

    background_rate: float
    achieved_rate: float
    crisis_count: int
    crisis_p50_ms: float
    crisis_p99_ms: float
    crisis_max_ms: float
    other_p99_ms: float
    client_lag_p99_ms: float
    server_within_25ms: float | None
    # From touchpoint_crisis_reply_latency_seconds: the bucket bound the p99 falls under,
    # and the share within 25 ms. None where the server measured none (Telegram without
    # a bot token: the reply is queued for the worker, not handed over).
    server_crisis_p99_ms: float | None
    server_crisis_within_25ms: float | None
    peak_rss_mb: float
    failures: int


@dataclass
class Report:
    machine: dict[str, Any]
    options: dict[str, Any]
    wrk_ceiling: float = 0.0
    results: dict[str, Any] = field(default_factory=dict)


class Bench:
    def __init__(self, options: Options) -> None:
        self.o = options
        self.dir = options.data_dir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.secrets = traffic.Secrets(
            public_url="https://touchpoint.bench.invalid",
            twilio_auth_token=secrets.token_hex(16),
            telegram_secret=secrets.token_urlsafe(24),
        )
        self.port = free_port()
        self.host = f"{HOST}:{self.port}"
        self.say = options.say
        self.people: list[Person] = []
        self._requests: dict[str, list[traffic.Request]] = {}
        self._files: dict[str, Path] = {}

    # -- preparing ---------------------------------------------------------------------

    def snapshot(self, name: str, prefill: Callable[[Path], None] | None = None) -> Path:
        """A migrated database with the benchmark's people mid-dialog (made once per run)."""
        path = self.dir / f"{name}.db"
        for old in self.dir.glob(f"{name}.db*"):
            old.unlink()
        if prefill is not None:
            prefill(path)
        else:
            upgrade(f"sqlite:///{path}")
        self.people = enrol(Settings(database_url=f"sqlite:///{path}"), self.o.participants)
        _checkpoint(path)
        return path

    def requests(self, channel: str, at_least: int = 0) -> list[traffic.Request]:
        """The stream for every participant, signed, once per channel (longer when a
        server turned out faster than --max-rate); every run that starts from a
        snapshot sends it from the start."""
        have = self._requests.get(channel, [])
        budget = max(int(self.o.max_rate * (self.o.seconds + 1)), at_least) + self.warm_count
        if len(have) < budget:
            sends = stream(len(self.people), budget)
            build = traffic.sms if channel == "sms" else traffic.telegram
            self._requests[channel] = build(sends, self.people, self.secrets, self.host)
            self._files.pop(channel, None)
        return self._requests[channel]

    @property
    def warm_count(self) -> int:
        return max(2 * self.o.participants, 200)

    def write(self, name: str, requests: Sequence[traffic.Request]) -> Path:
        path = self.dir / f"{name}.req"
        traffic.write_for_wrk(requests, path)
        return path

    # -- servers -------------------------------------------------------------------------

    def touchpoint(self, database: Path) -> Server:
        env = {
            "TOUCHPOINT_DATABASE_URL": f"sqlite:///{database}",
            "TOUCHPOINT_PUBLIC_URL": self.secrets.public_url,
            "TWILIO_ACCOUNT_SID": traffic.ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": self.secrets.twilio_auth_token,
            "TELEGRAM_WEBHOOK_SECRET": self.secrets.telegram_secret,
            "TOUCHPOINT_METRICS_TOKEN": METRICS_TOKEN,
            "PTB_TIMEDELTA": "true",
        }
        args = python_module(
            "bot", "serve", "--host", HOST, "--port", str(self.port),
            "--workers", str(self.o.workers),
        )  # fmt: skip
        # No bot token: Telegram replies stay in the outbox for `touchpoint worker`.
        unset = ("TELEGRAM_BOT_TOKEN", "TWILIO_FROM_NUMBER", "TWILIO_API_BASE_URL")
        return Server(
            "touchpoint serve", args, port=self.port, env=env, unset=unset, cwd=self.dir,
            log=self.dir / "touchpoint.log",
        )  # fmt: skip

    def floor(self) -> Server:
        database = self.dir / "floor.db"
        for old in self.dir.glob("floor.db*"):
            old.unlink()
        args = python_module("bench.floor", str(database), "--host", HOST, "--port", str(self.port))
        return Server("floor", args, port=self.port, log=self.dir / "floor.log")

    def working_copy(self, snapshot: Path) -> Path:
        copy = self.dir / "work.db"
        for old in self.dir.glob("work.db*"):
            old.unlink()
        shutil.copyfile(snapshot, copy)
        return copy

    # -- runs ----------------------------------------------------------------------------

    def flat(
        self,
        server: Server,
        warm: Sequence[traffic.Request],
        main: tuple[str, Sequence[traffic.Request]],
        database: Path | None = None,
    ) -> Flat:
        with server:
            startup_peak = server.peak_rss_mb()
            reset = server.reset_peak()
            if run_burst(HOST, self.port, warm):
                raise RuntimeError(f"{server.name}: warm-up requests failed; see {server.log}")
            first_id = _max_message_id(database) if database else 0
            cpu_before = _cpu_seconds(server.pids())
            result = self.drive(server.url, *main)
            cpu = _cpu_seconds(server.pids()) - cpu_before
            serving = server.peak_rss_mb() if reset else 0.0
            rss = max(startup_peak, serving) if reset else server.peak_rss_mb()
        flat = Flat(
            rate=result.rate,
            p50_ms=result.p50_ms,
            p95_ms=result.p95_ms,
            p99_ms=result.p99_ms,
            requests=result.requests,
            peak_rss_mb=rss,
            serving_rss_mb=serving,
            cpu_ms_per_msg=cpu * 1000 / max(1, result.requests),
        )
        if database is not None:
            flat.checked = _check(database, first_id)
            if flat.checked["fallback_replies"]:
                raise RuntimeError(f"{flat.checked} fallback replies: see {server.log}")
            if flat.checked["inbound"] < result.requests:
                raise RuntimeError(f"fewer messages stored than answered: {flat.checked}")
        return flat

    def drive(self, url: str, name: str, requests: Sequence[traffic.Request]) -> WrkResult:
        """Flat out at the configured concurrency, with wrk (or the Python client)."""
        if self.o.driver == "wrk":
            path = self._files.get(name)
            if path is None:
                path = self._files[name] = self.write(name, requests)
            return run_wrk(url, path, connections=self.o.connections, seconds=self.o.seconds)
        closed = run_closed(
            HOST, self.port, requests, connections=self.o.connections, seconds=self.o.seconds
        )
        if closed.failures:
            raise RuntimeError(f"{closed.failures} requests failed")
        return WrkResult(
            requests=closed.requests,
            seconds=closed.seconds,
            errors={},
            p50_ms=percentile(closed.latencies_ms, 50),
            p95_ms=percentile(closed.latencies_ms, 95),
            p99_ms=percentile(closed.latencies_ms, 99),
            max_ms=max(closed.latencies_ms, default=0.0),
        )

    def half_load(
        self, snapshot: Path, requests: Sequence[traffic.Request], capacity: float, channel: str
    ) -> HalfLoad:
        rate = capacity / 2
        warm = requests[: self.warm_count]
        count = max(1, int(rate * self.o.seconds))
        background = requests[self.warm_count : self.warm_count + count]
        probe_count = max(1, int(self.o.probe_rate * self.o.seconds))
        probes_sends = crisis_only(len(self.people), probe_count, offset=7)
        build = traffic.sms if channel == "sms" else traffic.telegram
        probes = build(probes_sends, self.people, self.secrets, self.host, first=10_000_000)
        schedule = mixed_schedule(background, rate, probes, self.o.probe_rate)
        with self.touchpoint(self.working_copy(snapshot)) as server:
            run_burst(HOST, self.port, warm)
            before = _histogram(server.url, channel, ALL_REPLIES)
            crisis_before = _histogram(server.url, channel, CRISIS_REPLIES)
            paced = run_paced(HOST, self.port, schedule, connections=self.o.connections)
            after = _histogram(server.url, channel, ALL_REPLIES)
            crisis_after = _histogram(server.url, channel, CRISIS_REPLIES)
            rss = server.peak_rss_mb()
        crisis = _observed(crisis_before, crisis_after)
        return HalfLoad(
            background_rate=rate,
            achieved_rate=paced.rate,
            crisis_count=len(paced.crisis_ms),
            crisis_p50_ms=percentile(paced.crisis_ms, 50),
            crisis_p99_ms=percentile(paced.crisis_ms, 99),
            crisis_max_ms=max(paced.crisis_ms, default=float("nan")),
            other_p99_ms=percentile(paced.other_ms, 99),
            client_lag_p99_ms=percentile(paced.late_ms, 99),
            server_within_25ms=_within(_observed(before, after), 0.025),
            server_crisis_p99_ms=_quantile_bound(crisis, 0.99),
            server_crisis_within_25ms=_within(crisis, 0.025),
            peak_rss_mb=rss,
            failures=paced.failures,
        )

    def channel(self, channel: str, snapshot: Path, report: Report) -> Flat:
        requests = self.requests(channel)
        self.say(f"[{channel}] the floor, flat out ({self.o.connections} connections)...")
        while True:
            warm, main = requests[: self.warm_count], (channel, requests[self.warm_count :])
            try:
                floor = self.flat(self.floor(), warm, main)
                break
            except OutOfRequests as exc:  # faster than --max-rate: more, and again
                self.say(f"  (the floor took all {exc.sent:,} requests: preparing more)")
                requests = self.requests(channel, at_least=2 * exc.sent)
        self.say(f"  floor: {floor.rate:,.0f} msgs/s, p99 {floor.p99_ms:.1f} ms")
        self.say(f"[{channel}] Touchpoint, flat out...")
        database = self.working_copy(snapshot)
        tp = self.flat(self.touchpoint(database), warm, main, database)
        self.say(
            f"  touchpoint: {tp.rate:,.0f} msgs/s, p99 {tp.p99_ms:.1f} ms, "
            f"{tp.cpu_ms_per_msg:.2f} ms CPU/msg, peak RSS {tp.peak_rss_mb:.0f} MiB"
        )
        self.say(f"[{channel}] CRISIS at half load ({tp.rate / 2:,.0f} msgs/s)...")
        half = self.half_load(snapshot, requests, tp.rate, channel)
        self.say(
            f"  CRISIS p50 {half.crisis_p50_ms:.1f} ms, p99 {half.crisis_p99_ms:.1f} ms "
            f"({half.crisis_count} replies)"
        )
        report.results[channel] = {
            "floor": asdict(floor),
            "touchpoint": asdict(tp),
            "ratio": tp.rate / floor.rate,
            "half_load": asdict(half),
        }
        return tp

    def scale(self, empty_snapshot: Path, report: Report) -> None:
        # Kept between runs, for as long as the schema is the same.
        head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
        key = f"full-{self.o.scale_participants}-{self.o.scale_messages}-{head}"
        base = self.dir / f"{key}.base.db"
        if not base.exists():
            self.say(
                f"[scale] populating {self.o.scale_participants:,} participants and "
                f"{self.o.scale_messages:,} messages (kept in {base} for next time)..."
            )
            started = time.perf_counter()
            partial = self.dir / f"{key}.partial.db"
            for old in self.dir.glob(f"{key}.partial.db*"):
                old.unlink()
            populate(
                partial,
                self.o.scale_participants,
                self.o.scale_messages,
                say=lambda line: self.say("  " + line.strip()),
            )
            partial.rename(base)
            report.results["populate_seconds"] = time.perf_counter() - started

        def prefill(path: Path) -> None:
            shutil.copyfile(base, path)

        self.say("[scale] the benchmark's people on the full database...")
        full_snapshot = self.snapshot("full", prefill)
        requests = self.requests("sms")
        warm, main = requests[: self.warm_count], ("sms", requests[self.warm_count :])
        # Empty and full take turns, so that a change in the machine's other load
        # falls on both alike; the ratio is of the totals.
        runs: dict[str, list[Flat]] = {"empty": [], "full": []}
        for _ in range(self.o.scale_rounds):
            for name, snapshot in (("empty", empty_snapshot), ("full", full_snapshot)):
                self.say(f"[scale] Touchpoint on the {name} database, flat out...")
                database = self.working_copy(snapshot)
                run = self.flat(self.touchpoint(database), warm, main, database)
                runs[name].append(run)
                self.say(f"  {name}: {run.rate:,.0f} msgs/s, p99 {run.p99_ms:.1f} ms")
        rates = {name: sum(r.rate for r in rs) / len(rs) for name, rs in runs.items()}
        report.results["scale"] = {
            "participants": self.o.scale_participants,
            "messages": self.o.scale_messages,
            "database_mib": base.stat().st_size / 2**20,
            "empty": asdict(runs["empty"][-1]) | {"rate": rates["empty"]},
            "full": asdict(runs["full"][-1]) | {"rate": rates["full"]},
            "rounds": [
                {"empty": e.rate, "full": f.rate}
                for e, f in zip(runs["empty"], runs["full"], strict=True)
            ],
            "ratio": rates["full"] / rates["empty"],
        }

    def ceiling(self, report: Report) -> None:
        requests = self.requests("sms")
        path = self.write("ceiling", requests)
        self.say(f"[{self.o.driver}] its own ceiling, against a server that answers at once...")
        sink = Server(
            "sink", python_module("bench.sink", "--host", HOST, "--port", str(self.port)),
            port=self.port, log=self.dir / "sink.log", health=None,
        )  # fmt: skip
        with sink:
            if self.o.driver == "wrk":
                rate = run_wrk(
                    sink.url,
                    path,
                    connections=self.o.connections,
                    seconds=min(5, self.o.seconds),
                    allow_repeats=True,  # the sink stores nothing: a repeat costs it the same
                ).rate
            else:
                closed = run_closed(
                    HOST, self.port, requests, connections=self.o.connections, seconds=2
                )
                rate = closed.requests / closed.seconds
        report.wrk_ceiling = rate
        self.say(f"  {self.o.driver}: {rate:,.0f} requests/s")


def run(options: Options) -> Report:
    bench = Bench(options)
    report = Report(machine=machine(), options=_jsonable(asdict(options)))
    say = options.say
    say(_describe(report.machine))
    say(f"[prepare] {options.participants} participants, mid-dialog...")
    empty = bench.snapshot("empty")
    bench.ceiling(report)
    for channel in ("sms", "telegram"):
        if channel in options.only:
            bench.channel(channel, empty, report)
    if "scale" in options.only and not options.skip_scale:
        bench.scale(empty, report)
    report.machine["load_after"] = os.getloadavg()
    return report


# -- what we report --------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        memory = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_mib": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "load_before": os.getloadavg(),
    }


def _describe(m: dict[str, Any]) -> str:
    load = ", ".join(f"{x:.2f}" for x in m["load_before"])
    text = (
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_mib']:,} MiB; Python "
        f"{m['python']}, SQLite {m['sqlite']}; load average {load}"
    )
    if m["load_before"][0] > 0.5:
        text += "\n  (other work is running: the figures will be lower and noisier)"
    return text


def render(report: Report) -> str:
    lines = ["", "=" * 78, "Touchpoint benchmark", "=" * 78, _describe(report.machine)]
    o = report.options
    lines.append(
        f"{o['connections']} connections, {o['seconds']:.0f} s a run, {o['participants']} "
        f"participants mid-dialog, {o['workers']} serve worker(s)"
    )
    lines.append(
        f"load generator ({o['driver']}) ceiling: {report.wrk_ceiling:,.0f} requests/s, "
        "against a server that answers at once"
    )
    for channel in ("sms", "telegram"):
        r = report.results.get(channel)
        if r is None:
            continue
        floor, tp, half = r["floor"], r["touchpoint"], r["half_load"]
        lines += [
            "",
            f"{channel.upper()}                      floor      touchpoint",
            f"  msgs/s               {floor['rate']:9,.0f}  {tp['rate']:12,.0f}"
            f"   ratio {r['ratio']:.2f}  {_mark(r['ratio'] >= TARGETS['ratio'])} >= 0.5",
            f"  p50 / p95 / p99 ms   {floor['p50_ms']:4.1f} / {floor['p95_ms']:4.1f} / "
            f"{floor['p99_ms']:4.1f}  {tp['p50_ms']:5.1f} / {tp['p95_ms']:5.1f} / "
            f"{tp['p99_ms']:5.1f}   (flat out: mostly queueing)",
            f"  server CPU per msg   {floor['cpu_ms_per_msg']:6.2f} ms  "
            f"{tp['cpu_ms_per_msg']:9.2f} ms",
            f"  peak RSS             {floor['peak_rss_mb']:6.0f} MiB {tp['peak_rss_mb']:8.0f} MiB"
            f"   {_mark(tp['peak_rss_mb'] < TARGETS['rss_mb'])} < 150 MiB",
            f"    of which serving (after start-up): {floor['serving_rss_mb']:3.0f} MiB "
            f"{tp['serving_rss_mb']:8.0f} MiB",
        ]
        lines += _crisis_lines(half)
        lines.append(
            f"    other traffic p99 {half['other_p99_ms']:.1f} ms; client lag p99 "
            f"{half['client_lag_p99_ms']:.1f} ms; failures {half['failures']}"
        )
        if half["client_lag_p99_ms"] > MAX_CLIENT_LAG_MS:
            lines.append(
                "    (the client could not keep to its own schedule: the machine was too busy "
                "for these latencies to mean much)"
            )
    scale = report.results.get("scale")
    if scale:
        lines += [
            "",
            f"SCALE ({scale['participants']:,} participants, {scale['messages']:,} messages, "
            f"{scale['database_mib']:,.0f} MiB)",
            f"  empty {scale['empty']['rate']:,.0f} msgs/s, full {scale['full']['rate']:,.0f} "
            f"msgs/s: ratio {scale['ratio']:.2f}  {_mark(scale['ratio'] >= 0.9)} >= 0.9",
            "  rounds (empty/full msgs/s): "
            + ", ".join(f"{r['empty']:,.0f}/{r['full']:,.0f}" for r in scale["rounds"]),
            f"  p99 empty {scale['empty']['p99_ms']:.1f} ms, full {scale['full']['p99_ms']:.1f} ms",
        ]
    return "\n".join(lines)


def _mark(ok: bool) -> str:
    return "[met]" if ok else "[NOT met]"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items() if not callable(v)}
    if isinstance(value, Path):
        return str(value)
    return value


# -- helpers -----------------------------------------------------------------------------


def _checkpoint(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def _max_message_id(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT coalesce(max(id), 0) FROM message").fetchone()[0])
    finally:
        conn.close()


def _check(path: Path, after_id: int) -> dict[str, int]:
    """What the run left in the database: every message stored, no fallback replies."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT direction, count(*), sum(body LIKE ? || '%') FROM message WHERE id > ? "
            "GROUP BY direction",
            (FALLBACK_PREFIX, after_id),
        ).fetchall()
        alerts = conn.execute("SELECT count(*) FROM alert").fetchone()[0]
    finally:
        conn.close()
    found = {direction: (count, fallbacks or 0) for direction, count, fallbacks in rows}
    return {
        "inbound": found.get("in", (0, 0))[0],
        "replies": found.get("out", (0, 0))[0],
        "fallback_replies": found.get("out", (0, 0))[1],
        "alerts": int(alerts),
    }


def _cpu_seconds(pids: Sequence[int]) -> float:
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _crisis_lines(half: dict[str, Any]) -> list[str]:
    """The CRISIS figures: judged on the server's own measurement when it has one (the
    issue's target is server-side), else on the client's, which is an upper bound."""
    server_p99 = half.get("server_crisis_p99_ms")
    judged = server_p99 if server_p99 is not None else half["crisis_p99_ms"]
    lines = [
        f"  CRISIS at half load ({half['background_rate']:,.0f} msgs/s other traffic):  "
        f"{_mark(judged < TARGETS['crisis_p99_ms'])} p99 < 25 ms"
    ]
    if server_p99 is not None:
        lines.append(
            f"    server-side (touchpoint_crisis_reply_latency_seconds): p99 <= {server_p99:g} ms"
            f", {half['server_crisis_within_25ms'] * 100:.1f}% within 25 ms"
        )
    lines.append(
        f"    at the client, over loopback (an upper bound): p50 {half['crisis_p50_ms']:.1f} ms, "
        f"p99 {half['crisis_p99_ms']:.1f} ms, max {half['crisis_max_ms']:.1f} ms "
        f"over {half['crisis_count']} replies"
    )
    if half["server_within_25ms"] is not None:
        lines.append(
            f"    all replies, server-side (touchpoint_reply_latency_seconds): "
            f"{half['server_within_25ms'] * 100:.1f}% within 25 ms"
        )
    return lines


def _histogram(url: str, channel: str, metric: str) -> dict[float, float] | None:
    """Cumulative bucket counts of the histogram `metric` for `channel`."""
    try:
        scrape = urllib.request.Request(  # noqa: S310 - our own server
            url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
        )
        with urllib.request.urlopen(scrape, timeout=5) as response:  # noqa: S310
            text = response.read().decode()
    except OSError:
        return None
    buckets: dict[float, float] = {}
    prefix = f"{metric}_bucket{{"
    for line in text.splitlines():
        if not line.startswith(prefix) or f'channel="{channel}"' not in line:
            continue
        labels, value = line[len(prefix) :].split("} ")
        le = labels.split('le="', 1)[1].split('"', 1)[0]
        buckets[float(le)] = float(value)
    return buckets or None


def _observed(
    before: dict[float, float] | None, after: dict[float, float] | None
) -> dict[float, float] | None:
    """Cumulative bucket counts of what was observed between two readings (None if
    nothing was)."""
    if not before or not after:
        return None
    counts = {bound: count - before.get(bound, 0) for bound, count in after.items()}
    return counts if counts.get(float("inf"), 0) > 0 else None


def _quantile_bound(observed: dict[float, float] | None, q: float) -> float | None:
    """The smallest bucket bound (ms) under which a share `q` of the observations fell."""
    if observed is None:
        return None
    total = observed[float("inf")]
    return next(bound * 1000 for bound in sorted(observed) if observed[bound] >= q * total)


def _within(observed: dict[float, float] | None, limit: float) -> float | None:
    if observed is None or limit not in observed:
        return None
    return observed[limit] / observed[float("inf")]


# -- the command -------------------------------------------------------------------------


def options_from(argv: Sequence[str] | None) -> tuple[Options, Path | None, bool]:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small and short: a smoke run")
    parser.add_argument("--seconds", type=float, help="length of each run (default 20; quick 3)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--participants", type=int, help="people mid-dialog (default 1000; quick 100)"
    )
    parser.add_argument(
        "--max-rate", type=float, default=4000,
        help="requests prepared per second of a run (more than any server here reaches)",
    )  # fmt: skip
    parser.add_argument("--probe-rate", type=float, default=20, help="extra CRISIS per second")
    parser.add_argument("--scale-participants", type=int, help="default 100,000; quick 2,000")
    parser.add_argument("--scale-messages", type=int, help="default 5,000,000; quick 50,000")
    parser.add_argument("--scale-rounds", type=int, help="empty/full pairs (default 2; quick 1)")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument(
        "--only", action="append", choices=PARTS,
        help="run only this part (repeatable); default: all of them",
    )  # fmt: skip
    parser.add_argument("--workers", type=int, default=1, help="touchpoint serve --workers")
    parser.add_argument(
        "--data-dir", type=Path,
        default=Path(tempfile.gettempdir()) / "touchpoint-bench",
        help="databases and request files (the populated database is kept here)",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--driver", choices=["wrk", "python"],
        help="load generator (default: wrk if installed, else the Python client)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    quick = args.quick
    driver = args.driver or ("wrk" if _has_wrk() else "python")
    options = Options(
        seconds=args.seconds or (3 if quick else 20),
        connections=args.connections,
        participants=args.participants or (100 if quick else 1000),
        max_rate=args.max_rate,
        probe_rate=args.probe_rate,
        scale_participants=args.scale_participants or (2_000 if quick else 100_000),
        scale_messages=args.scale_messages or (50_000 if quick else 5_000_000),
        scale_rounds=args.scale_rounds or (1 if quick else 2),
        skip_scale=args.skip_scale,
        workers=args.workers,
        data_dir=args.data_dir,
        driver=driver,
        only=tuple(args.only or PARTS),
    )
    return options, args.json, quick


def _has_wrk() -> bool:
    try:
        wrk_path()
    except RuntimeError:
        return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    options, json_path, _quick = options_from(argv)
    report = run(options)
    print(render(report))
    out = json_path or options.data_dir / "results.json"
    out.write_text(json.dumps(asdict(report), indent=2, default=str))
    print(f"\nFigures as JSON: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
