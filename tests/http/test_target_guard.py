"""The SSRF guard at subscribe time and at delivery time, as a user meets it."""

from __future__ import annotations

import pytest

from connector.delivery.targets import TargetPolicy
from connector.delivery.worker import DeliveryWorker
from tests.conftest import serving

SUBSCRIBE = "/v1/triggers/call_ended/subscriptions"

#: Public-looking names that an injected resolver answers; nothing real is looked up.
DNS = {
    "hooks.example.com": ["93.184.216.34"],
    "inside.example.com": ["10.0.0.5"],
    "mixed.example.com": ["93.184.216.34", "192.168.1.9"],
}


@pytest.fixture
def strict(app):
    """Production policy: https only, public addresses only."""
    app.extensions["connector"].targets = TargetPolicy(
        resolver=lambda host, _port: DNS.get(host, [])
    )


@pytest.mark.parametrize(
    ("target_url", "status"),
    [
        ("https://hooks.example.com/hooks/catch/1/abc/", 201),
        ("http://hooks.example.com/hook", 422),
        ("https://inside.example.com/hook", 422),
        ("https://mixed.example.com/hook", 422),
        ("https://127.0.0.1/hook", 422),
        ("https://[::1]/hook", 422),
        ("https://169.254.169.254/latest/meta-data/", 422),
        ("https://metadata.google.internal/computeMetadata/v1/", 422),
        ("https://2130706433/hook", 422),
        ("https://user:pass@hooks.example.com/hook", 422),
        ("https://nowhere.example.com/hook", 422),
        ("http://[::1", 422),
        ("http://[zz]/x", 422),
    ],
    ids=[
        "public-https",
        "plain-http",
        "private",
        "one-private-answer",
        "loopback",
        "ipv6-loopback",
        "metadata-ip",
        "metadata-name",
        "decimal-ip",
        "credentials",
        "unresolvable",
        "broken-ipv6",
        "bad-ipv6",
    ],
)
def test_targets_are_checked_when_subscribing(client, auth, strict, target_url, status):
    """Only https URLs on public addresses can be subscribed; the 422 says why."""
    response = client.post(SUBSCRIBE, json={"target_url": target_url}, headers=auth)
    assert response.status_code == status, response.get_json()
    if status == 422:
        error = response.get_json()["errors"][0]
        assert error["field"] == "target_url" and error["message"]


def test_a_target_that_turns_private_is_not_delivered_to(app, client, auth):
    """A subscription whose host later resolves to a private address gets no
    request at delivery time; the attempt fails with the reason."""
    services = app.extensions["connector"]
    received = []

    def hook(environ, start_response):
        received.append(environ["PATH_INFO"])
        start_response("204 No Content", [])
        return [b""]

    with serving(hook) as url:
        sub = client.post(SUBSCRIBE, json={"target_url": f"{url}/hook"}, headers=auth)
        assert sub.status_code == 201
        from tests.http.test_webhooks import NOW_MS, call, post, signed

        services.clock = lambda: NOW_MS
        account = services.keyring.account_id("key_test_0000")
        post(client, account, *signed({"event": "call_ended", "call": call("c_g")}))
        # Production policy now: the loopback stub is a forbidden destination.
        strict_policy = TargetPolicy(resolver=lambda _h, _p: ["127.0.0.1"])
        DeliveryWorker(
            services.engine, services.keyring, targets=strict_policy
        ).run_once()
    assert received == []
    listed = client.get("/v1/deliveries", headers=auth).get_json()
    assert listed[0]["state"] == "pending"
    assert listed[0]["last_error"].startswith("refused:")
