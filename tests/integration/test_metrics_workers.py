"""/metrics under gunicorn: every worker's counters in every scrape."""

from __future__ import annotations

import requests
from prometheus_client.parser import text_string_to_metric_families

from .conftest import Processes

HEALTH = ("connector_http_requests_total", "GET", "/healthz", "200")


def healthz_count(url: str) -> float:
    # A new connection each time, so gunicorn's workers take turns answering.
    text = requests.get(f"{url}/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if (
                sample.name,
                labels.get("method"),
                labels.get("route"),
                labels.get("status"),
            ) == HEALTH:
                return sample.value
    return 0.0


def test_any_worker_reports_the_requests_of_all(tmp_path, simulator, database_url):
    """Requests answered by two workers are counted once each, and a scrape of
    either worker shows the total; a previous run's counts are not carried in."""
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_999999.db").write_bytes(b"left by an earlier run")
    running = Processes(tmp_path, simulator.url, database_url)
    running.env["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    try:
        running.start_web(workers=2)
        before = healthz_count(running.url)
        for _ in range(40):
            assert requests.get(f"{running.url}/healthz", timeout=10).ok
        counts = {healthz_count(running.url) for _ in range(12)}
        files = {path.name for path in folder.glob("*.db")}
    finally:
        running.stop()
    assert counts == {before + 40}
    assert "counter_999999.db" not in files
    # One file per worker process that counted something: both answered.
    assert len({name.split("_")[-1] for name in files}) >= 2, files
