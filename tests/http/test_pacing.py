"""Calls-per-second pacing: settings, spacing and the bounded wait."""

from __future__ import annotations

import dataclasses
import itertools
import threading
import time

import pytest
import requests

from tests.conftest import serving

pytestmark = pytest.mark.both_databases

URL = "/v1/actions/create-phone-call"


def create(client, auth, index: int):
    return client.post(
        URL,
        headers=auth,
        json={
            "from_number": "+14155550100",
            "to_number": "+14155550134",
            "metadata": {"row_id": index},
        },
    )


@pytest.mark.parametrize(
    ("provider", "cps", "status"),
    [
        ("twilio", 5, 200),
        ("twilio", 6, 422),
        ("telnyx", 16, 200),
        ("telnyx", 17, 422),
        ("custom", 1, 200),
        ("custom", 2, 422),
        ("twilio", 0, 422),
        ("plivo", 1, 422),
    ],
    ids=lambda value: str(value),
)
def test_pacing_is_checked_against_the_providers_maximum(
    client, auth, provider, cps, status
):
    """Above Twilio 5, Telnyx 16 or custom concurrency / 20 is a 422 naming it."""
    response = client.put(
        "/v1/me/pacing", json={"provider": provider, "cps": cps}, headers=auth
    )
    assert response.status_code == status, response.get_json()
    if status == 422 and provider in ("twilio", "telnyx") and cps > 1:
        message = response.get_json()["errors"][0]["message"]
        assert str({"twilio": 5, "telnyx": 16}[provider]) in message


def test_me_shows_the_pacing_in_force(client, auth):
    """GET /v1/me reports provider, cps and the maximum."""
    client.put("/v1/me/pacing", json={"provider": "telnyx", "cps": 8}, headers=auth)
    pacing = client.get("/v1/me", headers=auth).get_json()["pacing"]
    assert pacing["provider"] == "telnyx"
    assert pacing["cps"] == 8 and pacing["max_cps"] == 16


def test_creates_are_spaced_by_one_over_cps(client, auth, simulator):
    """Four creates at 2 CPS reach Retell at least 500 ms apart."""
    client.put("/v1/me/pacing", json={"provider": "twilio", "cps": 2}, headers=auth)
    for index in range(4):
        assert create(client, auth, index).status_code == 201
    arrivals = [item["at_ms"] for item in simulator.creates()]
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert len(gaps) == 3 and min(gaps) >= 480, gaps


def test_callers_beyond_the_bounded_wait_get_429(app, auth, simulator):
    """B21: with the schedule booked past the wait, the answer is 429 with an
    integer Retry-After and scope account_cps, and no upstream call."""
    services = app.extensions["connector"]
    # At 1 CPS the slots are 1.015 s apart: the second create waits about 1 s, the
    # third would wait about 2 s, past the bound.
    services.settings = dataclasses.replace(services.settings, pacing_max_wait=1.5)
    responses = []
    with serving(app) as base:
        requests.put(
            f"{base}/v1/me/pacing",
            json={"provider": "twilio", "cps": 1},
            headers=auth,
            timeout=5,
        )

        def send(index):
            responses.append(
                requests.post(
                    f"{base}{URL}",
                    headers=auth,
                    timeout=20,
                    json={
                        "from_number": "+14155550100",
                        "to_number": "+14155550134",
                        "metadata": {"row_id": index},
                    },
                )
            )

        threads = [threading.Thread(target=send, args=(i,)) for i in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    limited = [r for r in responses if r.status_code == 429]
    placed = [r for r in responses if r.status_code == 201]
    assert len(placed) == 2 and len(limited) == 3
    for response in limited:
        assert int(response.headers["Retry-After"]) >= 1
        assert response.json()["scope"] == "account_cps"
    assert len(simulator.creates()) == 2


@pytest.mark.parametrize("cps", [1, 2, 3, 5, 9, 12, 14, 16], ids=str)
def test_slots_never_fit_more_than_cps_into_a_second(cps):
    """The slot interval is 1/CPS plus 1.5 %: 15 ms of slack per second for
    arrival jitter, and within 2 % of the physical limit."""
    from connector.store.pacing import interval_ms

    assert interval_ms(cps) == pytest.approx(1015 / cps)
    assert 1000 + 15 <= interval_ms(cps) * cps <= 1000 + 20


@pytest.mark.parametrize(
    ("cps", "lead"), [(1, 10.0), (16, 10.0), (50, 10.0), (100, 5.0), (1000, 0.5)]
)
def test_a_burst_gives_its_first_second_more_slack(cps, lead):
    """The create after one that found the schedule idle waits 10 ms more (half a
    slot at most): the first of a burst is the one that reaches Retell late."""
    from connector.store.pacing import burst_lead_ms

    assert burst_lead_ms(cps) == pytest.approx(lead)


def test_a_burst_is_spaced_exactly(app):
    """Slots of a burst at 16 CPS: now, then 1/16 s plus 1.5 % apart, the
    second one 10 ms later still; a 64-slot schedule stays within 2 %."""
    from connector.store import pacing

    engine = app.extensions["connector"].engine
    pacing.configure(engine, "acct_burst", "telnyx", 16)
    slots = []
    for _ in range(65):
        wait = pacing.reserve(engine, "acct_burst", max_wait_ms=10_000, default_cps=16)
        # When the slot is, on this clock: the wait counts from the return.
        slots.append(time.monotonic() * 1000 + wait)
    gaps = [b - a for a, b in itertools.pairwise(slots)]
    assert gaps[0] == pytest.approx(62.5 * 1.015 + 10, abs=2)
    assert all(gap == pytest.approx(62.5 * 1.015, abs=2) for gap in gaps[1:])
    assert slots[-1] - slots[0] <= 64 * 62.5 * 1.02
