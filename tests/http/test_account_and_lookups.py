"""The connection test, dropdowns, lookups and subscriptions, per account."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import API_KEY, OTHER_KEY

OTHER = {"Authorization": f"Bearer {OTHER_KEY}"}


def test_health_needs_no_key(client):
    """Liveness and readiness answer without auth."""
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ready"}


def test_me_checks_the_key_and_gives_the_webhook_url(client, auth, app):
    """GET /v1/me is the platforms' connection test."""
    body = client.get("/v1/me", headers=auth).get_json()
    account = app.extensions["connector"].keyring.account_id(API_KEY)
    assert body["account_id"] == account
    assert body["webhook_url"] == f"http://127.0.0.1:9/v1/webhooks/retell/{account}"
    assert body["webhook_signing_key"] == "calling key"
    assert "concurrency_limit" in body["concurrency"]
    assert API_KEY not in str(body)


def test_webhook_key_can_be_registered_and_cleared(client, auth):
    """PUT /v1/me/webhook-key switches which key verifies webhooks."""
    response = client.put("/v1/me/webhook-key", json={"key": OTHER_KEY}, headers=auth)
    assert response.get_json()["webhook_signing_key"] == "registered"
    me = client.get("/v1/me", headers=auth).get_json()
    assert me["webhook_signing_key"] == "registered"
    assert OTHER_KEY not in str(me)
    client.put("/v1/me/webhook-key", json={"key": None}, headers=auth)
    me = client.get("/v1/me", headers=auth).get_json()
    assert me["webhook_signing_key"] == "calling key"


def test_dropdowns_list_agents_and_numbers(client, auth):
    """Options are [{value, label}] with readable labels."""
    agents = client.get("/v1/options/agents", headers=auth).get_json()
    numbers = client.get("/v1/options/phone-numbers", headers=auth).get_json()
    assert len(agents) == 2 and all(a["value"].startswith("agent_") for a in agents)
    assert "+14155550100" in {n["value"] for n in numbers}
    assert any("Main line" in n["label"] for n in numbers)
    response = client.get("/v1/options/voices", headers=auth)
    assert response.status_code == 404


def test_get_call_returns_the_flat_call(client, auth):
    """get-call finds a call placed through the connector."""
    placed = client.post(
        "/v1/actions/create-phone-call",
        headers=auth,
        json={
            "from_number": "+14155550100",
            "to_number": "+14155550123",
            "metadata": {"crm": {"lead_id": "L-1"}},
        },
    ).get_json()
    found = client.post(
        "/v1/actions/get-call", json={"call_id": placed["call_id"]}, headers=auth
    )
    assert found.status_code == 200
    body = found.get_json()
    assert body["call_id"] == placed["call_id"]
    assert body["metadata__crm__lead_id"] == "L-1"


def test_list_calls_filters_and_pages(client, auth):
    """list-calls is newest first, with a cursor for the next page."""
    for to_number in ("+14155550123", "+14155550124", "+14155550125"):
        client.post(
            "/v1/actions/create-phone-call",
            headers=auth,
            json={"from_number": "+14155550100", "to_number": to_number},
        )
    page = client.post(
        "/v1/actions/list-calls", json={"limit": 2}, headers=auth
    ).get_json()
    assert len(page["calls"]) == 2 and page["has_more"] is True
    rest = client.post(
        "/v1/actions/list-calls",
        json={"limit": 2, "pagination_key": page["pagination_key"]},
        headers=auth,
    ).get_json()
    ids = [c["call_id"] for c in page["calls"] + rest["calls"]]
    assert len(set(ids)) == 3
    only = client.post(
        "/v1/actions/list-calls", json={"to_number": "+14155550124"}, headers=auth
    ).get_json()
    assert [c["to_number"] for c in only["calls"]] == ["+14155550124"]


def test_bind_agent_sets_only_the_side_given(client, auth):
    """bind-agent-to-number changes the outbound agent and leaves inbound alone."""
    agent = client.get("/v1/options/agents", headers=auth).get_json()[1]["value"]
    response = client.post(
        "/v1/actions/bind-agent-to-number",
        headers=auth,
        json={
            "phone_number": "+14155550109",
            "outbound_agent_id": agent,
        },
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["outbound_agent_id"] == agent
    placed = client.post(
        "/v1/actions/create-phone-call",
        headers=auth,
        json={"from_number": "+14155550109", "to_number": "+14155550123"},
    )
    assert placed.status_code == 201
    assert placed.get_json()["agent_id"] == agent


def test_bind_agent_needs_an_agent(client, auth):
    """Neither side given is a 422, before anything is sent."""
    response = client.post(
        "/v1/actions/bind-agent-to-number",
        headers=auth,
        json={"phone_number": "+14155550109"},
    )
    assert response.status_code == 422


def test_subscribing_twice_returns_the_same_subscription(client, auth):
    """The same target for the same trigger is one subscription (200 the 2nd time)."""
    body = {"target_url": "https://hooks.example.invalid/a"}
    first = client.post(
        "/v1/triggers/call_ended/subscriptions", json=body, headers=auth
    )
    again = client.post(
        "/v1/triggers/call_ended/subscriptions", json=body, headers=auth
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    assert first.get_json()["secret"].startswith("whsec_")
    other = client.post(
        "/v1/triggers/call_analyzed/subscriptions", json=body, headers=auth
    )
    assert other.status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"target_url": "hooks.example.invalid/a"},
        {"target_url": "ftp://x/y"},
        {"target_url": 5},
        {"target_url": "https://x.invalid", "filters": {"a": [1]}},
        {"target_url": "https://x.invalid", "extra": 1},
    ],
    ids=["missing", "no-scheme", "ftp", "number", "nested-filter", "unknown-field"],
)
def test_bad_subscriptions_are_422(client, auth, body):
    """A subscription without a usable web address is a 422 naming the field."""
    response = client.post(
        "/v1/triggers/call_ended/subscriptions", json=body, headers=auth
    )
    assert response.status_code == 422
    assert response.get_json()["errors"]


def test_unknown_trigger_is_404(client, auth):
    """A trigger key that does not exist names the ones that do."""
    response = client.post(
        "/v1/triggers/call_done/subscriptions",
        json={"target_url": "https://x.invalid"},
        headers=auth,
    )
    assert response.status_code == 404
    assert "call_ended" in response.get_json()["detail"]


def test_accounts_cannot_touch_each_others_subscriptions(client, auth):
    """Another key can neither delete nor see a subscription it did not make."""
    sub = client.post(
        "/v1/triggers/call_ended/subscriptions",
        headers=auth,
        json={"target_url": "https://hooks.example.invalid/b"},
    )
    sub_id = sub.get_json()["id"]
    assert (
        client.delete(f"/v1/triggers/subscriptions/{sub_id}", headers=OTHER).status_code
        == 404
    )
    assert (
        client.delete(f"/v1/triggers/subscriptions/{sub_id}", headers=auth).status_code
        == 204
    )
    assert (
        client.delete(f"/v1/triggers/subscriptions/{sub_id}", headers=auth).status_code
        == 404
    )


@pytest.mark.parametrize("limit", ["0", "101", "ten", "-1"], ids=str)
def test_event_feed_limit_is_checked(client, auth, limit):
    """The polling feed's limit is 1 to 100."""
    response = client.get(f"/v1/triggers/call_ended/events?limit={limit}", headers=auth)
    assert response.status_code == 422


def test_no_key_or_secret_reaches_the_logs(client, auth, caplog):
    """Keys and subscription secrets never appear in any log line."""
    caplog.set_level(logging.DEBUG)
    sub = client.post(
        "/v1/triggers/call_ended/subscriptions",
        headers=auth,
        json={"target_url": "https://hooks.example.invalid/c"},
    )
    client.put("/v1/me/webhook-key", json={"key": "key_badge_secret_9"}, headers=auth)
    client.get("/v1/me", headers=auth)
    client.post(
        "/v1/actions/create-phone-call",
        headers=auth,
        json={"from_number": "+14155550100", "to_number": "+14155550179"},
    )
    client.post(
        "/v1/actions/get-call",
        json={"call_id": "nope"},
        headers={"Authorization": "Bearer key_wrong_123456"},
    )
    text = caplog.text
    assert caplog.records
    for secret in (
        API_KEY,
        "key_badge_secret_9",
        "key_wrong_123456",
        sub.get_json()["secret"],
    ):
        assert secret not in text


def test_a_made_up_key_opens_no_account(client, app):
    """A key Retell refuses cannot subscribe hooks or register a signing key."""
    made_up = {"Authorization": "Bearer attacker_made_up_key_1"}
    response = client.post(
        "/v1/triggers/call_ended/subscriptions",
        headers=made_up,
        json={"target_url": "https://hooks.example.invalid/x"},
    )
    assert response.status_code == 401
    response = client.put(
        "/v1/me/webhook-key", json={"key": "attacker_sign"}, headers=made_up
    )
    assert response.status_code == 401
    from sqlalchemy import func, select

    from connector.store.tables import accounts

    with app.extensions["connector"].engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(accounts)).scalar() == 0


@pytest.mark.parametrize(
    "key",
    ["   ", "key with spaces", "short", "\u00e9" * 10],
    ids=["blank", "spaces", "too-short", "non-ascii"],
)
def test_malformed_webhook_keys_are_refused(client, auth, key):
    """A signing key that cannot be a Retell key is a 422 and changes nothing."""
    response = client.put("/v1/me/webhook-key", json={"key": key}, headers=auth)
    assert response.status_code == 422
    me = client.get("/v1/me", headers=auth).get_json()
    assert me["webhook_signing_key"] == "calling key"


def test_a_webhook_key_retell_refuses_is_422(client, auth):
    """A well-formed key that Retell does not accept is not registered."""
    response = client.put(
        "/v1/me/webhook-key", json={"key": "key_nobody_has_0001"}, headers=auth
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "key"


def test_subscribing_again_with_filters_updates_them(client, auth):
    """Re-subscribing the same target with new filters keeps one subscription and
    uses the new filters."""
    url = "/v1/triggers/call_ended/subscriptions"
    target = {"target_url": "https://hooks.example.invalid/f"}
    first = client.post(url, json=target, headers=auth).get_json()
    again = client.post(
        url, json={**target, "filters": {"agent_id": "agent_x"}}, headers=auth
    )
    assert again.status_code == 200
    assert again.get_json()["id"] == first["id"]
    assert again.get_json()["filters"] == {"agent_id": "agent_x"}


def test_json_log_lines_carry_the_request_facts(client, auth, caplog):
    """The canonical request line has route, status, time and account id only."""
    import json as json_module

    from connector.logs import JSONFormatter

    caplog.set_level(logging.INFO, logger="connector.request")
    client.get("/v1/triggers/call_ended/events", headers=auth)
    record = next(r for r in caplog.records if r.name == "connector.request")
    line = json_module.loads(JSONFormatter().format(record))
    assert line["route"] == "/v1/triggers/<key>/events"
    assert line["status"] == 200 and line["account"].startswith("acct_")
    assert API_KEY not in json_module.dumps(line)
