"""The whole loop on real processes: gunicorn, the delivery worker, the simulator."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import requests

from tests.conftest import API_KEY

pytestmark = pytest.mark.timeout(180)


def connect(processes, simulator, hooks, triggers) -> requests.Session:
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {API_KEY}"
    me = api.get(f"{processes.url}/v1/me", timeout=10).json()
    simulator.set_webhook_url(me["webhook_url"])
    for trigger in triggers:
        response = api.post(
            f"{processes.url}/v1/triggers/{trigger}/subscriptions",
            json={"target_url": f"{hooks.url}/hooks/{trigger}"},
            timeout=10,
        )
        assert response.status_code == 201, response.text
        hooks.secrets[trigger] = response.json()["secret"]
    return api


def test_a_placed_call_reports_every_event(processes, simulator, hooks):
    """Under gunicorn: a connected call and a busy one bring all their events."""
    processes.start_worker()
    api = connect(
        processes,
        simulator,
        hooks,
        ("call_started", "call_ended", "call_analyzed", "call_failed"),
    )
    good = api.post(
        f"{processes.url}/v1/actions/create-phone-call",
        timeout=20,
        json={"from_number": "+14155550100", "to_number": "+14155550123"},
    ).json()
    busy = api.post(
        f"{processes.url}/v1/actions/create-phone-call",
        timeout=20,
        json={"from_number": "+14155550100", "to_number": "+14155550170"},
    ).json()
    expected = {
        f"{good['call_id']}:call_started",
        f"{good['call_id']}:call_ended",
        f"{good['call_id']}:call_analyzed",
        f"{busy['call_id']}:call_ended",
        f"{busy['call_id']}:call_analyzed",
        f"{busy['call_id']}:call_failed",
    }
    missing = hooks.wait_for(expected, time.monotonic() + 45)
    assert missing == set(), processes.diagnosis(simulator)
    assert hooks.problems == []
    assert sorted(event["id"] for event in hooks.received) == sorted(expected)


def test_events_wait_for_a_worker_killed_mid_run(processes, simulator, hooks):
    """Events accepted while no worker runs (killed with SIGKILL) arrive after a
    restart, once each."""
    processes.start_worker()
    processes.kill_worker()
    api = connect(processes, simulator, hooks, ("call_ended",))
    placed = api.post(
        f"{processes.url}/v1/actions/create-phone-call",
        timeout=20,
        json={"from_number": "+14155550100", "to_number": "+14155550123"},
    ).json()
    event_id = f"{placed['call_id']}:call_ended"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        stored = api.get(
            f"{processes.url}/v1/triggers/call_ended/events", timeout=10
        ).json()
        if stored:
            break
        time.sleep(0.2)
    assert [event["id"] for event in stored] == [event_id]
    assert hooks.received == []
    processes.start_worker()
    assert hooks.wait_for({event_id}, time.monotonic() + 30) == set()
    time.sleep(1)
    assert [event["id"] for event in hooks.received] == [event_id]


def test_web_restart_keeps_subscriptions_and_accounts(processes, simulator, hooks):
    """After gunicorn restarts, Retell's webhooks still verify and deliver."""
    processes.start_worker()
    api = connect(processes, simulator, hooks, ("call_ended",))
    processes.web.terminate()
    processes.web.wait(10)
    processes.start_web()
    placed = api.post(
        f"{processes.url}/v1/actions/create-phone-call",
        timeout=20,
        json={"from_number": "+14155550100", "to_number": "+14155550123"},
    ).json()
    event_id = f"{placed['call_id']}:call_ended"
    assert hooks.wait_for({event_id}, time.monotonic() + 30) == set()


def test_the_readme_demo_passes():
    """README command 1: `connector demo` exits 0 with every event delivered."""
    result = subprocess.run(
        [sys.executable, "-m", "connector", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every signature verified" in result.stdout


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    [
        (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
        (
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n",
            431,
            "headers_too_large",
        ),
        (
            b"GET /healthz HTTP/1.1\r\n"
            + b"".join(b"X-H%d: v\r\n" % n for n in range(120))
            + b"\r\n",
            431,
            "headers_too_large",
        ),
        (b"NOT HTTP AT ALL\r\n\r\n", 400, "bad_request"),
    ],
    ids=["long-url", "huge-header", "too-many-headers", "garbage"],
)
def test_gunicorns_own_errors_are_problem_documents(
    processes, request_bytes, status, code
):
    """Requests gunicorn refuses before Flask still get problem+json, not HTML."""
    import json
    import socket

    with socket.create_connection(("127.0.0.1", processes.port), timeout=5) as sock:
        sock.sendall(request_bytes)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 %d" % status), head
    assert b"application/problem+json" in head
    assert json.loads(body)["code"] == code
