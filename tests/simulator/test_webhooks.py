"""Spec: calls play out on the scaled clock and send signed webhooks in order."""

from __future__ import annotations

import json
import time

import pytest
import requests
from retell import Retell
from retell.lib import verify

from connector.simulator.lifecycle import (
    ANALYSIS_SECONDS,
    RING_SECONDS,
    TALK_SECONDS,
)

from .conftest import KEY, OTHER_KEY, SPEED, WEBHOOK_KEY, bearer, create_body, wait_for

EVENTS = ["call_started", "call_ended", "call_analyzed"]


def create(live, key=KEY, **fields):
    response = requests.post(
        f"{live}/v2/create-phone-call",
        json=create_body(**fields),
        headers=bearer(key),
        timeout=5,
    )
    assert response.status_code == 201, response.text
    return response.json()


def webhook_log(live, key=KEY):
    return requests.get(
        f"{live}/_simulator/webhooks", headers=bearer(key), timeout=5
    ).json()


def test_lifecycle_sends_events_in_order(live, hook):
    """started, ended, analyzed arrive in order with the matching call states."""
    call = create(live, metadata={"row": 7})
    assert call["call_status"] == "registered"
    hits = wait_for(lambda: len(hook.for_call(call["call_id"])) == 3 and hook.hits)
    payloads = [hit.payload for hit in hits]
    assert [p["event"] for p in payloads] == EVENTS
    assert [p["call"]["call_status"] for p in payloads] == ["ongoing", "ended", "ended"]
    started, ended, analysed = (p["call"] for p in payloads)
    assert "transcript" not in started and "end_timestamp" not in started
    assert "call_analysis" not in ended and "mañana" in ended["transcript"]
    assert analysed["call_analysis"]["user_sentiment"] == "Positive"
    assert {hit.path for hit in hits} == {"/retell"}


def test_lifecycle_follows_the_scaled_clock(live, hook):
    """At speed 20 the analysis arrives about (1 + 3 + 1.5) / 20 s after create."""
    began = time.time()
    call = create(live)
    hits = wait_for(lambda: len(hook.for_call(call["call_id"])) == 3 and hook.hits)
    expected = (RING_SECONDS + TALK_SECONDS + ANALYSIS_SECONDS) / SPEED
    assert expected * 0.9 <= hits[-1].at - began < expected + 1.0


def test_signatures_verify_with_the_official_sdk(live, hook):
    """Every webhook verifies with the SDK on the raw body and the webhook key."""
    call = create(live)
    hits = wait_for(lambda: len(hook.for_call(call["call_id"])) == 3 and hook.hits)
    with Retell(api_key=KEY, base_url=live) as client:
        for hit in hits:
            body = hit.raw.decode("utf-8")
            signature = hit.headers["X-Retell-Signature"]
            assert verify(body, WEBHOOK_KEY, signature)
            assert client.verify(body, WEBHOOK_KEY, signature)
            assert not verify(body, KEY, signature), "signed with the badge key only"
            assert hit.headers["Content-Type"] == "application/json"
            compact = json.dumps(
                json.loads(body), separators=(",", ":"), ensure_ascii=False
            )
            assert body == compact
    assert "mañana".encode() in hits[1].raw


@pytest.mark.parametrize(
    ("fields", "present"),
    [
        pytest.param({}, set(), id="not-supplied"),
        pytest.param(
            {"metadata": {"a": "1"}, "retell_llm_dynamic_variables": {"b": "2"}},
            {"metadata", "retell_llm_dynamic_variables"},
            id="supplied",
        ),
    ],
)
def test_unsupplied_fields_are_omitted(live, hook, fields, present):
    """metadata and dynamic variables appear only when the caller sent them."""
    call = create(live, **fields)
    hits = wait_for(lambda: len(hook.for_call(call["call_id"])) == 3 and hook.hits)
    optional = {"metadata", "retell_llm_dynamic_variables"}
    for hit in hits:
        assert optional & hit.payload["call"].keys() == present


@pytest.mark.parametrize(
    ("to_number", "reason"),
    [
        pytest.param("+14155550170", "dial_busy", id="busy"),
        pytest.param("+14155550171", "dial_no_answer", id="no-answer"),
        pytest.param("+14155550172", "dial_failed", id="failed"),
        pytest.param("+14155550173", "invalid_destination", id="invalid"),
    ],
)
def test_dial_failure_skips_call_started(live, hook, to_number, reason):
    """A call that never connects sends call_ended and call_analyzed only."""
    call = create(live, to_number=to_number)
    hits = wait_for(lambda: len(hook.for_call(call["call_id"])) == 2 and hook.hits)
    time.sleep(0.1)
    assert hook.events(call["call_id"]) == ["call_ended", "call_analyzed"]
    ended = hits[0].payload["call"]
    assert ended["call_status"] == "not_connected"
    assert ended["disconnection_reason"] == reason
    assert "transcript" not in ended
    assert hits[1].payload["call"]["call_analysis"]["call_successful"] is False


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        pytest.param([500], [500, 204], id="one-failure"),
        pytest.param([500, 503, 404], [500, 503, 404, 204], id="three-failures"),
        pytest.param([500] * 4, [500] * 4, id="gives-up-after-three-retries"),
    ],
)
def test_failed_delivery_is_retried(live, hook, statuses, expected):
    """A non-2xx answer is retried up to 3 times; later events still follow."""
    hook.statuses = list(statuses)
    call = create(live)
    wait_for(lambda: hook.events(call["call_id"])[-1:] == ["call_analyzed"])
    events = hook.events(call["call_id"])
    assert events == ["call_started"] * len(expected) + ["call_ended", "call_analyzed"]
    attempts = [e for e in webhook_log(live) if e["event"] == "call_started"]
    assert [e["status"] for e in attempts] == expected
    assert [e["attempt"] for e in attempts] == list(range(1, len(expected) + 1))


def test_slow_receiver_counts_as_failure(live, hook):
    """No answer within webhook_timeout (0.5 s here) is retried like a 500."""
    hook.delay = 0.7
    call = create(live)
    wait_for(lambda: len(webhook_log(live)) >= 2, timeout=5)
    hook.delay = 0.0
    first, second = webhook_log(live)[:2]
    assert (first["event"], first["status"], first["error"]) == (
        "call_started",
        None,
        "timeout",
    )
    assert second["event"] == "call_started" and second["call_id"] == call["call_id"]


def test_per_call_webhook_url_replaces_account_url(live, hook):
    """agent_override.agent.webhook_url receives that call's events instead."""
    override = {"agent": {"webhook_url": f"{hook.url}/per-call"}}
    call = create(live, agent_override=override)
    hits = wait_for(lambda: len(hook.for_call(call["call_id"])) == 3 and hook.hits)
    assert {hit.path for hit in hits} == {"/retell/per-call"}


def test_webhook_events_limit_what_is_sent(live, hook):
    """agent_override.agent.webhook_events sends only the listed events."""
    override = {"agent": {"webhook_events": ["call_analyzed"]}}
    call = create(live, agent_override=override)
    wait_for(lambda: hook.events(call["call_id"]))
    time.sleep(0.1)
    assert hook.events(call["call_id"]) == ["call_analyzed"]


def test_dashboard_webhook_url_starts_deliveries(sim_app, live, hook):
    """PUT /_simulator/webhook-url sets the account URL; the first key signs."""
    silent = create(live, key=OTHER_KEY)
    assert sim_app.simulator.wait_idle(5)
    response = requests.put(
        f"{live}/_simulator/webhook-url",
        json={"url": f"{hook.url}/other"},
        headers=bearer(OTHER_KEY),
        timeout=5,
    )
    assert response.json() == {"url": f"{hook.url}/other"}
    call = create(live, key=OTHER_KEY)
    hits = wait_for(lambda: len(hook.for_call(call["call_id"])) == 3 and hook.hits)
    assert not hook.for_call(silent["call_id"])
    for hit in hits:
        assert hit.path == "/retell/other"
        assert verify(hit.raw.decode(), OTHER_KEY, hit.headers["X-Retell-Signature"])


def test_webhook_url_must_be_http(live):
    """The dashboard stand-in rejects a URL that is not http(s)."""
    response = requests.put(
        f"{live}/_simulator/webhook-url",
        json={"url": "file:///etc/passwd"},
        headers=bearer(),
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json()["status"] == "error"


def test_request_log_records_creates(live):
    """GET /_simulator/requests lists each API request with its parsed body."""
    create(live, metadata={"row": 1})
    create(live, metadata={"row": 2})
    log = requests.get(f"{live}/_simulator/requests", headers=bearer(), timeout=5)
    creates = [e for e in log.json() if e["path"] == "/v2/create-phone-call"]
    assert [e["body"]["metadata"] for e in creates] == [{"row": 1}, {"row": 2}]
    assert all(e["method"] == "POST" and e["status"] == 201 for e in creates)
    assert creates[0]["at_ms"] <= creates[1]["at_ms"]
    other = requests.get(
        f"{live}/_simulator/requests", headers=bearer(OTHER_KEY), timeout=5
    )
    assert other.json() == []
