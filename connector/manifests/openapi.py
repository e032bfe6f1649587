"""OpenAPI 3.1 of the whole HTTP interface, made from the catalog with apispec."""

from __future__ import annotations

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from .. import __version__, catalog
from ..mapping import jsonschema_attributes
from ..mapping.account import PacingInput, SubscriptionInput, WebhookKeyInput
from ..mapping.outputs import JobOutput

PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem document; the one error shape of every route.",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {
            "type": "string",
            "description": "Stable machine code, e.g. validation_failed, "
            "unauthorized, not_found, rate_limited, upstream_rejected, "
            "upstream_unavailable.",
        },
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string", "description": "Dotted path."},
                    "message": {"type": "string"},
                },
            },
        },
    },
}

OPTIONS = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"value": {"type": "string"}, "label": {"type": "string"}},
    },
}


def _problems(*statuses: int) -> dict:
    ref = {"$ref": "#/components/schemas/Problem"}
    return {
        str(status): {
            "description": _REASONS[status],
            "content": {"application/problem+json": {"schema": ref}},
        }
        for status in statuses
    }


_REASONS = {
    400: "The body is not valid JSON.",
    401: "No usable Retell API key, or Retell rejected it.",
    402: "Retell refused for billing reasons.",
    404: "Unknown id or route.",
    409: "The same idempotency key is still being processed.",
    413: "The body is too large.",
    415: "The body is not JSON (or a form) in UTF-8.",
    422: "The input does not pass validation; errors[] names each field.",
    429: "Rate limited; retry after Retry-After seconds.",
    502: "Retell failed or could not be reached.",
    503: "Temporarily unavailable.",
    504: "Retell did not answer in time.",
}

_UPSTREAM = (401, 402, 404, 415, 422, 429, 502, 504)


def _json(schema) -> dict:
    return {"application/json": {"schema": schema}}


def _object(**properties) -> dict:
    return {"type": "object", "properties": properties}


STRING, INTEGER = {"type": "string"}, {"type": "integer"}
NULLABLE_STRING = {"type": ["string", "null"]}

SUBSCRIPTION = _object(
    id=STRING,
    trigger=STRING,
    target_url=STRING,
    filters={"type": "object"},
    secret={
        "type": "string",
        "description": "whsec_…: verifies the Standard Webhooks signature of each "
        "delivery.",
    },
)
DELIVERY = _object(
    id={"type": "string", "description": "The webhook-id of every attempt."},
    subscription_id=STRING,
    event_id=STRING,
    state={"type": "string", "enum": ["pending", "delivered", "dead", "cancelled"]},
    attempts=INTEGER,
    last_status={"type": ["integer", "null"]},
    last_error=NULLABLE_STRING,
    next_attempt_at={"type": ["integer", "null"]},
    created_at=INTEGER,
    finished_at={"type": ["integer", "null"]},
)
PACING = _object(
    provider=STRING,
    cps={"type": "number"},
    max_cps={"type": "number"},
    max_wait_seconds={"type": "number"},
)
ME = _object(
    account_id=STRING,
    webhook_url=STRING,
    webhook_signing_key={"type": "string", "enum": ["calling key", "registered"]},
    concurrency={"type": "object"},
    pacing=PACING,
    deliveries={"type": "object"},
)


def _operation(
    summary: str,
    *,
    ok: tuple[str, str, dict | None] = ("200", "Done.", None),
    problems: tuple[int, ...] = (),
    body=None,
    body_required: bool = True,
    secured: bool = True,
    **extra,
) -> dict:
    """One operation object: a summary, its success answer and its problems."""
    status, description, schema = ok
    success = {"description": description}
    if schema is not None:
        success["content"] = _json(schema)
    operation = {
        "summary": summary,
        "responses": {status: success, **_problems(*problems)},
        **extra,
    }
    if secured:
        operation["security"] = [{"retellKey": []}]
    if body is not None:
        operation["requestBody"] = {"required": body_required, "content": _json(body)}
    return operation


def _has_required(schema) -> bool:
    return any(field.required for field in schema().fields.values())


def _path_parameter(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": STRING}


def document(public_url: str) -> dict:
    """The OpenAPI document, with ``public_url`` as its server."""
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title="Retell connector for Make, Zapier and n8n",
        version=__version__,
        openapi_version="3.1.0",
        plugins=[plugin],
        info={
            "description": "Places and follows Retell AI phone calls for no-code "
            "platforms. Authenticate with your Retell API key as a Bearer token. "
            "Inputs are read leniently: an empty optional field counts as not set."
        },
        servers=[{"url": public_url}],
    )
    plugin.converter.add_attribute_function(jsonschema_attributes)
    spec.components.schema("Problem", PROBLEM)
    spec.components.security_scheme(
        "retellKey",
        {"type": "http", "scheme": "bearer", "description": "Your Retell API key."},
    )
    paths = {
        "/healthz": {
            "get": _operation(
                "Liveness", ok=("200", "Alive.", _object(status=STRING)), secured=False
            )
        },
        "/readyz": {
            "get": _operation(
                "Readiness (database reachable)",
                ok=("200", "Ready.", _object(status=STRING)),
                problems=(503,),
                secured=False,
            )
        },
        "/v1/catalog": {
            "get": _operation(
                "Every action and trigger, with JSON Schemas and a sample",
                ok=(
                    "200",
                    "The catalog.",
                    _object(
                        actions={"type": "array"},
                        triggers={"type": "array"},
                        options={"type": "array"},
                    ),
                ),
                secured=False,
            )
        },
        "/v1/me": {
            "get": _operation(
                "Connection test: checks the key with Retell",
                ok=("200", "The account, its webhook URL, concurrency and pacing.", ME),
                problems=_UPSTREAM,
            )
        },
        "/v1/me/webhook-key": {
            "put": _operation(
                "Register the key Retell signs this account's webhooks with",
                body=WebhookKeyInput,
                ok=(
                    "200",
                    "Registered.",
                    _object(account_id=STRING, webhook_signing_key=STRING),
                ),
                problems=(400, 401, 415, 422, 502),
            )
        },
        "/v1/me/pacing": {
            "put": _operation(
                "Set the calls per second this account places",
                body=PacingInput,
                ok=("200", "The pacing now in force.", PACING),
                problems=(400, 401, 415, 422, 502),
            )
        },
        "/v1/jobs/{job_id}": {
            "get": _operation(
                "Progress and per-row results of a bulk job",
                ok=("200", "The job.", JobOutput),
                problems=(401, 404),
                parameters=[_path_parameter("job_id")],
            )
        },
        "/v1/deliveries": {
            "get": _operation(
                "This account's deliveries, newest first",
                ok=("200", "Deliveries.", {"type": "array", "items": DELIVERY}),
                problems=(401, 422),
                parameters=[
                    {
                        "name": "state",
                        "in": "query",
                        # Empty is "every state": a mapper's empty field is not
                        # a filter (as an empty metadata text is "not set").
                        "description": "Only deliveries in this state; empty or "
                        "left out: every state.",
                        "schema": {
                            "type": "string",
                            "enum": ["", "pending", "delivered", "dead", "cancelled"],
                        },
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": 200,
                            "default": 50,
                        },
                    },
                ],
            )
        },
        "/v1/deliveries/replay": {
            "post": _operation(
                "Replay every dead letter, or those of one subscription",
                body=_object(subscription_id=NULLABLE_STRING),
                body_required=False,
                ok=("202", "Queued again.", _object(replayed=INTEGER)),
                problems=(400, 401, 415, 422),
            )
        },
        "/v1/deliveries/{message_id}/replay": {
            "post": _operation(
                "Replay one dead letter (same webhook-id)",
                ok=("202", "Queued again.", _object(replayed=INTEGER)),
                problems=(401, 404),
                parameters=[_path_parameter("message_id")],
            )
        },
        "/v1/triggers/subscriptions/{subscription_id}": {
            "delete": _operation(
                "Unsubscribe",
                ok=("204", "Removed.", None),
                problems=(401, 404),
                parameters=[_path_parameter("subscription_id")],
            )
        },
        "/v1/webhooks/retell/{account_id}": {
            "post": _operation(
                "Retell's webhook receiver (signed with x-retell-signature)",
                body={"type": "object"},
                ok=(
                    "200",
                    "Stored, or a duplicate.",
                    _object(
                        duplicate={"type": "boolean"},
                        events={"type": "array"},
                        ignored={"type": "boolean"},
                        event={},
                    ),
                ),
                problems=(400, 401, 404, 413, 503),
                secured=False,
                parameters=[
                    _path_parameter("account_id"),
                    {
                        "name": "x-retell-signature",
                        "in": "header",
                        "required": True,
                        "schema": STRING,
                    },
                ],
            )
        },
    }
    for source in catalog.OPTION_SOURCES:
        paths[f"/v1/options/{source.key}"] = {
            "get": _operation(
                source.description,
                ok=("200", "Choices.", OPTIONS),
                problems=_UPSTREAM,
            )
        }
    for action in catalog.ACTIONS:
        paths[f"/v1/actions/{action.key}"] = {
            "post": _operation(
                action.label,
                description=action.description,
                operationId=action.key,
                body=action.input,
                body_required=_has_required(action.input),
                ok=(str(action.status), "Done.", action.output),
                problems=(400, 409, *_UPSTREAM)
                if action.idempotent
                else (400, *_UPSTREAM),
            )
        }
    for trigger in catalog.TRIGGERS:
        paths[f"/v1/triggers/{trigger.key}/subscriptions"] = {
            "post": _operation(
                f"Subscribe a hook to {trigger.label}",
                operationId=f"subscribe-{trigger.key}",
                body=SubscriptionInput,
                ok=("201", "Subscribed; the secret signs deliveries.", SUBSCRIPTION),
                problems=(400, 401, 415, 422),
            )
        }
        paths[f"/v1/triggers/{trigger.key}/subscriptions"]["post"]["responses"][
            "200"
        ] = {
            "description": "Already subscribed: the same subscription.",
            "content": _json(SUBSCRIPTION),
        }
        paths[f"/v1/triggers/{trigger.key}/events"] = {
            "get": _operation(
                f"Newest {trigger.label} events (polling and samples)",
                operationId=f"events-{trigger.key}",
                ok=(
                    "200",
                    "Events, newest first.",
                    {"type": "array", "items": trigger.output},
                ),
                problems=(401, 422),
                parameters=[
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": 100,
                            "default": 10,
                        },
                    }
                ],
            )
        }
    for path, operations in paths.items():
        spec.path(path, operations=operations)
    return spec.to_dict()
