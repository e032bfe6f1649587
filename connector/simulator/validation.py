"""Request checks, mirroring the request types of retell-sdk 6.2.13.

Types come from ``call_create_phone_call_params.py`` and
``phone_number_update_params.py``; numeric limits from the field docs there. Retell
does not publish its E.164 pattern; the simulator takes ``^\\+[1-9]\\d{1,14}$`` with
ASCII digits only (``\\d`` alone would let Arabic-Indic digits through).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .errors import bad_request
from .signing import compact_json

E164 = re.compile(r"\+[1-9][0-9]{1,14}")

# Documented on update-call; Retell is assumed to apply the same to create.
METADATA_LIMIT_BYTES = 50_000

WEBHOOK_EVENTS = frozenset(
    {
        "call_started",
        "call_ended",
        "call_analyzed",
        "transcript_updated",
        "transfer_started",
        "transfer_bridged",
        "transfer_cancelled",
        "transfer_ended",
    }
)

DATA_STORAGE_SETTINGS = frozenset(
    {"everything", "everything_except_pii", "basic_attributes_only"}
)

# field -> (minimum, maximum); None means unbounded (agent field docs in the SDK).
_AGENT_LIMITS: dict[str, tuple[float | None, float | None]] = {
    "max_call_duration_ms": (60_000, 7_200_000),
    "ring_duration_ms": (5_000, 300_000),
    "end_call_after_silence_ms": (10_000, None),
    "begin_message_delay_ms": (0, 5_000),
    "interruption_sensitivity": (0, 1),
    "responsiveness": (0, 1),
    "data_storage_retention_days": (1, 730),
    "webhook_timeout_ms": (1, None),
}

_AGENT_LISTS = (
    "inbound_agents",
    "outbound_agents",
    "inbound_sms_agents",
    "outbound_sms_agents",
)
_NULLABLE_STRINGS = (
    "nickname",
    "inbound_webhook_url",
    "inbound_sms_webhook_url",
    "fallback_number",
    "transport",
)
_STRINGS = ("termination_uri", "auth_username", "auth_password")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def json_body(raw: bytes) -> dict[str, Any]:
    """The request body as a JSON object; an empty body counts as ``{}``."""
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as err:
        raise bad_request("Request body is not valid JSON.") from err
    if not isinstance(body, dict):
        raise bad_request("Request body must be a JSON object.")
    return body


def is_e164(value: str) -> bool:
    return E164.fullmatch(value) is not None


def _string(body: dict[str, Any], name: str, *, required: bool = False) -> None:
    if name not in body:
        if required:
            raise bad_request(f"{name} is required.")
        return
    if not isinstance(body[name], str) or not body[name]:
        raise bad_request(f"{name} must be a non-empty string.")


def _boolean(body: dict[str, Any], name: str) -> None:
    if name in body and not isinstance(body[name], bool):
        raise bad_request(f"{name} must be a boolean.")


def _string_map(body: dict[str, Any], name: str) -> None:
    if name not in body:
        return
    value = body[name]
    if not isinstance(value, dict):
        raise bad_request(f"{name} must be an object of string values.")
    for key, item in value.items():
        if not isinstance(item, str):
            raise bad_request(f"{name}.{key} must be a string.")


def _number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def check_create(body: dict[str, Any]) -> None:
    """Raise a 400 :class:`RetellError` unless ``body`` is a valid create request.

    E.164 checks are left to the caller: whether ``ignore_e164_validation`` applies
    depends on the telephony behind ``from_number``.
    """
    _string(body, "from_number", required=True)
    _string(body, "to_number", required=True)
    _string(body, "override_agent_id")
    _string(body, "idempotency_key")
    _boolean(body, "ignore_e164_validation")
    _boolean(body, "honor_internal_dnc")
    if "override_agent_version" in body:
        version = body["override_agent_version"]
        if isinstance(version, bool) or not isinstance(version, int | str):
            raise bad_request("override_agent_version must be an integer or a string.")
        if isinstance(version, int) and version < 0:
            raise bad_request("override_agent_version must not be negative.")
    _string_map(body, "retell_llm_dynamic_variables")
    _string_map(body, "custom_sip_headers")
    if "metadata" in body:
        if not isinstance(body["metadata"], dict):
            raise bad_request("metadata must be an object.")
        size = len(compact_json(body["metadata"]).encode("utf-8"))
        if size > METADATA_LIMIT_BYTES:
            raise bad_request(
                f"metadata is {size} bytes; the limit is {METADATA_LIMIT_BYTES}."
            )
    if "agent_override" in body:
        _check_agent_override(body["agent_override"])


def _check_agent_override(override: Any) -> None:
    if not isinstance(override, dict):
        raise bad_request("agent_override must be an object.")
    for part in ("agent", "retell_llm", "conversation_flow"):
        if part in override and not isinstance(override[part], dict):
            raise bad_request(f"agent_override.{part} must be an object.")
    begin = (override.get("retell_llm") or {}).get("begin_message")
    if begin is not None and not isinstance(begin, str):
        raise bad_request("agent_override.retell_llm.begin_message must be a string.")
    agent = override.get("agent") or {}
    for name, (low, high) in _AGENT_LIMITS.items():
        if name not in agent:
            continue
        value = agent[name]
        if (
            not _number(value)
            or (low is not None and value < low)
            or (high is not None and value > high)
        ):
            span = f"{low} to {high}" if high is not None else f"at least {low}"
            raise bad_request(f"agent_override.agent.{name} must be {span}.")
    url = agent.get("webhook_url")
    if url is not None and (
        not isinstance(url, str) or not url.startswith(("http://", "https://"))
    ):
        raise bad_request("agent_override.agent.webhook_url must be an http(s) URL.")
    events = agent.get("webhook_events")
    if events is not None and (
        not isinstance(events, list)
        or not all(isinstance(e, str) and e in WEBHOOK_EVENTS for e in events)
    ):
        raise bad_request(
            "agent_override.agent.webhook_events must list known events: "
            + ", ".join(sorted(WEBHOOK_EVENTS))
        )
    storage = agent.get("data_storage_setting")
    if storage is not None and storage not in DATA_STORAGE_SETTINGS:
        raise bad_request("agent_override.agent.data_storage_setting is not valid.")
    if "opt_in_signed_url" in agent and not isinstance(
        agent["opt_in_signed_url"], bool
    ):
        raise bad_request("agent_override.agent.opt_in_signed_url must be a boolean.")


def check_number_update(body: dict[str, Any]) -> None:
    """Raise a 400 :class:`RetellError` unless ``body`` is a valid number update."""
    for name in _AGENT_LISTS:
        if body.get(name) is not None:
            _check_weighted_agents(name, body[name])
    for name in _NULLABLE_STRINGS:
        if body.get(name) is not None and not isinstance(body[name], str):
            raise bad_request(f"{name} must be a string or null.")
    for name in _STRINGS:
        if name in body and not isinstance(body[name], str):
            raise bad_request(f"{name} must be a string.")
    for name in ("allowed_inbound_country_list", "allowed_outbound_country_list"):
        value = body.get(name)
        if value is not None and (
            not isinstance(value, list)
            or not all(
                isinstance(c, str) and re.fullmatch("[A-Z]{2}", c) for c in value
            )
        ):
            raise bad_request(f"{name} must list ISO 3166-1 alpha-2 country codes.")
    codecs = body.get("codecs")
    if "codecs" in body and (
        not isinstance(codecs, list) or not all(isinstance(c, str) for c in codecs)
    ):
        raise bad_request("codecs must be a list of strings.")
    for legacy in ("inbound_agent_id", "outbound_agent_id"):
        value = body.get(legacy)
        if value is not None and (not isinstance(value, str) or not value):
            raise bad_request(f"{legacy} must be a non-empty string or null.")


def _check_weighted_agents(name: str, agents: Any) -> None:
    if not isinstance(agents, list):
        raise bad_request(f"{name} must be a list or null.")
    for index, item in enumerate(agents):
        where = f"{name}[{index}]"
        if not isinstance(item, dict):
            raise bad_request(f"{where} must be an object.")
        if not isinstance(item.get("agent_id"), str) or not item["agent_id"]:
            raise bad_request(f"{where}.agent_id is required.")
        if not _number(item.get("weight")) or not 0 < item["weight"] <= 1:
            raise bad_request(f"{where}.weight must be a number in (0, 1].")
        version = item.get("agent_version")
        if version is not None and (
            isinstance(version, bool) or not isinstance(version, int | str)
        ):
            raise bad_request(f"{where}.agent_version must be an integer or string.")
    if agents and not math.isclose(
        sum(item["weight"] for item in agents), 1, abs_tol=1e-6
    ):
        raise bad_request(f"The weights in {name} must add up to 1.")


def list_options(
    source: dict[str, Any], *, default_limit: int = 50, max_limit: int = 1000
) -> dict[str, Any]:
    """``limit``, ``sort_order``, ``pagination_key`` and ``skip`` from a request.

    ``source`` is a JSON body or a query-string mapping; query values are strings.
    """
    options: dict[str, Any] = {
        "limit": default_limit,
        "sort_order": "descending",
        "pagination_key": None,
        "skip": 0,
    }
    for name in ("limit", "skip"):
        if name not in source:
            continue
        value = source[name]
        if isinstance(value, str) and re.fullmatch("[0-9]+", value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad_request(f"{name} must be an integer.")
        options[name] = value
    if not 1 <= options["limit"] <= max_limit:
        raise bad_request(f"limit must be between 1 and {max_limit}.")
    if options["skip"] < 0:
        raise bad_request("skip must not be negative.")
    if "sort_order" in source:
        if source["sort_order"] not in ("ascending", "descending"):
            raise bad_request("sort_order must be ascending or descending.")
        options["sort_order"] = source["sort_order"]
    if source.get("pagination_key") is not None:
        if not isinstance(source["pagination_key"], str):
            raise bad_request("pagination_key must be a string.")
        options["pagination_key"] = source["pagination_key"]
    return options
