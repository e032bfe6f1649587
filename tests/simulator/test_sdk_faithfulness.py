"""Spec: the official retell-sdk 6.2.13 parses every simulator answer, strictly."""

from __future__ import annotations

import pytest
import retell as retell_sdk
from retell import Retell
from retell.types import (
    AgentListResponse,
    CallListResponse,
    ConcurrencyRetrieveResponse,
    PhoneCallResponse,
    PhoneNumberResponse,
)
from retell.types.call_list_response import ItemV3PhoneCallResponse
from retell.types.phone_number_list_response import PhoneNumberListResponse

from connector.simulator.calls import TRANSCRIPT_FIELDS
from connector.simulator.seed import agent_id_for

from .conftest import KEY, load_fixture, strictly, wait_for


def fixture_request() -> dict:
    """The shared create-phone-call fixture, bound to this workspace's agent."""
    body = load_fixture("create-phone-call.request.json")
    body["override_agent_id"] = agent_id_for(KEY, "reminder")
    return body


def test_create_phone_call_parses_strictly(retell):
    """create_phone_call answers 201 with a strict PhoneCallResponse echo."""
    body = fixture_request()
    raw = retell.call.with_raw_response.create_phone_call(**body)
    assert raw.status_code == 201
    call = strictly(PhoneCallResponse, raw.http_response.json())
    assert isinstance(raw.parse(), PhoneCallResponse)
    assert call.call_status == "registered"
    assert call.call_type == "phone_call" and call.direction == "outbound"
    assert call.agent_id == body["override_agent_id"]
    assert call.agent_version == 3 and call.agent_tag == "prod"
    assert call.agent_name == "Appointment Reminder (demo)"
    assert call.metadata == body["metadata"]
    assert call.retell_llm_dynamic_variables == body["retell_llm_dynamic_variables"]
    assert call.custom_sip_headers == body["custom_sip_headers"]
    assert call.call_id.startswith("call_") and len(call.call_id) == 32


def test_retrieve_after_analysis_parses_strictly(retell):
    """A finished call, fetched with call.retrieve, has every post-call field."""
    created = retell.call.create_phone_call(**fixture_request())

    def analysed():
        raw = retell.call.with_raw_response.retrieve(created.call_id)
        data = raw.http_response.json()
        return data if "call_analysis" in data else None

    data = wait_for(analysed)
    call = strictly(PhoneCallResponse, data)
    assert call.call_status == "ended"
    assert call.disconnection_reason in {"user_hangup", "agent_hangup"}
    assert call.end_timestamp - call.start_timestamp == call.duration_ms
    assert "mañana" in call.transcript and "Jordan Sample" in call.transcript
    assert [u.role for u in call.transcript_object] == ["agent", "user", "agent"]
    assert call.recording_url and call.latency.e2e.p50 > 0
    assert call.call_cost.combined_cost > 0
    assert call.call_analysis.call_successful is True
    assert call.telephony_identifier.twilio_call_sid.startswith("CA")


def test_list_calls_parses_strictly_without_transcripts(retell):
    """call.list returns strict v3 items that leave the transcripts out."""
    first = retell.call.create_phone_call(
        from_number="+14155550100", to_number="+14155550123"
    )
    wait_for(lambda: retell.call.retrieve(first.call_id).call_status == "ended")
    retell.call.create_phone_call(from_number="+14155550101", to_number="+14155550124")
    raw = retell.call.with_raw_response.list(include_total=True)
    data = raw.http_response.json()
    page = strictly(CallListResponse, data)
    assert page.total == 2 and page.has_more is False
    for item in data["items"]:
        strictly(ItemV3PhoneCallResponse, item)
        assert not TRANSCRIPT_FIELDS & item.keys()


def test_agent_list_parses_strictly(retell):
    """agent.list returns the two seed agents as a strict AgentListResponse."""
    data = retell.agent.with_raw_response.list().http_response.json()
    page = strictly(AgentListResponse, data)
    assert sorted(item.agent_name for item in page.items) == [
        "Appointment Reminder (demo)",
        "Lead Qualifier (demo)",
    ]
    assert {item.agent_id for item in page.items} == {
        agent_id_for(KEY, "reminder"),
        agent_id_for(KEY, "qualifier"),
    }


def test_agent_list_query_filter(retell):
    """agent.list filter_criteria.query narrows by name."""
    page = retell.agent.list(filter_criteria={"query": "lead"})
    assert [item.agent_name for item in page.items] == ["Lead Qualifier (demo)"]


def test_phone_number_list_and_retrieve_parse_strictly(retell):
    """phone_number.list and .retrieve answer strict PhoneNumber objects."""
    data = retell.phone_number.with_raw_response.list().http_response.json()
    page = strictly(PhoneNumberListResponse, data)
    assert sorted(n.phone_number for n in page.items) == [
        "+14155550100",
        "+14155550101",
        "+14155550105",
        "+14155550109",
        "+442079460000",
    ]
    raw = retell.phone_number.with_raw_response.retrieve("+14155550100")
    main = strictly(PhoneNumberResponse, raw.http_response.json())
    assert main.nickname == "Main line" and main.phone_number_type == "retell-twilio"
    assert main.outbound_agents[0].agent_id == agent_id_for(KEY, "reminder")
    unbound = retell.phone_number.retrieve("+14155550109")
    assert not unbound.outbound_agents


def test_phone_number_update_parses_strictly_and_binds(retell):
    """phone_number.update rebinds outbound agents and the next create uses them."""
    qualifier = agent_id_for(KEY, "qualifier")
    raw = retell.phone_number.with_raw_response.update(
        "+14155550109",
        nickname="Campaign line",
        outbound_agents=[{"agent_id": qualifier, "weight": 1, "agent_version": 0}],
        inbound_webhook_url=None,
    )
    number = strictly(PhoneNumberResponse, raw.http_response.json())
    assert number.nickname == "Campaign line"
    call = retell.call.create_phone_call(
        from_number="+14155550109", to_number="+14155550123"
    )
    assert (call.agent_id, call.agent_version) == (qualifier, 0)


def test_phone_number_update_accepts_legacy_single_agent(live):
    """The older outbound_agent_id field still binds one agent."""
    qualifier = agent_id_for(KEY, "qualifier")
    with Retell(api_key=KEY, base_url=live, max_retries=0) as client:
        number = client.phone_number.update(
            "+14155550109", extra_body={"outbound_agent_id": qualifier}
        )
    assert [a.agent_id for a in number.outbound_agents] == [qualifier]


def test_concurrency_parses_strictly(retell):
    """concurrency.retrieve answers a strict ConcurrencyRetrieveResponse."""
    retell.call.create_phone_call(from_number="+14155550100", to_number="+14155550123")
    raw = retell.concurrency.with_raw_response.retrieve()
    concurrency = strictly(ConcurrencyRetrieveResponse, raw.http_response.json())
    assert concurrency.concurrency_limit == 20
    assert concurrency.current_concurrency == 1


@pytest.mark.parametrize(
    ("key", "fields", "error"),
    [
        pytest.param(
            "key_wrong", {}, retell_sdk.AuthenticationError, id="401-authentication"
        ),
        pytest.param(
            KEY, {"to_number": "555-0123"}, retell_sdk.BadRequestError, id="400-bad"
        ),
        pytest.param(
            KEY,
            {"from_number": "+14155550199"},
            retell_sdk.UnprocessableEntityError,
            id="422-unprocessable",
        ),
        pytest.param(
            KEY, {"to_number": "+14155550179"}, retell_sdk.RateLimitError, id="429"
        ),
        pytest.param(
            KEY, {"to_number": "+14155550177"}, retell_sdk.InternalServerError, id="500"
        ),
    ],
)
def test_sdk_maps_error_statuses(live, key, fields, error):
    """Each error status becomes the SDK's exception class, with Retell's body."""
    body = {"from_number": "+14155550100", "to_number": "+14155550123", **fields}
    with Retell(api_key=key, base_url=live) as client:
        with pytest.raises(error) as caught:
            client.call.create_phone_call(**body)
    assert caught.value.body["status"] == "error"
    assert caught.value.body["message"]


def test_sdk_retrieve_unknown_call_is_unprocessable(retell):
    """call.retrieve of an unknown id raises UnprocessableEntityError (422)."""
    with pytest.raises(retell_sdk.UnprocessableEntityError):
        retell.call.retrieve("call_00000000000000000000000000a")
