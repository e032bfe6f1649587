"""REST-hook subscriptions and the polling feed for the call triggers."""

from __future__ import annotations

from flask import Blueprint, jsonify
from marshmallow import ValidationError

from .. import catalog
from ..delivery import targets
from ..delivery.signing import new_secret
from ..mapping import account as account_inputs
from ..store import events, subscriptions
from . import payloads
from .context import caller, services
from .problems import problem

bp = Blueprint("triggers", __name__, url_prefix="/v1/triggers")

MAX_EVENTS = 100


def _unknown_trigger(key: str):
    known = ", ".join(item.key for item in catalog.TRIGGERS)
    return problem(
        404,
        "not_found",
        "No such trigger",
        f"There is no trigger '{key}'. The triggers are: {known}.",
    )


@bp.post("/<key>/subscriptions")
def subscribe(key: str):
    if catalog.trigger(key) is None:
        return _unknown_trigger(key)
    who = caller()
    data = account_inputs.SubscriptionInput().load(payloads.body())
    found = services()
    target_url = data["target_url"].strip()
    try:
        targets.check_url(target_url, found.targets)
    except targets.TargetRefused as refused:
        raise ValidationError({"target_url": [refused.reason]}) from None
    subscription, created = subscriptions.subscribe(
        found.engine,
        found.keyring,
        account_id=who.account_id,
        trigger=key,
        target_url=target_url,
        filters=data["filters"],
        secret=new_secret(),
    )
    return jsonify(subscription.public(with_secret=True)), 201 if created else 200


@bp.delete("/subscriptions/<subscription_id>")
def unsubscribe(subscription_id: str):
    who = caller()
    removed = subscriptions.remove(
        services().engine,
        who.account_id,
        subscription_id,
        reason="unsubscribed by the platform",
    )
    if not removed:
        return problem(
            404,
            "not_found",
            "No such subscription",
            f"This account has no subscription '{subscription_id}'.",
        )
    return "", 204


@bp.get("/<key>/events")
def recent_events(key: str):
    """Newest events first: the feed for polling triggers and for sample data."""
    if catalog.trigger(key) is None:
        return _unknown_trigger(key)
    who = caller()
    limit = payloads.query_limit(default=10, maximum=MAX_EVENTS)
    return jsonify(events.recent(services().engine, who.account_id, key, limit))
