"""The application factory."""

from __future__ import annotations

import logging
import time

from flask import Flask, g, request

from . import __version__
from . import metrics as counters
from .config import Settings
from .delivery.targets import TargetPolicy
from .http import (
    actions,
    console,
    deliveries,
    discovery,
    docs,
    jobs,
    metrics,
    problems,
    triggers,
    webhooks,
)
from .http.context import Services
from .retell.client import RetellClient
from .store import database
from .store.keyring import Keyring

log = logging.getLogger("connector.request")

#: Largest body accepted on any route; a webhook with a long transcript stays well
#: under it, and anything larger is a 413 problem rather than memory spent.
MAX_BODY_BYTES = 4 * 1024 * 1024


def create_app(settings: Settings | None = None) -> Flask:
    """Build the connector's Flask app; nothing is made at import time."""
    settings = (settings or Settings.from_env()).resolved()
    app = Flask(__name__, instance_path=settings.instance_path)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    app.extensions["connector"] = Services(
        settings=settings,
        engine=database.connect(settings.database_url),
        keyring=Keyring(settings.secret_key),
        retell=RetellClient(
            settings.retell_base_url,
            timeout=settings.upstream_timeout,
            user_agent=f"retell-connector/{__version__}",
            observe=counters.observe_upstream,
        ),
        known_accounts=set(),
        targets=TargetPolicy(allow_private=settings.allow_private_targets),
    )
    problems.register(app)
    blueprints = (
        discovery,
        actions,
        triggers,
        webhooks,
        jobs,
        deliveries,
        metrics,
        docs,
        console,
    )
    for module in blueprints:
        app.register_blueprint(module.bp)
    app.before_request(_start_clock)
    app.after_request(_canonical_log_line)
    return app


#: The request methods counted by name in /metrics (RFC 9110 and PATCH).
METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
)


def _start_clock() -> None:
    g.started = time.monotonic()


def _canonical_log_line(response):
    # One line per request with what an operator needs; never the key, the body or
    # the query string (which could carry personal data).
    elapsed = (time.monotonic() - g.get("started", time.monotonic())) * 1000
    route = request.url_rule.rule if request.url_rule else "(no route)"
    account = g.get("account_id")
    # The route template, never the path: ids would make a series per call; and
    # only the methods HTTP defines, since anyone may send a made-up one.
    method = request.method if request.method in METHODS else "other"
    counters.REQUESTS.labels(method, route, str(response.status_code)).inc()
    counters.REQUEST_SECONDS.labels(route).observe(elapsed / 1000)
    log.info(
        "%s %s status=%d ms=%.1f account=%s",
        request.method,
        route,
        response.status_code,
        elapsed,
        account,
        extra={
            "facts": {
                "method": request.method,
                "route": route,
                "status": response.status_code,
                "ms": round(elapsed, 1),
                "account": account,
            }
        },
    )
    return response
