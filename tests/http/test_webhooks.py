"""Retell's webhooks: verified on the raw bytes, stored once, fanned out once."""

from __future__ import annotations

import json

import pytest

from connector.delivery.worker import DeliveryWorker
from connector.retell.signatures import sign

KEY = "key_test_0000"
NOW_MS = 1767225660000  # 2026-01-01T00:01:00Z, the field cases' frozen clock

pytestmark = pytest.mark.both_databases
FIXTURE = (
    '{"event":"call_ended","call":{"call_id":"call_test_0001","transcript":'
    '"Agent: ¿Le va bien mañana?\\nUser: Sí, gracias.","recording_url":'
    '"https:\\/\\/example.invalid\\/r.wav","cost":1.50,'
    '"start_timestamp":1767225600000}}'
).encode()
GOOD = (
    "v=1767225600000,d=1e7a5256267c04f001b1d41c281573b2616e0200cbbc76d00eb684107bedaf52"
)


@pytest.fixture
def account(app, client, auth):
    """The account of KEY, known to the connector, with the clock frozen."""
    app.extensions["connector"].clock = lambda: NOW_MS
    client.get("/v1/triggers/call_ended/events", headers=auth)
    return app.extensions["connector"].keyring.account_id(KEY)


def subscribe(client, auth, trigger: str, url: str) -> dict:
    response = client.post(
        f"/v1/triggers/{trigger}/subscriptions", json={"target_url": url}, headers=auth
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def post(client, account, body: bytes, signature: str | None, header_name=None):
    headers = (
        {} if signature is None else {header_name or "x-retell-signature": signature}
    )
    return client.post(
        f"/v1/webhooks/retell/{account}",
        data=body,
        content_type="application/json",
        headers=headers,
    )


def deliver_all(app) -> int:
    services = app.extensions["connector"]
    return DeliveryWorker(
        services.engine, services.keyring, targets=services.targets
    ).run_once()


def test_fixture_is_the_documented_bytes():
    """The B05 body is 218 bytes exactly, as the field case says."""
    assert len(FIXTURE) == 218


def test_raw_bytes_verify_and_fan_out(app, client, auth, account, hooks):
    """B05: the correct header over the exact bytes is accepted and delivered."""
    sub = subscribe(client, auth, "call_ended", f"{hooks.url}/hooks/call_ended")
    hooks.secrets["call_ended"] = sub["secret"]
    response = post(client, account, FIXTURE, GOOD)
    assert response.status_code == 200, response.get_json()
    assert deliver_all(app) == 1
    assert [event["id"] for event in hooks.received] == ["call_test_0001:call_ended"]
    assert hooks.problems == []
    assert "mañana" in hooks.received[0]["transcript"]


def test_changed_body_is_refused_and_not_stored(app, client, auth, account, hooks):
    """B05: one changed character with the same header is 401, nothing fanned out."""
    subscribe(client, auth, "call_ended", f"{hooks.url}/hooks/call_ended")
    tampered = FIXTURE.replace(b"gracias", b"gracios")
    response = post(client, account, tampered, GOOD)
    assert response.status_code == 401
    assert response.get_json()["code"] == "invalid_signature"
    assert deliver_all(app) == 0
    events = client.get("/v1/triggers/call_ended/events", headers=auth).get_json()
    assert events == []


@pytest.mark.parametrize(
    ("signature", "code"),
    [
        (
            "v=1767225600000,"
            "d=69a22e193dd631be5544c483a7504ef29dca339c889b3616940027d54fcdb7a5",
            "invalid_signature",
        ),
        (
            "02781f4cd299970437a102d04cd17011606ea39b1b48b3d566b9e1e59fef3ef2",
            "malformed_signature",
        ),
        ("v=1767225600000,d=", "malformed_signature"),
        ("garbage", "malformed_signature"),
        (None, "missing_signature"),
        (
            "v=1767225000000,"
            "d=762eea2963dd2f3ce02c032c4cda5aadc3d1f3fa742c66baabefd7220baccdcc",
            "stale_signature",
        ),
    ],
    ids=[
        "re-dumped-body",
        "bare-digest",
        "empty-digest",
        "garbage",
        "missing",
        "ten-minutes-old",
    ],
)
def test_wrong_schemes_are_401(app, client, auth, account, signature, code):
    """B06: every wrong or stale header is a 401 with its reason, never a 500."""
    subscribe(client, auth, "call_ended", "http://127.0.0.1:9/hook")
    response = post(client, account, FIXTURE, signature)
    assert response.status_code == 401
    assert response.get_json()["code"] == code
    assert deliver_all(app) == 0


def test_mixed_case_header_name_verifies(client, account):
    """B24: X-Retell-Signature in any case is the same header."""
    response = post(client, account, FIXTURE, GOOD, header_name="X-RETELL-Signature")
    assert response.status_code == 200


def test_unknown_account_is_404(client):
    """A webhook URL that names no account says where to get the right one."""
    response = post(client, "acct_000000000000000000000000", FIXTURE, GOOD)
    assert response.status_code == 404
    assert "/v1/me" in response.get_json()["detail"]


def signed(body: dict, ts: int = NOW_MS) -> tuple[bytes, str]:
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return raw, sign(raw, KEY, ts)


def call(call_id: str, **fields) -> dict:
    return {
        "call_id": call_id,
        "call_type": "phone_call",
        "agent_id": "agent_1",
        "call_status": "ended",
        "from_number": "+14155550100",
        "to_number": "+14155550123",
        **fields,
    }


def test_duplicate_webhook_is_delivered_once(app, client, auth, account, hooks):
    """B08: the same event twice (new signature time) gives one delivery."""
    sub = subscribe(client, auth, "call_analyzed", f"{hooks.url}/hooks/call_analyzed")
    hooks.secrets["call_analyzed"] = sub["secret"]
    body = {
        "event": "call_analyzed",
        "call": call("call_test_0001", call_analysis={"call_successful": True}),
    }
    first = post(client, account, *signed(body, NOW_MS - 200))
    second = post(client, account, *signed(body, NOW_MS))
    assert first.status_code == second.status_code == 200
    assert first.get_json()["duplicate"] is False
    assert second.get_json()["duplicate"] is True
    assert deliver_all(app) == 1
    assert deliver_all(app) == 0
    assert len(hooks.received) == 1


def test_call_state_never_moves_backwards(app, client, auth, account):
    """A late call_started after call_ended leaves the stored call ended."""
    from connector.store.events import latest_call

    engine = app.extensions["connector"].engine
    post(
        client,
        account,
        *signed({"event": "call_ended", "call": call("call_x", call_status="ended")}),
    )
    post(
        client,
        account,
        *signed(
            {"event": "call_started", "call": call("call_x", call_status="ongoing")}
        ),
    )
    assert latest_call(engine, account, "call_x")["call_status"] == "ended"


def test_failed_call_also_fires_call_failed(app, client, auth, account, hooks):
    """A call that never connected gives call_ended and call_failed, each once."""
    for trigger in ("call_ended", "call_failed"):
        sub = subscribe(client, auth, trigger, f"{hooks.url}/hooks/{trigger}")
        hooks.secrets[trigger] = sub["secret"]
    busy = call(
        "call_busy", call_status="not_connected", disconnection_reason="dial_busy"
    )
    for event in ("call_ended", "call_analyzed"):
        post(client, account, *signed({"event": event, "call": busy}))
    assert deliver_all(app) == 2
    by_id = {event["id"]: event for event in hooks.received}
    failed = by_id["call_busy:call_failed"]
    assert failed["retry_recommended"] is True
    assert "busy" in failed["failure_reason"].lower()
    assert "call_busy:call_ended" in by_id


def test_legacy_data_key_is_read(client, account):
    """Older payloads carry the call under "data"; they are stored the same."""
    response = post(
        client, account, *signed({"event": "call_ended", "data": call("call_legacy")})
    )
    assert response.status_code == 200
    assert response.get_json()["events"][0]["new"] is True


@pytest.mark.parametrize(
    "body",
    [
        {"event": "call_ended"},
        {"event": "call_ended", "call": "x"},
        {"event": "call_ended", "call": {"call_id": 5}},
    ],
    ids=["no-call", "call-not-object", "call-id-not-string"],
)
def test_signed_but_malformed_webhooks_are_400(client, account, body):
    """A correctly signed body without a usable call is a 400, not a 500."""
    response = post(client, account, *signed(body))
    assert response.status_code == 400


def test_events_that_are_not_triggers_are_acknowledged(client, account):
    """transcript_updated and the like get a 2xx so Retell does not retry them."""
    response = post(
        client,
        account,
        *signed({"event": "transcript_updated", "call": call("call_t")}),
    )
    assert response.status_code == 200
    assert response.get_json()["ignored"] is True


def test_flat_keys_stay_when_a_later_call_has_no_metadata(client, auth, account):
    """B16: nested values are flattened, and the keys stay (as null) next time."""
    nested = call(
        "call_n1",
        metadata={
            "crm": {"lead_id": "L-1001", "owner": {"email": "owner@example.invalid"}}
        },
        call_analysis={
            "call_summary": "…",
            "custom_analysis_data": {
                "appointment": {"date": "2026-01-05", "slots": ["09:00", "10:30"]},
                "interested": True,
            },
        },
    )
    post(client, account, *signed({"event": "call_analyzed", "call": nested}))
    post(client, account, *signed({"event": "call_analyzed", "call": call("call_n2")}))
    latest, first = client.get(
        "/v1/triggers/call_analyzed/events", headers=auth
    ).get_json()
    assert first["metadata__crm__lead_id"] == "L-1001"
    prefix = "call_analysis__custom_analysis_data__appointment__"
    assert first[prefix + "slots"] == "09:00, 10:30"
    assert first["call_analysis__custom_analysis_data__interested"] is True
    assert first["metadata"]["crm"]["lead_id"] == "L-1001"
    assert latest["metadata__crm__lead_id"] is None
    assert prefix + "date" in latest


@pytest.mark.parametrize("call_id", ["", "c" * 129], ids=["empty", "too-long"])
def test_unusable_call_ids_are_400(client, account, call_id):
    """A call id that cannot be a Retell id is refused, not stored."""
    response = post(
        client, account, *signed({"event": "call_ended", "call": call(call_id)})
    )
    assert response.status_code == 400


def test_registered_key_verifies_and_the_old_one_has_a_grace_period(
    app, client, auth, account
):
    """B23: after a key change, new signatures verify, and old ones for 24 hours."""
    from tests.conftest import OTHER_KEY

    client.put("/v1/me/webhook-key", json={"key": OTHER_KEY}, headers=auth)
    body = json.dumps({"event": "call_ended", "call": call("call_r1")}).encode()
    new = post(client, account, body, sign(body, OTHER_KEY, NOW_MS))
    old = post(client, account, body, sign(body, KEY, NOW_MS))
    assert new.status_code == 200 and old.status_code == 200
    later = NOW_MS + 25 * 3600 * 1000
    app.extensions["connector"].clock = lambda: later
    assert post(client, account, body, sign(body, KEY, later)).status_code == 401
    assert post(client, account, body, sign(body, OTHER_KEY, later)).status_code == 200


def test_carried_flat_keys_stay_bounded(client, auth, account):
    """Keys that change per call do not pile up in every later payload."""
    for index in range(25):
        post(
            client,
            account,
            *signed(
                {
                    "event": "call_started",
                    "call": call(f"call_p{index}", metadata={f"row_{index:03}": index}),
                }
            ),
        )
    latest = client.get(
        "/v1/triggers/call_started/events?limit=1", headers=auth
    ).get_json()[0]
    carried = [key for key in latest if key.startswith("metadata__")]
    assert "metadata__row_024" in carried
    assert len(carried) <= 11  # its own key and those of the ten before it


def test_registering_the_same_key_again_keeps_the_old_keys_grace(
    client, auth, account
):
    """A repeated PUT (a retried step, a double click) changes nothing: events
    Retell signed with the key before still verify."""
    from tests.conftest import OTHER_KEY

    for _ in range(2):
        answer = client.put("/v1/me/webhook-key", json={"key": OTHER_KEY}, headers=auth)
        assert answer.status_code == 200, answer.get_json()
    body = json.dumps({"event": "call_ended", "call": call("call_r2")}).encode()
    assert post(client, account, body, sign(body, KEY, NOW_MS)).status_code == 200
    assert post(client, account, body, sign(body, OTHER_KEY, NOW_MS)).status_code == 200
