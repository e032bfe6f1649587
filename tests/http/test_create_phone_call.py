"""create-phone-call through the connector, against the simulator."""

from __future__ import annotations

import pytest

URL = "/v1/actions/create-phone-call"
FROM, TO = "+14155550100", "+14155550134"


def field_errors(response) -> dict[str, str]:
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["code"] == "validation_failed"
    return {error["field"]: error["message"] for error in body["errors"]}


def test_places_a_call_and_returns_the_flat_call(client, auth, simulator):
    """A valid request is 201 with the flattened call, and exactly one create."""
    response = client.post(
        URL, json={"from_number": FROM, "to_number": TO}, headers=auth
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["call_id"].startswith("call_")
    assert body["call_status"] == "registered"
    assert (body["from_number"], body["to_number"]) == (FROM, TO)
    assert body["call"]["call_id"] == body["call_id"]
    assert body["warnings"] == []
    assert len(simulator.creates()) == 1


def test_every_documented_field_reaches_retell(client, auth, simulator):
    """Overrides, metadata, variables, SIP headers and flags are all passed on."""
    payload = {
        "from_number": FROM,
        "to_number": TO,
        "override_agent_id": simulator_agent(client, auth),
        "override_agent_version": 1,
        "agent_override": {
            "agent": {"max_call_duration_ms": 600000},
            "retell_llm": {"begin_message": "Hi {{name}}"},
        },
        "metadata": {"crm_contact_id": "ct_1"},
        "retell_llm_dynamic_variables": {"name": "Ana"},
        "custom_sip_headers": {"X-Campaign-Id": "spring"},
        "honor_internal_dnc": True,
        "idempotency_key": "row-1",
    }
    response = client.post(URL, json=payload, headers=auth)
    assert response.status_code == 201, response.get_json()
    sent = simulator.creates()[-1]["body"]
    assert sent == payload


def simulator_agent(client, auth) -> str:
    options = client.get("/v1/options/agents", headers=auth).get_json()
    return options[0]["value"]


def test_dynamic_variables_are_coerced_to_strings(client, auth, simulator):
    """B01: numbers and booleans become JSON-spelled strings; nulls are dropped."""
    response = client.post(
        URL,
        headers=auth,
        json={
            "from_number": FROM,
            "to_number": TO,
            "retell_llm_dynamic_variables": {
                "first_name": "Ana",
                "slot_hour": 14,
                "is_returning": True,
                "balance": 12.5,
                "middle_name": None,
            },
        },
    )
    assert response.status_code == 201, response.get_json()
    sent = simulator.creates()[-1]["body"]["retell_llm_dynamic_variables"]
    assert sent == {
        "first_name": "Ana",
        "slot_hour": "14",
        "is_returning": "true",
        "balance": "12.5",
    }
    warnings = response.get_json()["warnings"]
    assert any("middle_name" in warning for warning in warnings)


def test_nested_dynamic_variable_is_refused_before_retell(client, auth, simulator):
    """B01: an object value is a 422 naming its path, and nothing goes upstream."""
    response = client.post(
        URL,
        headers=auth,
        json={
            "from_number": FROM,
            "to_number": TO,
            "retell_llm_dynamic_variables": {
                "first_name": "Ana",
                "prefs": {"lang": "es"},
            },
        },
    )
    errors = field_errors(response)
    assert "object" in errors["retell_llm_dynamic_variables.prefs"]
    assert simulator.creates() == []


def test_key_value_list_from_a_mapper_is_accepted(client, auth, simulator):
    """Mappers produce [{key, value}] lists; they mean the same object."""
    response = client.post(
        URL,
        headers=auth,
        json={
            "from_number": FROM,
            "to_number": TO,
            "retell_llm_dynamic_variables": [
                {"key": "name", "value": "Ana"},
                {"key": "hour", "value": 9},
            ],
        },
    )
    assert response.status_code == 201, response.get_json()
    sent = simulator.creates()[-1]["body"]["retell_llm_dynamic_variables"]
    assert sent == {"name": "Ana", "hour": "9"}


@pytest.mark.parametrize(
    "to_number",
    ["(415) 555-0134", "415.555.0134", "14155550134", "0612345678"],
    ids=["parentheses", "dots", "missing-plus", "national"],
)
def test_numbers_not_in_e164_are_refused(client, auth, simulator, to_number):
    """B02: national and plus-less forms are a 422 that repeats the value."""
    errors = field_errors(
        client.post(
            URL, json={"from_number": FROM, "to_number": to_number}, headers=auth
        )
    )
    assert to_number in errors["to_number"]
    assert "+" in errors["to_number"]
    assert simulator.creates() == []


def test_decorated_e164_is_normalised(client, auth, simulator):
    """B02: '+1 415-555-0134' is unambiguous; it is normalised and returned."""
    response = client.post(
        URL,
        json={"from_number": "+1 415-555-0100", "to_number": "+1 415-555-0134"},
        headers=auth,
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["to_number"] == TO
    assert simulator.creates()[-1]["body"]["to_number"] == TO


@pytest.mark.parametrize(
    ("to_number", "hint"),
    [
        (14155550134, "string"),
        (1.4155550134e10, "string"),
        ("1.41556E+10", "scientific"),
        ("+14155550134.0", "+14155550134.0"),
    ],
    ids=["json-integer", "json-float", "sheet-scientific", "trailing-decimal"],
)
def test_spreadsheet_numbers_are_refused(client, auth, simulator, to_number, hint):
    """B03: JSON numbers fail on type, scientific notation gets a hint."""
    errors = field_errors(
        client.post(
            URL, json={"from_number": FROM, "to_number": to_number}, headers=auth
        )
    )
    assert hint in errors["to_number"]
    assert simulator.creates() == []


def test_metadata_may_arrive_as_a_json_string(client, auth, simulator):
    """Make and Zapier often map JSON as text; it means the same object."""
    response = client.post(
        URL,
        headers=auth,
        json={
            "from_number": FROM,
            "to_number": TO,
            "metadata": '{"row": 7, "sheet": "Leads"}',
            "agent_override": '{"agent": {"max_call_duration_ms": 600000}}',
        },
    )
    assert response.status_code == 201, response.get_json()
    sent = simulator.creates()[-1]["body"]
    assert sent["metadata"] == {"row": 7, "sheet": "Leads"}
    assert sent["agent_override"] == {"agent": {"max_call_duration_ms": 600000}}


def test_broken_json_string_names_the_field(client, auth, simulator):
    """Metadata text that is not JSON is a 422 on that field."""
    errors = field_errors(
        client.post(
            URL,
            headers=auth,
            json={
                "from_number": FROM,
                "to_number": TO,
                "metadata": '{"row": 7,',
            },
        )
    )
    assert "metadata" in errors
    assert simulator.creates() == []


def test_retell_number_cannot_call_abroad(client, auth, simulator):
    """A Retell-bought number calling another country is refused before the create."""
    errors = field_errors(
        client.post(
            URL,
            headers=auth,
            json={
                "from_number": FROM,
                "to_number": "+442079460123",
            },
        )
    )
    assert "same country" in errors["to_number"]
    assert simulator.creates() == []


def test_ignore_e164_validation_skips_only_the_format_check(client, auth, simulator):
    """With the flag set, a non-E.164 from_number is passed to Retell as is."""
    response = client.post(
        URL,
        headers=auth,
        json={
            "from_number": "+442079460000",
            "to_number": TO,
            "ignore_e164_validation": True,
        },
    )
    assert response.status_code == 201, response.get_json()
    assert simulator.creates()[-1]["body"]["ignore_e164_validation"] is True


def test_idempotency_header_is_sent_as_retells_key(client, auth, simulator):
    """The Idempotency-Key header becomes Retell's idempotency_key; a replay places
    no second call."""
    headers = {**auth, "Idempotency-Key": "sheet-row-42"}
    body = {"from_number": FROM, "to_number": TO}
    first = client.post(URL, json=body, headers=headers)
    second = client.post(URL, json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.get_json()["call_id"] == second.get_json()["call_id"]
    assert simulator.creates()[-1]["body"]["idempotency_key"] == "sheet-row-42"
    assert len(simulator.calls()) == 1


def test_header_and_field_keys_must_agree(client, auth, simulator):
    """Two different idempotency keys in one request are a 422."""
    errors = field_errors(
        client.post(
            URL,
            json={"from_number": FROM, "to_number": TO, "idempotency_key": "a"},
            headers={**auth, "Idempotency-Key": "b"},
        )
    )
    assert "idempotency_key" in errors
