"""Deliveries to the subscribed hooks: what is queued, delivered or dead-lettered,
and replaying the dead letters once the subscriber is fixed."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from marshmallow import ValidationError

from ..store import outbox
from . import payloads
from .context import caller, services
from .problems import problem

bp = Blueprint("deliveries", __name__, url_prefix="/v1/deliveries")

STATES = ("pending", "delivered", "dead", "cancelled")
MAX_LISTED = 200


@bp.get("")
def listing():
    who = caller()
    state = request.args.get("state") or None
    if state is not None and state not in STATES:
        raise ValidationError({"state": [f"must be one of {', '.join(STATES)}"]})
    limit = payloads.query_limit(default=50, maximum=MAX_LISTED)
    return jsonify(
        outbox.listing(services().engine, who.account_id, state=state, limit=limit)
    )


@bp.post("/<message_id>/replay")
def replay_one(message_id: str):
    who = caller()
    count = outbox.replay(services().engine, who.account_id, message_id=message_id)
    if not count:
        return problem(
            404,
            "not_found",
            "No such dead letter",
            f"This account has no dead-lettered delivery '{message_id}'. Only dead "
            "letters can be replayed; see GET /v1/deliveries?state=dead.",
        )
    return {"replayed": count}, 202


@bp.post("/replay")
def replay_many():
    """Replay every dead letter, or those of one subscription."""
    who = caller()
    data = payloads.body()
    subscription_id = data.get("subscription_id")
    if subscription_id is not None and not isinstance(subscription_id, str):
        raise ValidationError({"subscription_id": ["must be a subscription id (text)"]})
    count = outbox.replay(
        services().engine, who.account_id, subscription_id=subscription_id
    )
    return {"replayed": count}, 202
