"""The Zapier Platform app of the connector, made from the catalog.

Three files come out: ``package.json`` (pins the platform), ``app.json`` (every
trigger, search and create with its fields, help, samples and route, converted
from the catalog's JSON Schemas) and ``index.js`` (fixed code that turns
``app.json`` into Zapier's app definition and calls the connector). The app format
is zapier-platform-schema's ``AppSchema``:
https://github.com/zapier/zapier-platform/blob/main/packages/schema/docs/build/schema.md
"""

from __future__ import annotations

import json

from .. import __version__, catalog
from ..catalog import schemas
from ..catalog.schemas import DROPDOWNS, NOTICE, alternatives, free_text

#: zapier-platform-core and -schema, pinned together; the app declares it as its
#: platformVersion, so the code and the runtime Zapier picks always agree.
PLATFORM_VERSION = "19.1.0"
ROOT = "manifests/zapier"

#: Array inputs whose items are another action's input: each bulk row is loaded
#: with the create-phone-call schema (connector.catalog.actions), and Zapier
#: shows such arrays as line items with one child field per key.
LINE_ITEMS = {("create-phone-calls", "rows"): "create-phone-call"}

AUTH_FIELDS = [
    {
        "key": "api_key",
        "label": "Retell API key",
        "type": "password",
        "required": True,
        "helpText": "Your Retell API key, from the Retell dashboard (Settings, API "
        "Keys). The connector uses it for every call to Retell and keeps it sealed.",
    },
    {
        "key": "base_url",
        "label": "Connector URL",
        "type": "string",
        "required": False,
        "placeholder": "https://connector.example.com",
        "helpText": "Where your connector runs. Leave empty to use the app's "
        "CONNECTOR_BASE_URL environment variable.",
    },
]

_SCALARS = {"string", "integer", "number", "boolean"}


def render() -> dict[str, str]:
    """The app's files, by path relative to the project root, with their text."""
    package = {
        "x-generated": NOTICE,
        "name": "retell-connector-zapier",
        "version": __version__,
        "description": "Zapier app for the Retell connector: place Retell AI phone "
        "calls and start Zaps from their events.",
        "private": True,
        "main": "index.js",
        "engines": {"node": ">=18"},
        "dependencies": {
            "zapier-platform-core": PLATFORM_VERSION,
            "zapier-platform-schema": PLATFORM_VERSION,
        },
    }
    return {
        f"{ROOT}/package.json": _dump(package),
        f"{ROOT}/app.json": _dump(app_document()),
        f"{ROOT}/index.js": INDEX_JS,
    }


def _dump(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def zapier_key(key: str) -> str:
    """Zapier keys are identifiers (KeySchema: ^[a-zA-Z]+[a-zA-Z0-9_]*$)."""
    return key.replace("-", "_")


def app_document() -> dict:
    """``app.json``: the definition's data; index.js adds the functions."""
    files = schemas.documents()
    creates, searches = [], []
    for action in catalog.ACTIONS:
        inputs = files[f"actions/{action.key}.input.json"]
        output = files[f"actions/{action.key}.output.json"]
        route = {"path": f"/v1/actions/{action.key}"}
        sample = action.sample
        if action.kind == "search":
            # Zapier searches answer a list; a list-shaped output is that list.
            results = _result_list(output)
            route["results"] = results
            if results:
                output = output["properties"][results]["items"]
                sample = sample[results][0]
        operation = {
            "key": zapier_key(action.key),
            "noun": action.noun,
            "display": {"label": action.label, "description": action.description},
            "route": route,
            "operation": {
                "inputFields": _input_fields(action.key, inputs),
                "outputFields": output_fields(output),
                "sample": sample,
            },
        }
        (searches if action.kind == "search" else creates).append(operation)
    subscription = files["triggers/subscription.input.json"]
    hooks = [
        {
            "key": zapier_key(trigger.key),
            "noun": trigger.noun,
            "display": {"label": trigger.label, "description": trigger.description},
            "route": {"event": trigger.key},
            "operation": {
                "type": "hook",
                # target_url is Zapier's own hook URL (bundle.targetUrl).
                "inputFields": _input_fields(
                    "subscription", subscription, skip=("target_url",)
                ),
                "outputFields": output_fields(
                    files[f"triggers/{trigger.key}.output.json"]
                ),
                "sample": trigger.sample,
            },
        }
        for trigger in catalog.TRIGGERS
    ]
    options = [
        {
            "key": zapier_key(source.key),
            "noun": source.label,
            "display": {
                "label": source.label,
                "description": source.description,
                "hidden": True,
            },
            "route": {"path": f"/v1/options/{source.key}"},
            "operation": {
                "outputFields": [
                    # Choices are {value, label}; value is what the field gets.
                    {"key": "value", "label": "Value", "primary": True},
                    {"key": "label", "label": "Label"},
                ],
            },
        }
        for source in catalog.OPTION_SOURCES
    ]
    return {
        "x-generated": NOTICE,
        "version": __version__,
        "platformVersion": PLATFORM_VERSION,
        "authFields": AUTH_FIELDS,
        "creates": creates,
        "searches": searches,
        "hooks": hooks,
        "options": options,
    }


def _result_list(output: dict) -> str | None:
    """The property holding the found records, when the output is a page of them."""
    found = [
        key
        for key, prop in output["properties"].items()
        if prop.get("type") == "array" and prop.get("items", {}).get("type") == "object"
    ]
    return found[0] if len(found) == 1 else None


def _input_fields(operation: str, document: dict, skip: tuple = ()) -> list[dict]:
    required = set(document.get("required", ()))
    fields = [
        input_field(key, prop, key in required, operation=operation)
        for key, prop in document["properties"].items()
        if key not in skip
    ]
    # Zapier wants each key once per action, line items included; a row field
    # named like one of the action's own (the job's idempotency_key) is left out.
    keys = {field["key"] for field in fields}
    for field in fields:
        if "children" in field:
            field["children"] = [
                child for child in field["children"] if child["key"] not in keys
            ]
    return fields


def input_field(key: str, prop: dict, required: bool, *, operation: str = "") -> dict:
    """One Zapier input field from one JSON Schema property.

    Zapier field types: PlainInputFieldSchema. The catalog's fields accept more
    than one shape (an object or JSON text, a number or a version tag); the field
    gets the form a Zapier user fills in most naturally, and the connector takes
    whatever Zapier sends in that form.
    """
    field: dict = {
        "key": key,
        "label": prop.get("title") or _label(key),
        "required": required,
    }
    if prop.get("description"):
        field["helpText"] = prop["description"]
    alts = alternatives(prop)
    kinds = {alt["type"] for alt in alts}
    choices = [
        value
        for alt in alts
        for value in alt.get("enum", alt.get("items", {}).get("enum", []))
        if isinstance(value, str)
    ]
    if key in DROPDOWNS:
        field["dynamic"] = f"{zapier_key(DROPDOWNS[key])}.value.label"
    elif "boolean" in kinds:
        field["type"] = "boolean"
    elif (operation, key) in LINE_ITEMS:
        # A field with children may not have a type or helpText itself
        # (PlainInputFieldSchema's exclusive keys).
        item = schemas.documents()[f"actions/{LINE_ITEMS[operation, key]}.input.json"]
        field.pop("helpText", None)
        # Not required per row: a row without a number fails alone, with its
        # error in the job, rather than stopping the whole step.
        field["children"] = [
            {**child, "required": False} for child in _input_fields("", item)
        ]
        return field
    elif "object" in kinds:
        shape = next(alt for alt in alts if alt["type"] == "object")
        if shape.get("properties"):
            # Nested settings: JSON text, which the connector parses.
            field["type"] = "text"
        else:
            field["dict"] = True
    elif choices:
        field["choices"] = list(dict.fromkeys(choices))
        field["list"] = "array" in kinds
    elif any(alt.get("format") == "date-time" for alt in alts):
        field["type"] = "datetime"
    elif kinds & {"integer", "number"} and not any(map(free_text, alts)):
        field["type"] = "integer" if "integer" in kinds else "number"
    else:
        field["type"] = "text" if "array" in kinds else "string"
    if prop.get("default") not in (None, False, True):
        field["default"] = str(prop["default"])
    if prop.get("examples"):
        field["placeholder"] = str(prop["examples"][0])
    return field


def output_fields(document: dict) -> list[dict]:
    """Labels for the scalar outputs; Zapier flattens objects from the sample."""
    fields = []
    for key, prop in document["properties"].items():
        kinds = {alt.get("type") for alt in alternatives(prop)}
        if not kinds or not kinds <= _SCALARS:
            continue
        field = {"key": key, "label": prop.get("title") or _label(key)}
        if len(kinds) == 1:
            field["type"] = kinds.pop()
        fields.append(field)
    return fields


def _label(key: str) -> str:
    words = key.replace("__", " ").replace("_", " ")
    return words[:1].upper() + words[1:]


INDEX_JS = (
    f"// {NOTICE}\n"
    + """'use strict';

// The Zapier app of the Retell connector. Fields, help texts, samples and routes
// come from app.json, made from the connector's catalog; this file only wires them
// to HTTP calls in the shape of Zapier's AppSchema (zapier-platform-schema).

const spec = require('./app.json');

const connectorUrl = (z, bundle, path) => {
  const base = (bundle.authData || {}).base_url || process.env.CONNECTOR_BASE_URL;
  if (!base) {
    throw new z.errors.Error(
      'Set the Connector URL in the connection, or CONNECTOR_BASE_URL in the app.',
      'missing_base_url',
      400,
    );
  }
  return base.replace(/\\/+$/, '') + path;
};

// Every /v1 route takes the Retell API key as a Bearer token (contract: Auth).
const addApiKey = (request, z, bundle) => {
  const key = (bundle.authData || {}).api_key;
  if (key) {
    request.headers = { ...request.headers, Authorization: `Bearer ${key}` };
  }
  // The core answers a 429 itself, with a generic text, unless told not to; the
  // connector's 429 says which limit was hit and when to retry.
  request.throwForThrottlingEarly = false;
  return request;
};

// The connector answers every failure as RFC 9457 problem+json, whose detail is
// written for the person building the Zap: show that text.
const problemError = (z, response) => {
  let problem = {};
  try {
    problem = JSON.parse(response.content) || {};
  } catch (err) {
    problem = {};
  }
  const detail =
    problem.detail || problem.title || `The connector answered ${response.status}.`;
  if (response.status === 429) {
    // Zapier retries a throttled step after the delay (seconds) it is given.
    const delay = parseInt(response.headers.get('retry-after') || '', 10);
    return new z.errors.ThrottledError(detail, Number.isNaN(delay) ? 60 : delay);
  }
  return new z.errors.Error(
    detail,
    problem.code || `http_${response.status}`,
    response.status,
  );
};

const raiseProblems = (response, z) => {
  if (response.status >= 400 && !response.skipThrowForStatus) {
    throw problemError(z, response);
  }
  return response;
};

// Zapier passes fields left empty as "" or null; the connector would read those
// as values, so they are left out and its defaults apply.
const isEmpty = (value) => value === '' || value === null || value === undefined;
const compact = (data) => {
  if (Array.isArray(data)) {
    return data.map(compact);
  }
  if (data === null || typeof data !== 'object') {
    return data;
  }
  return Object.fromEntries(
    Object.entries(data)
      .filter(([, value]) => !isEmpty(value))
      .map(([key, value]) => [key, compact(value)]),
  );
};

const post = (z, bundle, path, extra = {}) =>
  z.request({
    method: 'POST',
    url: connectorUrl(z, bundle, path),
    body: compact(bundle.inputData),
    ...extra,
  });

const withFunctions = ({ route, operation, ...rest }, functions) => ({
  ...rest,
  operation: { ...operation, ...functions },
});

const create = (item) =>
  withFunctions(item, {
    perform: async (z, bundle) => (await post(z, bundle, item.route.path)).data,
  });

const search = (item) =>
  withFunctions(item, {
    perform: async (z, bundle) => {
      const response = await post(z, bundle, item.route.path, {
        skipThrowForStatus: true,
      });
      // A search that finds nothing answers an empty list (Zapier's convention,
      // which Find or Create steps rely on), not an error.
      if (response.status === 404 && !item.route.results) {
        return [];
      }
      if (response.status >= 400) {
        throw problemError(z, response);
      }
      const found = response.data;
      return item.route.results ? found[item.route.results] : [found];
    },
  });

const hook = (item) => {
  const event = item.route.event;
  return withFunctions(item, {
    performSubscribe: async (z, bundle) => {
      const response = await z.request({
        method: 'POST',
        url: connectorUrl(z, bundle, `/v1/triggers/${event}/subscriptions`),
        body: compact({
          target_url: bundle.targetUrl,
          filters: (bundle.inputData || {}).filters,
        }),
      });
      return response.data;
    },
    performUnsubscribe: async (z, bundle) => {
      const id = encodeURIComponent(bundle.subscribeData.id);
      await z.request({
        method: 'DELETE',
        url: connectorUrl(z, bundle, `/v1/triggers/subscriptions/${id}`),
      });
      return { id: bundle.subscribeData.id };
    },
    perform: (z, bundle) => [bundle.cleanedRequest],
    performList: async (z, bundle) => {
      const response = await z.request({
        url: connectorUrl(z, bundle, `/v1/triggers/${event}/events`),
        params: { limit: 3 },
      });
      // A new account has no events yet; the sample still shows the fields.
      return response.data.length ? response.data : [item.operation.sample];
    },
  });
};

const dropdown = (item) =>
  withFunctions(item, {
    perform: async (z, bundle) => {
      const url = connectorUrl(z, bundle, item.route.path);
      return (await z.request({ url })).data;
    },
  });

const byKey = (items) => Object.fromEntries(items.map((item) => [item.key, item]));

module.exports = {
  version: spec.version,
  platformVersion: spec.platformVersion,
  authentication: {
    type: 'custom',
    fields: spec.authFields,
    test: async (z, bundle) =>
      (await z.request({ url: connectorUrl(z, bundle, '/v1/me') })).data,
    // bundle.inputData holds what the test answered (GET /v1/me).
    connectionLabel: (z, bundle) => bundle.inputData.account_id,
  },
  beforeRequest: [addApiKey],
  afterResponse: [raiseProblems],
  triggers: byKey([...spec.hooks.map(hook), ...spec.options.map(dropdown)]),
  searches: byKey(spec.searches.map(search)),
  creates: byKey(spec.creates.map(create)),
};
"""
)
