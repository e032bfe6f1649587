"""The Retell API routes the simulator answers, at Retell's own paths.

Paths, verbs, bodies and status codes follow retell-sdk 6.2.13 (``resources/call.py``,
``agent.py``, ``phone_number.py``, ``concurrency.py``): 201 for a created call, 422
for an id unknown to the key, 400 for malformed input, 429 when throttled.
"""

from __future__ import annotations

import copy
import json
import random
import time
from typing import Any

from flask import Blueprint, Response, current_app, g, request

from . import calls, destinations
from .calls import CallRecord
from .errors import RetellError, bad_request, not_found_under_key
from .listing import call_filter, paginate
from .signing import compact_json
from .state import IDEMPOTENCY_WINDOW_MS, SimulatorState, WorkspaceState
from .validation import check_create, check_number_update, is_e164, list_options

blueprint = Blueprint("retell_api", __name__)

# Part of a trunk's config, so only imported (custom) numbers take them.
_TRUNK_FIELDS = ("termination_uri", "auth_username", "transport", "codecs")

_AGENT_LIST_FIELDS = (
    "agent_id",
    "agent_name",
    "channel",
    "is_suspended",
    "tags",
    "user_modified_timestamp",
    "is_transfer_agent",
)


def respond(payload: Any, status: int = 200) -> Response:
    """A JSON response encoded the way Retell's Node servers encode it."""
    return Response(compact_json(payload), status, mimetype="application/json")


def _state() -> SimulatorState:
    return current_app.extensions["retell_simulator"]


def _workspace() -> WorkspaceState:
    return g.workspace


# -- calls -----------------------------------------------------------------------


@blueprint.post("/v2/create-phone-call")
def create_phone_call() -> Response:
    state, workspace, body = _state(), _workspace(), g.body
    check_create(body)
    from_number, to_number = body["from_number"], body["to_number"]
    with state.lock:
        number = copy.deepcopy(workspace.numbers.get(from_number))

    # ignore_e164_validation only works with custom telephony (SDK field doc).
    relaxed = (
        body.get("ignore_e164_validation") is True
        and number is not None
        and number["phone_number_type"] == "custom"
    )
    for name in ("from_number", "to_number"):
        if not relaxed and not is_e164(body[name]):
            raise bad_request(f"{name} must be an E.164 number such as +14155550123.")
    if number is None:
        raise RetellError(
            422,
            f"from_number {from_number} is not a number bought from or imported "
            "to Retell under the given API key.",
        )
    behaviour = destinations.behaviour_of(to_number)
    if behaviour == "do_not_call" and body.get("honor_internal_dnc") is True:
        raise bad_request(f"to_number {to_number} is marked do-not-call.")

    with state.lock:
        agent, version = _resolve_agent(workspace, number, body)
        replay = _idempotent_replay(state, workspace, body.get("idempotency_key"))
        if replay is not None:
            return respond(replay, 201)
        _throttle(state, workspace, behaviour, body)
        record = _register(state, workspace, agent, version, behaviour, body)
        created = copy.deepcopy(record.call)
    state.play(workspace, record)

    if behaviour == "slow_create":
        time.sleep(destinations.SLOW_CREATE_SECONDS / state.config.speed)
    return respond(created, 201)


def _resolve_agent(
    workspace: WorkspaceState, number: dict[str, Any], body: dict[str, Any]
) -> tuple[dict[str, Any], int]:
    bound_version = None
    if "override_agent_id" in body:
        agent = workspace.agents.get(body["override_agent_id"])
        if agent is None:
            raise not_found_under_key(f"agent {body['override_agent_id']}")
    else:
        bound = number.get("outbound_agents") or []
        if not bound:
            raise bad_request(
                f"from_number {number['phone_number']} has no outbound agent; bind "
                "one with update-phone-number or pass override_agent_id."
            )
        # Weights sum to 1 and pick the agent at random (SDK outbound_agents doc).
        choice = random.choices(bound, weights=[item["weight"] for item in bound])[0]
        agent = workspace.agents.get(choice["agent_id"])
        if agent is None:
            raise not_found_under_key(f"agent {choice['agent_id']}")
        bound_version = choice.get("agent_version")
    wanted = body.get("override_agent_version", bound_version)
    return agent, _resolve_version(agent, wanted)


def _resolve_version(agent: dict[str, Any], wanted: int | str | None) -> int:
    latest = agent["latest_version"]
    if wanted is None or wanted == "latest":
        return latest
    if wanted == "latest_published":
        return agent["tags"]["prod"]["version"]
    if isinstance(wanted, str) and wanted in agent["tags"]:
        return agent["tags"][wanted]["version"]
    if isinstance(wanted, str) and wanted.isdecimal() and wanted.isascii():
        wanted = int(wanted)
    if isinstance(wanted, int) and 0 <= wanted <= latest:
        return wanted
    raise not_found_under_key(f"version {wanted} of agent {agent['agent_id']}")


def _idempotent_replay(
    state: SimulatorState, workspace: WorkspaceState, key: str | None
) -> dict[str, Any] | None:
    if key is None:
        return None
    seen = workspace.idempotency.get(key)
    if seen is None:
        return None
    call_id, at_ms = seen
    if state.now_ms() - at_ms >= IDEMPOTENCY_WINDOW_MS:
        del workspace.idempotency[key]
        return None
    return copy.deepcopy(workspace.calls[call_id].call)


def _throttle(
    state: SimulatorState,
    workspace: WorkspaceState,
    behaviour: str | None,
    body: dict[str, Any],
) -> None:
    if behaviour == "rate_limited":
        raise RetellError(429, "Account rate limited, please throttle your requests.")
    if behaviour == "rate_limited_once":
        attempt = body["to_number"] + json.dumps(body.get("metadata"), sort_keys=True)
        if attempt not in workspace.rate_limited_once:
            workspace.rate_limited_once.add(attempt)
            raise RetellError(
                429, "Account rate limited, please throttle your requests."
            )
    if behaviour == "server_error":
        raise RetellError(500, "An unexpected server error occurred.")
    cps = state.config.cps
    if cps is None:
        return
    # A sliding window of one second (longer when cps < 1) holding at most cps
    # creates; Retell's CPS is an account setting (OpenAPI ``CpsConfig``).
    window = max(1.0, 1.0 / cps)
    capacity = max(1, int(cps * window + 1e-9))
    now = time.monotonic()
    while workspace.create_times and workspace.create_times[0] <= now - window:
        workspace.create_times.popleft()
    if len(workspace.create_times) >= capacity:
        raise RetellError(
            429, f"Calls per second limit ({cps:g}) reached, please throttle."
        )
    workspace.create_times.append(now)


def _register(
    state: SimulatorState,
    workspace: WorkspaceState,
    agent: dict[str, Any],
    version: int,
    behaviour: str | None,
    body: dict[str, Any],
) -> CallRecord:
    call_id = calls.new_call_id()
    settings = (body.get("agent_override") or {}).get("agent") or {}
    events = settings.get("webhook_events")
    timeout_ms = settings.get("webhook_timeout_ms")
    workspace.sequence += 1
    record = CallRecord(
        call=calls.registered_call(
            call_id=call_id,
            agent=agent,
            agent_version=version,
            from_number=body["from_number"],
            to_number=body["to_number"],
            body=body,
        ),
        agent_slug=agent["slug"],
        behaviour=behaviour,
        created_ms=state.now_ms(),
        sequence=workspace.sequence,
        webhook_url=settings.get("webhook_url"),
        webhook_events=frozenset(events) if events is not None else None,
        webhook_timeout=timeout_ms / 1000 if timeout_ms else None,
        begin_message=((body.get("agent_override") or {}).get("retell_llm") or {}).get(
            "begin_message"
        ),
    )
    workspace.calls[call_id] = record
    if body.get("idempotency_key") is not None:
        workspace.idempotency[body["idempotency_key"]] = (call_id, record.created_ms)
    return record


@blueprint.get("/v2/get-call/<call_id>")
def get_call(call_id: str) -> Response:
    state, workspace = _state(), _workspace()
    with state.lock:
        record = workspace.calls.get(call_id)
        if record is None:
            raise not_found_under_key(f"call {call_id}")
        return respond(copy.deepcopy(record.call))


@blueprint.post("/v3/list-calls")
def list_calls() -> Response:
    state, workspace, body = _state(), _workspace(), g.body
    options = list_options(body)
    keep = call_filter(body.get("filter_criteria"))
    include_total = body.get("include_total", False)
    if not isinstance(include_total, bool):
        raise bad_request("include_total must be a boolean.")
    with state.lock:
        records = sorted(
            workspace.calls.values(),
            # Sorted by start_timestamp; calls still ringing have none yet.
            key=lambda r: (r.call.get("start_timestamp", r.created_ms), r.sequence),
            reverse=options["sort_order"] == "descending",
        )
        matching = [copy.deepcopy(r.call) for r in records if keep(r.call)]
    page, has_more, cursor = paginate(matching, lambda c: c["call_id"], options)
    answer: dict[str, Any] = {
        "items": [calls.list_view(call) for call in page],
        "has_more": has_more,
    }
    if cursor is not None:
        answer["pagination_key"] = cursor
    if include_total:
        answer["total"] = len(matching)
    return respond(answer)


# -- agents, numbers, concurrency ----------------------------------------------------


@blueprint.post("/v2/list-agents")
def list_agents() -> Response:
    state, workspace = _state(), _workspace()
    options = list_options(request.args)
    criteria = g.body.get("filter_criteria") or {}
    if not isinstance(criteria, dict):
        raise bad_request("filter_criteria must be an object.")
    with state.lock:
        agents = [
            {key: copy.deepcopy(agent[key]) for key in _AGENT_LIST_FIELDS}
            for agent in workspace.agents.values()
        ]
    agents = [agent for agent in agents if _agent_matches(agent, criteria)]
    agents.sort(
        key=lambda a: (a["user_modified_timestamp"], a["agent_id"]),
        reverse=options["sort_order"] == "descending",
    )
    page, has_more, cursor = paginate(agents, lambda a: a["agent_id"], options)
    answer: dict[str, Any] = {"items": page, "has_more": has_more}
    if cursor is not None:
        answer["pagination_key"] = cursor
    return respond(answer)


def _agent_matches(agent: dict[str, Any], criteria: dict[str, Any]) -> bool:
    channel = criteria.get("channel")
    if channel is not None:
        if not isinstance(channel, dict) or channel.get("op") not in ("eq", "ne"):
            raise bad_request("filter_criteria.channel must be {op: eq|ne, value}.")
        same = agent["channel"] == channel.get("value")
        if same != (channel["op"] == "eq"):
            return False
    transfer = criteria.get("is_transfer_agent")
    if transfer is not None:
        if not isinstance(transfer, dict) or not isinstance(
            transfer.get("value"), bool
        ):
            raise bad_request("filter_criteria.is_transfer_agent must be boolean.")
        if agent["is_transfer_agent"] is not transfer["value"]:
            return False
    query = criteria.get("query")
    if query is not None:
        if not isinstance(query, str):
            raise bad_request("filter_criteria.query must be a string.")
        if query.casefold() not in agent["agent_name"].casefold():
            return False
    return True


@blueprint.get("/v2/list-phone-numbers")
def list_phone_numbers() -> Response:
    state, workspace = _state(), _workspace()
    options = list_options(request.args)
    with state.lock:
        numbers = copy.deepcopy(list(workspace.numbers.values()))
    numbers.sort(
        key=lambda n: (n["last_modification_timestamp"], n["phone_number"]),
        reverse=options["sort_order"] == "descending",
    )
    page, has_more, cursor = paginate(numbers, lambda n: n["phone_number"], options)
    answer: dict[str, Any] = {"items": page, "has_more": has_more}
    if cursor is not None:
        answer["pagination_key"] = cursor
    return respond(answer)


@blueprint.get("/get-phone-number/<path:phone_number>")
def get_phone_number(phone_number: str) -> Response:
    state, workspace = _state(), _workspace()
    with state.lock:
        number = workspace.numbers.get(phone_number)
        if number is None:
            raise not_found_under_key(f"phone number {phone_number}")
        return respond(copy.deepcopy(number))


@blueprint.patch("/update-phone-number/<path:phone_number>")
def update_phone_number(phone_number: str) -> Response:
    state, workspace, body = _state(), _workspace(), g.body
    check_number_update(body)
    with state.lock:
        number = workspace.numbers.get(phone_number)
        if number is None:
            raise not_found_under_key(f"phone number {phone_number}")
        changes = _number_changes(workspace, number, body)
        for key, value in changes.items():
            if value is None:
                number.pop(key, None)
            else:
                number[key] = value
        number["last_modification_timestamp"] = state.now_ms()
        return respond(copy.deepcopy(number))


def _number_changes(
    workspace: WorkspaceState, number: dict[str, Any], body: dict[str, Any]
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    # Older SDKs bound one agent per direction; map that onto the weighted lists.
    for direction in ("inbound", "outbound"):
        legacy = f"{direction}_agent_id"
        if legacy in body:
            agent_id = body[legacy]
            entry = {"agent_id": agent_id, "weight": 1}
            if body.get(f"{direction}_agent_version") is not None:
                entry["agent_version"] = body[f"{direction}_agent_version"]
            changes[f"{direction}_agents"] = [entry] if agent_id else []
    for name in (
        "inbound_agents",
        "outbound_agents",
        "inbound_sms_agents",
        "outbound_sms_agents",
    ):
        if name in body:
            changes[name] = copy.deepcopy(body[name])
    for name, agents in changes.items():
        for item in agents or []:
            if item["agent_id"] not in workspace.agents:
                raise not_found_under_key(f"agent {item['agent_id']} ({name})")
    for name in (
        "nickname",
        "inbound_webhook_url",
        "inbound_sms_webhook_url",
        "fallback_number",
        "allowed_inbound_country_list",
        "allowed_outbound_country_list",
    ):
        if name in body:
            changes[name] = copy.deepcopy(body[name])
    fallback = body.get("fallback_number")
    if fallback is not None and fallback == number["phone_number"]:
        raise bad_request("fallback_number cannot be the number itself.")
    trunk_changes = {k: body[k] for k in _TRUNK_FIELDS if body.get(k) is not None}
    if "auth_password" in body or trunk_changes:
        if number["phone_number_type"] != "custom":
            raise bad_request(
                "SIP trunk settings apply to custom (imported) numbers only."
            )
        trunk = dict(number.get("sip_outbound_trunk_config") or {})
        trunk.update(copy.deepcopy(trunk_changes))
        changes["sip_outbound_trunk_config"] = trunk
    return changes


@blueprint.get("/get-concurrency")
def get_concurrency() -> Response:
    state, workspace = _state(), _workspace()
    with state.lock:
        live = sum(
            record.call["call_status"] in ("registered", "ongoing")
            for record in workspace.calls.values()
        )
    return respond(
        {
            "concurrency_limit": 20,
            "base_concurrency": 20,
            "purchased_concurrency": 0,
            "concurrency_purchase_limit": 100,
            "remaining_purchase_limit": 100,
            "current_concurrency": live,
            "concurrency_burst_enabled": False,
            "concurrency_burst_limit": 0,
            "reserved_inbound_concurrency": 0,
        }
    )
