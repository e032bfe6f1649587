"""JSON Schema (2020-12) for every declared operation, from its marshmallow schemas.

These documents are what ``GET /v1/catalog`` serves and what ``connector generate``
writes to ``schemas/``; a test keeps the two identical.
"""

from __future__ import annotations

from functools import cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.openapi import OpenAPIConverter
from marshmallow import Schema

from ..mapping import jsonschema_attributes
from ..mapping.account import SubscriptionInput
from . import ACTIONS, OPTION_SOURCES, TRIGGERS

DIALECT = "https://json-schema.org/draft/2020-12/schema"
NOTICE = "generated - do not edit; run `connector generate`"


@cache
def converter(*, inline: bool = True) -> OpenAPIConverter:
    """apispec's marshmallow converter, taught our custom fields.

    ``inline`` puts nested schemas in place, as standalone JSON Schema files need;
    the OpenAPI document registers them as components instead.
    """
    plugin = MarshmallowPlugin(
        schema_name_resolver=(lambda _schema: None) if inline else None
    )
    APISpec("catalog", "1", "3.1.0", plugins=[plugin])
    plugin.converter.add_attribute_function(jsonschema_attributes)
    return plugin.converter


def json_schema(schema: type[Schema], title: str, description: str) -> dict:
    body = converter().schema2jsonschema(schema())
    return {
        "$schema": DIALECT,
        "$comment": NOTICE,
        "title": title,
        "description": description,
        **body,
    }


@cache
def documents() -> dict[str, dict]:
    """Every schema file, by its name under ``schemas/``."""
    found = {}
    for action in ACTIONS:
        found[f"actions/{action.key}.input.json"] = json_schema(
            action.input, f"{action.label}: input", action.description
        )
        found[f"actions/{action.key}.output.json"] = json_schema(
            action.output, f"{action.label}: output", action.description
        )
    for trigger in TRIGGERS:
        document = json_schema(
            trigger.output, f"{trigger.label}: event", trigger.description
        )
        document["properties"].update(_flat_keys(trigger.sample))
        found[f"triggers/{trigger.key}.output.json"] = document
    found["triggers/subscription.input.json"] = json_schema(
        SubscriptionInput, "Subscribe to a trigger", "A REST-hook subscription."
    )
    return found


def _flat_keys(sample: dict) -> dict:
    """Schema entries for the sample's flattened nested values (field case B16).

    Which keys exist depends on each account's metadata and analysis fields; the
    sample's ones are listed so the platforms show how they look. Others are
    allowed too (the output schemas do not forbid extra properties).
    """
    return {
        key: {
            "description": "Flattened from "
            + key.replace("__", ".")
            + "; null when the call has no such value.",
            "type": ["string", "number", "boolean", "null"],
        }
        for key in sample
        if "__" in key
    }


@cache
def catalog_document() -> dict:
    """The body of ``GET /v1/catalog``."""
    files = documents()
    return {
        "actions": [
            {
                "key": action.key,
                "label": action.label,
                "description": action.description,
                "kind": action.kind,
                "input_schema": files[f"actions/{action.key}.input.json"],
                "output_schema": files[f"actions/{action.key}.output.json"],
                "sample": action.sample,
            }
            for action in ACTIONS
        ],
        "triggers": [
            {
                "key": trigger.key,
                "label": trigger.label,
                "description": trigger.description,
                "output_schema": files[f"triggers/{trigger.key}.output.json"],
                "sample": trigger.sample,
            }
            for trigger in TRIGGERS
        ],
        "options": [
            {
                "key": source.key,
                "label": source.label,
                "description": source.description,
                "url": f"/v1/options/{source.key}",
            }
            for source in OPTION_SOURCES
        ],
    }


#: Which option source (GET /v1/options/<key>) feeds which input field, by field
#: name in every action; each platform app shows these as dropdowns in which an
#: expression can still be mapped.
DROPDOWNS = {
    "override_agent_id": "agents",
    "agent_id": "agents",
    "inbound_agent_id": "agents",
    "outbound_agent_id": "agents",
    "from_number": "phone-numbers",
    "phone_number": "phone-numbers",
}


def alternatives(prop: dict) -> list[dict]:
    """The non-null shapes a property accepts, one schema per JSON type."""
    if "anyOf" in prop:
        return [alt for alt in prop["anyOf"] if alt.get("type") != "null"]
    types = prop.get("type", [])
    types = [types] if isinstance(types, str) else types
    return [{**prop, "type": kind} for kind in types if kind != "null"]


def free_text(alt: dict) -> bool:
    """Whether a shape takes any text (no pattern, format or choices)."""
    return alt["type"] == "string" and not ({"pattern", "format", "enum"} & alt.keys())
