"""Prometheus metrics: the store's figures, and what each process counted.

gunicorn runs several worker processes, each with threads, and the delivery worker is
another process again. Figures that mirror the store (queue depth, dead letters,
events) are read from the database at each scrape, so any process gives the same
answer and a restart loses nothing (Prometheus' advice on exporters that mirror
another system's state, "Writing exporters", Collectors).

What only a request sees (requests by route and status, Retell's latency, pacing
waits, signature failures) is counted in process. Under gunicorn those counters live
in prometheus_client's multiprocess mode: each worker writes its own file in
``PROMETHEUS_MULTIPROC_DIR`` (connector.gunicorn_config sets one up) and a scrape
of any worker adds them all up. Without that directory (the Flask test client, a
single process) they are plain in-memory counters.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from prometheus_client import Counter, Histogram, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy import Engine, func, select

from .store.database import now_ms
from .store.tables import accounts, events, job_rows, outbox, subscriptions

#: The registry of what this process counts. Not prometheus_client's default one,
#: which also holds the collectors of this one process's CPU and memory: those
#: would change with whichever worker answered the scrape.
PROCESS = CollectorRegistry(auto_describe=False)

#: Latency buckets for requests and Retell calls: a create usually takes tens of
#: milliseconds, a paced one up to ten seconds.
SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

REQUESTS = Counter(
    "connector_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
    registry=PROCESS,
)
REQUEST_SECONDS = Histogram(
    "connector_http_request_duration_seconds",
    "Time to answer a request, by route template.",
    ["route"],
    buckets=SECONDS,
    registry=PROCESS,
)
UPSTREAM_SECONDS = Histogram(
    "connector_retell_request_duration_seconds",
    "Time of each request to Retell (each retry counts), by path template and "
    "outcome (status code or error).",
    ["path", "outcome"],
    buckets=SECONDS,
    registry=PROCESS,
)
PACING_WAIT_SECONDS = Histogram(
    "connector_pacing_wait_seconds",
    "Time a create waited for its account's calls-per-second slot.",
    buckets=(0, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10),
    registry=PROCESS,
)
PACING_REFUSALS = Counter(
    "connector_pacing_refusals",
    "Creates answered 429 because the account's slots were booked too far ahead.",
    registry=PROCESS,
)
SIGNATURE_FAILURES = Counter(
    "connector_webhook_signature_failures",
    "Retell webhooks refused because their signature did not verify, by reason.",
    ["reason"],
    registry=PROCESS,
)


def observe_upstream(path: str, outcome: str, seconds: float) -> None:
    """Count one request to Retell (the client calls this after every attempt)."""
    UPSTREAM_SECONDS.labels(path, outcome).observe(seconds)


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
    """What a scrape shows: the store's gauges and the counters of every process
    (no process or platform metrics, which differ between processes)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(engine))
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Reads every process's file, the dead workers' included: a counter must
        # not drop when gunicorn replaces a worker.
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Process())
    return registry


class _Process(Collector):
    """This process's counters, for a registry that also holds the store's."""

    def collect(self) -> Iterator[Metric]:
        return PROCESS.collect()
