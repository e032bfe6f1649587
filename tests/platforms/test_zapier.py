"""The Zapier app: generated from the catalog, valid by Zapier's own tooling, and
working through zapier-platform-core against a live connector and simulator."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from connector import catalog
from connector.catalog import schemas
from connector.catalog.schemas import NOTICE
from connector.delivery.worker import DeliveryWorker
from connector.manifests import zapier
from tests.conftest import API_KEY, serving

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / zapier.ROOT
SCRIPTS = Path(__file__).parent / "zapier"
NODE = shutil.which("node")

needs_node = pytest.mark.skipif(
    NODE is None or not (APP / "node_modules" / "zapier-platform-core").is_dir(),
    reason="needs node and the app's packages: run `npm ci --prefix manifests/zapier`"
    if NODE
    else "needs node (and npm to install the app's packages)",
)

FROM, TO = "+14155550100", "+14155550123"


def node(script: str, stdin: dict | None = None, env: dict | None = None):
    """Run one of the node scripts on the app; its JSON answer."""
    done = subprocess.run(
        [NODE, str(SCRIPTS / script), str(APP)],
        input=json.dumps(stdin or {}),
        capture_output=True,
        text=True,
        timeout=30,
        # NODE_ENV=test silences the core's per-call memory lines.
        env={"PATH": os.environ.get("PATH", ""), "NODE_ENV": "test", **(env or {})},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def run(base_url: str, *steps: tuple[str, dict], auth: dict | None = None) -> list:
    """Run app methods through createAppTester with CONNECTOR_BASE_URL set."""
    return node(
        "run.js",
        {
            "authData": auth or {"api_key": API_KEY},
            "steps": [{"method": method, "bundle": bundle} for method, bundle in steps],
        },
        env={"CONNECTOR_BASE_URL": base_url},
    )


def app_json() -> dict:
    return zapier.app_document()


def operations() -> list[dict]:
    found = app_json()
    return [*found["creates"], *found["searches"], *found["hooks"]]


def each_field(fields: list[dict]):
    for field in fields:
        yield field
        yield from field.get("children", ())


@pytest.mark.parametrize("name", sorted(zapier.render()), ids=str)
def test_every_generated_file_says_so(name):
    """JSON files carry x-generated, index.js a comment on its first line."""
    text = zapier.render()[name]
    if name.endswith(".json"):
        assert json.loads(text)["x-generated"] == NOTICE
    else:
        assert text.splitlines()[0] == f"// {NOTICE}"


def test_package_pins_the_platform_and_the_lock_matches():
    """package.json pins core and schema 19.1.0; package-lock.json resolves them."""
    package = json.loads(zapier.render()[f"{zapier.ROOT}/package.json"])
    assert package["dependencies"] == {
        "zapier-platform-core": "19.1.0",
        "zapier-platform-schema": "19.1.0",
    }
    lock = json.loads((APP / "package-lock.json").read_text(encoding="utf-8"))
    for name in package["dependencies"]:
        assert lock["packages"][f"node_modules/{name}"]["version"] == "19.1.0"
    assert lock["packages"][""]["dependencies"] == package["dependencies"]


def test_app_lists_every_catalog_operation():
    """One create or search per action, one hook per trigger, one hidden dropdown
    trigger per option source."""
    found = app_json()
    assert {item["key"] for item in [*found["creates"], *found["searches"]]} == {
        zapier.zapier_key(action.key) for action in catalog.ACTIONS
    }
    assert {item["key"] for item in found["searches"]} == {
        zapier.zapier_key(a.key) for a in catalog.ACTIONS if a.kind == "search"
    }
    assert [item["key"] for item in found["hooks"]] == [t.key for t in catalog.TRIGGERS]
    assert [item["display"]["hidden"] for item in found["options"]] == [True, True]


@pytest.mark.parametrize("operation", operations(), ids=lambda item: item["key"])
def test_every_field_has_help_and_every_dropdown_a_source(operation):
    """Help text on every input field; each dynamic field names a hidden trigger."""
    sources = {item["key"] for item in app_json()["options"]}
    for field in each_field(operation["operation"]["inputFields"]):
        assert field.get("helpText") or field.get("children"), field["key"]
        if "dynamic" in field:
            assert field["dynamic"].split(".")[0] in sources


@pytest.mark.parametrize(
    ("action", "key", "expected"),
    [
        ("create-phone-call", "from_number", {"dynamic": "phone_numbers.value.label"}),
        ("create-phone-call", "override_agent_id", {"dynamic": "agents.value.label"}),
        ("create-phone-call", "to_number", {"type": "string", "required": True}),
        ("create-phone-call", "metadata", {"dict": True}),
        ("create-phone-call", "retell_llm_dynamic_variables", {"dict": True}),
        ("create-phone-call", "agent_override", {"type": "text"}),
        ("create-phone-call", "ignore_e164_validation", {"type": "boolean"}),
        ("create-phone-call", "override_agent_version", {"type": "string"}),
        ("list-calls", "start_after", {"type": "datetime"}),
        ("list-calls", "limit", {"type": "integer", "default": "50"}),
        (
            "list-calls",
            "call_status",
            {"list": True, "choices": ["not_connected", "ongoing", "ended", "error"]},
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_input_fields_take_the_form_zapier_users_fill_in(action, key, expected):
    """Each catalog property becomes the Zapier field form that suits its shapes."""
    document = schemas.documents()[f"actions/{action}.input.json"]
    prop = document["properties"][key]
    field = zapier.input_field(key, prop, key in document.get("required", ()))
    assert field | expected == field
    assert field["helpText"] == prop["description"]


def test_bulk_rows_are_line_items_of_call_fields():
    """Bulk rows take create-phone-call's fields, minus the job's own keys."""
    bulk = next(i for i in app_json()["creates"] if i["key"] == "create_phone_calls")
    rows = bulk["operation"]["inputFields"][0]
    children = [child["key"] for child in rows["children"]]
    single = schemas.documents()["actions/create-phone-call.input.json"]
    assert children == [key for key in single["properties"] if key != "idempotency_key"]


@needs_node
def test_app_passes_zapier_validation():
    """zapier-platform-core's validateApp, as `zapier validate` runs it: no errors."""
    answer = node("validate.js")
    assert answer == {"core": "19.1.0", "errors": []}


@pytest.fixture
def connector(app):
    """The connector on a loopback port, for node to call."""
    with serving(app) as url:
        yield url


def worker(app) -> DeliveryWorker:
    services = app.extensions["connector"]
    return DeliveryWorker(services.engine, services.keyring, targets=services.targets)


def deliver(app, hooks, event_id: str, seconds: float = 10) -> dict:
    """Run the delivery worker until the event reaches the hook receiver."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        worker(app).run_once()
        if not hooks.wait_for({event_id}, time.monotonic() + 0.1):
            return next(event for event in hooks.received if event["id"] == event_id)
    raise AssertionError(f"{event_id} was not delivered")


@needs_node
def test_a_zap_connects_places_a_call_and_gets_its_event(
    app, connector, simulator, hooks
):
    """Auth test, create, subscribe, a delivered event, perform, performList and
    unsubscribe, each through createAppTester as Zapier runs them."""
    me, label = run(
        connector,
        ("authentication.test", {}),
        ("authentication.connectionLabel", {"inputData": {"account_id": "acct_x"}}),
    )
    account_id = me["result"]["account_id"]
    assert label == {"result": "acct_x"}
    simulator.set_webhook_url(f"{connector}/v1/webhooks/retell/{account_id}")
    target = f"{hooks.url}/hooks/call_ended"

    subscribed, placed = run(
        connector,
        ("triggers.call_ended.operation.performSubscribe", {"targetUrl": target}),
        (
            "creates.create_phone_call.operation.perform",
            {
                "inputData": {
                    "from_number": FROM,
                    "to_number": "+1 415-555-0123",
                    "override_agent_id": "",
                    "retell_llm_dynamic_variables": {"customer_name": "Ana"},
                    "ignore_e164_validation": False,
                }
            },
        ),
    )
    subscription = subscribed["result"]
    assert subscription["target_url"] == target
    hooks.secrets["call_ended"] = subscription["secret"]
    call = placed["result"]
    assert (call["call_status"], call["to_number"]) == ("registered", TO)

    event = deliver(app, hooks, f"{call['call_id']}:call_ended")
    assert hooks.problems == []

    performed, listed, unsubscribed, again = run(
        connector,
        ("triggers.call_ended.operation.perform", {"cleanedRequest": event}),
        ("triggers.call_ended.operation.performList", {}),
        (
            "triggers.call_ended.operation.performUnsubscribe",
            {"subscribeData": subscription},
        ),
        (
            "triggers.call_ended.operation.performUnsubscribe",
            {"subscribeData": subscription},
        ),
    )
    assert performed == {"result": [event]}
    assert [item["id"] for item in listed["result"]] == [event["id"]]
    assert unsubscribed == {"result": {"id": subscription["id"]}}
    assert again["error"]["message"] == {
        "message": f"This account has no subscription '{subscription['id']}'.",
        "code": "not_found",
        "status": 404,
    }


@needs_node
def test_dropdowns_and_searches_read_the_account(app, connector, simulator):
    """Hidden triggers feed the dropdowns; searches answer lists, [] for no match."""
    agents, numbers, placed = run(
        connector,
        ("triggers.agents.operation.perform", {}),
        ("triggers.phone_numbers.operation.perform", {}),
        (
            "creates.create_phone_call.operation.perform",
            {"inputData": {"from_number": FROM, "to_number": TO}},
        ),
    )
    assert len(agents["result"]) == 2
    assert all(set(item) == {"value", "label"} for item in agents["result"])
    assert FROM in [item["value"] for item in numbers["result"]]
    call_id = placed["result"]["call_id"]

    found, missing, listed, fallback = run(
        connector,
        ("searches.get_call.operation.perform", {"inputData": {"call_id": call_id}}),
        ("searches.get_call.operation.perform", {"inputData": {"call_id": "call_no"}}),
        ("searches.list_calls.operation.perform", {"inputData": {"limit": 5}}),
        ("triggers.call_failed.operation.performList", {}),
    )
    assert [item["call_id"] for item in found["result"]] == [call_id]
    assert missing == {"result": []}
    assert call_id in [item["call_id"] for item in listed["result"]]
    assert fallback == {"result": [catalog.trigger("call_failed").sample]}


@needs_node
def test_problems_surface_as_zapier_errors_with_their_detail(connector, client, auth):
    """A refused input shows the connector's detail text, code and status."""
    expected = client.post(
        "/v1/actions/create-phone-call",
        json={"from_number": FROM, "to_number": "4155550123"},
        headers=auth,
    ).get_json()
    (refused,) = run(
        connector,
        (
            "creates.create_phone_call.operation.perform",
            {"inputData": {"from_number": FROM, "to_number": "4155550123"}},
        ),
    )
    assert refused["error"]["message"] == {
        "message": expected["detail"],
        "code": "validation_failed",
        "status": 422,
    }


@needs_node
def test_the_connection_may_name_the_connector_url(connector):
    """Without CONNECTOR_BASE_URL, the connection's Connector URL field is used."""
    answer = node(
        "run.js",
        {
            "authData": {"api_key": API_KEY, "base_url": connector + "/"},
            "steps": [{"method": "authentication.test", "bundle": {}}],
        },
    )
    assert answer[0]["result"]["account_id"].startswith("acct_")


@needs_node
def test_a_wrong_key_fails_the_connection_test(connector):
    """Retell's refusal of the key surfaces as the connection test's error."""
    (answer,) = run(connector, ("authentication.test", {}), auth={"api_key": "nope"})
    assert answer["error"]["message"]["status"] == 401


@needs_node
def test_a_rate_limited_create_is_throttled_with_the_connectors_detail(
    connector, client, auth
):
    """A 429 becomes Zapier's ThrottledError (Zapier retries the step later) with
    the connector's text and its Retry-After, not the core's generic message."""
    body = {"from_number": FROM, "to_number": "+14155550179"}  # always 429
    expected = client.post("/v1/actions/create-phone-call", json=body, headers=auth)
    assert expected.status_code == 429
    (throttled,) = run(
        connector, ("creates.create_phone_call.operation.perform", {"inputData": body})
    )
    assert throttled["error"]["name"] == "ThrottledError"
    assert throttled["error"]["message"] == {
        "message": expected.get_json()["detail"],
        "delay": int(expected.headers["Retry-After"]),
    }
