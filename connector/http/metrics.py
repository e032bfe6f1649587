"""GET /metrics: the store's gauges in Prometheus' text format.

Like /healthz it takes no key, because Prometheus scrapes without one; the figures
are totals across all accounts (no account ids, numbers or URLs), but they still
describe the business, so deployments should keep /metrics off the public ingress
and let only the scraper reach it (README, "Running it").
"""

from __future__ import annotations

from flask import Blueprint, Response
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from .. import metrics
from .context import services
from .problems import problem

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def scrape() -> Response:
    try:
        body = generate_latest(metrics.registry_for(services().engine))
    except SQLAlchemyError:
        # A 5xx makes Prometheus record up == 0 for the scrape, which is the
        # signal that should page; stale figures would hide the outage.
        return problem(
            503,
            "not_ready",
            "Metrics unavailable",
            "The database cannot be reached.",
            headers={"Retry-After": "5"},
        )
    # The classic 0.0.4 text format: every Prometheus version reads it, and the
    # names here need none of 1.0.0's escaping.
    return Response(body, content_type=CONTENT_TYPE_PLAIN_0_0_4)
