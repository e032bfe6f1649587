"""``POST /v1/webhooks/retell/<account_id>``: Retell's signed call webhooks.

The signature is checked on the exact bytes received, before any JSON parsing (field
case B05); events are committed before the 2xx goes back, and nothing waits on the
subscribers, whose deliveries the worker makes later.
"""

from __future__ import annotations

import logging

from flask import Blueprint, request

from .. import metrics
from ..catalog import STAGES
from ..errors import FatalError
from ..mapping import outputs
from ..retell import signatures
from ..store import accounts, events
from . import payloads
from .context import services
from .problems import problem

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__, url_prefix="/v1/webhooks")

#: Retell's ids are about 32 characters; the column holds 128.
MAX_CALL_ID = 128


@bp.post("/retell/<account_id>")
def receive(account_id: str):
    found = services()
    raw = request.get_data(cache=True)
    keys = accounts.signing_keys(found.engine, found.keyring, account_id, found.clock())
    if keys is None:
        return problem(
            404,
            "not_found",
            "No such account",
            "This webhook URL names no account. Copy the webhook_url that "
            "GET /v1/me shows into the Retell dashboard.",
        )
    try:
        # Werkzeug's Headers look names up case-insensitively (field case B24).
        matched = signatures.verify(
            raw, request.headers.get("X-Retell-Signature"), keys, now_ms=found.clock()
        )
    except signatures.SignatureError as err:
        log.info("webhook for %s refused: %s", account_id, err.code)
        metrics.SIGNATURE_FAILURES.labels(err.code).inc()
        return problem(401, err.code, "The webhook signature does not verify", str(err))
    if matched:
        log.info(
            "webhook for %s verified with the previous key (grace period)", account_id
        )
    try:
        body = payloads.parse_json_object(raw)
    except FatalError as err:
        return problem(400, "invalid_webhook", "Not a call webhook", err.detail)
    event = body.get("event")
    # Older Retell payloads carried the call under "data" (retell-api.md, section 4).
    call = body.get("call") if "call" in body else body.get("data")
    call_id = call.get("call_id") if isinstance(call, dict) else None
    if not isinstance(call_id, str) or not 0 < len(call_id) <= MAX_CALL_ID:
        return problem(
            400,
            "invalid_webhook",
            "Not a call webhook",
            "The body has no call object with a call_id.",
        )
    if event not in STAGES:
        # Transcript and transfer events are not triggers; acknowledge so Retell
        # does not retry them.
        return {"ignored": True, "event": event}
    received = found.clock()
    names = [event]
    if event != "call_started" and outputs.is_failed_call(call):
        names.append("call_failed")
    incoming = [
        events.Incoming(
            name,
            outputs.event_output(
                name,
                call,
                received,
                known_keys=events.flat_keys(found.engine, account_id, name),
            ),
        )
        for name in names
    ]
    # A write the store cannot take in time (a locked SQLite file, a lost database
    # connection) is the shared 503 with Retry-After (problems.py): Retell sends
    # the event again rather than it being lost.
    stored = events.ingest(
        found.engine,
        account_id=account_id,
        call=call,
        stage=STAGES[event],
        incoming=incoming,
    )
    return {
        "duplicate": not any(item.new for item in stored),
        "events": [
            {"event": item.event, "new": item.new, "deliveries": item.deliveries}
            for item in stored
        ],
    }
