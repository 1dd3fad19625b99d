"""Alert metrics for the trust's own monitoring, read from the database at each scrape
(so every process reports the same): how long alerts waited to be acknowledged, and
how many wait now, by age."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from store.db import Database
from store.models import Alert

# Seconds: 5 and 15 minutes, 30 minutes, 1, 2, 4, 8 hours, a day, three days.
ACK_BUCKETS = (300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 86400.0, 259200.0)
# Unacknowledged alerts by age: (label, at least this many seconds old).
AGES = (
    ("under_15m", 0.0),
    ("15m_to_1h", 900.0),
    ("1h_to_4h", 3600.0),
    ("4h_to_24h", 14400.0),
    ("over_24h", 86400.0),
)


class AlertCollector(Collector):
    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        try:
            with self._db.read() as session:
                rows = session.execute(
                    select(Alert.kind, Alert.created_at, Alert.acknowledged_at)
                ).all()
        except SQLAlchemyError:
            return  # /healthz reports the database; a scrape must not fail because of it
        now = self._clock()
        waits: dict[str, list[float]] = {}
        waiting: dict[tuple[str, str], int] = {}
        for kind, created, acknowledged in rows:
            if acknowledged is not None:
                waits.setdefault(kind, []).append((acknowledged - created).total_seconds())
            else:
                age = (now - created).total_seconds()
                band = [label for label, least in AGES if age >= least][-1]
                waiting[(kind, band)] = waiting.get((kind, band), 0) + 1
        histogram = HistogramMetricFamily(
            "touchpoint_alert_acknowledge_seconds",
            "From an alert being raised to someone acknowledging it, by alert kind.",
            labels=["kind"],
        )
        for kind, seconds in sorted(waits.items()):
            buckets = [(str(b), float(sum(1 for s in seconds if s <= b))) for b in ACK_BUCKETS]
            buckets.append(("+Inf", float(len(seconds))))
            histogram.add_metric([kind], buckets, sum_value=sum(seconds))
        yield histogram
        gauge = GaugeMetricFamily(
            "touchpoint_alerts_unacknowledged",
            "Alerts nobody has acknowledged yet, by kind and by how long they have waited.",
            labels=["kind", "age"],
        )
        for (kind, band), count in sorted(waiting.items()):
            gauge.add_metric([kind, band], count)
        yield gauge

    def describe(self) -> Iterator[Metric]:
        return iter(())
