"""Spec: reserved destinations, idempotency keys and CPS limits on create."""

from __future__ import annotations

import time

import pytest

from connector.simulator import RESERVED_NUMBERS, SimulatorConfig, Workspace, create_app

from .conftest import KEY, SPEED, bearer, create_body


def post_create(sim, **fields):
    return sim.post(
        "/v2/create-phone-call", json=create_body(**fields), headers=bearer()
    )


def calls_in(sim):
    response = sim.post("/v3/list-calls", json={"limit": 1000}, headers=bearer())
    return response.get_json()["items"]


def test_reserved_numbers_are_documented_in_the_module():
    """Every reserved number is listed in the destinations docstring."""
    from connector.simulator import destinations

    for number, behaviour in RESERVED_NUMBERS.items():
        assert number in destinations.__doc__ and behaviour in destinations.__doc__


@pytest.mark.parametrize(
    ("to_number", "statuses"),
    [
        pytest.param("+14155550179", [429, 429, 429], id="always-429"),
        pytest.param("+14155550178", [429, 201, 201], id="429-once"),
        pytest.param("+14155550177", [500, 500], id="always-500"),
    ],
)
def test_reserved_create_answers(sim, to_number, statuses):
    """Reserved destinations answer creates with their fixed status sequence."""
    seen = [post_create(sim, to_number=to_number).status_code for _ in statuses]
    assert seen == statuses
    assert len(calls_in(sim)) == statuses.count(201)


def test_429_once_is_per_metadata(sim):
    """+14155550178 refuses the first attempt of each distinct metadata."""
    first = [
        post_create(sim, to_number="+14155550178", metadata={"row": row}).status_code
        for row in (1, 1, 2, 2)
    ]
    assert first == [429, 201, 429, 201]


def test_slow_create_waits_then_answers(sim):
    """+14155550176 answers 201 after 3 s divided by speed."""
    began = time.monotonic()
    response = post_create(sim, to_number="+14155550176")
    assert response.status_code == 201
    assert time.monotonic() - began >= 3.0 / SPEED


def test_idempotency_key_replays_the_same_call(sim):
    """A repeated idempotency_key returns the first call and places no other."""
    first = post_create(sim, idempotency_key="row-42")
    again = post_create(sim, idempotency_key="row-42")
    other = post_create(sim, idempotency_key="row-43")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json()["call_id"] == first.get_json()["call_id"]
    assert other.get_json()["call_id"] != first.get_json()["call_id"]
    assert len(calls_in(sim)) == 2


def test_idempotency_key_expires_after_an_hour(sim_app, sim):
    """After one hour the same idempotency_key places a new call."""
    first = post_create(sim, idempotency_key="row-42").get_json()["call_id"]
    real = sim_app.simulator.clock
    sim_app.simulator.clock = lambda: real() + 3600
    later = post_create(sim, idempotency_key="row-42").get_json()["call_id"]
    assert later != first


def test_idempotent_retry_after_429_places_one_call(sim):
    """Retrying a refused create with its key succeeds once, then replays."""
    body = {"to_number": "+14155550178", "idempotency_key": "zap-run-7"}
    statuses = [post_create(sim, **body).status_code for _ in range(3)]
    assert statuses == [429, 201, 201]
    assert len(calls_in(sim)) == 1


def test_cps_limit_answers_429_then_recovers():
    """With cps=5, the sixth create inside one second is a 429; later ones pass."""
    app = create_app(
        SimulatorConfig(workspaces=[Workspace(api_keys=[KEY])], speed=SPEED, cps=5)
    )
    client = app.test_client()
    try:
        statuses = [post_create(client).status_code for _ in range(6)]
        assert statuses == [201] * 5 + [429]
        message = post_create(client).get_json()["message"]
        assert "per second" in message
        time.sleep(1.05)
        assert post_create(client).status_code == 201
    finally:
        app.simulator.stop()
