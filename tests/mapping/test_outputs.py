"""Flat outputs: stable keys, nested data flattened, failures explained (B16)."""

from __future__ import annotations

import copy

import pytest

from connector.mapping.outputs import (
    CallOutput,
    call_list_output,
    event_output,
    flatten_call,
    is_failed_call,
    iso_utc,
)

CALL_KEYS = [name for name in CallOutput().fields]

B16_METADATA = {
    "crm": {"lead_id": "L-1001", "owner": {"email": "owner@example.invalid"}}
}
B16_ANALYSIS = {
    "call_summary": "…",
    "custom_analysis_data": {
        "appointment": {"date": "2026-01-05", "slots": ["09:00", "10:30"]},
        "interested": True,
    },
}


def test_analyzed_call_flattens_to_documented_values(analyzed_call):
    """The call_analyzed fixture gives the expected flat values."""
    flat = flatten_call(analyzed_call)
    assert {key: flat[key] for key in CALL_KEYS if key != "call"} == {
        "call_id": "call_8d1e5f2a9b3c4d7e6f0a1b2c3d4",
        "call_type": "phone_call",
        "call_status": "ended",
        "direction": "outbound",
        "from_number": "+14155550100",
        "to_number": "+14155550123",
        "agent_id": "agent_3f9c2b7e1d4a5c6b8e0f1a2b3c",
        "agent_name": "Appointment Reminder (demo)",
        "agent_version": 3,
        "start_timestamp": 1767283200000,
        "end_timestamp": 1767283247350,
        "start_time": "2026-01-01T16:00:00Z",
        "end_time": "2026-01-01T16:00:47.350Z",
        "duration_ms": 47350,
        "duration_seconds": 47.35,
        "disconnection_reason": "user_hangup",
        "transcript": analyzed_call["transcript"],
        "recording_url": analyzed_call["recording_url"],
        "recording_multi_channel_url": analyzed_call["recording_multi_channel_url"],
        "public_log_url": analyzed_call["public_log_url"],
        "latency_e2e_p50_ms": 812.0,
        "latency_e2e_p90_ms": 1105.0,
        "latency_e2e_p99_ms": 1260.0,
        "tool_calls": [],
        "tool_call_count": 0,
        "call_cost_combined_cents": 6.31,
        "call_summary": analyzed_call["call_analysis"]["call_summary"],
        "user_sentiment": "Positive",
        "call_successful": True,
        "in_voicemail": False,
        "custom_analysis_data": {
            "appointment_confirmed": True,
            "reschedule_requested": False,
        },
        "metadata": {"crm_contact_id": "ct_000123", "source": "make.com"},
        "retell_llm_dynamic_variables": {
            "customer_name": "Jordan Sample",
            "appointment_date": "2026-02-14",
        },
        "collected_dynamic_variables": {"previous_node": "Confirm appointment"},
    }
    assert flat["call"] == analyzed_call


@pytest.mark.parametrize(
    "call",
    [{}, {"call_id": "call_1", "call_status": "registered"}, None, "garbage"],
    ids=["empty", "fresh", "null", "not-an-object"],
)
def test_every_key_is_always_present(call):
    """All CallOutput keys exist, null when Retell had no value; never raises."""
    flat = flatten_call(call)
    assert set(CALL_KEYS) <= set(flat)
    assert all(
        flat[key] is None
        for key in CALL_KEYS
        if key not in ("call", "call_id", "call_status")
    )


def test_registered_call_has_nulls_for_later_fields(registered_call):
    """A fresh create response has nulls where the call has not happened yet."""
    flat = flatten_call(registered_call)
    assert flat["call_status"] == "registered"
    assert (flat["transcript"], flat["tool_calls"], flat["duration_seconds"]) == (
        None,
        None,
        None,
    )


def test_flattening_never_mutates_the_input(analyzed_call):
    """The input call is unchanged, and the output shares no objects with it."""
    before = copy.deepcopy(analyzed_call)
    flat = flatten_call(analyzed_call)
    flat["call"]["metadata"]["source"] = "changed"
    flat["metadata"]["source"] = "changed"
    assert analyzed_call == before


def test_b16_nested_objects_get_flat_keys():
    """B16: nested metadata and analysis data appear as '__'-joined scalar keys."""
    flat = flatten_call(
        {"call_id": "c1", "metadata": B16_METADATA, "call_analysis": B16_ANALYSIS}
    )
    assert flat["metadata__crm__lead_id"] == "L-1001"
    assert flat["metadata__crm__owner__email"] == "owner@example.invalid"
    assert (
        flat["call_analysis__custom_analysis_data__appointment__date"] == "2026-01-05"
    )
    assert flat["call_analysis__custom_analysis_data__interested"] is True


def test_b16_arrays_of_scalars_are_joined_next_to_the_original():
    """B16: slots become '09:00, 10:30' while the nested array is kept."""
    flat = flatten_call({"call_id": "c1", "call_analysis": B16_ANALYSIS})
    assert flat["call_analysis__custom_analysis_data__appointment__slots"] == (
        "09:00, 10:30"
    )
    assert flat["custom_analysis_data"]["appointment"]["slots"] == ["09:00", "10:30"]


def test_b16_missing_metadata_keeps_keys_as_null():
    """B16: with no metadata, the fixed keys and known flat keys are null."""
    known = flatten_call({"call_id": "c1", "metadata": B16_METADATA}).keys()
    flat = flatten_call({"call_id": "c2"}, known_keys=known)
    assert flat["metadata"] is None
    assert flat["metadata__crm__lead_id"] is None
    assert flat["metadata__crm__owner__email"] is None
    assert set(known) <= set(flat)


def test_known_keys_cannot_invent_other_fields():
    """known_keys only fills flattened keys, never arbitrary ones."""
    flat = flatten_call({"call_id": "c1"}, known_keys=["surprise", "metadata__x"])
    assert "surprise" not in flat
    assert flat["metadata__x"] is None


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({"tags": []}, {"metadata__tags": ""}),
        ({"nums": [1, 2.5, True, None]}, {"metadata__nums": "1, 2.5, true"}),
        ({"rows": [{"a": 1}]}, {"metadata__rows": '[{"a":1}]'}),
        ({"n": None}, {"metadata__n": None}),
        ({"e": {}}, {}),
        ({"a__b": 1, "a": {"b": 2}}, {"metadata__a__b": 1}),
    ],
    ids=[
        "empty-array",
        "mixed-scalars",
        "array-of-objects-as-json-text",
        "null-kept",
        "empty-object-adds-nothing",
        "colliding-paths-first-wins",
    ],
)
def test_flattening_rules(metadata, expected):
    """Edge cases of flattening, each with a fixed, documented result."""
    flat = flatten_call({"metadata": metadata})
    assert {k: v for k, v in flat.items() if k.startswith("metadata__")} == expected


def test_collected_variables_are_flattened(analyzed_call):
    """collected_dynamic_variables get flat keys too."""
    flat = flatten_call(analyzed_call)
    assert flat["collected_dynamic_variables__previous_node"] == "Confirm appointment"
    assert flat["metadata__crm_contact_id"] == "ct_000123"


def test_tool_calls_pair_invocations_with_results():
    """Each tool invocation is listed with the result of the same tool_call_id."""
    transcript = [
        {"role": "agent", "content": "One moment.", "words": []},
        {
            "role": "tool_call_invocation",
            "tool_call_id": "t1",
            "name": "check_slots",
            "arguments": '{"date": "2026-01-05"}',
        },
        {
            "role": "tool_call_result",
            "tool_call_id": "t1",
            "content": "09:00",
            "successful": True,
        },
        {
            "role": "tool_call_invocation",
            "tool_call_id": "t2",
            "name": "book",
            "arguments": "{}",
        },
        {"role": "tool_call_result", "tool_call_id": "zz", "content": "orphan"},
    ]
    flat = flatten_call({"transcript_with_tool_calls": transcript})
    assert flat["tool_calls"] == [
        {
            "tool_call_id": "t1",
            "name": "check_slots",
            "arguments": '{"date": "2026-01-05"}',
            "result": "09:00",
            "successful": True,
        },
        {
            "tool_call_id": "t2",
            "name": "book",
            "arguments": "{}",
            "result": None,
            "successful": None,
        },
    ]
    assert flat["tool_call_count"] == 2


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ({"duration_ms": 48000}, 48.0),
        ({"start_timestamp": 1000, "end_timestamp": 3500}, 2.5),
        ({"start_timestamp": 3500, "end_timestamp": 1000}, None),
        ({"duration_ms": "47"}, None),
    ],
    ids=["from-duration", "from-timestamps", "reversed-timestamps", "wrong-type"],
)
def test_duration_seconds(call, expected):
    """duration_seconds is a number of seconds, derived when Retell omits it."""
    assert flatten_call(call)["duration_seconds"] == expected


@pytest.mark.parametrize(
    ("ms", "expected"),
    [
        (1767225600000, "2026-01-01T00:00:00Z"),
        (1767225600350, "2026-01-01T00:00:00.350Z"),
        (True, None),
        ("1767225600000", None),
        (10**20, None),
    ],
    ids=["whole-second", "milliseconds", "boolean", "text", "overflow"],
)
def test_iso_utc(ms, expected):
    """Epoch ms become ISO 8601 UTC with Z; nonsense becomes null."""
    assert iso_utc(ms) == expected


# -------------------------------------------------------------------- events


def test_event_output_has_stable_id_and_flat_call(ended_call):
    """An event carries <call_id>:<event>, its time and the flat call."""
    output = event_output("call_ended", ended_call, received_at_ms=1767283248000)
    assert output["id"] == "call_8d1e5f2a9b3c4d7e6f0a1b2c3d4:call_ended"
    assert output["event"] == "call_ended"
    assert output["occurred_at"] == "2026-01-01T16:00:48Z"
    assert output["call_summary"] is None
    assert "failure_reason" not in output
    assert {
        k: v for k, v in output.items() if k not in ("id", "event", "occurred_at")
    } == (flatten_call(ended_call))


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ("call_started", "2026-01-01T16:00:00Z"),
        ("call_ended", "2026-01-01T16:00:47.350Z"),
        ("call_analyzed", "2026-01-01T16:00:47.350Z"),
    ],
    ids=["started-uses-start", "ended-uses-end", "analyzed-uses-end"],
)
def test_occurred_at_falls_back_to_the_call_times(analyzed_call, event, expected):
    """Without a receive time, the call's own start or end time is used."""
    assert event_output(event, analyzed_call)["occurred_at"] == expected


@pytest.mark.parametrize(
    ("reason", "text", "retry"),
    [
        ("dial_busy", "The line was busy", True),
        ("dial_no_answer", "Nobody answered", True),
        ("dial_failed", "The phone network could not connect the call", True),
        ("telephony_provider_unavailable", "temporarily unavailable", True),
        ("invalid_destination", "does not exist", False),
        ("user_requested_dnc", "asked not to be called again", False),
        ("marked_as_spam", "spam", False),
        ("telephony_provider_permission_denied", "does not allow calls", False),
        ("error_retell", "technical problem", True),
        (
            "a_reason_from_2030",
            "ended without a conversation (a_reason_from_2030)",
            False,
        ),
        (None, "ended without a conversation", False),
    ],
    ids=[
        "busy",
        "no-answer",
        "dial-failed",
        "provider-down",
        "invalid-number",
        "do-not-call",
        "spam",
        "permission-denied",
        "retell-error",
        "unknown-reason",
        "no-reason",
    ],
)
def test_call_failed_explains_and_advises(reason, text, retry):
    """call_failed adds a plain failure_reason and retry_recommended."""
    call = {
        "call_id": "c1",
        "call_status": "not_connected",
        "disconnection_reason": reason,
    }
    output = event_output("call_failed", call)
    assert output["id"] == "c1:call_failed"
    assert text in output["failure_reason"]
    assert output["retry_recommended"] is retry


@pytest.mark.parametrize(
    ("call", "failed"),
    [
        ({"call_status": "error"}, True),
        ({"call_status": "not_connected"}, True),
        ({"call_status": "ended", "disconnection_reason": "dial_busy"}, True),
        ({"call_status": "ended", "disconnection_reason": "dial_no_answer"}, True),
        ({"call_status": "ended", "disconnection_reason": "invalid_destination"}, True),
        ({"call_status": "ended", "disconnection_reason": "user_hangup"}, False),
        ({"call_status": "ended", "disconnection_reason": "voicemail_reached"}, False),
        ({"call_status": "ended", "disconnection_reason": "brand_new_reason"}, False),
        ({"call_status": "ended", "disconnection_reason": ["odd"]}, False),
        ({"call_status": "ongoing"}, False),
        ({}, False),
        (None, False),
    ],
    ids=[
        "status-error",
        "status-not-connected",
        "busy",
        "no-answer",
        "invalid-number",
        "hangup",
        "voicemail",
        "unknown-reason",
        "reason-not-text",
        "ongoing",
        "empty",
        "not-an-object",
    ],
)
def test_is_failed_call(call, failed):
    """Failed means no conversation; unknown reasons never raise."""
    assert is_failed_call(call) is failed


def test_call_list_output(analyzed_call):
    """A list-calls response becomes flat calls plus the paging cursor."""
    output = call_list_output(
        {"items": [analyzed_call], "has_more": True, "pagination_key": "k"}
    )
    assert output == {
        "calls": [flatten_call(analyzed_call)],
        "has_more": True,
        "pagination_key": "k",
    }
