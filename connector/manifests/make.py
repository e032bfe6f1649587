"""The Make.com custom app, generated from the catalog.

The files follow the layout of Make's local development for apps (the Make Apps
Editor's "clone to local workspace", developers.make.com/custom-apps-documentation,
"Develop app in a local workspace"), so the folder can be opened in VS Code and
deployed to a Make app after adding an origin:

``manifests/make/``
    ``makecomapp.json``  the project file: every component and its code files
    ``README.md``, ``general/base.iml.json``, ``modules/groups.json``
    ``connections/retell/retell.{communication,params}.iml.json``
    ``modules/<module>/<module>.{communication,static-params,mappable-params,
    interface,samples}.iml.json`` (an instant trigger has no communication)
    ``rpcs/<rpc>/<rpc>.{communication,params}.iml.json``
    ``webhooks/<hook>/<hook>.{communication,params,attach,detach}.iml.json``

Component folders and file prefixes are the component id in kebab case, as the
editor names them. Make stores IML code as JSONC (the editor uploads it as
``application/jsonc``), so every ``.iml.json`` file starts with a ``//`` line saying
it is generated, and ``README.md`` with an HTML comment. ``makecomapp.json`` and
``groups.json`` are plain JSON read by a strict parser and schema, so they carry no
header; the README beside them says where they come from.

Parameters and interfaces are made from the JSON Schemas in
:func:`connector.catalog.schemas.documents`, help texts from their descriptions and
samples from the catalog's samples; nothing here restates a field by hand.
"""

from __future__ import annotations

import json
import re

from ..catalog import ACTIONS, OPTION_SOURCES, TRIGGERS, Action, Trigger
from ..catalog.schemas import DROPDOWNS, NOTICE, documents

ROOT = "manifests/make"
CONNECTION = "retell"
DEFAULT_BASE_URL = "https://connector.example.invalid"

#: Array fields whose free-form rows take another action's input: the bulk action
#: loads each row with create-phone-call's schema (catalog/actions.py).
ROW_INPUTS = {("create-phone-calls", "rows"): "create-phone-call"}

#: Make's error types by status (developers.make.com, component-blocks/api, "error").
ERROR_TYPES = {
    "401": "InvalidAccessTokenError",
    "403": "InvalidAccessTokenError",
    "404": "DataError",
    "409": "RuntimeError",
    "422": "DataError",
    "429": "RateLimitError",
}
ERROR_MESSAGE = "[{{statusCode}}] {{body.title}}: {{body.detail}}"
SANITIZE = ["request.headers.authorization"]


def render() -> dict[str, str]:
    """Every file of the Make app: path (relative to the project) and exact text."""
    files: dict[str, object] = {
        "general/base.iml.json": _base(),
        "modules/groups.json": _groups(),
    }
    connection_dir = f"connections/{CONNECTION}/{CONNECTION}"
    files[f"{connection_dir}.communication.iml.json"] = _connection_communication()
    files[f"{connection_dir}.params.iml.json"] = _connection_params()
    components: dict[str, dict] = {
        "connection": {
            CONNECTION: {
                "label": "Retell API key",
                "connectionType": "basic",
                "codeFiles": {
                    "communication": f"{connection_dir}.communication.iml.json",
                    "params": f"{connection_dir}.params.iml.json",
                    "common": None,
                },
            }
        },
        "webhook": {},
        "module": {},
        "rpc": {},
        "function": {},
        "endpoint": {},
    }
    for source in OPTION_SOURCES:
        name = rpc_id(source.key)
        codes = {
            "communication": _rpc_communication(source.key),
            "params": [],
        }
        components["rpc"][name] = {
            "label": source.label,
            "connection": CONNECTION,
            "altConnection": None,
            "codeFiles": _place(files, "rpcs", name, codes),
        }
    for action in ACTIONS:
        name = module_id(action.key)
        components["module"][name] = {
            **_action_metadata(action),
            "codeFiles": _place(files, "modules", name, _action_codes(action)),
        }
    for trigger in TRIGGERS:
        hook = webhook_id(trigger.key)
        components["webhook"][hook] = {
            "label": trigger.label,
            "webhookType": "web",
            "connection": CONNECTION,
            "altConnection": None,
            "codeFiles": _place(files, "webhooks", hook, _webhook_codes(trigger)),
        }
        name = module_id(trigger.key)
        components["module"][name] = {
            "label": trigger.label,
            "description": trigger.description,
            "moduleType": "instant_trigger",
            "connection": None,
            "altConnection": None,
            "webhook": hook,
            "codeFiles": _place(files, "modules", name, _trigger_codes(trigger)),
        }
    files["makecomapp.json"] = {
        "fileVersion": 1,
        "generalCodeFiles": {
            "base": "general/base.iml.json",
            "common": None,
            "readme": "README.md",
            "groups": "modules/groups.json",
        },
        "components": components,
        # Deploying needs an origin (a Make zone, app id and API key file); the Apps
        # Editor adds one on the first "Deploy to Make".
        "origins": [],
    }
    rendered = {f"{ROOT}/README.md": _readme()}
    for path, document in sorted(files.items()):
        rendered[f"{ROOT}/{path}"] = _text(path, document)
    return rendered


def module_id(key: str) -> str:
    """Make's name for an action or trigger module: letters and digits only."""
    prefix = "watch_" if key in {trigger.key for trigger in TRIGGERS} else ""
    return _camel(prefix + key)


def rpc_id(key: str) -> str:
    return _camel("list-" + key)


def webhook_id(key: str) -> str:
    return key.replace("_", "-")


def _camel(key: str) -> str:
    first, *rest = re.split(r"[-_]", key)
    return first + "".join(part.capitalize() for part in rest)


def _kebab(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", name).lower()


def _place(files: dict, group: str, name: str, codes: dict) -> dict:
    """Put a component's codes at the editor's paths; returns its codeFiles map."""
    stem = _kebab(name)
    placed = {}
    for code, document in codes.items():
        path = f"{group}/{stem}/{stem}.{_kebab(code)}.iml.json"
        files[path] = document
        placed[code] = path
    return placed


def _text(path: str, document: object) -> str:
    body = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if path.endswith(".iml.json"):
        return f"// {NOTICE}\n{body}"
    return body


def _readme() -> str:
    return (
        f"<!-- {NOTICE} -->\n"
        "# Retell AI (via the connector)\n\n"
        "Places Retell AI phone calls and starts scenarios from call events. The "
        "connection takes your Retell API key and the address of your connector; "
        "every module calls the connector, which calls Retell.\n\n"
        "Every file here, makecomapp.json and modules/groups.json included, is "
        "generated from the connector's catalog by `connector generate`.\n"
    )


# --- app-wide ----------------------------------------------------------------------


def _base() -> dict:
    # developers.make.com, best-practices/base: URL, auth, error handling and
    # sanitisation shared by every module and RPC.
    return {
        "baseUrl": "{{connection.baseUrl}}",
        "headers": {"Authorization": "Bearer {{connection.apiKey}}"},
        "response": {"error": _error_handling()},
        "log": {"sanitize": SANITIZE},
    }


def _error_handling() -> dict:
    # Every connector error is problem+json with title and detail (contract.md).
    handling: dict = {"message": ERROR_MESSAGE}
    for status, kind in ERROR_TYPES.items():
        handling[status] = {"message": ERROR_MESSAGE, "type": kind}
    return handling


def _groups() -> list:
    nouns: dict[str, list[str]] = {}
    for action in ACTIONS:
        nouns.setdefault(action.noun + "s", []).append(module_id(action.key))
    return [
        {"label": "Call events", "modules": [module_id(t.key) for t in TRIGGERS]},
        *({"label": label, "modules": names} for label, names in nouns.items()),
    ]


def _connection_params() -> list:
    return [
        {
            "name": "apiKey",
            "type": "password",
            "label": "Retell API key",
            "help": "Your Retell API key (Retell dashboard, Settings, API Keys). "
            "The connector uses it for every call to Retell and never stores it "
            "in plain text.",
            "required": True,
        },
        {
            "name": "baseUrl",
            "type": "url",
            "label": "Connector URL",
            "help": "The address of your Retell connector, e.g. "
            "https://retell-connector.example.com, without a trailing slash.",
            "required": True,
            "default": DEFAULT_BASE_URL,
        },
    ]


def _connection_communication() -> dict:
    # A basic connection checks the key with one request; GET /v1/me checks it
    # with Retell (contract.md, Discovery).
    return {
        "url": "{{parameters.baseUrl}}/v1/me",
        "method": "GET",
        "headers": {"Authorization": "Bearer {{parameters.apiKey}}"},
        "response": {
            "metadata": {"type": "text", "value": "{{body.account_id}}"},
            "uid": "{{body.account_id}}",
            "error": _error_handling(),
        },
        "log": {"sanitize": SANITIZE},
    }


def _rpc_communication(key: str) -> dict:
    # An options RPC outputs {label, value} per item (rpcs/dynamic-options-rpc).
    return {
        "url": f"/v1/options/{key}",
        "method": "GET",
        "response": {
            "iterate": "{{body}}",
            "output": {"label": "{{item.label}}", "value": "{{item.value}}"},
        },
    }


# --- actions and searches -------------------------------------------------------------


def _action_metadata(action: Action) -> dict:
    metadata = {
        "label": action.label,
        "description": action.description,
        "moduleType": "search" if action.kind == "search" else "action",
        "connection": CONNECTION,
        "altConnection": None,
    }
    if action.kind != "search":
        metadata["actionCrud"] = "create" if action.noun == "Call" else "update"
    return metadata


def _action_codes(action: Action) -> dict:
    files = documents()
    request = files[f"actions/{action.key}.input.json"]
    output = files[f"actions/{action.key}.output.json"]
    # Make drops empty fields itself and sends the rest as mapped, so the whole
    # parameters object is the body (best-practices, processing of input parameters).
    communication: dict = {
        "url": f"/v1/actions/{action.key}",
        "method": "POST",
        "type": "json",
        "body": "{{parameters}}",
        "response": {"output": "{{body}}"},
    }
    sample = action.sample
    listed = _listed_items(output)
    if listed:
        container, item_schema = listed
        output = item_schema
        sample = action.sample[container][0]
        communication["response"] = {
            "iterate": f"{{{{body.{container}}}}}",
            "output": "{{item}}",
            "limit": "{{parameters.limit}}",
        }
        communication["pagination"] = {
            "body": {"pagination_key": "{{body.pagination_key}}"},
            "condition": "{{body.has_more}}",
        }
    return {
        "communication": communication,
        "staticParams": [],
        "mappableParams": _parameters(action.key, request),
        "interface": _interface(output),
        "samples": sample,
    }


def _listed_items(output: dict) -> tuple[str, dict] | None:
    """A paged list output ({<items>, has_more, pagination_key}) and its item."""
    properties = output.get("properties", {})
    if not {"has_more", "pagination_key"} <= properties.keys():
        return None
    for name, schema in properties.items():
        if schema.get("type") == "array" and "properties" in schema.get("items", {}):
            return name, schema["items"]
    return None


def _parameters(key: str, schema: dict) -> list:
    required = set(schema.get("required", []))
    found = []
    for name, field in schema.get("properties", {}).items():
        parameter = {"name": name, "label": field.get("title", _label(name))}
        parameter.update(_input_type(key, name, field))
        if field.get("description"):
            parameter["help"] = _plain(field["description"])
        parameter["required"] = name in required
        if field.get("default") is not None:
            parameter["default"] = field["default"]
        found.append(parameter)
    return found


def _input_type(key: str, name: str, field: dict) -> dict:
    """The Make parameter type that lets a mapper send what the field accepts."""
    if name in DROPDOWNS:
        return {"type": "select", "options": "rpc://" + rpc_id(DROPDOWNS[name])}
    enum = field.get("enum", [])
    if True in enum and False in enum:
        return {"type": "boolean"}
    branches = [field]
    if "anyOf" in field:
        # A text spelling of another branch (digits, a comma list, JSON text) is
        # accepted by the connector, but the form offers the typed one.
        branches = [
            branch
            for branch in field["anyOf"]
            if _kinds(branch) != {"null"}
            and not ("pattern" in branch and _kinds(branch) == {"string"})
        ]
    if any(branch.get("format") == "date-time" for branch in branches):
        return {"type": "date"}
    for branch in branches:
        items = branch.get("items", {})
        if "array" in _kinds(branch) and "enum" in items:
            return {"type": "select", "multiple": True, "options": _options(items)}
        if "array" in _kinds(branch) and "properties" in items:
            return {"type": "array", "spec": _pairs(items)}
        if (key, name) in ROW_INPUTS:
            rows = documents()[f"actions/{ROW_INPUTS[key, name]}.input.json"]
            spec = {"type": "collection", "spec": _parameters(key, rows)}
            return {"type": "array", "spec": spec}
    if any("object" in _kinds(b) or "contentMediaType" in b for b in branches):
        # An object, or JSON text of one: both are accepted (mapping/inputs.py).
        return {"type": "any"}
    kinds = set().union(*(_kinds(branch) for branch in branches)) - {"null"}
    if kinds == {"string"} and "enum" in field:
        return {"type": "select", "options": _options(field)}
    if kinds == {"string"}:
        formats = {"uri": "url", "email": "email"}
        return {"type": formats.get(field.get("format"), "text")}
    if kinds == {"integer"}:
        return _integer(branches)
    if kinds == {"number"}:
        return {"type": "number"}
    if kinds == {"boolean"}:
        return {"type": "boolean"}
    return {"type": "text"}


def _kinds(schema: dict) -> set[str]:
    kind = schema.get("type", [])
    return {kind} if isinstance(kind, str) else set(kind)


def _integer(branches: list[dict]) -> dict:
    bounds = next(b for b in branches if "integer" in _kinds(b))
    validate = {
        limit: bounds[keyword]
        for keyword, limit in (("minimum", "min"), ("maximum", "max"))
        if keyword in bounds
    }
    kind = "uinteger" if bounds.get("minimum", -1) >= 0 else "integer"
    return {"type": kind, **({"validate": validate} if validate else {})}


def _options(schema: dict) -> list:
    return [{"label": value, "value": value} for value in schema["enum"]]


def _pairs(items: dict) -> list:
    """A list-of-pairs field as Make's array of collections (key/value rows).

    Where the item offers alternative keys (``oneOf`` of ``required``), the first
    one is what the form shows; the others stay accepted for mapped arrays."""
    alternatives = [set(one.get("required", [])) for one in items.get("oneOf", [])]
    hidden = set().union(*alternatives[1:]) if alternatives else set()
    return [
        {"name": name, "type": "text", "label": _label(name)}
        for name in items["properties"]
        if name not in hidden
    ]


# --- outputs ----------------------------------------------------------------------


def _interface(schema: dict) -> list:
    return [_field(name, field) for name, field in schema.get("properties", {}).items()]


def _field(name: str | None, schema: dict) -> dict:
    field: dict = {}
    if name is not None:
        field = {"name": name, "label": schema.get("title", _label(name))}
    kinds = _kinds(schema) - {"null"}
    kind = kinds.pop() if len(kinds) == 1 else "any"
    if kind == "object":
        field["type"] = "collection"
        field["spec"] = _interface(schema)
    elif kind == "array":
        field["type"] = "array"
        items = schema.get("items", {})
        if "properties" in items:
            field["spec"] = _interface(items)
        elif _kinds(items) - {"object"}:
            field["spec"] = _field(None, items)
    else:
        field["type"] = _OUTPUT_TYPES.get(kind, "any")
    return field


_OUTPUT_TYPES = {
    "string": "text",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
}


def _plain(text: str) -> str:
    """Text without ``{{``/``}}``: Make reads those as IML in any code string
    (developers.make.com, "IML"), and a help text is not meant to be evaluated."""
    return text.replace("{{", "{").replace("}}", "}")


def _label(name: str) -> str:
    text = " / ".join(part.replace("_", " ") for part in name.split("__"))
    return text[:1].upper() + text[1:]


# --- triggers ---------------------------------------------------------------------


def _webhook_codes(trigger: Trigger) -> dict:
    # An attached webhook: attach registers Make's URL and keeps the id in
    # response.data for detach (app-components/webhooks/dedicated/attached).
    return {
        "communication": {"output": "{{body}}"},
        "params": [],
        "attach": {
            "url": f"/v1/triggers/{trigger.key}/subscriptions",
            "method": "POST",
            "type": "json",
            "body": {"target_url": "{{webhook.url}}"},
            "response": {"data": {"id": "{{body.id}}"}},
        },
        "detach": {
            "url": "/v1/triggers/subscriptions/{{webhook.id}}",
            "method": "DELETE",
        },
    }


def _trigger_codes(trigger: Trigger) -> dict:
    output = documents()[f"triggers/{trigger.key}.output.json"]
    # An instant trigger has static parameters only and one bundle per webhook
    # (app-structure/modules/instant-trigger); the webhook maps the body.
    return {
        "staticParams": [],
        "interface": _interface(output),
        "samples": trigger.sample,
    }
