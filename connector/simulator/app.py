"""The simulator's app factory and its blocking server entry point."""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import HTTPException
from werkzeug.serving import make_server

from . import admin, api
from .config import SimulatorConfig
from .errors import RetellError
from .state import SimulatorState
from .validation import json_body

log = logging.getLogger(__name__)

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def create_app(config: SimulatorConfig) -> Flask:
    """A Flask app standing in for ``https://api.retellai.com``.

    Nothing runs until the first call is created or ``app.simulator.start()`` is
    called; ``app.simulator.stop()`` ends the background threads.
    """
    app = Flask(__name__)
    # Retell answers an id such as "/abc" (sent as %2Fabc) with "not found"; Werkzeug
    # would otherwise redirect the doubled slash with a 308.
    app.url_map.merge_slashes = False
    state = SimulatorState(config)
    app.extensions["retell_simulator"] = state
    app.simulator = state  # type: ignore[attr-defined]
    app.before_request(_authenticate)
    app.after_request(_log_request)
    app.register_error_handler(RetellError, _retell_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.register_blueprint(api.blueprint)
    app.register_blueprint(admin.blueprint)
    return app


def _authenticate() -> None:
    state: SimulatorState = current_app.extensions["retell_simulator"]
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    workspace = None
    if scheme.lower() == "bearer":
        workspace = state.workspace_for_key(key.strip())
    if workspace is None:
        raise RetellError(401, "API key is missing or invalid.")
    g.workspace = workspace

    body: Any = {}
    problem = None
    if request.method in _BODY_METHODS:
        try:
            body = json_body(request.get_data())
        except RetellError as err:
            body, problem = None, err
    g.entry = None
    if not request.path.startswith("/_simulator/"):
        g.entry = {
            "method": request.method,
            "path": request.path,
            "query": request.query_string.decode("latin-1"),
            "at_ms": state.now_ms(),
            "body": body if request.method in _BODY_METHODS else None,
            "status": None,
        }
        with state.lock:
            workspace.requests.append(g.entry)
    if problem is not None:
        raise problem
    g.body = body


def _log_request(response: Response) -> Response:
    entry = g.get("entry")
    if entry is not None:
        entry["status"] = response.status_code
    return response


def _retell_error(error: RetellError) -> Response:
    return api.respond(error.body(), error.status)


def _http_error(error: HTTPException) -> Response:
    message = {404: "Not found.", 405: "Method not allowed."}.get(
        error.code or 500, error.name
    )
    return api.respond({"status": "error", "message": message}, error.code or 500)


def _unexpected_error(error: Exception) -> Response:
    log.exception("simulator request failed", exc_info=error)
    return api.respond(
        {"status": "error", "message": "An unexpected server error occurred."}, 500
    )


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IP literals; names are not resolved."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(
    host: str, port: int, config: SimulatorConfig, *, allow_non_loopback: bool = False
) -> None:
    """Serve the simulator until interrupted (threaded werkzeug server).

    It holds fake keys and sends webhooks wherever it is told, so it binds to
    loopback only unless ``allow_non_loopback`` says otherwise.
    """
    if not allow_non_loopback and not is_loopback(host):
        raise ValueError(
            f"refusing to listen on {host!r}: the simulator binds to loopback "
            "addresses only unless explicitly allowed"
        )
    app = create_app(config)
    server = make_server(host, port, app, threaded=True)
    app.simulator.start()  # type: ignore[attr-defined]
    log.info("Retell simulator listening on http://%s:%d", host, server.server_port)
    try:
        # werkzeug's serve_forever returns quietly on Ctrl-C (KeyboardInterrupt).
        server.serve_forever()
    finally:
        server.server_close()
        app.simulator.stop()  # type: ignore[attr-defined]
        log.info("Retell simulator stopped")
