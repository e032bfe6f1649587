"""Health, the catalog, OpenAPI, the connection test and the account settings."""

from __future__ import annotations

from flask import Blueprint, jsonify
from marshmallow import ValidationError
from sqlalchemy import text

from .. import catalog
from ..catalog import schemas
from ..manifests import openapi
from ..mapping import account as account_inputs
from ..retell.errors import UpstreamError
from ..store import accounts, outbox, pacing
from . import payloads
from .context import caller, services, webhook_url
from .problems import problem

bp = Blueprint("discovery", __name__)


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    try:
        with services().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        return problem(
            503,
            "not_ready",
            "Not ready",
            "The database cannot be reached.",
            headers={"Retry-After": "5"},
        )
    return {"status": "ready"}


@bp.get("/v1/catalog")
def catalog_index():
    return schemas.catalog_document()


@bp.get("/openapi.json")
def openapi_document():
    return openapi.document(services().settings.public_url)


@bp.get("/v1/me")
def me():
    """The platforms' connection test: checks the key with Retell and says how to
    wire Retell's webhooks to this account."""
    who = caller()
    concurrency = who.retell.get_concurrency(who.api_key)
    found = services()
    return {
        "account_id": who.account_id,
        "webhook_url": webhook_url(who.account_id),
        "webhook_signing_key": (
            "registered"
            if accounts.uses_webhook_key(found.engine, who.account_id)
            else "calling key"
        ),
        "concurrency": concurrency,
        "pacing": _pacing_view(found, who.account_id, concurrency),
        "deliveries": outbox.counts(found.engine, who.account_id),
    }


def _max_cps(provider: str, concurrency: dict) -> float:
    if provider in account_inputs.PROVIDER_MAX_CPS:
        return account_inputs.PROVIDER_MAX_CPS[provider]
    # Custom telephony: Retell allows concurrency / 20 calls per second, at least 1.
    return max(1, int(concurrency.get("concurrency_limit") or 0) // 20)


def _pacing_view(found, account_id: str, concurrency: dict) -> dict:
    current = pacing.current(found.engine, account_id, found.settings.default_cps)
    return {
        "provider": current.provider,
        "cps": current.cps,
        "max_cps": _max_cps(current.provider, concurrency),
        "max_wait_seconds": found.settings.pacing_max_wait,
    }


@bp.put("/v1/me/pacing")
def set_pacing():
    """Set how many calls per second this account places (contract: Pacing)."""
    who = caller()
    data = account_inputs.PacingInput().load(payloads.body())
    concurrency = (
        who.retell.get_concurrency(who.api_key) if data["provider"] == "custom" else {}
    )
    limit = _max_cps(data["provider"], concurrency)
    if data["cps"] > limit:
        message = f"{data['provider']} allows at most {limit:g} calls per second" + (
            f" (your concurrency {concurrency.get('concurrency_limit')} / 20)"
            if data["provider"] == "custom"
            else ""
        )
        raise ValidationError({"cps": [message]})
    found = services()
    pacing.configure(found.engine, who.account_id, data["provider"], data["cps"])
    return _pacing_view(found, who.account_id, concurrency)


@bp.put("/v1/me/webhook-key")
def set_webhook_key():
    """Register the key Retell signs webhooks with, when it is not the calling key."""
    who = caller()
    data = account_inputs.WebhookKeyInput().load(payloads.body())
    if data["key"]:
        # A key Retell does not know can never have signed a webhook; taking it
        # would make every real webhook fail verification.
        try:
            who.retell.get_concurrency(data["key"])
        except UpstreamError as err:
            if err.status != 401:
                raise
            message = (
                "Retell does not accept this key; copy it again from the "
                "Retell dashboard (API Keys, the one with the webhook badge)"
            )
            raise ValidationError({"key": [message]}) from None
    found = services()
    accounts.set_webhook_key(
        found.engine, found.keyring, who.account_id, data["key"], found.clock()
    )
    return {
        "account_id": who.account_id,
        "webhook_signing_key": "registered" if data["key"] else "calling key",
    }


@bp.get("/v1/options/<key>")
def options(key: str):
    source = next((item for item in catalog.OPTION_SOURCES if item.key == key), None)
    if source is None:
        return problem(
            404,
            "not_found",
            "No such option list",
            f"There is no option list '{key}'. Try agents or phone-numbers.",
        )
    return jsonify(source.perform(caller()))
