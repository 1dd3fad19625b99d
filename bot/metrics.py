"""Prometheus metrics, one registry per app (so tests never share counters).

`touchpoint serve --workers N` runs N processes; a scrape reaches one of them. So the
processes keep their counters in files of one folder (prometheus-client's multiprocess
mode, PROMETHEUS_MULTIPROC_DIR), and each scrape adds up all of them."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from store.db import Database
from store.models import Message

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)
# Finer where a CRISIS reply should be (well under 25 ms), so its p99 can be read off.
_CRISIS_BUCKETS = (
    0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0, 15.0
)  # fmt: skip


SHARED_DIR = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def shared_between_processes(processes: int) -> Iterator[None]:
    """For more than one process: a fresh folder for their counters while they run (unless
    the environment names one already). Set before the processes start, so that
    prometheus-client, imported fresh in each, writes its values there."""
    if processes <= 1 or os.environ.get(SHARED_DIR):
        yield
        return
    folder = tempfile.mkdtemp(prefix="touchpoint-metrics-")
    os.environ[SHARED_DIR] = folder
    try:
        yield
    finally:
        del os.environ[SHARED_DIR]
        shutil.rmtree(folder, ignore_errors=True)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._shared = os.environ.get(SHARED_DIR) or None
        self._outbox: _OutboxCollector | None = None
        self.messages_in = Counter(
            "touchpoint_messages_in",
            "Inbound messages handled (duplicates not counted).",
            ["channel"],
            registry=self.registry,
        )
        self.messages_out = Counter(
            "touchpoint_messages_out",
            "Outbound messages handed to a provider (inline as TwiML, or sent from the outbox).",
            ["channel", "route"],
            registry=self.registry,
        )
        self.reply_latency = Histogram(
            "touchpoint_reply_latency_seconds",
            "From a webhook request arriving to its first reply being handed over.",
            ["channel"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.crisis_reply_latency = Histogram(
            "touchpoint_crisis_reply_latency_seconds",
            "The same, for replies to a CRISIS message only: the number to alert on.",
            ["channel"],
            buckets=_CRISIS_BUCKETS,
            registry=self.registry,
        )
        self.safety_alerts = Counter(
            "touchpoint_safety_alerts",
            "Inbound messages that matched the risk screen.",
            ["channel"],
            registry=self.registry,
        )
        self.delivery_failures = Counter(
            "touchpoint_delivery_failures",
            "Outbound messages that failed: retry (will be tried again), permanent, "
            "gave_up (out of attempts), provider (a status callback said so).",
            ["channel", "kind"],
            registry=self.registry,
        )
        self.rejected = Counter(
            "touchpoint_webhook_rejected",
            "Webhook requests refused: signature, secret, malformed, unavailable (database).",
            ["channel", "reason"],
            registry=self.registry,
        )
        self.spooled = Counter(
            "touchpoint_webhook_spooled",
            "Messages kept in the spool while the database was unavailable (replayed later).",
            ["channel"],
            registry=self.registry,
        )
        self.duplicates = Counter(
            "touchpoint_webhook_duplicates",
            "Webhook deliveries of a message already handled.",
            ["channel"],
            registry=self.registry,
        )

    def watch_outbox(self, db: Database) -> None:
        """Also export the outbox as the database sees it (shared by every process)."""
        self._outbox = _OutboxCollector(db)
        self.registry.register(self._outbox)

    def render(self) -> bytes:
        if self._shared is None:
            return generate_latest(self.registry)
        every_process = CollectorRegistry()
        MultiProcessCollector(every_process, path=self._shared)  # type: ignore[no-untyped-call]
        if self._outbox is not None:
            every_process.register(self._outbox)
        return generate_latest(every_process)


class _OutboxCollector(Collector):
    def __init__(self, db: Database) -> None:
        self._db = db

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "touchpoint_outbox_messages",
            "Outbound messages by status, for those the worker still has to act on "
            "(queued, sending) or gave up on (failed).",
            labels=["channel", "status"],
        )
        try:
            with self._db.read() as session:
                rows = session.execute(
                    select(Message.channel, Message.status, func.count())
                    .where(
                        Message.direction == "out",
                        Message.status.in_(("queued", "sending", "failed")),
                    )
                    .group_by(Message.channel, Message.status)
                ).all()
        except SQLAlchemyError:
            return  # /healthz reports the database; a scrape must not fail because of it
        for channel, status, count in rows:
            gauge.add_metric([channel, status], count)
        yield gauge

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(())
