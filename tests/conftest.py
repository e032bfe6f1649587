"""Shared fixtures: a real simulator and hook receiver on 127.0.0.1, and the app."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from werkzeug.serving import make_server

from connector.app import create_app
from connector.cli.demo import HookReceiver, free_port
from connector.config import Settings
from connector.delivery.targets import TargetPolicy
from connector.simulator import SimulatorConfig, Workspace
from connector.simulator import create_app as create_simulator

API_KEY = "key_test_0000"
OTHER_KEY = "key_test_other_0000"
#: The machine's PostgreSQL (trust auth); each test gets a schema of its own there.
POSTGRES = os.environ.get(
    "CONNECTOR_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def pytest_generate_tests(metafunc):
    """Tests marked ``both_databases`` run once on SQLite and once on PostgreSQL."""
    if (
        metafunc.definition.get_closest_marker("both_databases")
        and "database_url" in metafunc.fixturenames
    ):
        metafunc.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def database_url(request, tmp_path):
    if getattr(request, "param", "sqlite") == "sqlite":
        yield f"sqlite:///{tmp_path / 'connector.db'}"
        return
    schema = "test_" + secrets.token_hex(6)
    admin = create_engine(POSTGRES)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except OperationalError as err:
        admin.dispose()
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES}: {err.orig}")
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@contextmanager
def serving(wsgi_app):
    """Serve a WSGI app on an ephemeral loopback port for the duration."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


class Simulator:
    """The running simulator, with the inspection its admin routes offer."""

    def __init__(self, app, url: str) -> None:
        self.app = app
        self.url = url

    def requests(self, api_key: str = API_KEY, path: str | None = None) -> list:
        found = requests.get(
            f"{self.url}/_simulator/requests",
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=5,
        ).json()
        return [item for item in found if path is None or item["path"] == path]

    def creates(self, api_key: str = API_KEY) -> list:
        return self.requests(api_key, "/v2/create-phone-call")

    def calls(self, api_key: str = API_KEY) -> list:
        """Every call the simulated workspace holds (Retell's own list-calls)."""
        response = requests.post(
            f"{self.url}/v3/list-calls",
            json={"limit": 1000},
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=5,
        )
        response.raise_for_status()
        return response.json()["items"]

    def set_webhook_url(self, url: str, api_key: str = API_KEY) -> None:
        response = requests.put(
            f"{self.url}/_simulator/webhook-url",
            json={"url": url},
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=5,
        )
        response.raise_for_status()


@contextmanager
def running_simulator(speed: float):
    """The simulator with two workspaces (API_KEY's and OTHER_KEY's), served."""
    config = SimulatorConfig(
        workspaces=[Workspace(api_keys=[API_KEY]), Workspace(api_keys=[OTHER_KEY])],
        speed=speed,
    )
    app = create_simulator(config)
    try:
        with serving(app) as url:
            yield Simulator(app, url)
    finally:
        app.simulator.stop()


@pytest.fixture
def simulator():
    with running_simulator(speed=20.0) as running:
        yield running


@contextmanager
def separate_simulator(speed: float):
    """The simulator in a process of its own, as Retell is: the times it records
    are then not delayed by the test process's own threads, which matters where a
    test measures arrival times (pacing)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "connector", "simulator", "--port", str(port)]
        + ["--api-key", API_KEY, "--api-key", OTHER_KEY, "--workspace-per-key"]
        + ["--speed", str(speed)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"{url}/_simulator/requests", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError("the simulator did not start") from None
                time.sleep(0.1)
        yield Simulator(None, url)
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def settings(tmp_path, simulator, database_url):
    return Settings(
        database_url=database_url,
        retell_base_url=simulator.url,
        public_url="http://127.0.0.1:9",
        secret_key="test-secret-key",
        instance_path=str(tmp_path),
        upstream_timeout=5.0,
        # Twilio's maximum; tests of pacing itself set their own.
        default_cps=5.0,
    )


@pytest.fixture
def app(settings):
    app = create_app(settings)
    app.config["TESTING"] = True
    # Retell's 429s are retried with backoff; a hundredth of it keeps tests quick.
    app.extensions["connector"].retell.backoff_base = 0.01
    # Hooks run on loopback here, and no test may look up a real name: every host
    # "resolves" to 127.0.0.1 (the guard itself is tested in test_targets.py).
    app.extensions["connector"].targets = TargetPolicy(
        allow_private=True, resolver=lambda _host, _port: ["127.0.0.1"]
    )
    yield app
    app.extensions["connector"].engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def auth():
    return {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture
def hooks():
    with HookReceiver() as receiver:
        yield receiver
