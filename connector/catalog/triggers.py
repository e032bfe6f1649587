"""The triggers: call events that start a scenario."""

from __future__ import annotations

from ..mapping import outputs
from . import samples
from .operations import Trigger

_ENDED_CALL = {
    key: value for key, value in samples.ANALYZED_CALL.items() if key != "call_analysis"
}
_STARTED_CALL = {
    key: value
    for key, value in samples.ANALYZED_CALL.items()
    if key
    not in (
        "call_analysis",
        "end_timestamp",
        "duration_ms",
        "disconnection_reason",
        "transcript",
        "transcript_object",
        "transcript_with_tool_calls",
        "recording_url",
        "recording_multi_channel_url",
        "public_log_url",
        "latency",
        "call_cost",
        "collected_dynamic_variables",
    )
} | {"call_status": "ongoing"}

TRIGGERS = [
    Trigger(
        key="call_started",
        label="Call Started",
        description="Fires when a call connects and the conversation begins.",
        output=outputs.CallEventOutput,
        sample=outputs.event_output("call_started", _STARTED_CALL),
    ),
    Trigger(
        key="call_ended",
        label="Call Ended",
        description=(
            "Fires when a call ends, with its transcript, recording, duration and "
            "why it ended. Calls that never connected end too."
        ),
        output=outputs.CallEventOutput,
        sample=outputs.event_output("call_ended", _ENDED_CALL),
    ),
    Trigger(
        key="call_analyzed",
        label="Call Analyzed",
        description=(
            "Fires when Retell has analysed an ended call: summary, sentiment, "
            "success and your custom analysis fields."
        ),
        output=outputs.CallEventOutput,
        sample=outputs.event_output("call_analyzed", samples.ANALYZED_CALL),
    ),
    Trigger(
        key="call_failed",
        label="Call Failed",
        description=(
            "Fires when a call ends without a conversation (busy, no answer, invalid "
            "number, error), with a plain-language reason and whether retrying "
            "later makes sense."
        ),
        output=outputs.CallFailedOutput,
        sample=outputs.event_output("call_failed", samples.BUSY_CALL),
    ),
]

#: Retell's webhook events in the order a call goes through them; the index is the
#: stage that a call's stored state never moves back from.
STAGES = {"call_started": 1, "call_ended": 2, "call_analyzed": 3}
