"""Action inputs: what each schema loads to, and what it refuses."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from connector.mapping import field_errors
from connector.mapping.inputs import (
    BindAgentInput,
    CreatePhoneCallInput,
    GetCallInput,
    ListCallsInput,
    bind_agent_body,
    list_calls_body,
)

from .conftest import load_fixture

NUMBERS = {"from_number": "+14155550100", "to_number": "+14155550134"}


def _errors(schema, body) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        schema.load(body)
    return {e["field"]: e["message"] for e in field_errors(caught.value)}


# ------------------------------------------------------------ create-phone-call


def test_documented_request_loads_to_the_same_body():
    """Retell's own create-phone-call request fixture passes through unchanged."""
    request = load_fixture("create-phone-call.request.json")
    loaded = CreatePhoneCallInput().load(request)
    assert loaded.pop("warnings") == []
    assert loaded == request


def test_only_fields_that_were_set_are_returned():
    """Unset, null and empty optional fields are left out of the body."""
    loaded = CreatePhoneCallInput().load(
        {
            **NUMBERS,
            "override_agent_id": "",
            "override_agent_version": None,
            "metadata": "",
            "agent_override": "  ",
            "custom_sip_headers": None,
            "idempotency_key": "",
            "honor_internal_dnc": "",
            "ignore_e164_validation": None,
        }
    )
    assert loaded == {**NUMBERS, "warnings": []}


def test_every_field_in_mapper_form_loads_to_retell_form():
    """Text-typed mapper values become the types Retell expects."""
    loaded = CreatePhoneCallInput().load(
        {
            "from_number": "+1 415-555-0100",
            "to_number": "+1 (415) 555-0134",
            "override_agent_id": " agent_abc ",
            "override_agent_version": "3",
            "agent_override": '{"retell_llm": {"begin_message": "Hi"}}',
            "metadata": '{"row_id": 7}',
            "retell_llm_dynamic_variables": [{"key": "n", "value": 1}],
            "custom_sip_headers": '{"X-Campaign-Id": "spring"}',
            "idempotency_key": "zap-run-77",
            "honor_internal_dnc": "true",
        }
    )
    assert loaded == {
        **NUMBERS,
        "override_agent_id": "agent_abc",
        "override_agent_version": 3,
        "agent_override": {"retell_llm": {"begin_message": "Hi"}},
        "metadata": {"row_id": 7},
        "retell_llm_dynamic_variables": {"n": "1"},
        "custom_sip_headers": {"X-Campaign-Id": "spring"},
        "idempotency_key": "zap-run-77",
        "honor_internal_dnc": True,
        "warnings": [],
    }


@pytest.mark.parametrize(
    ("missing", "body"),
    [
        ("from_number", {"to_number": "+14155550134"}),
        ("to_number", {"from_number": "+14155550100"}),
        ("to_number", {**NUMBERS, "to_number": ""}),
        ("to_number", {**NUMBERS, "to_number": None}),
    ],
    ids=["no-from", "no-to", "empty-to", "null-to"],
)
def test_required_numbers(missing, body):
    """Both numbers are required; empty or null counts as missing."""
    assert _errors(CreatePhoneCallInput(), body) == {
        missing: "is required, but it was missing or empty"
    }


def test_unknown_fields_are_refused_naming_the_real_ones():
    """A misspelt field is an error that lists the fields that exist."""
    message = _errors(CreatePhoneCallInput(), {**NUMBERS, "to_numbr": "x"})["to_numbr"]
    assert message.startswith("is not a field of this action; the fields are:")
    assert "to_number" in message


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"agent_override": {"voice": {}}}, "agent_override.voice"),
        ({"agent_override": {"agent": "fast"}}, "agent_override.agent"),
        ({"agent_override": "[1]"}, "agent_override"),
        ({"metadata": {"blob": "x" * 50_001}}, "metadata"),
        ({"override_agent_version": 2.5}, "override_agent_version"),
        ({"idempotency_key": "k" * 256}, "idempotency_key"),
        ({"honor_internal_dnc": "yes"}, "honor_internal_dnc"),
        ({"custom_sip_headers": {"X-N": 1}}, "custom_sip_headers.X-N"),
    ],
    ids=[
        "override-unknown-part",
        "override-part-not-object",
        "override-not-object",
        "metadata-over-50kb",
        "version-fraction",
        "idempotency-key-too-long",
        "switch-yes",
        "sip-header-number",
    ],
)
def test_invalid_optional_fields_are_named(overrides, field):
    """Each invalid optional field is reported at its dotted path."""
    assert field in _errors(CreatePhoneCallInput(), {**NUMBERS, **overrides})


def test_all_errors_are_reported_together():
    """Several mistakes in one request are all listed, not just the first."""
    errors = _errors(
        CreatePhoneCallInput(),
        {"from_number": "0612345678", "to_number": 14155550134, "metadata": "{"},
    )
    assert set(errors) == {"from_number", "to_number", "metadata"}


@pytest.mark.parametrize(
    "switch", [True, "true", 1, "TRUE"], ids=["bool", "text", "one", "upper"]
)
def test_ignore_e164_validation_skips_only_the_format_check(switch):
    """With the switch on, numbers are sent as typed but must still be text."""
    loaded = CreatePhoneCallInput().load(
        {
            "from_number": " 0612345678 ",
            "to_number": "(415) 555-0134",
            "ignore_e164_validation": switch,
        }
    )
    assert (loaded["from_number"], loaded["to_number"]) == (
        "0612345678",
        "(415) 555-0134",
    )
    assert loaded["ignore_e164_validation"] is True


@pytest.mark.parametrize(
    "switch", [False, "false", 0, "maybe"], ids=["bool", "text", "zero", "invalid"]
)
def test_numbers_are_checked_unless_the_switch_is_on(switch):
    """Any value other than a true spelling keeps the E.164 check."""
    errors = _errors(
        CreatePhoneCallInput(),
        {**NUMBERS, "to_number": "(415) 555-0134", "ignore_e164_validation": switch},
    )
    assert "to_number" in errors


def test_ignore_e164_validation_does_not_accept_json_numbers():
    """Even unchecked numbers must be text: a JSON number has lost its '+'."""
    errors = _errors(
        CreatePhoneCallInput(),
        {**NUMBERS, "to_number": 14155550134, "ignore_e164_validation": True},
    )
    assert errors["to_number"].startswith("must be a string")


def test_schema_instance_is_safe_to_share():
    """The exemption of one load does not leak into the next on the same schema."""
    schema = CreatePhoneCallInput()
    schema.load({**NUMBERS, "to_number": "0612345678", "ignore_e164_validation": True})
    assert "to_number" in _errors(schema, {**NUMBERS, "to_number": "0612345678"})


@pytest.mark.parametrize("body", [[], "text", 3], ids=["list", "text", "number"])
def test_non_object_body_is_refused(body):
    """The body must be an object; the error has no field."""
    assert _errors(CreatePhoneCallInput(), body) == {
        "": "the input must be a JSON object of fields"
    }


# ------------------------------------------------------------------- get-call


@pytest.mark.parametrize(
    ("body", "expected"),
    [({"call_id": " call_123 "}, {"call_id": "call_123"})],
    ids=["trimmed"],
)
def test_get_call_input(body, expected):
    """call_id is required and trimmed."""
    assert GetCallInput().load(body) == expected


@pytest.mark.parametrize(
    "body", [{}, {"call_id": ""}, {"call_id": 12}], ids=["missing", "empty", "number"]
)
def test_get_call_needs_a_call_id(body):
    """A missing, empty or non-text call_id is refused."""
    assert "call_id" in _errors(GetCallInput(), body)


# ----------------------------------------------------------------- list-calls


def test_list_calls_defaults_to_newest_fifty():
    """With no filters the body asks for 50 calls, newest first."""
    assert list_calls_body(ListCallsInput().load({})) == {
        "sort_order": "descending",
        "limit": 50,
    }


def test_list_calls_builds_v3_filter_criteria():
    """Every filter becomes a v3 {op, type, value} criterion."""
    loaded = ListCallsInput().load(
        {
            "agent_id": "agent_abc",
            "call_status": "ended, error",
            "from_number": "+1 415-555-0100",
            "to_number": "+14155550134",
            "start_after": "2026-01-01T00:00:00Z",
            "start_before": 1767312000000,
            "limit": "10",
            "pagination_key": "call_prev",
        }
    )
    assert list_calls_body(loaded) == {
        "sort_order": "descending",
        "limit": 10,
        "pagination_key": "call_prev",
        "filter_criteria": {
            "agent": [{"agent_id": "agent_abc"}],
            "call_status": {"op": "in", "type": "enum", "value": ["ended", "error"]},
            "from_number": {"op": "eq", "type": "string", "value": "+14155550100"},
            "to_number": {"op": "eq", "type": "string", "value": "+14155550134"},
            "start_timestamp": {
                "op": "bt",
                "type": "range",
                "value": [1767225600000, 1767312000000],
            },
        },
    }


@pytest.mark.parametrize(
    ("body", "criterion"),
    [
        (
            {"start_after": 1767225600000},
            {"op": "ge", "type": "number", "value": 1767225600000},
        ),
        (
            {"start_before": 1767225600000},
            {"op": "le", "type": "number", "value": 1767225600000},
        ),
    ],
    ids=["after-only", "before-only"],
)
def test_list_calls_open_time_range(body, criterion):
    """One time bound gives an inclusive ge/le criterion."""
    loaded = ListCallsInput().load(body)
    assert list_calls_body(loaded)["filter_criteria"]["start_timestamp"] == criterion


@pytest.mark.parametrize(
    ("value", "expected"),
    [("ended", ["ended"]), (["ended", "error", "ended"], ["ended", "error"])],
    ids=["single", "list-deduplicated"],
)
def test_call_status_one_or_many(value, expected):
    """call_status takes one status or a list of them."""
    assert ListCallsInput().load({"call_status": value})["call_status"] == expected


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"call_status": "registered"}, "call_status"),
        ({"call_status": ["ended", 3]}, "call_status"),
        ({"call_status": []}, "call_status"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"from_number": "4155550100"}, "from_number"),
        ({"start_after": "2026-01-01"}, "start_after"),
        (
            {"start_after": 1767312000000, "start_before": 1767225600000},
            "start_before",
        ),
    ],
    ids=[
        "status-not-filterable",
        "status-not-text",
        "status-empty",
        "limit-zero",
        "limit-over-1000",
        "number-not-e164",
        "time-without-zone",
        "range-reversed",
    ],
)
def test_list_calls_refuses_bad_filters(body, field):
    """Invalid filters are reported on their field."""
    assert field in _errors(ListCallsInput(), body)


# ------------------------------------------------------- bind-agent-to-number


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"inbound_agent_id": "agent_in"},
            {"inbound_agents": [{"agent_id": "agent_in", "weight": 1}]},
        ),
        (
            {"outbound_agent_id": "agent_out", "outbound_agent_version": "2"},
            {
                "outbound_agents": [
                    {"agent_id": "agent_out", "agent_version": 2, "weight": 1}
                ]
            },
        ),
        (
            {
                "inbound_agent_id": "agent_in",
                "inbound_agent_version": "prod",
                "outbound_agent_id": "agent_out",
            },
            {
                "inbound_agents": [
                    {"agent_id": "agent_in", "agent_version": "prod", "weight": 1}
                ],
                "outbound_agents": [{"agent_id": "agent_out", "weight": 1}],
            },
        ),
    ],
    ids=["inbound-only", "outbound-with-version", "both-sides-tag"],
)
def test_bind_agent_body_sends_only_the_sides_given(body, expected):
    """Each side given becomes a one-agent weighted list (SDK 6.2.13 form)."""
    loaded = BindAgentInput().load({"phone_number": "+1 415 555 0100", **body})
    assert loaded["phone_number"] == "+14155550100"
    assert bind_agent_body(loaded) == expected


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone_number": "+14155550100"}, ""),
        ({"phone_number": "+14155550100", "inbound_agent_id": ""}, ""),
        (
            {"phone_number": "+14155550100", "outbound_agent_version": 3},
            "outbound_agent_version",
        ),
        ({"inbound_agent_id": "agent_in"}, "phone_number"),
    ],
    ids=["no-agent", "empty-agent", "version-without-agent", "no-number"],
)
def test_bind_agent_needs_a_number_and_an_agent(body, field):
    """Binding needs the number and at least one agent id for its versions."""
    assert field in _errors(BindAgentInput(), body)
