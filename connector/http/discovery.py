"""Health, the catalog, OpenAPI, the connection test and the account settings."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from .. import catalog
from ..catalog import schemas
from ..manifests import openapi
from ..mapping import hooks
from ..store import accounts, outbox
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
        "deliveries": outbox.counts(found.engine, who.account_id),
    }


@bp.put("/v1/me/webhook-key")
def set_webhook_key():
    """Register the key Retell signs webhooks with, when it is not the calling key."""
    who = caller()
    data = hooks.WebhookKeyInput().load(payloads.body())
    found = services()
    accounts.set_webhook_key(found.engine, found.keyring, who.account_id, data["key"])
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
