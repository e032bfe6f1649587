"""Inputs found by attacking the service: each is a 4xx problem, never a 500."""

from __future__ import annotations

import json

import pytest

from connector.retell.signatures import sign
from tests.conftest import API_KEY

CREATE = "/v1/actions/create-phone-call"
BASE = '{"from_number": "+14155550100", "to_number": "+14155550134"'


@pytest.mark.parametrize(
    ("route", "raw"),
    [
        (CREATE, BASE + ', "metadata": {"n": ' + "1" * 5000 + "}}"),
        ("/v1/actions/list-calls", '{"limit": "' + "1" * 5000 + '"}'),
        ("/v1/actions/list-calls", '{"start_after": "' + "1" * 5000 + '"}'),
        (CREATE, BASE + ', "metadata": {"x": ' + "[" * 100_000 + "}"),
        (CREATE, BASE + ', "metadata": ' + '{"a":' * 40 + "1" + "}" * 40 + "}"),
        (CREATE, '{"from_number": "+14155550100", "to_number": "\\ud800"}'),
        (CREATE, BASE + ', "\\ud800": 1}'),
        (CREATE, BASE + ', "metadata": {"x": "\\udfff"}}'),
        (CREATE, BASE + ', "metadata": {"x": NaN}}'),
        (CREATE, BASE + ', "metadata": {"x": Infinity}}'),
        (CREATE, BASE + ', "metadata": "{\\"x\\": NaN}"}'),
        (CREATE, BASE + ', "metadata": "{\\"x\\": ' + "9" * 5000 + '}"}'),
        ("/v1/triggers/call_ended/subscriptions", '{"target_url": "http://[::1"}'),
        ("/v1/triggers/call_ended/subscriptions", '{"target_url": "http://[zz]/x"}'),
        (
            "/v1/triggers/call_ended/subscriptions",
            '{"target_url": "https://x.invalid/\\ud800"}',
        ),
        ("/v1/actions/get-call", '{"call_id": "' + "c" * 100_000 + '"}'),
    ],
    ids=[
        "huge-integer",
        "huge-limit-text",
        "huge-epoch-text",
        "deep-array",
        "deep-object",
        "surrogate-value",
        "surrogate-key",
        "surrogate-metadata",
        "nan",
        "infinity",
        "nan-in-json-text",
        "huge-int-in-json-text",
        "broken-ipv6",
        "bad-ipv6",
        "surrogate-url",
        "huge-call-id",
    ],
)
def test_hostile_bodies_are_4xx(client, auth, simulator, route, raw):
    """Each body gets a 4xx problem document and nothing reaches Retell."""
    response = client.post(
        route, data=raw.encode(), content_type="application/json", headers=auth
    )
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert simulator.creates() == []


@pytest.mark.parametrize(
    "limit", ["²", "1" * 5000, "٣"], ids=["superscript", "huge", "arabic"]
)
def test_odd_limits_on_the_feed_are_422(client, auth, limit):
    """Only ASCII digits are a count."""
    response = client.get(f"/v1/triggers/call_ended/events?limit={limit}", headers=auth)
    assert response.status_code == 422


@pytest.mark.parametrize(
    "raw",
    [
        b'{"event":"call_ended","call":{"call_id":"c1","n":' + b"1" * 5000 + b"}}",
        b'{"event":"call_ended","call":{"call_id":"c2","x":'
        + b"[" * 700
        + b"]" * 700
        + b"}}",
        b'{"event":"call_ended","call":{"call_id":"c3","t":"\\ud800"}}',
        b'{"event":"call_ended","call":{"call_id":"c4","duration_ms":NaN}}',
    ],
    ids=["huge-integer", "deep", "surrogate", "nan"],
)
def test_signed_but_unusable_webhooks_are_400(app, client, auth, raw):
    """A correctly signed body that cannot be stored is a 400, never a 500."""
    client.get("/v1/triggers/call_ended/events", headers=auth)
    account = app.extensions["connector"].keyring.account_id(API_KEY)
    now = app.extensions["connector"].clock()
    response = client.post(
        f"/v1/webhooks/retell/{account}",
        data=raw,
        content_type="application/json",
        headers={"x-retell-signature": sign(raw, API_KEY, now)},
    )
    assert response.status_code == 400, response.get_data(as_text=True)


def test_stored_events_are_standard_json(app, client, auth):
    """What is stored and delivered parses with a strict JSON parser."""
    client.get("/v1/triggers/call_ended/events", headers=auth)
    account = app.extensions["connector"].keyring.account_id(API_KEY)
    raw = b'{"event":"call_ended","call":{"call_id":"c5","duration_ms":1.5e3}}'
    client.post(
        f"/v1/webhooks/retell/{account}",
        data=raw,
        content_type="application/json",
        headers={
            "x-retell-signature": sign(
                raw, API_KEY, app.extensions["connector"].clock()
            )
        },
    )
    stored = client.get("/v1/triggers/call_ended/events", headers=auth)

    def refuse(name):
        raise AssertionError(f"{name} in stored event")

    json.loads(stored.get_data(as_text=True), parse_constant=refuse)
