"""The delivery worker: signed, retried, isolated per subscriber, never lost."""

from __future__ import annotations

import collections
import json
import random
import threading

import pytest
from sqlalchemy import select, update
from werkzeug.wrappers import Request, Response

from connector.delivery import signing
from connector.delivery.worker import MAX_ATTEMPTS, DeliveryWorker, backoff_seconds
from connector.retell.signatures import sign
from connector.store import outbox as outbox_queries
from connector.store.tables import outbox, subscriptions
from tests.conftest import API_KEY, serving

NOW_MS = 1767225660000

pytestmark = pytest.mark.both_databases


class Subscriber:
    """A hook receiver whose answers the test scripts, one status per request."""

    def __init__(self, *statuses: int, headers: dict | None = None) -> None:
        self.statuses = list(statuses)
        self.headers = headers or {}
        self.requests: list[dict] = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        request = Request(environ)
        with self.lock:
            self.requests.append(
                {"headers": dict(request.headers), "body": request.get_data()}
            )
            status = (
                self.statuses.pop(0)
                if len(self.statuses) > 1
                else (self.statuses[0] if self.statuses else 204)
            )
        return Response(status=status, headers=self.headers)(environ, start_response)


@pytest.fixture
def account(app, client, auth):
    app.extensions["connector"].clock = lambda: NOW_MS
    client.get("/v1/triggers/call_ended/events", headers=auth)
    return app.extensions["connector"].keyring.account_id(API_KEY)


def subscribe(client, auth, url: str, trigger: str = "call_ended") -> dict:
    response = client.post(
        f"/v1/triggers/{trigger}/subscriptions", json={"target_url": url}, headers=auth
    )
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


def ended(client, account, call_id: str) -> None:
    body = {"event": "call_ended", "call": {"call_id": call_id, "call_status": "ended"}}
    raw = json.dumps(body, separators=(",", ":")).encode()
    response = client.post(
        f"/v1/webhooks/retell/{account}",
        data=raw,
        content_type="application/json",
        headers={"x-retell-signature": sign(raw, API_KEY, NOW_MS)},
    )
    assert response.status_code == 200, response.get_json()


def worker(app) -> DeliveryWorker:
    services = app.extensions["connector"]
    return DeliveryWorker(services.engine, services.keyring, targets=services.targets)


def make_due(app) -> None:
    """Move every scheduled retry to now, as if its backoff had passed."""
    with app.extensions["connector"].engine.begin() as conn:
        conn.execute(
            update(outbox).where(outbox.c.state == "pending").values(next_attempt_at=0)
        )


def rows(app) -> list:
    with app.extensions["connector"].engine.connect() as conn:
        return conn.execute(select(outbox).order_by(outbox.c.id)).all()


def test_delivery_is_signed_with_standard_webhooks_headers(app, client, auth, account):
    """The subscriber can verify each delivery with its subscription's secret."""
    hook = Subscriber(204)
    with serving(hook) as url:
        sub = subscribe(client, auth, url)
        ended(client, account, "call_a")
        assert worker(app).run_once() == 1
    request = hook.requests[0]
    signing.verify(request["headers"], request["body"], sub["secret"])
    assert request["headers"]["Content-Type"].startswith("application/json")
    assert json.loads(request["body"])["id"] == "call_a:call_ended"


def test_failed_delivery_is_retried_with_the_same_webhook_id(
    app, client, auth, account
):
    """A 500 schedules a retry; the retry carries the same webhook-id."""
    hook = Subscriber(500, 204)
    with serving(hook) as url:
        subscribe(client, auth, url)
        ended(client, account, "call_b")
        worker(app).run_once()
        assert rows(app)[0].state == "pending"
        assert rows(app)[0].next_attempt_at > 0
        assert worker(app).run_once() == 0  # not due yet
        make_due(app)
        worker(app).run_once()
    ids = [request["headers"]["Webhook-Id"] for request in hook.requests]
    assert len(ids) == 2 and ids[0] == ids[1]
    assert rows(app)[0].state == "delivered"


def test_gone_removes_the_subscription_at_once(app, client, auth, account):
    """B12: a 410 removes that subscription with no retry; the other gets both."""
    gone, healthy = Subscriber(410), Subscriber(204)
    with serving(gone) as gone_url, serving(healthy) as healthy_url:
        subscribe(client, auth, gone_url)
        subscribe(client, auth, healthy_url)
        ended(client, account, "call_c1")
        worker(app).run_once()
        ended(client, account, "call_c2")
        make_due(app)
        worker(app).run_once()
    assert len(gone.requests) == 1
    assert len(healthy.requests) == 2
    with app.extensions["connector"].engine.connect() as conn:
        targets = conn.execute(select(subscriptions.c.target_url)).scalars().all()
    assert targets == [healthy_url]


@pytest.mark.parametrize("status", [404, 500, 503], ids=str)
def test_other_errors_keep_the_subscription(app, client, auth, account, status):
    """B12/B14: only 410 unsubscribes; 404 and 5xx are retried later."""
    hook = Subscriber(status)
    with serving(hook) as url:
        subscribe(client, auth, url)
        ended(client, account, "call_d")
        worker(app).run_once()
    assert rows(app)[0].state == "pending"
    assert rows(app)[0].attempts == 1


def test_retry_after_from_the_subscriber_is_honoured(app, client, auth, account):
    """B17: a 429 with Retry-After: 60 waits at least a minute."""
    hook = Subscriber(429, headers={"Retry-After": "60"})
    with serving(hook) as url:
        subscribe(client, auth, url)
        ended(client, account, "call_e")
        worker(app).run_once()
    row = rows(app)[0]
    assert row.next_attempt_at - row.created_at >= 60_000


def test_exhausted_retries_dead_letter_visibly(app, client, auth, account):
    """After the last attempt the delivery is dead and counted, not dropped."""
    hook = Subscriber(500)
    with serving(hook) as url:
        subscribe(client, auth, url)
        ended(client, account, "call_f")
        for _ in range(MAX_ATTEMPTS):
            make_due(app)
            worker(app).run_once()
    assert rows(app)[0].state == "dead"
    assert len(hook.requests) == MAX_ATTEMPTS
    counts = outbox_queries.counts(app.extensions["connector"].engine)
    assert counts["dead"] == 1


def test_a_crashed_worker_lease_expires_and_the_event_is_redelivered(
    app, client, auth, account
):
    """A worker that claimed a row and died leaves it to the next one, same id."""
    hook = Subscriber(204)
    services = app.extensions["connector"]
    with serving(hook) as url:
        subscribe(client, auth, url)
        ended(client, account, "call_g")
        # The first worker claims, then "dies" before sending anything.
        crashed = outbox_queries.claim(
            services.engine, limit=10, lease_ms=60_000, busy={}, per_target=2
        )
        assert len(crashed) == 1
        assert worker(app).run_once() == 0  # still leased
        with services.engine.begin() as conn:
            conn.execute(update(outbox).values(lease_until=0))
        assert worker(app).run_once() == 1
    assert hook.requests[0]["headers"]["Webhook-Id"] == crashed[0].message_id


def test_one_slow_subscriber_holds_only_its_own_slots(app, client, auth, account):
    """B22: a subscriber's in-flight cap leaves the others' deliveries claimable."""
    services = app.extensions["connector"]
    with serving(Subscriber(204)) as slow_url, serving(Subscriber(204)) as fast_url:
        slow = subscribe(client, auth, slow_url)
        subscribe(client, auth, fast_url)
        for index in range(5):
            ended(client, account, f"call_h{index}")
        claimed = outbox_queries.claim(
            services.engine,
            limit=10,
            lease_ms=60_000,
            busy={slow["id"]: 2},
            per_target=2,
        )
    assert claimed and all(d.subscription_id != slow["id"] for d in claimed)


def test_backoff_grows_and_is_jittered():
    """Full jitter: later attempts may wait longer, never less than a second."""
    rng = random.Random(7)
    first = [backoff_seconds(1, rng) for _ in range(200)]
    tenth = [backoff_seconds(10, rng) for _ in range(200)]
    assert min(first) >= 1.0 and max(first) <= 3.0
    assert max(tenth) > 100
    assert len(set(tenth)) > 150


def test_breaker_pauses_a_failing_subscriber_then_probes(app, client, auth, account):
    """B22: after 20 failures in a row only a probe goes out; success resets it."""
    from connector.delivery import worker as worker_module

    hook = Subscriber(503)
    services = app.extensions["connector"]
    with serving(hook) as url:
        sub = subscribe(client, auth, url)
        for index in range(worker_module.BREAKER_FAILURES + 5):
            ended(client, account, f"call_k{index}")
        while len(hook.requests) < worker_module.BREAKER_FAILURES:
            make_due(app)
            worker(app).run_once()
        make_due(app)
        assert worker(app).run_once() == 0  # paused: not even due rows go out
        with services.engine.begin() as conn:
            conn.execute(update(subscriptions).values(paused_until=0))
        hook.statuses = [204]
        assert worker(app).run_once() > 0
    with services.engine.connect() as conn:
        row = conn.execute(
            select(subscriptions).where(subscriptions.c.id == sub["id"])
        ).one()
    assert row.consecutive_failures == 0 and row.paused_until is None


def test_dead_letters_are_listed_and_replayed(app, client, auth, account):
    """A dead letter shows in /v1/deliveries and a replay delivers it, same id."""
    hook = Subscriber(500)
    with serving(hook) as url:
        subscribe(client, auth, url)
        ended(client, account, "call_m")
        for _ in range(MAX_ATTEMPTS):
            make_due(app)
            worker(app).run_once()
        dead = client.get("/v1/deliveries?state=dead", headers=auth).get_json()
        assert [item["event_id"] for item in dead] == ["call_m:call_ended"]
        assert dead[0]["last_status"] == 500
        other = {"Authorization": "Bearer key_test_other_0000"}
        assert (
            client.post(
                f"/v1/deliveries/{dead[0]['id']}/replay", headers=other
            ).status_code
            == 404
        )
        hook.statuses = [204]
        replay = client.post(f"/v1/deliveries/{dead[0]['id']}/replay", headers=auth)
        assert replay.status_code == 202 and replay.get_json() == {"replayed": 1}
        assert worker(app).run_once() == 1
    assert rows(app)[0].state == "delivered"
    ids = {request["headers"]["Webhook-Id"] for request in hook.requests}
    assert ids == {dead[0]["id"]}


def test_replay_all_and_listing_checks(app, client, auth, account):
    """Replaying with nothing dead is a 202 of zero; bad filters are 422."""
    response = client.post("/v1/deliveries/replay", json={}, headers=auth)
    assert response.status_code == 202 and response.get_json() == {"replayed": 0}
    assert client.get("/v1/deliveries?state=lost", headers=auth).status_code == 422
    assert client.get("/v1/deliveries?limit=0", headers=auth).status_code == 422
    assert (
        client.post("/v1/deliveries/msg_nope/replay", headers=auth).status_code == 404
    )


def test_a_long_backlog_does_not_starve_a_newer_subscriber(app, client, auth, account):
    """Fair claims: a subscriber with one new event gets a slot although another
    has a backlog of older ones."""
    services = app.extensions["connector"]
    backlog = subscribe(
        client, auth, "https://a.example.invalid/hook", trigger="call_started"
    )
    fresh = subscribe(client, auth, "https://b.example.invalid/hook")
    for index in range(30):
        body = {
            "event": "call_started",
            "call": {"call_id": f"call_s{index}", "call_status": "ongoing"},
        }
        raw = json.dumps(body, separators=(",", ":")).encode()
        client.post(
            f"/v1/webhooks/retell/{account}",
            data=raw,
            content_type="application/json",
            headers={"x-retell-signature": sign(raw, API_KEY, NOW_MS)},
        )
    ended(client, account, "call_t")
    capped = outbox_queries.claim(
        services.engine, limit=2, lease_ms=60_000, busy={backlog["id"]: 2}, per_target=2
    )
    assert [d.subscription_id for d in capped] == [fresh["id"]]
    with services.engine.begin() as conn:
        conn.execute(update(outbox).values(lease_until=None))
    shared = outbox_queries.claim(
        services.engine, limit=4, lease_ms=60_000, busy={}, per_target=2
    )
    owners = sorted(d.subscription_id for d in shared)
    assert owners == sorted([backlog["id"], backlog["id"], fresh["id"]])


def test_a_full_subscriber_queue_dead_letters_visibly(
    app, client, auth, account, monkeypatch
):
    """B17: past the per-subscriber cap, new events are dead-lettered at once and
    counted, not queued without bound; other subscribers still get them."""
    from connector.store import events as events_module

    monkeypatch.setattr(events_module, "MAX_QUEUED", 3)
    down = subscribe(client, auth, "https://down.example.invalid/hook")
    healthy = subscribe(client, auth, "https://up.example.invalid/hook")
    for index in range(5):
        ended(client, account, f"call_q{index}")
    states = collections.Counter((row.subscription_id, row.state) for row in rows(app))
    assert states[(down["id"], "pending")] == 3
    assert states[(down["id"], "dead")] == 2
    assert states[(healthy["id"], "pending")] == 3
    assert states[(healthy["id"], "dead")] == 2
    me = client.get("/v1/me", headers=auth).get_json()
    assert me["deliveries"]["dead"] == 4


def test_an_empty_error_answer_is_recorded_without_a_dangling_colon(
    app, client, auth, account
):
    """A 500 with no body reads "HTTP 500" in the deliveries and the console."""
    with serving(Subscriber(500)) as url:
        subscribe(client, auth, url)
        ended(client, account, "call_empty_500")
        assert worker(app).run_once() == 1
    (row,) = rows(app)
    assert (row.last_status, row.last_error) == (500, "HTTP 500")
