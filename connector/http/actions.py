"""``POST /v1/actions/<key>``: runs one declared action on the caller's account."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from marshmallow import ValidationError

from .. import catalog
from . import payloads
from .context import caller
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
    loaded = action.input().load(data)
    return jsonify(action.perform(who, loaded)), action.status


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
