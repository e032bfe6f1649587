"""The README's guarantees, on real processes: gunicorn with four workers, the
delivery worker, the simulator, under concurrency and SIGKILL."""

from __future__ import annotations

import collections
import json
import signal
import subprocess
import threading
import time

import pytest
import requests
from werkzeug.wrappers import Request, Response

from connector.retell.signatures import sign
from tests.conftest import (
    API_KEY,
    OTHER_KEY,
    running_simulator,
    separate_simulator,
    serving,
)
from tests.integration.conftest import Processes

pytestmark = [pytest.mark.timeout(240), pytest.mark.both_databases]

SLOW = "+14155550176"  # the simulator's create takes 3 s / speed
CREATE = "/v1/actions/create-phone-call"
#: Webhooks sent through the SIGKILL test.
EVENTS = 60


@pytest.fixture
def simulator():
    """At speed 4 a slow create takes 750 ms, as in field case B20."""
    with running_simulator(speed=4.0) as running:
        yield running


@pytest.fixture
def four_workers(tmp_path, simulator, database_url):
    running = Processes(tmp_path, simulator.url, database_url, default_cps="5")
    running.start_web(workers=4)
    yield running
    running.stop()


def bearer(key: str = API_KEY) -> dict:
    return {"Authorization": f"Bearer {key}"}


def at_once(count: int, send) -> list:
    """Run ``send(index)`` on ``count`` threads released together."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        barrier.wait()
        results[index] = send(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_racing_retries_with_one_key_place_one_call(four_workers, simulator):
    """B20: 20 trials of two identical requests within milliseconds, one key each:
    exactly one upstream create per key; the loser gets 409 or the replay."""
    url = four_workers.url + CREATE
    for trial in range(20):
        key = f"zap-run-{trial}"
        body = {
            "from_number": "+14155550100",
            "to_number": SLOW,
            "metadata": {"trial": trial},
        }
        responses = at_once(
            2,
            lambda _i, key=key, body=body: requests.post(
                url, json=body, headers={**bearer(), "Idempotency-Key": key}, timeout=30
            ),
        )
        statuses = sorted(response.status_code for response in responses)
        assert statuses in ([201, 201], [201, 409]), statuses
        for response in responses:
            if response.status_code == 409:
                assert response.headers["Retry-After"] == "1"
        ids = {r.json()["call_id"] for r in responses if r.status_code == 201}
        assert len(ids) == 1
    creates = collections.Counter(
        item["body"]["idempotency_key"] for item in simulator.creates()
    )
    assert sorted(creates) == sorted(f"zap-run-{trial}" for trial in range(20))
    assert set(creates.values()) == {1}


def test_fifty_concurrent_creates_with_one_key_place_one_call(four_workers, simulator):
    """Fifty requests with one key across four workers: one call, no 5xx."""
    url = four_workers.url + CREATE
    body = {"from_number": "+14155550100", "to_number": SLOW}
    headers = {**bearer(), "Idempotency-Key": "one-key-fifty-times"}
    responses = at_once(
        50, lambda _i: requests.post(url, json=body, headers=headers, timeout=60)
    )
    statuses = collections.Counter(response.status_code for response in responses)
    assert set(statuses) <= {201, 409}, statuses
    assert len(simulator.creates()) == 1
    assert len({r.json()["call_id"] for r in responses if r.status_code == 201}) == 1


def worst_window(arrivals_ms: list[int], window_ms: int = 1000) -> int:
    """The most arrivals in any window of ``window_ms`` (starting at an arrival)."""
    arrivals = sorted(arrivals_ms)
    return max(
        sum(1 for other in arrivals[index:] if other - start < window_ms)
        for index, start in enumerate(arrivals)
    )


@pytest.fixture
def paced_workers(tmp_path, database_url):
    """Four workers in front of a simulator in its own process, whose recorded
    arrival times are not held up by this test's 24 client threads."""
    with separate_simulator(speed=4.0) as simulator:
        running = Processes(tmp_path, simulator.url, database_url, default_cps="5")
        running.start_web(workers=4)
        try:
            yield running, simulator
        finally:
            running.stop()


def test_pacing_holds_across_workers_and_accounts(paced_workers):
    """B21: two accounts at 2 CPS each, 12 creates each at once through four
    workers: each account's creates reach Retell at most 2 in any second, and
    one account's queue does not slow the other."""
    four_workers, simulator = paced_workers
    for key in (API_KEY, OTHER_KEY):
        response = requests.put(
            f"{four_workers.url}/v1/me/pacing",
            headers=bearer(key),
            timeout=10,
            json={"provider": "twilio", "cps": 2},
        )
        assert response.status_code == 200, response.text

    def send(index):
        key = (API_KEY, OTHER_KEY)[index % 2]
        return requests.post(
            four_workers.url + CREATE,
            headers=bearer(key),
            timeout=60,
            json={
                "from_number": "+14155550100",
                "to_number": "+14155550123",
                "metadata": {"row": index},
            },
        )

    started = time.monotonic()
    responses = at_once(24, send)
    elapsed = time.monotonic() - started
    assert [r.status_code for r in responses].count(201) == 24
    for key in (API_KEY, OTHER_KEY):
        arrivals = [item["at_ms"] for item in simulator.creates(key)]
        assert len(arrivals) == 12
        # Slots are exact; what is measured is when the simulator's handler ran,
        # which on a loaded CI machine lags by up to ~150 ms (seen: one arrival
        # 145 ms late). The 200 ms tolerance is that noise, not slack in the
        # pacing, whose slots are checked exactly in tests/http/test_pacing.
        assert worst_window(arrivals, 1000 - 200) <= 2, sorted(arrivals)
        span = max(arrivals) - min(arrivals)
        assert span >= 11 / 2 * 1000 - 100
    # Both accounts' 12 calls at 2 CPS each take about 5.5 s, not 11.
    assert elapsed < 10


def test_sigkill_of_worker_and_web_loses_no_event(tmp_path, simulator, database_url):
    """Webhooks arrive while the delivery worker and a gunicorn worker are killed
    with SIGKILL and restarted: every acknowledged event reaches the subscriber,
    and repeats are no more than the kills can explain."""
    running = Processes(tmp_path, simulator.url, database_url, delivery_lease="3")
    running.start_web(workers=2)
    seen = collections.Counter()
    lock = threading.Lock()

    def hook(environ, start_response):
        request = Request(environ)
        time.sleep(0.02)  # slow enough that kills land mid-delivery
        with lock:
            seen[
                request.headers["Webhook-Id"]
                + " "
                + json.loads(request.get_data())["id"]
            ] += 1
        return Response(status=204)(environ, start_response)

    try:
        with serving(hook) as hook_url:
            running.start_worker()
            api = requests.Session()
            api.headers.update(bearer())
            me = api.get(f"{running.url}/v1/me", timeout=10).json()
            api.post(
                f"{running.url}/v1/triggers/call_ended/subscriptions",
                json={"target_url": f"{hook_url}/hook"},
                timeout=10,
            )
            accepted = set()
            stop = threading.Event()

            def retell():
                # Retell's side: each webhook is retried until it is acknowledged.
                for index in range(EVENTS):
                    body = json.dumps(
                        {
                            "event": "call_ended",
                            "call": {
                                "call_id": f"call_crash_{index}",
                                "call_status": "ended",
                            },
                        },
                        separators=(",", ":"),
                    ).encode()
                    for _attempt in range(20):
                        try:
                            answer = requests.post(
                                me["webhook_url"],
                                data=body,
                                timeout=5,
                                headers={
                                    "x-retell-signature": sign(
                                        body, API_KEY, int(time.time() * 1000)
                                    )
                                },
                            )
                            if answer.ok:
                                accepted.add(f"call_crash_{index}:call_ended")
                                break
                        except requests.RequestException:
                            pass
                        time.sleep(0.1)
                    time.sleep(0.02)
                stop.set()

            sender = threading.Thread(target=retell)
            sender.start()
            kills = 0
            while not stop.wait(1.0):
                running.kill_worker()
                kills += 1
                children = subprocess.run(
                    ["pgrep", "-P", str(running.web.pid)],
                    capture_output=True,
                    text=True,
                    check=False,
                ).stdout.split()
                if children:
                    subprocess.run(["kill", "-9", children[0]], check=False)
                    kills += 1
                running.start_worker()
            sender.join()
            assert len(accepted) == EVENTS
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with lock:
                    delivered = {entry.split(" ", 1)[1] for entry in seen}
                if delivered >= accepted:
                    break
                time.sleep(0.2)
            assert delivered >= accepted
            with lock:
                repeats = sum(count - 1 for count in seen.values())
                ids_per_event = collections.defaultdict(set)
                for entry in seen:
                    message_id, event_id = entry.split(" ", 1)
                    ids_per_event[event_id].add(message_id)
            # One delivery id per event, however often it was re-sent.
            assert all(len(ids) == 1 for ids in ids_per_event.values())
            # A killed worker can repeat at most what it had in flight (8 threads).
            assert repeats <= kills * 8
    finally:
        running.worker.send_signal(signal.SIGTERM)
        running.stop()


def test_one_accounts_paced_creates_do_not_hold_up_the_others(four_workers, simulator):
    """Creates sleeping for their pacing slot leave threads for everyone else:
    health checks and another account's create answer at once."""
    requests.put(
        f"{four_workers.url}/v1/me/pacing",
        headers=bearer(),
        timeout=10,
        json={"provider": "twilio", "cps": 0.4},
    )

    def waiting(index):
        return requests.post(
            four_workers.url + CREATE,
            headers=bearer(),
            timeout=60,
            json={
                "from_number": "+14155550100",
                "to_number": "+14155550123",
                "metadata": {"row": index},
            },
        )

    threads = [threading.Thread(target=waiting, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    assert requests.get(f"{four_workers.url}/healthz", timeout=10).ok
    other = requests.post(
        four_workers.url + CREATE,
        headers=bearer(OTHER_KEY),
        timeout=10,
        json={"from_number": "+14155550100", "to_number": "+14155550124"},
    )
    elapsed = time.monotonic() - started
    for thread in threads:
        thread.join()
    assert other.status_code == 201
    assert elapsed < 3
