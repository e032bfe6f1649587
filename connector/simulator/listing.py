"""Cursor pagination and the v3 list-calls ``filter_criteria`` subset.

Filters follow retell-sdk 6.2.13 ``call_list_params.py``: each is an operator object
``{op, type, value}``, and all of them are AND-ed. The simulator implements the
filters named in :data:`SUPPORTED_FILTERS`; any other key is answered with 400 rather
than silently ignored, so a test never passes on a filter that did nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import bad_request

_ENUM_FIELDS: dict[str, Callable[[dict], Any]] = {
    "call_status": lambda call: call.get("call_status"),
    "call_type": lambda call: call.get("call_type"),
    "direction": lambda call: call.get("direction"),
    "disconnection_reason": lambda call: call.get("disconnection_reason"),
    "data_storage_setting": lambda call: call.get("data_storage_setting"),
    "agent_tag": lambda call: call.get("agent_tag"),
    "user_sentiment": lambda call: (call.get("call_analysis") or {}).get(
        "user_sentiment"
    ),
}
_STRING_FIELDS: dict[str, Callable[[dict], Any]] = {
    "from_number": lambda call: call.get("from_number"),
    "to_number": lambda call: call.get("to_number"),
    "batch_call_id": lambda call: call.get("batch_call_id"),
}
_NUMBER_FIELDS: dict[str, Callable[[dict], Any]] = {
    "start_timestamp": lambda call: call.get("start_timestamp"),
    "end_timestamp": lambda call: call.get("end_timestamp"),
    "duration_ms": lambda call: call.get("duration_ms"),
    "combined_cost": lambda call: (call.get("call_cost") or {}).get("combined_cost"),
    "e2e_latency_p50": lambda call: ((call.get("latency") or {}).get("e2e") or {}).get(
        "p50"
    ),
}
_BOOLEAN_FIELDS: dict[str, Callable[[dict], Any]] = {
    "call_successful": lambda call: (call.get("call_analysis") or {}).get(
        "call_successful"
    ),
    "in_voicemail": lambda call: (call.get("call_analysis") or {}).get("in_voicemail"),
}

SUPPORTED_FILTERS = frozenset(
    {"agent", "call_id", *_ENUM_FIELDS, *_STRING_FIELDS, *_NUMBER_FIELDS}
    | set(_BOOLEAN_FIELDS)
)

_STRING_OPS: dict[str, Callable[[str, str], bool]] = {
    "eq": lambda have, want: have == want,
    "ne": lambda have, want: have != want,
    "sw": lambda have, want: have.startswith(want),
    "ew": lambda have, want: have.endswith(want),
    "co": lambda have, want: want in have,
}
_NUMBER_OPS: dict[str, Callable[[float, float], bool]] = {
    "eq": lambda have, want: have == want,
    "ne": lambda have, want: have != want,
    "gt": lambda have, want: have > want,
    "ge": lambda have, want: have >= want,
    "lt": lambda have, want: have < want,
    "le": lambda have, want: have <= want,
}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _operator(name: str, spec: Any) -> tuple[str, str, Any]:
    if not isinstance(spec, dict) or not {"op", "type", "value"} <= spec.keys():
        raise bad_request(f"filter_criteria.{name} needs op, type and value.")
    return spec["op"], spec["type"], spec["value"]


def _enum_test(name: str, spec: Any, read: Callable[[dict], Any]) -> Callable:
    op, kind, value = _operator(name, spec)
    if op != "in" or kind != "enum" or not isinstance(value, list):
        raise bad_request(f"filter_criteria.{name} must be {{op: in, type: enum}}.")
    allowed = set(value)
    return lambda call: read(call) in allowed


def _string_test(name: str, spec: Any, read: Callable[[dict], Any]) -> Callable:
    op, kind, value = _operator(name, spec)
    if op not in _STRING_OPS or kind != "string" or not isinstance(value, str):
        raise bad_request(f"filter_criteria.{name} is not a valid string filter.")
    compare = _STRING_OPS[op]
    return lambda call: isinstance(read(call), str) and compare(read(call), value)


def _number_test(name: str, spec: Any, read: Callable[[dict], Any]) -> Callable:
    op, kind, value = _operator(name, spec)
    if kind == "range" and op == "bt":
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(_is_number(v) for v in value)
        ):
            raise bad_request(f"filter_criteria.{name} range needs [low, high].")
        low, high = value
        return lambda call: _is_number(read(call)) and low <= read(call) <= high
    if kind == "number" and op in _NUMBER_OPS and _is_number(value):
        compare = _NUMBER_OPS[op]
        return lambda call: _is_number(read(call)) and compare(read(call), value)
    raise bad_request(f"filter_criteria.{name} is not a valid number or range filter.")


def _boolean_test(name: str, spec: Any, read: Callable[[dict], Any]) -> Callable:
    op, kind, value = _operator(name, spec)
    if op != "eq" or kind != "boolean" or not isinstance(value, bool):
        raise bad_request(f"filter_criteria.{name} must be {{op: eq, type: boolean}}.")
    return lambda call: read(call) is value


def _agent_test(spec: Any) -> Callable:
    if not isinstance(spec, list) or not all(
        isinstance(item, dict) and isinstance(item.get("agent_id"), str)
        for item in spec
    ):
        raise bad_request("filter_criteria.agent must be a list of {agent_id}.")

    def matches(call: dict) -> bool:
        # Entries are OR-ed; an entry without versions matches every version.
        return any(
            call.get("agent_id") == item["agent_id"]
            and (
                not item.get("version") or call.get("agent_version") in item["version"]
            )
            for item in spec
        )

    return matches


def call_filter(criteria: Any) -> Callable[[dict], bool]:
    """A predicate for ``filter_criteria``; raises 400 on anything malformed."""
    if criteria is None:
        return lambda call: True
    if not isinstance(criteria, dict):
        raise bad_request("filter_criteria must be an object.")
    tests = []
    for name, spec in criteria.items():
        if name == "agent":
            tests.append(_agent_test(spec))
        elif name == "call_id":

            def read(call: dict) -> Any:
                return call.get("call_id")

            if isinstance(spec, dict) and spec.get("type") == "enum":
                tests.append(_enum_test(name, spec, read))
            else:
                tests.append(_string_test(name, spec, read))
        elif name in _ENUM_FIELDS:
            tests.append(_enum_test(name, spec, _ENUM_FIELDS[name]))
        elif name in _STRING_FIELDS:
            tests.append(_string_test(name, spec, _STRING_FIELDS[name]))
        elif name in _NUMBER_FIELDS:
            tests.append(_number_test(name, spec, _NUMBER_FIELDS[name]))
        elif name in _BOOLEAN_FIELDS:
            tests.append(_boolean_test(name, spec, _BOOLEAN_FIELDS[name]))
        else:
            raise bad_request(
                f"filter_criteria.{name} is not implemented by the Retell simulator."
            )
    return lambda call: all(test(call) for test in tests)


def paginate(
    items: list[Any],
    key_of: Callable[[Any], str],
    options: dict[str, Any],
) -> tuple[list[Any], bool, str | None]:
    """One page of already sorted ``items``: (page, has_more, next pagination_key).

    The cursor is the key of the last item handed out, so a page starts right
    after it; Retell calls the cursor opaque, so callers must not build their own.
    """
    start = 0
    cursor = options.get("pagination_key")
    if cursor is not None:
        keys = [key_of(item) for item in items]
        if cursor not in keys:
            raise bad_request("pagination_key is not valid.")
        start = keys.index(cursor) + 1
    start += options.get("skip", 0)
    page = items[start : start + options["limit"]]
    has_more = start + options["limit"] < len(items)
    return page, has_more, (key_of(page[-1]) if has_more and page else None)
