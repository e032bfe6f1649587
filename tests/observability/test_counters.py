"""The counters a process keeps for /metrics: requests, Retell, pacing, signatures.

Each test reads the counter before and after what it does, since the counters of
one test process add up across tests, as they do across a worker's life.
"""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

FROM, TO = "+14155550100", "+14155550123"


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def value(found: dict, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def test_requests_are_counted_by_route_template_and_status(client, auth):
    """Two lookups of different calls are one series: the route, not the path."""
    route = "/v1/triggers/<key>/events"
    before = value(
        scrape(client),
        "connector_http_requests_total",
        method="GET",
        route=route,
        status="200",
    )
    for trigger in ("call_ended", "call_started"):
        assert (
            client.get(f"/v1/triggers/{trigger}/events", headers=auth).status_code
            == 200
        )
    assert client.get("/v1/triggers/nope/events", headers=auth).status_code == 404
    found = scrape(client)
    assert (
        value(
            found,
            "connector_http_requests_total",
            method="GET",
            route=route,
            status="200",
        )
        == before + 2
    )
    assert value(
        found, "connector_http_requests_total", method="GET", route=route, status="404"
    ) >= 1
    assert value(
        found, "connector_http_request_duration_seconds_count", route=route
    ) >= 3
    assert not any("call_ended" in str(labels) for _, labels in found)


def test_retell_latency_and_pacing_wait_are_observed(client, auth):
    """A create adds one Retell request to its path's histogram and one pacing
    wait; the labels hold the path template, never a number or id."""
    before = scrape(client)
    response = client.post(
        "/v1/actions/create-phone-call",
        json={"from_number": FROM, "to_number": TO},
        headers=auth,
    )
    assert response.status_code == 201, response.get_json()
    after = scrape(client)
    create = {"path": "/v2/create-phone-call", "outcome": "201"}
    name = "connector_retell_request_duration_seconds_count"
    assert value(after, name, **create) == value(before, name, **create) + 1
    waits = "connector_pacing_wait_seconds_count"
    assert value(after, waits) == value(before, waits) + 1
    assert not any(TO in str(labels) or FROM in str(labels) for _, labels in after)


def test_bad_webhook_signatures_are_counted_by_reason(app, client, auth):
    client.get("/v1/me", headers=auth)
    account = next(iter(app.extensions["connector"].known_accounts))
    name = "connector_webhook_signature_failures_total"
    before = scrape(client)
    for signature in (None, "v=1,d=00"):
        headers = {} if signature is None else {"X-Retell-Signature": signature}
        response = client.post(
            f"/v1/webhooks/retell/{account}",
            data=b'{"event": "call_ended", "call": {"call_id": "c1"}}',
            content_type="application/json",
            headers=headers,
        )
        assert response.status_code == 401
    after = scrape(client)
    reasons = {
        labels
        for (metric, labels), count in after.items()
        if metric == name and count > before.get((metric, labels), 0)
    }
    assert len(reasons) == 2, reasons


def test_made_up_methods_share_one_series(client):
    """Anyone may send any method name; each would otherwise be a series kept
    until the worker restarts."""
    for method in ("BREW", "WHEN", "XYZZY"):
        assert client.open("/healthz", method=method).status_code == 405
    found = scrape(client)
    methods = {
        dict(labels).get("method")
        for name, labels in found
        if name == "connector_http_requests_total"
    }
    assert methods.isdisjoint({"BREW", "WHEN", "XYZZY"})
    assert value(
        found,
        "connector_http_requests_total",
        method="other",
        route="(no route)",
        status="405",
    ) >= 3
