"""Idempotency keys: one call per key, replays, conflicts and races."""

from __future__ import annotations

import threading

import pytest
import requests

from tests.conftest import OTHER_KEY, serving

pytestmark = pytest.mark.both_databases

URL = "/v1/actions/create-phone-call"
BODY = {"from_number": "+14155550100", "to_number": "+14155550134"}
SLOW = "+14155550176"  # the simulator takes 3 s / speed to answer this create


def test_same_key_and_body_replays_the_first_result(client, auth, simulator):
    """The retry gets the original call, marked as a replay, and places none."""
    headers = {**auth, "Idempotency-Key": "sheet-row-42"}
    first = client.post(URL, json=BODY, headers=headers)
    again = client.post(URL, json=BODY, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replay"] == "true"
    assert "Idempotent-Replay" not in first.headers
    assert len(simulator.creates()) == 1


def test_key_in_the_body_works_like_the_header(client, auth, simulator):
    """Mappers that cannot set headers put the key in the body."""
    body = {**BODY, "idempotency_key": "row-7"}
    first = client.post(URL, json=body, headers=auth)
    again = client.post(URL, json=body, headers=auth)
    assert again.get_json()["call_id"] == first.get_json()["call_id"]
    assert len(simulator.creates()) == 1


def test_normalised_numbers_count_as_the_same_body(client, auth, simulator):
    """'+1 415-555-0134' and '+14155550134' are the same request."""
    headers = {**auth, "Idempotency-Key": "k-norm"}
    client.post(URL, json=BODY, headers=headers)
    again = client.post(
        URL, headers=headers, json={**BODY, "to_number": "+1 415-555-0134"}
    )
    assert again.status_code == 201
    assert len(simulator.creates()) == 1


def test_same_key_with_another_body_is_a_conflict(client, auth, simulator):
    """A reused key with different fields is a 422 naming the key, and no call."""
    headers = {**auth, "Idempotency-Key": "k-conflict"}
    client.post(URL, json=BODY, headers=headers)
    other = client.post(
        URL, headers=headers, json={**BODY, "to_number": "+14155550135"}
    )
    assert other.status_code == 422
    assert other.get_json()["code"] == "idempotency_conflict"
    assert other.get_json()["errors"][0]["field"] == "idempotency_key"
    assert len(simulator.creates()) == 1


def test_keys_are_scoped_to_the_account(client, auth, simulator):
    """The same key in another account is another request."""
    client.post(URL, json=BODY, headers={**auth, "Idempotency-Key": "shared"})
    other = client.post(
        URL,
        json=BODY,
        headers={
            "Authorization": f"Bearer {OTHER_KEY}",
            "Idempotency-Key": "shared",
        },
    )
    assert other.status_code == 201
    assert "Idempotent-Replay" not in other.headers


def test_a_failed_attempt_releases_the_key(client, auth, simulator):
    """After an upstream failure the same key runs again (nothing was placed)."""
    headers = {**auth, "Idempotency-Key": "k-fail"}
    body = {**BODY, "to_number": "+14155550177"}  # the simulator answers 500
    assert client.post(URL, json=body, headers=headers).status_code == 502
    assert client.post(URL, json=body, headers=headers).status_code == 502
    assert len(simulator.creates()) >= 2


def test_without_a_key_retell_still_gets_one(client, auth, simulator):
    """The connector sends its own key so its retries cannot place a second call."""
    client.post(URL, json=BODY, headers=auth)
    client.post(URL, json=BODY, headers=auth)
    keys = [create["body"]["idempotency_key"] for create in simulator.creates()]
    assert len(keys) == 2 and keys[0] != keys[1]
    assert all(key.startswith("connector-") for key in keys)


def test_concurrent_requests_with_one_key_place_one_call(app, auth, simulator):
    """B20: two racing requests: one 201, the other 409 with Retry-After or a
    replay; exactly one upstream create."""
    body = {**BODY, "to_number": SLOW}
    headers = {**auth, "Idempotency-Key": "zap-run-77"}
    barrier = threading.Barrier(2)
    responses = []

    def send(url):
        barrier.wait()
        responses.append(requests.post(url, json=body, headers=headers, timeout=20))

    with serving(app) as base:
        threads = [
            threading.Thread(target=send, args=(f"{base}{URL}",)) for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    statuses = sorted(response.status_code for response in responses)
    assert statuses in ([201, 409], [201, 201])
    for response in responses:
        if response.status_code == 409:
            assert response.json()["code"] == "idempotency_in_progress"
            assert response.headers["Retry-After"] == "1"
    assert len(simulator.creates()) == 1


def test_bad_keys_are_422(client, auth):
    """An over-long key is a 422, not a database error."""
    response = client.post(
        URL, json=BODY, headers={**auth, "Idempotency-Key": "k" * 300}
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "idempotency_key"
