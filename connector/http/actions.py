"""``POST /v1/actions/<key>``: runs one declared action on the caller's account."""

from __future__ import annotations

import functools
import hashlib
import json

from flask import Blueprint, jsonify, request
from marshmallow import ValidationError

from .. import catalog
from ..store import idempotency
from . import payloads
from .context import caller, services
from .problems import problem

bp = Blueprint("actions", __name__, url_prefix="/v1/actions")


@bp.post("/<key>")
def run(key: str):
    action = catalog.action(key)
    if action is None:
        known = ", ".join(item.key for item in catalog.ACTIONS)
        return problem(
            404,
            "not_found",
            "No such action",
            f"There is no action '{key}'. The actions are: {known}.",
        )
    who = caller()
    data = payloads.body()
    if action.idempotent:
        _take_idempotency_header(data)
    loaded = _input_schema(action.input).load(data)
    if not action.idempotent:
        return jsonify(action.perform(who, loaded)), action.status
    return _run_once(action, who, loaded)


@functools.cache
def _input_schema(schema_class):
    # Building a schema (binding fields, composing its error messages) cost more
    # than loading the input with it; the input schemas keep no state between
    # loads, so one instance per action serves every request and thread.
    return schema_class()


def _run_once(action, who, loaded: dict):
    """Run an action at most once per idempotency key (contract: Idempotency)."""
    key = loaded.get("idempotency_key")
    if key is None:
        return jsonify(action.perform(who, loaded)), action.status
    engine = services().engine
    fingerprint = hashlib.sha256(
        json.dumps(loaded, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    reservation = idempotency.reserve(engine, who.account_id, key, fingerprint)
    if reservation.outcome == "replay":
        response = jsonify(reservation.body)
        response.status_code = reservation.status
        response.headers["Idempotent-Replay"] = "true"
        return response
    if reservation.outcome == "conflict":
        message = (
            "was used before with a different request; use a new key for a new "
            "call, or send exactly the same fields to get the first result"
        )
        return problem(
            422,
            "idempotency_conflict",
            "This idempotency key belongs to another request",
            f"The idempotency key {message}.",
            errors=[{"field": "idempotency_key", "message": message}],
        )
    if reservation.outcome == "in_progress":
        return problem(
            409,
            "idempotency_in_progress",
            "The first request with this key is still running",
            "A request with this idempotency key is still being processed; try "
            "again in a moment to get its result.",
            headers={"Retry-After": "1"},
        )
    try:
        body = action.perform(who, loaded)
    except BaseException:
        idempotency.release(engine, who.account_id, key)
        raise
    idempotency.complete(engine, who.account_id, key, action.status, body)
    return jsonify(body), action.status


def _take_idempotency_header(data: dict) -> None:
    """Accept the key as a header (what HTTP clients send) or as a body field (what
    no-code mappers can set); both at once must agree."""
    header = request.headers.get("Idempotency-Key")
    if header is None:
        return
    field = data.get("idempotency_key")
    if field not in (None, "") and field != header:
        raise ValidationError(
            {
                "idempotency_key": [
                    "differs from the Idempotency-Key header; send one key or make "
                    "the two equal"
                ]
            }
        )
    data["idempotency_key"] = header
