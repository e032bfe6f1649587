"""Prometheus metrics, computed from the database when they are scraped.

gunicorn runs several worker processes, each with threads, and the delivery worker is
another process again. Counters kept in one process's memory would show whichever
process answered the scrape, so every figure here is read from the store instead:
any process gives the same answer, and a restart loses nothing (Prometheus' advice on
exporters that mirror another system's state, "Writing exporters", Collectors).
Per-process figures (requests by route, upstream latency) would need
prometheus_client's multiprocess mode and are not exported yet.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy import Engine, func, select

from .store.database import now_ms
from .store.tables import accounts, events, job_rows, outbox, subscriptions

#: Every state an outbox row can be in; each is exported, at 0 when it holds none,
#: so that a rate() or an alert on "dead" never sees the series vanish.
DELIVERY_STATES = ("pending", "delivered", "dead", "cancelled")
#: The states a bulk job row moves through (store/jobs.py).
JOB_ROW_STATES = ("pending", "sending", "done", "failed")


class StoreCollector(Collector):
    """Gauges read from the store at each scrape: the same from every process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        now = now_ms()
        with self.engine.connect() as conn:
            by_state = dict(
                conn.execute(
                    select(outbox.c.state, func.count()).group_by(outbox.c.state)
                ).all()
            )
            oldest = conn.execute(
                select(func.min(outbox.c.created_at)).where(outbox.c.state == "pending")
            ).scalar()
            in_flight = conn.execute(
                select(func.count()).where(
                    outbox.c.state == "pending", outbox.c.lease_until > now
                )
            ).scalar_one()
            by_event = conn.execute(
                select(events.c.event, func.count()).group_by(events.c.event)
            ).all()
            by_trigger = conn.execute(
                select(subscriptions.c.trigger, func.count()).group_by(
                    subscriptions.c.trigger
                )
            ).all()
            paused = conn.execute(
                select(func.count()).where(subscriptions.c.paused_until > now)
            ).scalar_one()
            rows_by_state = dict(
                conn.execute(
                    select(job_rows.c.state, func.count()).group_by(job_rows.c.state)
                ).all()
            )
            account_count = conn.execute(
                select(func.count()).select_from(accounts)
            ).scalar_one()

        yield _labelled(
            "connector_deliveries",
            "Outbox rows by state: pending is the queue, dead the dead letters.",
            "state",
            {state: by_state.get(state, 0) for state in DELIVERY_STATES} | by_state,
        )
        yield GaugeMetricFamily(
            "connector_deliveries_in_flight",
            "Pending deliveries a worker holds a lease on right now.",
            value=in_flight,
        )
        yield GaugeMetricFamily(
            "connector_oldest_pending_delivery_age_seconds",
            "Age of the oldest pending delivery; 0 when the queue is empty.",
            value=max(0, now - oldest) / 1000 if oldest is not None else 0,
        )
        yield _labelled(
            "connector_events",
            "Call events stored, by event type.",
            "event",
            dict(by_event),
        )
        yield _labelled(
            "connector_subscriptions",
            "Hook subscriptions, by trigger.",
            "trigger",
            dict(by_trigger),
        )
        yield GaugeMetricFamily(
            "connector_subscriptions_paused",
            "Subscriptions the breaker is holding back after repeated failures.",
            value=paused,
        )
        yield _labelled(
            "connector_bulk_rows",
            "Rows of bulk jobs, by state: pending and sending are still to place.",
            "state",
            {state: rows_by_state.get(state, 0) for state in JOB_ROW_STATES}
            | rows_by_state,
        )
        yield GaugeMetricFamily(
            "connector_accounts",
            "Accounts (Retell API keys) the connector has seen.",
            value=account_count,
        )


def _labelled(
    name: str, documentation: str, label: str, values: dict[str, int]
) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for key, value in sorted(values.items()):
        family.add_metric([key], value)
    return family


def registry_for(engine: Engine) -> CollectorRegistry:
    """A registry holding only the store's gauges (no process or platform metrics,
    which would differ between the processes a scrape may reach)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(engine))
    return registry
