"""Dashboard stand-ins and test hooks under ``/_simulator/``, behind the same keys.

``PUT /_simulator/webhook-url`` does what pasting a URL into Retell's dashboard does;
the two logs let tests count upstream creates and webhook attempts without
reaching into the process.
"""

from __future__ import annotations

import copy

from flask import Blueprint, Response, current_app, g

from .api import respond
from .errors import bad_request
from .state import SimulatorState, WorkspaceState

blueprint = Blueprint("retell_simulator_admin", __name__, url_prefix="/_simulator")


def _state() -> SimulatorState:
    return current_app.extensions["retell_simulator"]


def _workspace() -> WorkspaceState:
    return g.workspace


@blueprint.get("/webhook-url")
def get_webhook_url() -> Response:
    """The workspace's account-level webhook URL (null when unset)."""
    with _state().lock:
        return respond({"url": _workspace().config.webhook_url})


@blueprint.put("/webhook-url")
def put_webhook_url() -> Response:
    """Set or clear (``{"url": null}``) the account-level webhook URL."""
    url = g.body.get("url")
    if url is not None and (
        not isinstance(url, str) or not url.startswith(("http://", "https://"))
    ):
        raise bad_request('Send {"url": "http(s)://..."} or {"url": null}.')
    with _state().lock:
        _workspace().config.webhook_url = url
    return respond({"url": url})


@blueprint.get("/requests")
def get_requests() -> Response:
    """Retell API requests this workspace made, oldest first."""
    with _state().lock:
        return respond(copy.deepcopy(_workspace().requests))


@blueprint.delete("/requests")
def clear_requests() -> Response:
    with _state().lock:
        _workspace().requests.clear()
    return Response(status=204)


@blueprint.get("/webhooks")
def get_webhooks() -> Response:
    """Every webhook delivery attempt for this workspace, oldest first."""
    with _state().lock:
        return respond(copy.deepcopy(_workspace().webhooks))


@blueprint.delete("/webhooks")
def clear_webhooks() -> Response:
    with _state().lock:
        _workspace().webhooks.clear()
    return Response(status=204)
