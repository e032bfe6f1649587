"""The delivery loop outlives a database outage: it waits and claims again.

On PostgreSQL, where the server can cut the worker's connections as a restart or a
failover would (pg_terminate_backend); the database_url fixture skips, naming the
server, where PostgreSQL does not answer.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from connector.delivery.worker import DeliveryWorker
from connector.store import database
from tests.conftest import serving
from tests.delivery.test_worker import (  # noqa: F401 - account is a fixture
    Subscriber,
    account,
    ended,
    subscribe,
)

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

NAME = "connector-outage-test"


def test_deliveries_go_on_after_the_workers_connections_are_cut(
    app, client, auth, account, database_url  # noqa: F811
):
    hook = Subscriber(204)
    separator = "&" if "?" in database_url else "?"
    engine = database.connect(f"{database_url}{separator}application_name={NAME}")
    services = app.extensions["connector"]
    worker = DeliveryWorker(
        engine, services.keyring, targets=services.targets, poll_interval=0.05
    )
    stop = threading.Event()
    loop = threading.Thread(target=worker.run, args=(stop,))
    with serving(hook) as url:
        subscribe(client, auth, url)
        loop.start()
        try:
            ended(client, account, "call_before_outage")
            deadline = time.monotonic() + 10
            while len(hook.requests) < 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            with services.engine.begin() as conn:
                cut = conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = :name"
                    ),
                    {"name": NAME},
                ).all()
            assert cut, "the worker had no connection to cut"
            time.sleep(0.5)
            ended(client, account, "call_after_outage")
            deadline = time.monotonic() + 20
            while len(hook.requests) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert loop.is_alive()
        finally:
            stop.set()
            loop.join(10)
            engine.dispose()
    assert any(b'"call_after_outage"' in request["body"] for request in hook.requests)
