"""Real processes for integration tests: gunicorn and the worker, as deployed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from connector.cli.demo import free_port


class Processes:
    """The connector's two processes, started and stopped like an operator would."""

    def __init__(
        self, tmp_path, simulator_url: str, database_url: str, **settings: str
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "CONNECTOR_INSTANCE_PATH": str(tmp_path),
            "CONNECTOR_DATABASE_URL": database_url,
            "CONNECTOR_RETELL_BASE_URL": simulator_url,
            "CONNECTOR_PUBLIC_URL": self.url,
            "CONNECTOR_LOG_LEVEL": "WARNING",
            "CONNECTOR_ALLOW_PRIVATE_TARGETS": "true",
            # A test's own settings win, e.g. one public URL for two replicas.
            **{f"CONNECTOR_{name.upper()}": value for name, value in settings.items()},
        }
        self.log = open(tmp_path / "processes.log", "ab")
        self.web = self.worker = None

    def _spawn(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", *args],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def start_web(self, workers: int = 2) -> None:
        self.web = self._spawn(
            "gunicorn",
            "--config",
            "python:connector.gunicorn_config",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "connector.app:create_app()",
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/readyz", timeout=2).ok:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise AssertionError("gunicorn did not become ready")

    def start_worker(self) -> None:
        self.worker = self._spawn("connector", "worker")

    def kill_worker(self) -> None:
        self.worker.send_signal(signal.SIGKILL)
        self.worker.wait(10)

    def diagnosis(self, simulator) -> str:
        """What to look at when an expected event did not arrive."""
        self.log.flush()
        with open(self.log.name, encoding="utf-8", errors="replace") as log:
            tail = log.read()[-4000:]
        webhooks = requests.get(
            f"{simulator.url}/_simulator/webhooks",
            headers={"Authorization": "Bearer key_test_0000"},
            timeout=5,
        ).text[-3000:]
        return f"simulator webhooks: {webhooks}\nprocess log tail:\n{tail}"

    def stop(self) -> None:
        for process in (self.web, self.worker):
            if process and process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.log.close()


@pytest.fixture
def processes(tmp_path, simulator, database_url):
    running = Processes(tmp_path, simulator.url, database_url)
    running.start_web()
    yield running
    running.stop()
