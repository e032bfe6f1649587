"""Call objects shaped like the SDK's ``PhoneCallResponse`` (retell-sdk 6.2.13).

A call is a plain dict holding only fields the SDK knows. ``metadata``,
``retell_llm_dynamic_variables`` and ``custom_sip_headers`` appear only when the
caller supplied them; Retell omits unsupplied fields instead of sending null
(https://docs.retellai.com/features/webhook-overview).
"""

from __future__ import annotations

import copy
import re
import secrets
import statistics
from dataclasses import dataclass
from typing import Any

# v3 list-calls items leave every transcript out; fetch them with get-call
# (retell-sdk 6.2.13 ``call_list_response.py``).
TRANSCRIPT_FIELDS = frozenset(
    {
        "transcript",
        "transcript_object",
        "transcript_with_tool_calls",
        "scrubbed_transcript_with_tool_calls",
        "pre_session_transcript_with_tool_calls",
        "post_session_transcript_with_tool_calls",
        "scrubbed_pre_session_transcript_with_tool_calls",
        "scrubbed_post_session_transcript_with_tool_calls",
    }
)

# Scripts per seed agent. The "ñ" and the dash are there on purpose: webhook
# signatures are computed over raw UTF-8 bytes, and a receiver that re-encodes
# the body (or escapes non-ASCII) must fail verification.
_SCRIPTS: dict[str, tuple[tuple[str, str], ...]] = {
    "reminder": (
        ("agent", "Hi {{customer_name}}, this is the demo clinic about your visit."),
        ("user", "Hola! Could we move it to mañana morning?"),
        ("agent", "Of course — you're booked for tomorrow at nine. Goodbye!"),
    ),
    "qualifier": (
        ("agent", "Hi {{customer_name}}, thanks for your interest in our demo plan."),
        ("user", "Sure, we need it by mañana — budget is approved."),
        ("agent", "Great, a specialist will call you back today. Goodbye!"),
    ),
}

_RECORDINGS_BASE = "https://recordings.retell-simulator.invalid"

# Retell fills {{name}} placeholders from retell_llm_dynamic_variables.
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")


@dataclass
class CallRecord:
    """A call plus what the simulator needs to play it out."""

    call: dict[str, Any]
    agent_slug: str
    behaviour: str | None
    created_ms: int
    sequence: int
    webhook_url: str | None = None
    webhook_events: frozenset[str] | None = None
    webhook_timeout: float | None = None
    begin_message: str | None = None


def new_call_id() -> str:
    """``call_`` plus 27 hex characters, the shape Retell issues today."""
    return "call_" + secrets.token_hex(14)[:27]


def registered_call(
    *,
    call_id: str,
    agent: dict[str, Any],
    agent_version: int,
    from_number: str,
    to_number: str,
    body: dict[str, Any],
) -> dict[str, Any]:
    """The object create-phone-call answers with: status ``registered``."""
    agent_settings = (body.get("agent_override") or {}).get("agent") or {}
    call: dict[str, Any] = {
        "call_id": call_id,
        "call_type": "phone_call",
        "direction": "outbound",
        "from_number": from_number,
        "to_number": to_number,
        "agent_id": agent["agent_id"],
        "agent_version": agent_version,
        "agent_name": agent["agent_name"],
        "call_status": "registered",
    }
    for tag, target in agent["tags"].items():
        if target.get("version") == agent_version:
            call["agent_tag"] = tag
    for supplied in ("metadata", "retell_llm_dynamic_variables", "custom_sip_headers"):
        if supplied in body:
            call[supplied] = copy.deepcopy(body[supplied])
    call["data_storage_setting"] = agent_settings.get(
        "data_storage_setting", "everything"
    )
    call["opt_in_signed_url"] = agent_settings.get("opt_in_signed_url", False)
    return call


def start(call: dict[str, Any], now_ms: int, twilio: bool) -> None:
    """The callee picked up: the call is ``ongoing``."""
    call["call_status"] = "ongoing"
    call["start_timestamp"] = now_ms
    if twilio:
        call["telephony_identifier"] = {"twilio_call_sid": "CA" + secrets.token_hex(16)}


def _fill(text: str, variables: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        return variables.get(match.group(1), match.group(0))

    return _PLACEHOLDER.sub(value, text)


def _utterances(
    slug: str, variables: dict[str, str], begin_message: str | None
) -> list[dict[str, Any]]:
    lines = list(_SCRIPTS.get(slug, _SCRIPTS["reminder"]))
    if begin_message:
        # agent_override.retell_llm.begin_message is what the agent says first.
        lines[0] = ("agent", begin_message)
    variables = {"customer_name": "there", **variables}
    utterances = []
    clock = 0.4
    for role, line in lines:
        content = _fill(line, variables)
        words = []
        for word in content.split():
            words.append(
                {"word": word, "start": round(clock, 2), "end": round(clock + 0.3, 2)}
            )
            clock += 0.35
        utterances.append({"role": role, "content": content, "words": words})
        clock += 0.8
    return utterances


def _stats(values: list[float]) -> dict[str, Any]:
    ordered = sorted(values)

    def pick(fraction: float) -> float:
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    return {
        "p50": statistics.median(ordered),
        "p90": pick(0.9),
        "p95": pick(0.95),
        "p99": pick(0.99),
        "max": ordered[-1],
        "min": ordered[0],
        "num": len(ordered),
        "values": values,
    }


def end(record: CallRecord, now_ms: int, hangup: str) -> None:
    """The conversation is over: add everything Retell reports at ``call_ended``."""
    call = record.call
    variables = call.get("retell_llm_dynamic_variables") or {}
    utterances = _utterances(record.agent_slug, variables, record.begin_message)
    duration_ms = max(0, now_ms - call["start_timestamp"])
    seconds = duration_ms / 1000
    call.update(
        {
            "call_status": "ended",
            "end_timestamp": now_ms,
            "duration_ms": duration_ms,
            "disconnection_reason": hangup,
            "transcript": "".join(
                f"{item['role'].capitalize()}: {item['content']}\n"
                for item in utterances
            ),
            "transcript_object": utterances,
            "transcript_with_tool_calls": copy.deepcopy(utterances),
            "recording_url": f"{_RECORDINGS_BASE}/{call['call_id']}/recording.wav",
            "recording_multi_channel_url": (
                f"{_RECORDINGS_BASE}/{call['call_id']}/recording_multichannel.wav"
            ),
            "public_log_url": f"{_RECORDINGS_BASE}/{call['call_id']}/public_log.txt",
            "collected_dynamic_variables": {"previous_node": "Wrap up"},
            "latency": {
                "e2e": _stats([640.5, 812.0, 1275.25]),
                "llm": _stats([310.0, 402.5, 488.0]),
                "tts": _stats([180.0, 210.5, 260.0]),
            },
            "llm_token_usage": {
                "values": [812, 955, 1021],
                "average": 929.33,
                "num_requests": 3,
            },
            "call_cost": _cost(seconds, telephony=True),
        }
    )


def fail(record: CallRecord, now_ms: int, reason: str) -> None:
    """The dial never connected: ``not_connected`` with the dial failure reason."""
    record.call.update(
        {
            "call_status": "not_connected",
            "start_timestamp": now_ms,
            "end_timestamp": now_ms,
            "duration_ms": 0,
            "disconnection_reason": reason,
            "public_log_url": (
                f"{_RECORDINGS_BASE}/{record.call['call_id']}/public_log.txt"
            ),
            "call_cost": _cost(0, telephony=False),
        }
    )


def _cost(seconds: float, telephony: bool) -> dict[str, Any]:
    # Amounts are in cents, unit prices in cents per second (SDK ``CallCost``).
    products = [("retell_platform", 0.1167)]
    if telephony:
        products.append(("telephony", 0.0148))
    product_costs = [
        {"product": name, "unit_price": price, "cost": round(price * seconds, 4)}
        for name, price in products
    ]
    return {
        "product_costs": product_costs,
        "combined_cost": round(sum(item["cost"] for item in product_costs), 4),
        "total_duration_seconds": round(seconds, 3),
        "total_duration_unit_price": round(sum(price for _, price in products), 4),
    }


def analysis(record: CallRecord) -> dict[str, Any]:
    """The post-call analysis sent with ``call_analyzed`` and kept afterwards."""
    call = record.call
    if call["call_status"] != "ended":
        reason = call.get("disconnection_reason", "unknown")
        return {
            "call_summary": f"The call did not connect ({reason}).",
            "user_sentiment": "Unknown",
            "call_successful": False,
            "in_voicemail": False,
            "custom_analysis_data": {},
        }
    name = (call.get("retell_llm_dynamic_variables") or {}).get(
        "customer_name", "The user"
    )
    return {
        "call_summary": (
            f"{name} talked with {call['agent_name']} and asked about mañana."
        ),
        "user_sentiment": "Positive",
        "call_successful": True,
        "in_voicemail": False,
        "custom_analysis_data": {"follow_up_requested": True},
    }


def list_view(call: dict[str, Any]) -> dict[str, Any]:
    """A call as v3 list-calls returns it: everything but the transcripts."""
    return {key: value for key, value in call.items() if key not in TRANSCRIPT_FIELDS}


def without_analysis(call: dict[str, Any]) -> dict[str, Any]:
    """A call as ``call_ended`` carries it: the full object minus the analysis."""
    return {key: value for key, value in call.items() if key != "call_analysis"}
