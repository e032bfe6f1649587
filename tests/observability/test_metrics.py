"""GET /metrics: the store's figures, in a format Prometheus reads, from any process."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine

from connector.app import create_app
from connector.config import Settings
from connector.http import metrics as metrics_routes

from . import (
    DELIVERIES,
    EVENTS,
    JOB_ROWS,
    OLDEST_PENDING_S,
    SECRET_KEY,
    SUBSCRIPTIONS,
    seed,
)


def make_app(tmp_path):
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'connector.db'}",
        # Never called: nothing here talks to Retell.
        retell_base_url="http://127.0.0.1:9",
        public_url="http://127.0.0.1:8080",
        secret_key=SECRET_KEY,
        instance_path=str(tmp_path),
    )
    app = create_app(settings)
    # Until app.py registers the blueprint itself.
    if metrics_routes.bp.name not in app.blueprints:
        app.register_blueprint(metrics_routes.bp)
    return app


@pytest.fixture
def apps(tmp_path):
    """Two apps on one database, as two gunicorn workers would be."""
    made = [make_app(tmp_path), make_app(tmp_path)]
    yield made
    for app in made:
        app.extensions["connector"].engine.dispose()


def scrape(app) -> dict[tuple[str, tuple], float]:
    response = app.test_client().get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


#: Names of the counters each process keeps (connector.metrics.PROCESS).
PROCESS_PREFIXES = (
    "connector_http_",
    "connector_retell_",
    "connector_pacing_",
    "connector_webhook_signature_",
)


def count(rows, predicate) -> int:
    return sum(1 for row in rows if predicate(row))


EXPECTED = [
    *[
        (
            "connector_deliveries",
            {"state": state},
            count(DELIVERIES, lambda row, state=state: row[2] == state),
        )
        for state in ("pending", "delivered", "dead", "cancelled")
    ],
    *[("connector_events", {"event": event}, n) for event, n in EVENTS.items()],
    *[
        (
            "connector_subscriptions",
            {"trigger": trigger},
            count(SUBSCRIPTIONS.values(), lambda sub, t=trigger: sub[1] == t),
        )
        for trigger in ("call_ended", "call_started")
    ],
    *[
        ("connector_bulk_rows", {"state": state}, JOB_ROWS.count(state))
        for state in ("pending", "sending", "done", "failed")
    ],
    ("connector_accounts", {}, 2),
    ("connector_subscriptions_paused", {}, 0),
    ("connector_deliveries_in_flight", {}, 0),
]


@pytest.mark.parametrize(
    ("name", "labels", "expected"),
    EXPECTED,
    ids=[
        f"{name}{{{','.join(labels.values())}}}={expected}"
        for name, labels, expected in EXPECTED
    ],
)
def test_gauges_match_the_database(apps, name, labels, expected):
    """Each gauge is the count of the matching rows in the store."""
    seed(apps[0].extensions["connector"].engine)
    found = scrape(apps[0])
    assert found[(name, tuple(sorted(labels.items())))] == expected


def test_oldest_pending_age_is_in_seconds(apps):
    """The age gauge measures the oldest pending delivery, in seconds."""
    seed(apps[0].extensions["connector"].engine)
    age = scrape(apps[0])[("connector_oldest_pending_delivery_age_seconds", ())]
    assert OLDEST_PENDING_S <= age < OLDEST_PENDING_S + 10


def store_figures(found: dict) -> dict:
    """Only the figures read from the store (process counters differ by design)."""
    return {
        key: value
        for key, value in found.items()
        if not key[0].startswith(PROCESS_PREFIXES)
    }


def test_every_process_gives_the_same_answer(apps):
    """Two workers on one database export the same store figures."""
    seed(apps[0].extensions["connector"].engine)
    first, second = store_figures(scrape(apps[0])), store_figures(scrape(apps[1]))
    age = ("connector_oldest_pending_delivery_age_seconds", ())
    assert abs(first.pop(age) - second.pop(age)) < 5
    assert first == second


def test_empty_store_exports_zeros_not_gaps(apps):
    """With nothing stored, every delivery state is there at 0 and the age is 0."""
    found = scrape(apps[0])
    for state in ("pending", "delivered", "dead", "cancelled"):
        assert found[("connector_deliveries", (("state", state),))] == 0
    assert found[("connector_oldest_pending_delivery_age_seconds", ())] == 0
    assert found[("connector_accounts", ())] == 0


def test_answers_in_the_prometheus_text_format_without_a_key(apps):
    """No Authorization is needed, and the content type is text format 0.0.4."""
    response = apps[0].test_client().get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE connector_deliveries gauge" in response.get_data(as_text=True)


def test_unreachable_database_is_a_503(apps, tmp_path):
    """A scrape that cannot read the store fails, so Prometheus sets up to 0."""
    services = apps[0].extensions["connector"]
    services.engine.dispose()
    services.engine = create_engine(f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    response = apps[0].test_client().get("/metrics")
    services.engine.dispose()
    assert response.status_code == 503
    assert response.get_json()["code"] == "not_ready"
