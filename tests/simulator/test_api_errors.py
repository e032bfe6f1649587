"""Spec: the simulator rejects requests the way Retell does, with Retell's body."""

from __future__ import annotations

import pytest

from connector.simulator.seed import agent_id_for

from .conftest import KEY, OTHER_KEY, bearer, create_body


def assert_retell_error(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"status", "message"}
    assert body["status"] == "error"
    assert isinstance(body["message"], str) and body["message"]
    return body["message"]


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param({"Authorization": "Bearer nope"}, id="unknown-key"),
        pytest.param({"Authorization": f"Basic {KEY}"}, id="wrong-scheme"),
        pytest.param({"Authorization": "Bearer "}, id="empty-key"),
    ],
)
def test_bad_api_key_is_401(sim, headers):
    """Without a known Bearer key every route answers 401."""
    response = sim.get("/get-concurrency", headers=headers)
    assert_retell_error(response, 401)


def test_stainless_headers_are_accepted(sim):
    """The SDK's X-Stainless-* headers are accepted and ignored."""
    headers = {
        **bearer(),
        "X-Stainless-Lang": "python",
        "X-Stainless-Retry-Count": "0",
        "X-Stainless-Read-Timeout": "120",
        "User-Agent": "Retell/Python 6.2.13",
    }
    assert sim.get("/get-concurrency", headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        pytest.param(b"{not json", "JSON", id="broken-json"),
        pytest.param(b"[1, 2]", "object", id="array-body"),
        pytest.param(b'{"from_number": NaN}', "JSON", id="nan"),
        pytest.param(b"\xff\xfe", "JSON", id="not-utf8"),
    ],
)
def test_malformed_body_is_400(sim, data, fragment):
    """A body that is not a JSON object is a 400."""
    response = sim.post(
        "/v2/create-phone-call",
        data=data,
        headers={**bearer(), "Content-Type": "application/json"},
    )
    assert fragment in assert_retell_error(response, 400)


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        pytest.param({"from_number": None}, "from_number", id="from-null"),
        pytest.param({"to_number": 14155550123}, "to_number", id="to-integer"),
        pytest.param({"to_number": "4155550123"}, "E.164", id="to-no-plus"),
        pytest.param({"to_number": "+1 415 555 0123"}, "E.164", id="to-spaces"),
        pytest.param({"to_number": "+04155550123"}, "E.164", id="to-leading-zero"),
        pytest.param({"to_number": "+1415555012345678"}, "E.164", id="to-16-digits"),
        pytest.param({"to_number": "+١٤١٥٥٥٥٠١٢٣"}, "E.164", id="to-arabic-digits"),
        pytest.param({"from_number": "4155550100"}, "E.164", id="from-no-plus"),
        pytest.param(
            {"retell_llm_dynamic_variables": {"count": 3}},
            "retell_llm_dynamic_variables.count",
            id="dynamic-variable-number",
        ),
        pytest.param(
            {"retell_llm_dynamic_variables": ["a"]},
            "retell_llm_dynamic_variables",
            id="dynamic-variables-list",
        ),
        pytest.param(
            {"custom_sip_headers": {"X-Id": 1}}, "custom_sip_headers", id="sip-int"
        ),
        pytest.param({"metadata": "crm-1"}, "metadata", id="metadata-string"),
        pytest.param(
            {"metadata": {"blob": "x" * 50_001}}, "limit", id="metadata-over-50kb"
        ),
        pytest.param(
            {"override_agent_version": 1.5},
            "override_agent_version",
            id="version-float",
        ),
        pytest.param(
            {"override_agent_version": True},
            "override_agent_version",
            id="version-bool",
        ),
        pytest.param({"idempotency_key": ""}, "idempotency_key", id="empty-key"),
        pytest.param({"honor_internal_dnc": "yes"}, "honor_internal_dnc", id="dnc-str"),
        pytest.param(
            {"agent_override": {"agent": {"max_call_duration_ms": 1000}}},
            "max_call_duration_ms",
            id="duration-below-minimum",
        ),
        pytest.param(
            {"agent_override": {"agent": {"webhook_events": ["call_exploded"]}}},
            "webhook_events",
            id="unknown-webhook-event",
        ),
        pytest.param({"agent_override": []}, "agent_override", id="override-list"),
    ],
)
def test_invalid_create_is_400(sim, fields, fragment):
    """Each malformed create field is a 400 whose message names the problem."""
    response = sim.post(
        "/v2/create-phone-call", json=create_body(**fields), headers=bearer()
    )
    assert fragment in assert_retell_error(response, 400)


def test_from_number_not_owned_is_422(sim):
    """A from_number outside the workspace is a 422 naming the number."""
    response = sim.post(
        "/v2/create-phone-call",
        json=create_body(from_number="+14155550199"),
        headers=bearer(),
    )
    assert "+14155550199" in assert_retell_error(response, 422)


def test_number_without_outbound_agent_needs_override(sim):
    """+14155550109 has no outbound agent: 400 unless override_agent_id is sent."""
    body = create_body(from_number="+14155550109")
    response = sim.post("/v2/create-phone-call", json=body, headers=bearer())
    assert "outbound agent" in assert_retell_error(response, 400)

    agent_id = agent_id_for(KEY, "qualifier")
    body["override_agent_id"] = agent_id
    response = sim.post("/v2/create-phone-call", json=body, headers=bearer())
    assert response.status_code == 201
    assert response.get_json()["agent_id"] == agent_id


@pytest.mark.parametrize(
    "agent_id",
    [
        pytest.param("agent_00000000000000000000000000", id="unknown"),
        pytest.param(agent_id_for(OTHER_KEY, "reminder"), id="other-workspace"),
    ],
)
def test_unknown_override_agent_is_422(sim, agent_id):
    """An override_agent_id the key cannot see is a 422."""
    response = sim.post(
        "/v2/create-phone-call",
        json=create_body(override_agent_id=agent_id),
        headers=bearer(),
    )
    assert_retell_error(response, 422)


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        pytest.param(2, 2, id="number"),
        pytest.param("prod", 3, id="tag"),
        pytest.param("latest", 3, id="latest"),
        pytest.param("latest_published", 3, id="latest-published"),
        pytest.param(9, None, id="missing-version"),
        pytest.param("staging", None, id="missing-tag"),
    ],
)
def test_override_agent_version_resolution(sim, version, expected):
    """override_agent_version takes numbers and tags; unknown ones are 422."""
    response = sim.post(
        "/v2/create-phone-call",
        json=create_body(override_agent_version=version),
        headers=bearer(),
    )
    if expected is None:
        assert_retell_error(response, 422)
    else:
        assert response.status_code == 201
        assert response.get_json()["agent_version"] == expected


@pytest.mark.parametrize(
    ("from_number", "status"),
    [
        pytest.param("+442079460000", 201, id="custom-telephony-relaxed"),
        pytest.param("+14155550100", 400, id="retell-telephony-still-checked"),
    ],
)
def test_ignore_e164_validation_only_for_custom_telephony(sim, from_number, status):
    """ignore_e164_validation lets a custom number dial a pseudo number, only."""
    body = create_body(
        from_number=from_number, to_number="1001", ignore_e164_validation=True
    )
    response = sim.post("/v2/create-phone-call", json=body, headers=bearer())
    assert response.status_code == status


@pytest.mark.parametrize(
    ("honor", "status"),
    [pytest.param(True, 400, id="honoured"), pytest.param(False, 201, id="ignored")],
)
def test_do_not_call_destination(sim, honor, status):
    """+14155550175 is do-not-call: 400 only when honor_internal_dnc is true."""
    body = create_body(to_number="+14155550175", honor_internal_dnc=honor)
    response = sim.post("/v2/create-phone-call", json=body, headers=bearer())
    assert response.status_code == status


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param("/v2/get-call/call_0000000000000000000000000aa", 422, id="call"),
        pytest.param("/get-phone-number/+14155550199", 422, id="phone-number"),
        pytest.param("/v2/no-such-endpoint", 404, id="unknown-route"),
    ],
)
def test_unknown_things_answer_in_retell_shape(sim, path, status):
    """Unknown ids are 422 (Retell has no 404 for them); unknown routes 404."""
    assert_retell_error(sim.get(path, headers=bearer()), status)


def test_calls_are_private_to_their_workspace(sim):
    """A call made with one key cannot be read with another workspace's key."""
    created = sim.post("/v2/create-phone-call", json=create_body(), headers=bearer())
    call_id = created.get_json()["call_id"]
    assert sim.get(f"/v2/get-call/{call_id}", headers=bearer()).status_code == 200
    other = sim.get(f"/v2/get-call/{call_id}", headers=bearer(OTHER_KEY))
    assert_retell_error(other, 422)


def test_wrong_method_is_405(sim):
    """A known path with the wrong verb is a Retell-shaped 405."""
    assert_retell_error(sim.get("/v2/create-phone-call", headers=bearer()), 405)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        pytest.param(
            {"outbound_agents": [{"agent_id": "a", "weight": 0.5}]},
            "add up to 1",
            id="weights-not-one",
        ),
        pytest.param(
            {"outbound_agents": [{"weight": 1}]}, "agent_id", id="agent-id-missing"
        ),
        pytest.param({"nickname": 5}, "nickname", id="nickname-int"),
        pytest.param(
            {"allowed_outbound_country_list": ["usa"]}, "alpha-2", id="bad-country"
        ),
        pytest.param({"codecs": ["PCMU"]}, "custom", id="codecs-on-twilio"),
        pytest.param(
            {"fallback_number": "+14155550100"}, "itself", id="fallback-to-itself"
        ),
    ],
)
def test_invalid_number_update_is_400(sim, body, fragment):
    """update-phone-number checks its fields like the SDK types them."""
    response = sim.patch(
        "/update-phone-number/+14155550100", json=body, headers=bearer()
    )
    assert fragment in assert_retell_error(response, 400)


def test_number_update_with_unknown_agent_is_422(sim):
    """Binding an agent the key cannot see is a 422."""
    body = {
        "outbound_agents": [
            {"agent_id": agent_id_for(OTHER_KEY, "reminder"), "weight": 1}
        ]
    }
    response = sim.patch(
        "/update-phone-number/+14155550100", json=body, headers=bearer()
    )
    assert_retell_error(response, 422)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        pytest.param({"limit": 0}, "limit", id="limit-zero"),
        pytest.param({"limit": "ten"}, "limit", id="limit-string"),
        pytest.param({"sort_order": "up"}, "sort_order", id="bad-sort"),
        pytest.param(
            {"pagination_key": "call_nope"}, "pagination_key", id="bad-cursor"
        ),
        pytest.param(
            {"filter_criteria": {"call_status": ["ended"]}},
            "call_status",
            id="filter-not-operator",
        ),
        pytest.param(
            {"filter_criteria": {"metadata": []}},
            "not implemented",
            id="filter-unknown",
        ),
    ],
)
def test_invalid_list_calls_is_400(sim, body, fragment):
    """list-calls rejects malformed options and unsupported filters."""
    response = sim.post("/v3/list-calls", json=body, headers=bearer())
    assert fragment in assert_retell_error(response, 400)
