"""OpenAPI 3.1 of the whole HTTP interface, made from the catalog with apispec."""

from __future__ import annotations

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from .. import __version__, catalog
from ..mapping import jsonschema_attributes
from ..mapping.account import SubscriptionInput, WebhookKeyInput

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
            "platforms. Authenticate with your Retell API key as a Bearer token."
        },
        servers=[{"url": public_url}],
    )
    plugin.converter.add_attribute_function(jsonschema_attributes)
    spec.components.schema("Problem", PROBLEM)
    spec.components.security_scheme(
        "retellKey",
        {"type": "http", "scheme": "bearer", "description": "Your Retell API key."},
    )
    secured = [{"retellKey": []}]

    spec.path(
        "/healthz",
        operations={
            "get": {
                "summary": "Liveness",
                "responses": {"200": {"description": "Alive."}},
            }
        },
    )
    spec.path(
        "/readyz",
        operations={
            "get": {
                "summary": "Readiness (database reachable)",
                "responses": {"200": {"description": "Ready."}, **_problems(503)},
            }
        },
    )
    spec.path(
        "/v1/catalog",
        operations={
            "get": {
                "summary": "Every action and trigger, with JSON Schemas and a sample",
                "responses": {"200": {"description": "The catalog."}},
            }
        },
    )
    spec.path(
        "/v1/me",
        operations={
            "get": {
                "summary": "Connection test: checks the key with Retell",
                "security": secured,
                "responses": {
                    "200": {
                        "description": "The account, its webhook URL and concurrency."
                    },
                    **_problems(*_UPSTREAM),
                },
            }
        },
    )
    spec.path(
        "/v1/me/webhook-key",
        operations={
            "put": {
                "summary": "Register the key Retell signs this account's webhooks with",
                "security": secured,
                "requestBody": {"required": True, "content": _json(WebhookKeyInput)},
                "responses": {
                    "200": {"description": "Registered."},
                    **_problems(401, 415, 422),
                },
            }
        },
    )
    for source in catalog.OPTION_SOURCES:
        spec.path(
            f"/v1/options/{source.key}",
            operations={
                "get": {
                    "summary": source.description,
                    "security": secured,
                    "responses": {
                        "200": {"description": "Choices.", "content": _json(OPTIONS)},
                        **_problems(*_UPSTREAM),
                    },
                }
            },
        )
    for action in catalog.ACTIONS:
        spec.path(
            f"/v1/actions/{action.key}",
            operations={
                "post": {
                    "operationId": action.key,
                    "summary": action.label,
                    "description": action.description,
                    "security": secured,
                    "requestBody": {"required": True, "content": _json(action.input)},
                    "responses": {
                        str(action.status): {
                            "description": "Done.",
                            "content": _json(action.output),
                        },
                        **_problems(400, *_UPSTREAM),
                    },
                }
            },
        )
    for trigger in catalog.TRIGGERS:
        spec.path(
            f"/v1/triggers/{trigger.key}/subscriptions",
            operations={
                "post": {
                    "operationId": f"subscribe-{trigger.key}",
                    "summary": f"Subscribe a hook to {trigger.label}",
                    "security": secured,
                    "requestBody": {
                        "required": True,
                        "content": _json(SubscriptionInput),
                    },
                    "responses": {
                        "201": {
                            "description": "Subscribed; the secret signs deliveries."
                        },
                        "200": {
                            "description": "Already subscribed; the same subscription."
                        },
                        **_problems(401, 415, 422),
                    },
                }
            },
        )
        spec.path(
            f"/v1/triggers/{trigger.key}/events",
            operations={
                "get": {
                    "operationId": f"events-{trigger.key}",
                    "summary": f"Newest {trigger.label} events (polling and samples)",
                    "security": secured,
                    "parameters": [
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
                    "responses": {
                        "200": {
                            "description": "Events, newest first.",
                            "content": _json(
                                {"type": "array", "items": trigger.output}
                            ),
                        },
                        **_problems(401, 422),
                    },
                }
            },
        )
    spec.path(
        "/v1/triggers/subscriptions/{subscription_id}",
        operations={
            "delete": {
                "summary": "Unsubscribe",
                "security": secured,
                "parameters": [
                    {
                        "name": "subscription_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "204": {"description": "Removed."},
                    **_problems(401, 404),
                },
            }
        },
    )
    spec.path(
        "/v1/webhooks/retell/{account_id}",
        operations={
            "post": {
                "summary": "Retell's webhook receiver (signed with x-retell-signature)",
                "parameters": [
                    {
                        "name": "account_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "x-retell-signature",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                ],
                "requestBody": {"required": True, "content": _json({"type": "object"})},
                "responses": {
                    "200": {"description": "Stored (or a duplicate)."},
                    **_problems(400, 401, 404, 503),
                },
            }
        },
    )
    return spec.to_dict()
