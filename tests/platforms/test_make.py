"""The Make.com custom app: valid against Make's format, and it works when replayed.

Make cannot be run here, so its two halves are checked apart: the files against a
JSON Schema written from Make's documentation (make_app.schema.json), and every
request they describe, IML expressions substituted by a small strict evaluator,
against the live connector and the Retell simulator.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from jsonschema import Draft202012Validator, ValidationError

from connector import catalog
from connector.manifests import make
from tests.conftest import API_KEY, serving

SCHEMA = json.loads((Path(__file__).parent / "make_app.schema.json").read_text())
PREFIX = make.ROOT + "/"


def _parse(path: str, text: str) -> object:
    """A file as Make reads it: .iml.json is JSONC (only leading // lines here)."""
    if path.endswith(".md"):
        return text
    if path.endswith(".iml.json"):
        lines = text.splitlines(keepends=True)
        while lines and lines[0].startswith("//"):
            lines.pop(0)
        text = "".join(lines)
    return json.loads(text)


def _app() -> dict[str, object]:
    """The rendered app as {path under manifests/make/: parsed content}."""
    found = {}
    for path, text in make.render().items():
        assert path.startswith(PREFIX)
        found[path.removeprefix(PREFIX)] = _parse(path, text)
    return found


APP = _app()
MANIFEST = APP["makecomapp.json"]


def _code(kind: str, name: str, code: str) -> object:
    return APP[MANIFEST["components"][kind][name]["codeFiles"][code]]


# --- the format -------------------------------------------------------------------


def test_schema_is_valid_json_schema():
    """The schema itself is valid JSON Schema 2020-12."""
    Draft202012Validator.check_schema(SCHEMA)


def test_whole_app_matches_the_schema():
    """All files together, makecomapp.json included, form a valid app."""
    Draft202012Validator(SCHEMA).validate(APP)


@pytest.mark.parametrize("path", sorted(APP), ids=str)
def test_every_file_matches_the_schema(path):
    """Each generated file matches the schema of its kind."""
    Draft202012Validator(SCHEMA).validate({path: APP[path]})


@pytest.mark.parametrize("path", sorted(make.render()), ids=str)
def test_every_file_says_it_is_generated(path):
    """Each file that can hold a comment starts with the generated notice."""
    text = make.render()[path]
    if path.endswith(".iml.json"):
        assert text.startswith("// generated - do not edit")
    elif path.endswith(".md"):
        assert text.startswith("<!-- generated - do not edit")
    else:
        # Plain JSON read by a strict schema: no place for a header.
        assert path.endswith(("makecomapp.json", "groups.json"))


def _set(path: str, keys: tuple, value: object):
    def change(app: dict) -> None:
        target = app[path]
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return change


def _delete(path: str, keys: tuple):
    def change(app: dict) -> None:
        target = app[path]
        for key in keys[:-1]:
            target = target[key]
        del target[keys[-1]]

    return change


def _replace(path: str, value: object):
    def change(app: dict) -> None:
        app[path] = value

    return change


def _rename_module(app: dict) -> None:
    modules = app["makecomapp.json"]["components"]["module"]
    modules["create-phone-call"] = modules.pop("createPhoneCall")


CREATE = "modules/create-phone-call/create-phone-call"
BROKEN = [
    ("unknown method", _set(f"{CREATE}.communication.iml.json", ("method",), "FETCH")),
    ("typo in a directive", _set(f"{CREATE}.communication.iml.json", ("reponse",), {})),
    ("unclosed IML", _set(f"{CREATE}.communication.iml.json", ("url",), "/{{a")),
    (
        "select without options",
        _delete(f"{CREATE}.mappable-params.iml.json", (0, "options")),
    ),
    (
        "type in capitals",
        _set(f"{CREATE}.mappable-params.iml.json", (1, "type"), "Text"),
    ),
    (
        "select in an interface",
        _set(f"{CREATE}.interface.iml.json", (0, "type"), "select"),
    ),
    (
        "parameter without name",
        _delete(f"{CREATE}.mappable-params.iml.json", (1, "name")),
    ),
    ("samples as a list", _replace(f"{CREATE}.samples.iml.json", [])),
    (
        "connection with output",
        _set(
            "connections/retell/retell.communication.iml.json",
            ("response", "output"),
            "{{body}}",
        ),
    ),
    (
        "instant trigger without webhook",
        _delete(
            "makecomapp.json", ("components", "module", "watchCallStarted", "webhook")
        ),
    ),
    ("module name with dashes", _rename_module),
    ("unsupported file version", _set("makecomapp.json", ("fileVersion",), 2)),
    (
        "unknown code type",
        _set(
            "makecomapp.json",
            ("components", "rpc", "listAgents", "codeFiles", "extra"),
            "x.json",
        ),
    ),
    ("stray file", lambda app: app.update({"modules/x/x.extra.iml.json": {}})),
    (
        "error type unknown",
        _set("general/base.iml.json", ("response", "error", "type"), "Oops"),
    ),
]


@pytest.mark.parametrize(
    "change", [change for _name, change in BROKEN], ids=[name for name, _ in BROKEN]
)
def test_broken_copy_fails(change):
    """A deliberately broken copy of the app does not pass: the schema has teeth."""
    app = copy.deepcopy(APP)
    change(app)
    with pytest.raises(ValidationError):
        Draft202012Validator(SCHEMA).validate(app)


def test_references_resolve():
    """Code files exist, every file is listed, and references name real components."""
    components = MANIFEST["components"]
    listed = {"makecomapp.json"} | {
        path for path in MANIFEST["generalCodeFiles"].values() if path
    }
    for kind, named in components.items():
        for metadata in named.values():
            listed |= {path for path in metadata["codeFiles"].values() if path}
            for ref, target in (("connection", "connection"), ("webhook", "webhook")):
                if metadata.get(ref):
                    assert metadata[ref] in components[target], (kind, ref)
    assert listed == set(APP)
    rpcs = {
        match
        for path, content in APP.items()
        for match in re.findall(r"rpc://(\w+)", json.dumps(content))
    }
    assert rpcs and rpcs <= set(components["rpc"])
    grouped = {
        name for group in APP["modules/groups.json"] for name in group["modules"]
    }
    assert grouped == set(components["module"])


def test_every_catalog_operation_has_a_module():
    """Each action and trigger of the catalog is a module, dropdowns are RPCs."""
    modules = MANIFEST["components"]["module"]
    expected = {make.module_id(a.key): a.label for a in catalog.ACTIONS} | {
        make.module_id(t.key): t.label for t in catalog.TRIGGERS
    }
    assert {name: m["label"] for name, m in modules.items()} == expected
    kinds = {name: m["moduleType"] for name, m in modules.items()}
    assert kinds == {
        "createPhoneCall": "action",
        "createPhoneCalls": "action",
        "bindAgentToNumber": "action",
        "getCall": "search",
        "listCalls": "search",
        "watchCallStarted": "instant_trigger",
        "watchCallEnded": "instant_trigger",
        "watchCallAnalyzed": "instant_trigger",
        "watchCallFailed": "instant_trigger",
    }
    assert set(MANIFEST["components"]["rpc"]) == {"listAgents", "listPhoneNumbers"}


@pytest.mark.parametrize(
    ("module", "parameter", "rpc"),
    [
        ("createPhoneCall", "override_agent_id", "listAgents"),
        ("createPhoneCall", "from_number", "listPhoneNumbers"),
        ("bindAgentToNumber", "phone_number", "listPhoneNumbers"),
    ],
    ids=["agent override", "from number", "bound number"],
)
def test_dropdowns_use_the_rpcs(module, parameter, rpc):
    """Agent and number fields offer the connector's dropdowns."""
    found = {p["name"]: p for p in _code("module", module, "mappableParams")}
    assert found[parameter]["type"] == "select"
    assert found[parameter]["options"] == f"rpc://{rpc}"


# --- the IML evaluator ------------------------------------------------------------

EXPRESSION = re.compile(r"\{\{(.*?)\}\}")
PATH = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
MISSING = object()


class UnsupportedIML(ValueError):
    """An expression this evaluator does not implement (functions, operators...)."""


def evaluate(value: object, scope: dict) -> object:
    """Substitute ``{{path}}`` expressions; a whole-value one keeps its type.

    Only dotted variable paths are understood, which is all the app uses; empty
    values are dropped from objects and arrays, as Make does (other/processing-of-
    empty-values). Anything else raises, so a new construct fails the test.
    """
    if isinstance(value, dict):
        found = {key: evaluate(item, scope) for key, item in value.items()}
        return {key: item for key, item in found.items() if item is not MISSING}
    if isinstance(value, list):
        return [
            item for item in (evaluate(i, scope) for i in value) if item is not MISSING
        ]
    if not isinstance(value, str):
        return value
    parts = EXPRESSION.split(value)
    for text in parts[::2]:
        if "{{" in text or "}}" in text:
            raise UnsupportedIML(f"unbalanced braces in {value!r}")
    if len(parts) == 3 and parts[0] == parts[2] == "":
        return _lookup(parts[1], scope)
    out = []
    for index, part in enumerate(parts):
        if index % 2 == 0:
            out.append(part)
            continue
        found = _lookup(part, scope)
        if isinstance(found, bool):
            out.append(str(found).lower())
        elif found is not MISSING and found is not None:
            out.append(str(found))
    return "".join(out)


def _lookup(expression: str, scope: dict) -> object:
    path = expression.strip()
    if not PATH.fullmatch(path):
        raise UnsupportedIML(f"not a variable path: {expression!r}")
    root, *keys = path.split(".")
    if root not in scope:
        raise UnsupportedIML(f"no variable {root!r} here (have {sorted(scope)})")
    found = scope[root]
    for key in keys:
        if not isinstance(found, dict) or key not in found:
            return MISSING
        found = found[key]
    if root == "parameters" and isinstance(found, dict):
        # Make leaves empty fields out of a module's input (processing of empty
        # values); a response's nulls, in ``body``, stay as they came.
        return {key: item for key, item in found.items() if item not in (None, "")}
    if found is None or found == "":
        return MISSING
    return found


def _strings(value: object):
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def _code_paths() -> list[str]:
    names = {"communication", "attach", "detach"}
    return sorted(
        path
        for kind in MANIFEST["components"].values()
        for metadata in kind.values()
        for code, path in metadata["codeFiles"].items()
        if code in names and path
    ) + ["general/base.iml.json"]


@pytest.mark.parametrize("path", _code_paths(), ids=str)
def test_every_expression_is_a_plain_variable(path):
    """Every IML expression in the request codes is one the evaluator understands."""
    expressions = [e for s in _strings(APP[path]) for e in EXPRESSION.findall(s)]
    for expression in expressions:
        assert PATH.fullmatch(expression.strip()), expression
    assert not any(
        "{{" in s
        for p in APP
        if p.endswith("-params.iml.json")
        for s in _strings(APP[p])
    )


@pytest.mark.parametrize(
    ("value", "scope", "expected"),
    [
        ("{{parameters}}", {"parameters": {"a": 1, "b": None}}, {"a": 1}),
        ("Bearer {{connection.apiKey}}", {"connection": {"apiKey": "k"}}, "Bearer k"),
        ("{{body.n}}", {"body": {"n": 3}}, 3),
        ({"x": "{{body.none}}"}, {"body": {}}, {}),
        ("/a/{{webhook.id}}", {"webhook": {"id": "s_1"}}, "/a/s_1"),
    ],
    ids=["drops empty", "text", "keeps type", "missing key", "in url"],
)
def test_evaluator_substitutes(value, scope, expected):
    """The evaluator does what Make does for the constructs the app uses."""
    assert evaluate(value, scope) == expected


@pytest.mark.parametrize(
    ("value", "scope"),
    [
        ("{{ifempty(body.a; 1)}}", {"body": {}}),
        ("{{body.a + 1}}", {"body": {}}),
        ("{{temp.a}}", {"body": {}}),
        ("{{body.a", {"body": {}}),
    ],
    ids=["function", "operator", "unknown variable", "unclosed"],
)
def test_evaluator_refuses_the_rest(value, scope):
    """Anything the app does not use is refused rather than guessed."""
    with pytest.raises(UnsupportedIML):
        evaluate(value, scope)


# --- the replay -------------------------------------------------------------------


@dataclass
class Run:
    status: int
    body: object
    outputs: list = field(default_factory=list)
    data: dict = field(default_factory=dict)
    error: str | None = None


class MakeRunner:
    """Runs the app's request codes the way Make's engine does, against a URL."""

    def __init__(self, base_url: str, api_key: str = API_KEY) -> None:
        self.connection = {"apiKey": api_key, "baseUrl": base_url}
        self.base = APP["general/base.iml.json"]

    def connect(self) -> Run:
        """The connection test: its own request, with its own parameters."""
        request = _code("connection", make.CONNECTION, "communication")
        return self._send(request, {"parameters": self.connection}, base=None)

    def run(self, kind: str, name: str, code: str = "communication", **scope) -> Run:
        request = _code(kind, name, code)
        scope = {"connection": self.connection, **scope}
        return self._send(request, scope, base=self.base)

    def _send(self, request: dict, scope: dict, base: dict | None) -> Run:
        headers = evaluate(
            {**(base or {}).get("headers", {}), **request.get("headers", {})}, scope
        )
        url = evaluate(request["url"], scope)
        if url.startswith("/"):
            url = evaluate(base["baseUrl"], scope) + url
        assert url.startswith("http://127.0.0.1:"), url
        kwargs = {}
        if "body" in request:
            assert request.get("type", "json") == "json"
            kwargs["json"] = evaluate(request["body"], scope)
        answer = requests.request(
            request.get("method", "GET"), url, headers=headers, timeout=10, **kwargs
        )
        body = answer.json() if answer.content else None
        reply = {**scope, "body": body, "statusCode": answer.status_code}
        response = {**(base or {}).get("response", {}), **request.get("response", {})}
        run = Run(answer.status_code, body)
        if not answer.ok:
            handling = response["error"].get(str(answer.status_code), response["error"])
            run.error = evaluate(handling["message"], reply)
            return run
        if "iterate" in response:
            items = evaluate(response["iterate"], reply)
            run.outputs = [
                evaluate(response.get("output", "{{item}}"), {**reply, "item": item})
                for item in items
            ]
            if "pagination" in request:
                evaluate(request["pagination"], reply)
        elif "output" in response:
            run.outputs = [evaluate(response["output"], reply)]
        for directive in ("data", "metadata", "uid"):
            if directive in response:
                run.data[directive] = evaluate(response[directive], reply)
        return run


@pytest.fixture
def runner(app):
    with serving(app) as url:
        yield MakeRunner(url)


def _interface_names(module: str) -> set[str]:
    return {field["name"] for field in _code("module", module, "interface")}


def test_connection_test_accepts_the_key(runner):
    """The connection's GET /v1/me succeeds and labels the connection."""
    run = runner.connect()
    assert run.status == 200
    assert run.data["uid"] == run.body["account_id"]
    assert run.data["metadata"] == {"type": "text", "value": run.body["account_id"]}


def test_connection_test_refuses_a_bad_key(app):
    """A key Retell refuses fails the connection with the connector's explanation."""
    with serving(app) as url:
        run = MakeRunner(url, api_key="key_wrong_0000").connect()
    assert run.status == 401
    assert run.error.startswith("[401] ") and run.body["detail"] in run.error


@pytest.mark.parametrize("rpc", ["listAgents", "listPhoneNumbers"], ids=str)
def test_dropdown_rpc_lists_options(runner, rpc):
    """Each RPC answers 200 and gives label/value pairs."""
    run = runner.run("rpc", rpc)
    assert run.status == 200 and run.outputs
    assert all(set(option) == {"label", "value"} for option in run.outputs)


CALL = {
    "from_number": "+14155550100",
    "to_number": "+1 415-555-0134",
    "retell_llm_dynamic_variables": [{"key": "first_name", "value": "Ana"}],
    "metadata": '{"row_id": 7}',
    "honor_internal_dnc": False,
}


def _placed_call(runner: MakeRunner) -> str:
    return runner.run("module", "createPhoneCall", parameters=CALL).body["call_id"]


def _agent(runner: MakeRunner) -> str:
    return runner.run("rpc", "listAgents").outputs[0]["value"]


MODULE_INPUTS = {
    "createPhoneCall": lambda runner: CALL,
    "createPhoneCalls": lambda runner: {"rows": [CALL, {**CALL, "to_number": "x"}]},
    "getCall": lambda runner: {"call_id": _placed_call(runner)},
    "listCalls": lambda runner: _placed_call(runner) and {"limit": 5},
    "bindAgentToNumber": lambda runner: {
        "phone_number": "+14155550100",
        "outbound_agent_id": _agent(runner),
    },
}


@pytest.mark.parametrize("action", catalog.ACTIONS, ids=lambda action: action.key)
def test_module_replays_against_the_connector(runner, action):
    """Each module's request gets the catalog's status, and its outputs carry every
    field its interface declares."""
    module = make.module_id(action.key)
    run = runner.run("module", module, parameters=MODULE_INPUTS[module](runner))
    assert run.status == action.status, run.body
    assert run.outputs
    for output in run.outputs:
        assert _interface_names(module) <= set(output)


@pytest.mark.parametrize("trigger", catalog.TRIGGERS, ids=lambda trigger: trigger.key)
def test_webhook_attaches_and_detaches(runner, trigger):
    """Attach subscribes Make's URL (201) and keeps the id; detach removes it (204)."""
    hook = make.webhook_id(trigger.key)
    webhook = {"url": f"https://hook.eu1.make.com/{trigger.key}abc"}
    attached = runner.run("webhook", hook, "attach", webhook=webhook)
    assert attached.status == 201
    assert attached.data["data"]["id"] == attached.body["id"]
    webhook |= attached.data["data"]
    assert runner.run("webhook", hook, "detach", webhook=webhook).status == 204
    again = runner.run("webhook", hook, "detach", webhook=webhook)
    assert again.status == 404 and again.error.startswith("[404] ")


@pytest.mark.parametrize("trigger", catalog.TRIGGERS, ids=lambda trigger: trigger.key)
def test_instant_trigger_interface_matches_its_event(trigger):
    """The webhook's output of an event has every field the trigger declares."""
    hook = make.webhook_id(trigger.key)
    output = evaluate(
        _code("webhook", hook, "communication")["output"], {"body": trigger.sample}
    )
    assert _interface_names(make.module_id(trigger.key)) <= set(output)
    assert _code("module", make.module_id(trigger.key), "samples") == trigger.sample
