"""Scale-out as deploy/README.md describes it: two gunicorn replicas on their own
ports and instance folders, sharing one PostgreSQL database and one secret key, with
a delivery worker beside each. Pacing, idempotency and webhook dedupe hold across
the replicas, not only across the workers of one."""

from __future__ import annotations

import collections
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from connector.cli.demo import HookReceiver
from connector.simulator.signing import compact_json, signature_header
from tests.conftest import API_KEY, running_simulator
from tests.integration.conftest import Processes
from tests.integration.test_guarantees import (
    CREATE,
    SLOW,
    at_once,
    bearer,
    worst_window,
)

# SQLite is one file on one host, so replicas on several hosts cannot share it; the
# scale-out deployment is PostgreSQL only. The database_url fixture skips, naming
# the server, when PostgreSQL does not answer.
pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]

#: The same on every replica, as deploy/connector.env.example says it must be.
SHARED_SECRET = "replicas-share-this-secret-key"
WEBHOOK = Path(__file__).parents[1] / "fixtures" / "retell" / "webhook.call_ended.json"
#: Distinct calls whose call_ended webhook is sent through the dedupe test.
CALLS = 5


@pytest.fixture
def simulator():
    """At speed 4 a slow create takes 750 ms: long enough for requests to race."""
    with running_simulator(speed=4.0) as running:
        yield running


@pytest.fixture
def replicas(tmp_path, simulator, database_url):
    """Two replicas started at the same moment on an empty schema, so their
    migrations run concurrently too."""
    started = []
    for name in ("replica-a", "replica-b"):
        folder = tmp_path / name
        folder.mkdir()
        started.append(
            Processes(
                folder,
                simulator.url,
                database_url,
                secret_key=SHARED_SECRET,
                default_cps="5",
            )
        )
    try:
        with ThreadPoolExecutor(len(started)) as pool:
            list(pool.map(lambda replica: replica.start_web(workers=2), started))
        yield started
    finally:
        for replica in started:
            replica.stop()


def test_pacing_holds_across_replicas(replicas, simulator):
    """One account at 2 CPS, set through one replica; 12 creates at once, half
    through each: they reach Retell at most 2 in any second, over the whole span."""
    response = requests.put(
        f"{replicas[0].url}/v1/me/pacing",
        headers=bearer(),
        timeout=10,
        json={"provider": "twilio", "cps": 2},
    )
    assert response.status_code == 200, response.text
    other = requests.get(f"{replicas[1].url}/v1/me", headers=bearer(), timeout=10)
    assert other.json()["pacing"]["cps"] == 2

    def send(index):
        return requests.post(
            replicas[index % 2].url + CREATE,
            headers=bearer(),
            timeout=60,
            json={
                "from_number": "+14155550100",
                "to_number": "+14155550123",
                "metadata": {"row": index},
            },
        )

    responses = at_once(12, send)
    assert [r.status_code for r in responses].count(201) == 12
    arrivals = [item["at_ms"] for item in simulator.creates()]
    assert len(arrivals) == 12
    # As in test_guarantees: the simulator's handler runs up to ~150 ms late on a
    # loaded machine, and the 200 ms is that noise, not slack in the slots.
    assert worst_window(arrivals, 1000 - 200) <= 2, sorted(arrivals)
    assert max(arrivals) - min(arrivals) >= 11 / 2 * 1000 - 100


def test_one_idempotency_key_on_both_replicas_places_one_call(replicas, simulator):
    """Eight keys, each sent to both replicas within milliseconds, then 20 requests
    with one key split between them: one upstream create per key, and each replica
    replays the winner's call."""
    for trial in range(8):
        key = f"scale-out-{trial}"
        headers = {**bearer(), "Idempotency-Key": key}
        body = {
            "from_number": "+14155550100",
            "to_number": SLOW,
            "metadata": {"trial": trial},
        }
        raced = at_once(
            2,
            lambda index, body=body, headers=headers: requests.post(
                replicas[index].url + CREATE, json=body, headers=headers, timeout=30
            ),
        )
        statuses = sorted(response.status_code for response in raced)
        assert statuses in ([201, 201], [201, 409]), statuses
        ids = {r.json()["call_id"] for r in raced if r.status_code == 201}
        assert len(ids) == 1
        for replica in replicas:
            replay = requests.post(
                replica.url + CREATE, json=body, headers=headers, timeout=30
            )
            assert replay.status_code == 201, replay.text
            assert replay.headers["Idempotent-Replay"] == "true"
            assert replay.json()["call_id"] in ids

    headers = {**bearer(), "Idempotency-Key": "scale-out-burst"}
    body = {"from_number": "+14155550100", "to_number": SLOW}
    burst = at_once(
        20,
        lambda index: requests.post(
            replicas[index % 2].url + CREATE, json=body, headers=headers, timeout=30
        ),
    )
    assert set(collections.Counter(r.status_code for r in burst)) <= {201, 409}
    assert len({r.json()["call_id"] for r in burst if r.status_code == 201}) == 1

    creates = collections.Counter(
        item["body"]["idempotency_key"] for item in simulator.creates()
    )
    expected = [f"scale-out-{trial}" for trial in range(8)] + ["scale-out-burst"]
    assert sorted(creates) == sorted(expected)
    assert set(creates.values()) == {1}


def signed_webhooks() -> list[tuple[bytes, str]]:
    """A call_ended webhook per call, serialised and signed as Retell does."""
    template = json.loads(WEBHOOK.read_text())
    found = []
    for index in range(CALLS):
        template["call"]["call_id"] = f"call_replicas_{index}"
        body = compact_json(template)
        found.append((body.encode(), signature_header(body, API_KEY)))
    return found


def test_a_webhook_sent_to_both_replicas_is_stored_and_delivered_once(
    replicas, simulator
):
    """Each webhook posted 12 times, concurrently, to both replicas, with a delivery
    worker beside each: one stored event per call and one delivery per subscriber."""
    for replica in replicas:
        replica.start_worker()
    # One secret key on every replica: the key opens the same account on each, so
    # both accept the webhook URL that either of them shows.
    accounts = {
        requests.get(f"{replica.url}/v1/me", headers=bearer(), timeout=10).json()[
            "account_id"
        ]
        for replica in replicas
    }
    assert len(accounts) == 1
    account = accounts.pop()
    with HookReceiver() as first, HookReceiver() as second:
        for replica, hooks in zip(replicas, (first, second), strict=True):
            response = requests.post(
                f"{replica.url}/v1/triggers/call_ended/subscriptions",
                headers=bearer(),
                json={"target_url": f"{hooks.url}/hooks/call_ended"},
                timeout=10,
            )
            assert response.status_code == 201, response.text
            hooks.secrets["call_ended"] = response.json()["secret"]

        webhooks = signed_webhooks()
        path = f"/v1/webhooks/retell/{account}"

        def post(index):
            body, signature = webhooks[index % CALLS]
            replica = replicas[index // CALLS % 2]
            return requests.post(
                replica.url + path,
                data=body,
                headers={"x-retell-signature": signature},
                timeout=10,
            )

        answers = []
        for _round in range(3):
            answers += at_once(CALLS * 4, post)
        assert {answer.status_code for answer in answers} == {200}
        stored = [answer.json()["events"][0] for answer in answers]
        assert [item["deliveries"] for item in stored if item["new"]] == [2] * CALLS

        expected = {f"call_replicas_{index}:call_ended" for index in range(CALLS)}
        deadline = time.monotonic() + 20
        for hooks in (first, second):
            missing = hooks.wait_for(expected, deadline)
            assert missing == set(), replicas[0].diagnosis(simulator)
        # Long enough for a second claim of any row by the other worker (it polls
        # every 200 ms) to have arrived.
        time.sleep(1.5)
        for hooks in (first, second):
            assert hooks.problems == []
            assert sorted(event["id"] for event in hooks.received) == sorted(expected)

    for replica in replicas:
        listed = requests.get(
            f"{replica.url}/v1/triggers/call_ended/events?limit=100",
            headers=bearer(),
            timeout=10,
        ).json()
        assert sorted(event["id"] for event in listed) == sorted(expected)
    me = requests.get(f"{replicas[1].url}/v1/me", headers=bearer(), timeout=10)
    assert me.json()["deliveries"] == {
        "pending": 0,
        "delivered": 2 * CALLS,
        "dead": 0,
        "cancelled": 0,
    }
