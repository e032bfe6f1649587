"""Whatever a mapper sends, the answer is never a 5xx (property tests)."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.retell.signatures import sign
from tests.conftest import API_KEY

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = [
    "from_number",
    "to_number",
    "override_agent_id",
    "override_agent_version",
    "agent_override",
    "metadata",
    "retell_llm_dynamic_variables",
    "custom_sip_headers",
    "ignore_e164_validation",
    "idempotency_key",
    "honor_internal_dnc",
    "call_id",
    "limit",
    "pagination_key",
    "start_after",
    "phone_number",
    "outbound_agent_id",
    "target_url",
    "filters",
]
bodies = st.dictionaries(
    st.sampled_from(FIELDS) | st.text(max_size=8), values, max_size=6
)
ROUTES = [
    "/v1/actions/create-phone-call",
    "/v1/actions/get-call",
    "/v1/actions/list-calls",
    "/v1/actions/bind-agent-to-number",
    "/v1/triggers/call_ended/subscriptions",
    "/v1/me/webhook-key",
]
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@FUZZ
@given(route=st.sampled_from(ROUTES), body=bodies)
def test_json_bodies_never_get_a_5xx(client, auth, route, body):
    """Any JSON object on any action route is answered below 500."""
    method = client.put if route.endswith("webhook-key") else client.post
    response = method(route, json=body, headers=auth)
    assert response.status_code < 500, response.get_data(as_text=True)


@FUZZ
@given(
    raw=st.binary(max_size=200),
    content_type=st.sampled_from(
        [
            "application/json",
            "text/plain",
            "application/x-www-form-urlencoded",
            "application/json; charset=utf-16",
            "multipart/form-data",
            "",
        ]
    ),
)
def test_raw_bytes_never_get_a_5xx(client, auth, raw, content_type):
    """Arbitrary bytes under any content type are answered below 500."""
    response = client.post(
        "/v1/actions/create-phone-call",
        data=raw,
        content_type=content_type,
        headers=auth,
    )
    assert response.status_code < 500


@FUZZ
@given(
    body=st.dictionaries(
        st.sampled_from(["event", "call", "data", "x"]), values, max_size=3
    )
)
def test_signed_webhooks_of_any_shape_never_get_a_5xx(app, client, auth, body):
    """A correctly signed webhook with any JSON inside is answered below 500."""
    client.get("/v1/triggers/call_ended/events", headers=auth)
    account = app.extensions["connector"].keyring.account_id(API_KEY)
    raw = json.dumps(body).encode()
    now = app.extensions["connector"].clock()
    response = client.post(
        f"/v1/webhooks/retell/{account}",
        data=raw,
        content_type="application/json",
        headers={"x-retell-signature": sign(raw, API_KEY, now)},
    )
    assert response.status_code < 500, response.get_data(as_text=True)


finite_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
finite_values = st.recursive(
    finite_scalars,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
calls = st.fixed_dictionaries(
    {"call_id": st.text(min_size=1, max_size=12)},
    optional={
        name: finite_values
        for name in (
            "call_status",
            "disconnection_reason",
            "metadata",
            "call_analysis",
            "start_timestamp",
            "end_timestamp",
            "duration_ms",
            "transcript",
            "transcript_with_tool_calls",
            "latency",
            "call_cost",
            "collected_dynamic_variables",
            "retell_llm_dynamic_variables",
        )
    },
)


@FUZZ
@given(
    event=st.sampled_from(["call_started", "call_ended", "call_analyzed"]),
    call=calls,
)
def test_odd_call_objects_are_stored_without_a_5xx(app, client, auth, event, call):
    """Call objects with odd field types still flatten and store."""
    client.get("/v1/triggers/call_ended/events", headers=auth)
    account = app.extensions["connector"].keyring.account_id(API_KEY)
    raw = json.dumps({"event": event, "call": call}).encode()
    now = app.extensions["connector"].clock()
    response = client.post(
        f"/v1/webhooks/retell/{account}",
        data=raw,
        content_type="application/json",
        headers={"x-retell-signature": sign(raw, API_KEY, now)},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
