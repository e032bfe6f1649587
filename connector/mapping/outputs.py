"""Flat, mapper-friendly outputs built from Retell call objects.

Make, Zapier and n8n map fields they saw in a sample; a field that is missing from
the next run breaks the mapping, and nested arrays cannot be mapped at all
(field case B16). So every output here has the same top-level keys every time (null
when Retell left a value out), nested user data is also offered as flat keys, and
the untouched call object rides along under ``call`` for anything not flattened.

The schemas at the end describe these dicts for JSON Schema and OpenAPI generation;
they are documentation, the functions build the values.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import typing
from collections.abc import Iterable, Mapping

from marshmallow import INCLUDE, Schema, fields

__all__ = [
    "DIAL_FAILURE_REASONS",
    "FLATTENED_SOURCES",
    "SEPARATOR",
    "CallEventOutput",
    "CallFailedOutput",
    "CallListOutput",
    "CallOutput",
    "CreatePhoneCallOutput",
    "Option",
    "ToolCallOutput",
    "call_list_output",
    "event_output",
    "failure_details",
    "flatten_call",
    "is_failed_call",
    "iso_utc",
]

# Joins the path of a nested value into one key: metadata__crm__lead_id. Two
# underscores, because single ones are common inside Retell's and users' own keys.
SEPARATOR = "__"

# Nested user data offered as flat keys, each prefixed with its path in the call
# object, so the key says where the value came from (B16 example:
# call_analysis__custom_analysis_data__appointment__date).
FLATTENED_SOURCES: tuple[tuple[str, ...], ...] = (
    ("metadata",),
    ("call_analysis", "custom_analysis_data"),
    ("collected_dynamic_variables",),
)

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


# --------------------------------------------------------------------- failures

# Reasons meaning the call never became a conversation (retell-sdk 6.2.13
# disconnection_reason enum). Unknown and future reasons are simply not in here.
DIAL_FAILURE_REASONS = frozenset(
    {
        "dial_busy",
        "dial_failed",
        "dial_no_answer",
        "invalid_destination",
        "telephony_provider_permission_denied",
        "telephony_provider_unavailable",
        "sip_routing_error",
        "marked_as_spam",
        "network_blocked",
        "user_declined",
        "registered_call_timeout",
        "concurrency_limit_reached",
        "no_concurrency_fallback",
        "no_valid_payment",
        "credit_exhausted",
        "error_user_not_joined",
    }
)

_TECHNICAL_ERROR = (
    "A technical problem on Retell's side ended the call; it may work later",
    True,
)

# disconnection_reason -> (what happened, in words a marketer acts on; whether a
# later retry can succeed without anyone changing anything).
_FAILURES: dict[str, tuple[str, bool]] = {
    "dial_busy": ("The line was busy", True),
    "dial_no_answer": ("Nobody answered", True),
    "dial_failed": ("The phone network could not connect the call", True),
    "invalid_destination": (
        "The number does not exist or cannot be called; check it",
        False,
    ),
    "user_declined": ("The person declined the call", False),
    "user_requested_dnc": ("The person asked not to be called again", False),
    "marked_as_spam": ("The phone network flagged the calling number as spam", False),
    "scam_detected": ("Retell stopped the call as a suspected scam", False),
    "network_blocked": ("The phone network blocked the call", False),
    "telephony_provider_permission_denied": (
        "The phone provider does not allow calls to this destination from this number",
        False,
    ),
    "telephony_provider_unavailable": (
        "The phone provider was temporarily unavailable",
        True,
    ),
    "sip_routing_error": (
        "The call could not be routed; check the number's telephony (SIP) settings",
        False,
    ),
    "registered_call_timeout": ("The call was created but never started", True),
    "concurrency_limit_reached": (
        "Too many calls were running at once on the Retell account",
        True,
    ),
    "no_concurrency_fallback": (
        "Too many calls were running at once on the Retell account",
        True,
    ),
    "no_valid_payment": ("The Retell account has no valid payment method", False),
    "credit_exhausted": ("The Retell account has run out of credit", False),
    "budget_reached": ("The Retell account's spending limit was reached", False),
    "error_user_not_joined": ("The other side never joined the call", True),
    "error_llm_websocket_open": _TECHNICAL_ERROR,
    "error_llm_websocket_lost_connection": _TECHNICAL_ERROR,
    "error_llm_websocket_runtime": _TECHNICAL_ERROR,
    "error_llm_websocket_corrupt_payload": _TECHNICAL_ERROR,
    "error_no_audio_received": _TECHNICAL_ERROR,
    "error_asr": _TECHNICAL_ERROR,
    "error_retell": _TECHNICAL_ERROR,
    "error_unknown": _TECHNICAL_ERROR,
}


def is_failed_call(call: Mapping[str, typing.Any]) -> bool:
    """Whether a call ended without a conversation (the ``call_failed`` trigger)."""
    if not isinstance(call, Mapping):
        return False
    if call.get("call_status") in ("error", "not_connected"):
        return True
    reason = call.get("disconnection_reason")
    return isinstance(reason, str) and reason in DIAL_FAILURE_REASONS


def failure_details(call: Mapping[str, typing.Any]) -> dict:
    """``failure_reason`` and ``retry_recommended`` for a failed call.

    Reasons this code does not know yet get a generic text naming Retell's reason
    and no retry advice: repeating a call for an unknown cause could annoy the person
    called or spend credit for nothing.
    """
    reason = call.get("disconnection_reason") if isinstance(call, Mapping) else None
    if isinstance(reason, str) and reason in _FAILURES:
        text, retry = _FAILURES[reason]
    elif isinstance(reason, str) and reason:
        text, retry = f"The call ended without a conversation ({reason})", False
    else:
        text, retry = "The call ended without a conversation", False
    return {"failure_reason": text, "retry_recommended": retry}


# ------------------------------------------------------------------- flattening


def _at(obj: object, *path: str) -> typing.Any:
    """The value at ``path`` in nested objects, or None if any step is missing."""
    for key in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def _whole(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    return int(value)


def _number(value: object) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _flag(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _object(value: object) -> dict | None:
    return _copied(dict(value)) if isinstance(value, Mapping) else None


def _copied(value: object) -> typing.Any:
    """A copy that shares nothing mutable with ``value``.

    Calls come from JSON, so dicts, lists and scalars; walking those directly is
    several times faster than ``copy.deepcopy``, which every webhook paid for the
    whole call object. Anything else still goes through deepcopy.
    """
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    if value is None or isinstance(value, str | int | float):
        return value
    return copy.deepcopy(value)


def iso_utc(ms: object) -> str | None:
    """Epoch milliseconds as ISO 8601 UTC: ``2026-01-01T00:00:00Z``.

    Milliseconds are added (``…:47.350Z``) only when not zero; both forms are RFC
    3339 date-times that all three platforms parse.
    """
    whole = _whole(ms)
    if whole is None:
        return None
    try:
        moment = _EPOCH + dt.timedelta(milliseconds=whole)
    except OverflowError:
        return None
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "Z"


def _scalar_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _flatten_into(out: dict, prefix: str, value: object) -> None:
    """Add the leaves of a nested object to ``out`` under joined keys.

    Objects recurse. Lists of scalars become one text joined with ", "
    (``"09:00, 10:30"``), nulls skipped; lists holding objects or lists become
    compact JSON text so the key still exists for mapping. Other scalars keep their
    type. When two paths join to the same key, the first one wins.
    """
    if isinstance(value, Mapping):
        for key, item in value.items():
            _flatten_into(out, f"{prefix}{SEPARATOR}{key}", item)
        return
    if prefix in out:
        return
    if isinstance(value, list | tuple):
        if all(not isinstance(item, Mapping | list | tuple) for item in value):
            out[prefix] = ", ".join(_scalar_text(i) for i in value if i is not None)
        else:
            out[prefix] = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        return
    out[prefix] = _copied(value)


def _flattened(call: Mapping, known_keys: Iterable[str]) -> dict:
    out: dict = {}
    for path in FLATTENED_SOURCES:
        nested = _at(call, *path)
        if isinstance(nested, Mapping):
            for key, item in nested.items():
                _flatten_into(out, SEPARATOR.join((*path, str(key))), item)
    prefixes = tuple(SEPARATOR.join(path) + SEPARATOR for path in FLATTENED_SOURCES)
    for key in known_keys:
        if key.startswith(prefixes) and key not in out:
            out[key] = None
    return out


def _tool_calls(transcript: object) -> list[dict] | None:
    """Pair each tool invocation in ``transcript_with_tool_calls`` with its result."""
    if not isinstance(transcript, list):
        return None
    calls: list[dict] = []
    by_id: dict[str, dict] = {}
    for item in transcript:
        if not isinstance(item, Mapping):
            continue
        role = item.get("role")
        if role == "tool_call_invocation":
            entry = {
                "tool_call_id": _text(item.get("tool_call_id")),
                "name": _text(item.get("name")),
                "arguments": _text(item.get("arguments")),
                "result": None,
                "successful": None,
            }
            calls.append(entry)
            if entry["tool_call_id"] is not None:
                by_id[entry["tool_call_id"]] = entry
        elif role == "tool_call_result":
            entry = by_id.get(item.get("tool_call_id"))  # type: ignore[arg-type]
            if entry is not None:
                entry["result"] = _text(item.get("content"))
                entry["successful"] = _flag(item.get("successful"))
    return calls


def _duration_ms(call: Mapping) -> int | None:
    duration = _whole(call.get("duration_ms"))
    if duration is not None:
        return duration
    start = _whole(call.get("start_timestamp"))
    end = _whole(call.get("end_timestamp"))
    if start is not None and end is not None and end >= start:
        return end - start
    return None


def flatten_call(
    call: Mapping[str, typing.Any], *, known_keys: Iterable[str] = ()
) -> dict:
    """Turn a Retell call object into the flat output of every call action/trigger.

    All keys of :class:`CallOutput` are always present, null when Retell left the
    value out (list-calls items carry no transcript; ``call_ended`` no analysis).
    Nested ``metadata``, ``call_analysis.custom_analysis_data`` and
    ``collected_dynamic_variables`` are also given as flat keys (see
    :data:`FLATTENED_SOURCES`). Flat keys seen in earlier events can be passed as
    ``known_keys``; those missing now are set to null so mappings keep working
    when a call has no metadata (B16). The input is never changed.
    """
    if not isinstance(call, Mapping):
        call = {}
    analysis = call.get("call_analysis")
    tool_calls = _tool_calls(call.get("transcript_with_tool_calls"))
    duration = _duration_ms(call)
    flat = {
        "call_id": _text(call.get("call_id")),
        "call_type": _text(call.get("call_type")),
        "call_status": _text(call.get("call_status")),
        "direction": _text(call.get("direction")),
        "from_number": _text(call.get("from_number")),
        "to_number": _text(call.get("to_number")),
        "agent_id": _text(call.get("agent_id")),
        "agent_name": _text(call.get("agent_name")),
        "agent_version": _whole(call.get("agent_version")),
        "start_timestamp": _whole(call.get("start_timestamp")),
        "end_timestamp": _whole(call.get("end_timestamp")),
        "start_time": iso_utc(call.get("start_timestamp")),
        "end_time": iso_utc(call.get("end_timestamp")),
        "duration_ms": duration,
        "duration_seconds": None if duration is None else round(duration / 1000, 3),
        "disconnection_reason": _text(call.get("disconnection_reason")),
        "transcript": _text(call.get("transcript")),
        "recording_url": _text(call.get("recording_url")),
        "recording_multi_channel_url": _text(call.get("recording_multi_channel_url")),
        "public_log_url": _text(call.get("public_log_url")),
        "latency_e2e_p50_ms": _number(_at(call, "latency", "e2e", "p50")),
        "latency_e2e_p90_ms": _number(_at(call, "latency", "e2e", "p90")),
        "latency_e2e_p99_ms": _number(_at(call, "latency", "e2e", "p99")),
        "tool_calls": tool_calls,
        "tool_call_count": None if tool_calls is None else len(tool_calls),
        "call_cost_combined_cents": _number(_at(call, "call_cost", "combined_cost")),
        "call_summary": _text(_at(analysis, "call_summary")),
        "user_sentiment": _text(_at(analysis, "user_sentiment")),
        "call_successful": _flag(_at(analysis, "call_successful")),
        "in_voicemail": _flag(_at(analysis, "in_voicemail")),
        "custom_analysis_data": _object(_at(analysis, "custom_analysis_data")),
        "metadata": _object(call.get("metadata")),
        "retell_llm_dynamic_variables": _object(
            call.get("retell_llm_dynamic_variables")
        ),
        "collected_dynamic_variables": _object(call.get("collected_dynamic_variables")),
    }
    flat.update(_flattened(call, known_keys))
    flat["call"] = _copied(dict(call))
    return flat


def _occurred_at(event: str, call: Mapping, received_at_ms: int | None) -> str | None:
    if received_at_ms is not None:
        return iso_utc(received_at_ms)
    order = ("start_timestamp",) if event == "call_started" else ()
    order += ("end_timestamp", "start_timestamp")
    for key in order:
        moment = iso_utc(call.get(key))
        if moment is not None:
            return moment
    return None


def event_output(
    event: str,
    call: Mapping[str, typing.Any],
    received_at_ms: int | None = None,
    *,
    known_keys: Iterable[str] = (),
) -> dict:
    """The payload of a trigger event: stable ``id`` for dedupe plus the flat call.

    ``occurred_at`` is when the connector received the event, when given; otherwise
    the call's own time (start for ``call_started``, end for the others). A
    ``call_failed`` event also says why in plain words and whether to retry.
    """
    if not isinstance(call, Mapping):
        call = {}
    output: dict[str, typing.Any] = {
        "id": f"{call.get('call_id') or ''}:{event}",
        "event": event,
        "occurred_at": _occurred_at(event, call, received_at_ms),
    }
    if event == "call_failed":
        output.update(failure_details(call))
    output.update(flatten_call(call, known_keys=known_keys))
    return output


def call_list_output(response: Mapping[str, typing.Any]) -> dict:
    """Flatten a ``POST /v3/list-calls`` response into :class:`CallListOutput`."""
    items = response.get("items") if isinstance(response, Mapping) else None
    cursor = response.get("pagination_key") if isinstance(response, Mapping) else None
    return {
        "calls": [flatten_call(item) for item in items or [] if isinstance(item, dict)],
        "has_more": bool(response.get("has_more")) if items is not None else False,
        "pagination_key": cursor if isinstance(cursor, str) else None,
    }


# ---------------------------------------------------------------------- schemas


def _out(field_class: type[fields.Field], title: str, description: str, **kw):
    """An output field: always present, null when Retell had no value."""
    return field_class(
        required=True,
        allow_none=True,
        metadata={"title": title, "description": description},
        **kw,
    )


class ToolCallOutput(Schema):
    """One tool (function) the agent called during the call."""

    tool_call_id = _out(fields.String, "Tool call ID", "Retell's id of this call.")
    name = _out(fields.String, "Tool name", "Name of the tool the agent used.")
    arguments = _out(
        fields.String, "Arguments", "What the agent sent to the tool, as JSON text."
    )
    result = _out(fields.String, "Result", "What the tool answered, as text.")
    successful = _out(
        fields.Boolean, "Successful", "Whether the tool reported success."
    )


class CallOutput(Schema):
    """A Retell call, flat. Extra keys hold flattened nested data (metadata__…)."""

    class Meta:
        unknown = INCLUDE

    call_id = _out(fields.String, "Call ID", "Retell's id of the call.")
    call_type = _out(fields.String, "Call type", "phone_call or web_call.")
    call_status = _out(
        fields.String,
        "Call status",
        "registered (dialing), ongoing, ended, not_connected or error.",
    )
    direction = _out(fields.String, "Direction", "outbound or inbound.")
    from_number = _out(fields.String, "From number", "Calling number, E.164.")
    to_number = _out(fields.String, "To number", "Called number, E.164.")
    agent_id = _out(fields.String, "Agent ID", "The agent that handled the call.")
    agent_name = _out(fields.String, "Agent name", "That agent's name.")
    agent_version = _out(fields.Integer, "Agent version", "Version of the agent used.")
    start_timestamp = _out(
        fields.Integer, "Start (epoch ms)", "When the call started, epoch milliseconds."
    )
    end_timestamp = _out(
        fields.Integer, "End (epoch ms)", "When the call ended, epoch milliseconds."
    )
    start_time = _out(
        fields.String,
        "Start time",
        "When the call started, ISO 8601 UTC, e.g. 2026-01-01T09:00:00Z.",
    )
    end_time = _out(
        fields.String,
        "End time",
        "When the call ended, ISO 8601 UTC, e.g. 2026-01-01T09:02:47.350Z.",
    )
    duration_ms = _out(fields.Integer, "Duration (ms)", "Call length in milliseconds.")
    duration_seconds = _out(
        fields.Float, "Duration (seconds)", "Call length in seconds, e.g. 47.35."
    )
    disconnection_reason = _out(
        fields.String,
        "Disconnection reason",
        "Why the call ended, as Retell reports it, e.g. user_hangup or dial_busy.",
    )
    transcript = _out(
        fields.String,
        "Transcript",
        "What was said, one 'Agent: …' or 'User: …' line per turn. Empty in call"
        " lists; use Get call.",
    )
    recording_url = _out(fields.String, "Recording URL", "Link to the recording.")
    recording_multi_channel_url = _out(
        fields.String,
        "Recording URL (multi-channel)",
        "Link to the recording with agent and caller on separate channels.",
    )
    public_log_url = _out(fields.String, "Log URL", "Link to Retell's call log.")
    latency_e2e_p50_ms = _out(
        fields.Float, "Latency p50 (ms)", "Median agent response time."
    )
    latency_e2e_p90_ms = _out(
        fields.Float, "Latency p90 (ms)", "90th percentile agent response time."
    )
    latency_e2e_p99_ms = _out(
        fields.Float, "Latency p99 (ms)", "99th percentile agent response time."
    )
    tool_calls = _out(
        fields.List,
        "Tool calls",
        "Tools the agent used, in order, with what it sent and got back.",
        cls_or_instance=fields.Nested(ToolCallOutput),
    )
    tool_call_count = _out(
        fields.Integer, "Tool call count", "How many tools the agent used."
    )
    call_cost_combined_cents = _out(
        fields.Float, "Cost (cents)", "Total cost of the call in US cents."
    )
    call_summary = _out(
        fields.String, "Summary", "Retell's summary, once the call is analysed."
    )
    user_sentiment = _out(
        fields.String,
        "Sentiment",
        "The caller's mood: Positive, Neutral, Negative or Unknown.",
    )
    call_successful = _out(
        fields.Boolean, "Successful", "Whether the call reached its goal."
    )
    in_voicemail = _out(
        fields.Boolean, "Voicemail", "Whether the call reached a voicemail."
    )
    custom_analysis_data = _out(
        fields.Dict,
        "Custom analysis",
        "Your agent's post-call analysis fields; also flattened as"
        " call_analysis__custom_analysis_data__<name>.",
    )
    metadata = _out(
        fields.Dict,
        "Metadata",
        "The metadata given when the call was created; also flattened as"
        " metadata__<name>.",
    )
    retell_llm_dynamic_variables = _out(
        fields.Dict,
        "Dynamic variables",
        "The variables given when the call was created.",
        values=fields.String(),
    )
    collected_dynamic_variables = _out(
        fields.Dict,
        "Collected variables",
        "Variables the agent collected during the call; also flattened as"
        " collected_dynamic_variables__<name>.",
    )
    call = fields.Dict(
        required=True,
        metadata={
            "title": "Full call",
            "description": "The complete call object as Retell sent it.",
        },
    )


class CallEventOutput(CallOutput):
    """A call trigger event: id for dedupe, event name, time, and the flat call."""

    id = fields.String(
        required=True,
        metadata={
            "title": "Event ID",
            "description": "Unique per call and event: <call_id>:<event>.",
        },
    )
    event = fields.String(
        required=True,
        metadata={
            "title": "Event",
            "description": "call_started, call_ended, call_analyzed or call_failed.",
        },
    )
    occurred_at = _out(
        fields.String, "Occurred at", "When the event happened, ISO 8601 UTC."
    )


class CallFailedOutput(CallEventOutput):
    """A ``call_failed`` event: also why, in plain words, and whether to retry."""

    failure_reason = fields.String(
        required=True,
        metadata={
            "title": "Failure reason",
            "description": "What went wrong, in plain words, e.g. The line was busy.",
        },
    )
    retry_recommended = fields.Boolean(
        required=True,
        metadata={
            "title": "Retry recommended",
            "description": "Whether calling again later can work (busy, no answer)"
            " or not (invalid number, do-not-call).",
        },
    )


class CreatePhoneCallOutput(CallOutput):
    """The created call, plus warnings about input that was adjusted."""

    warnings = fields.List(
        fields.String(),
        required=True,
        metadata={
            "title": "Warnings",
            "description": "Notes about your input, e.g. empty variables not sent.",
        },
    )


class CallListOutput(Schema):
    """A page of calls, newest first."""

    calls = fields.List(
        fields.Nested(CallOutput),
        required=True,
        metadata={"title": "Calls", "description": "The calls on this page."},
    )
    has_more = fields.Boolean(
        required=True,
        metadata={"title": "More pages", "description": "Whether more calls exist."},
    )
    pagination_key = _out(
        fields.String,
        "Next page key",
        "Pass as pagination_key to get the next page; empty on the last page.",
    )


class Option(Schema):
    """One entry of a dropdown (agents, phone numbers)."""

    value = fields.String(
        required=True,
        metadata={"title": "Value", "description": "What is sent when chosen."},
    )
    label = fields.String(
        required=True,
        metadata={"title": "Label", "description": "What the user sees."},
    )


class JobRowOutput(Schema):
    row = fields.Integer(metadata={"description": "Row number, from 0."})
    status = fields.String(metadata={"description": "pending, done or failed."})
    call_id = fields.String(
        allow_none=True, metadata={"description": "The call placed for this row."}
    )
    attempts = fields.Integer(metadata={"description": "Tries made so far."})
    errors = fields.List(
        fields.Dict(),
        metadata={"description": "Why the row failed: [{field, message}]."},
    )


class JobOutput(Schema):
    job_id = fields.String(metadata={"description": "Id of the bulk job."})
    status = fields.String(metadata={"description": "running or done."})
    status_url = fields.String(metadata={"description": "Where to follow it."})
    total = fields.Integer(metadata={"description": "Rows in the job."})
    counts = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Rows done, failed and pending."},
    )
    eta_seconds = fields.Float(
        allow_none=True,
        metadata={"description": "Seconds until the pending rows are placed."},
    )
    created_at = fields.Integer(metadata={"description": "Epoch ms."})
    finished_at = fields.Integer(allow_none=True, metadata={"description": "Epoch ms."})
    rows = fields.List(fields.Nested(JobRowOutput))
