"""The n8n node package: generated from the catalog, built and linted by n8n's node
tooling, and run by a real n8n 2.8.4 against a live connector and simulator.

The tests marked ``n8n`` need the package's tooling (``npm ci --prefix
manifests/n8n``) and n8n itself in ``$N8N_HOME``; ``make n8n-tier`` installs both
and runs them. Without them they are skipped and say what to install.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tarfile
import time
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from connector import catalog
from connector.catalog import schemas
from connector.catalog.schemas import NOTICE
from connector.cli.demo import free_port
from connector.delivery.worker import DeliveryWorker
from connector.manifests import n8n
from connector.store.tables import subscriptions
from tests.conftest import API_KEY, serving

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / n8n.ROOT
HERE = Path(__file__).parent / "n8n"
N8N_HOME = Path(
    os.environ.get("N8N_HOME")
    or Path.home() / ".cache" / "retell-connector" / "n8n-2.8.4"
)
N8N = N8N_HOME / "node_modules" / ".bin" / "n8n"
NPM = shutil.which("npm")
CREDENTIAL_ID = "retellConnCred01"

needs_tooling = pytest.mark.skipif(
    NPM is None or not (PACKAGE / "node_modules" / "@n8n" / "node-cli").is_dir(),
    reason="needs npm and the package's build tooling: run "
    "`npm ci --prefix manifests/n8n` (or `make n8n-tier`)",
)
needs_n8n = pytest.mark.skipif(
    not N8N.exists(),
    reason=f"needs n8n 2.8.4 in {N8N_HOME} (N8N_HOME): run `make n8n-tier`",
)

FROM, TO = "+14155550100", "+14155550123"


def rendered(name: str) -> str:
    return n8n.render()[f"{n8n.ROOT}/{name}"]


def description_of(node: str) -> dict:
    return n8n.node_description() if node == "Retell" else n8n.trigger_description()


def operation_parameters(action: str) -> list[dict]:
    """The parameters shown for one action, those in Additional Fields included."""
    found = []
    for prop in n8n.node_description()["properties"]:
        shown = prop.get("displayOptions", {}).get("show", {})
        if shown.get("operation") != [n8n.camel(action)]:
            continue
        found.extend(prop["options"] if prop["type"] == "collection" else [prop])
    return found


# --- the generated package -------------------------------------------------------


@pytest.mark.parametrize("name", sorted(n8n.render()), ids=str)
def test_every_generated_file_says_so(name):
    """package.json carries x-generated, other files a comment on their first line,
    except eslint.config.mjs, which n8n's strict lint wants verbatim."""
    text = n8n.render()[name]
    if name.endswith(".json") and not name.endswith("tsconfig.json"):
        assert json.loads(text)["x-generated"] == NOTICE
    elif name.endswith("eslint.config.mjs"):
        assert text == n8n.ESLINT_CONFIG
    else:
        first = text.splitlines()[0]
        assert first in (f"// {NOTICE}", f"# {NOTICE}", f"<!-- {NOTICE} -->")


def test_package_names_its_nodes_and_pins_its_tooling():
    """The n8n section lists the built credential and both nodes; the lock file
    resolves the tooling to exactly the pinned versions."""
    package = json.loads(rendered("package.json"))
    assert package["name"] == "n8n-nodes-retell-connector"
    assert "n8n-community-node-package" in package["keywords"]
    assert package["n8n"] == {
        "n8nNodesApiVersion": 1,
        "strict": True,
        "credentials": ["dist/credentials/RetellConnectorApi.credentials.js"],
        "nodes": [
            "dist/nodes/Retell/Retell.node.js",
            "dist/nodes/RetellTrigger/RetellTrigger.node.js",
        ],
    }
    lock = json.loads((PACKAGE / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"][""]["devDependencies"] == n8n.TOOLING
    for name, version in n8n.TOOLING.items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version


def test_one_operation_per_action():
    """Each catalog action is one operation, under the resource of its noun, routed
    to POST /v1/actions/<key>."""
    properties = n8n.node_description()["properties"]
    routes = {
        option["value"]: option["routing"]["request"]
        for prop in properties
        if prop["name"] == "operation"
        for option in prop["options"]
    }
    assert routes == {
        n8n.camel(action.key): {"method": "POST", "url": f"/v1/actions/{action.key}"}
        for action in catalog.ACTIONS
    }


@pytest.mark.parametrize("action", catalog.ACTIONS, ids=lambda action: action.key)
def test_every_input_is_a_parameter_with_help(action):
    """One parameter per input property, sent under its own name, with the
    schema's help text; exactly the schema's required ones are required."""
    document = schemas.documents()[f"actions/{action.key}.input.json"]
    found = {param["name"]: param for param in operation_parameters(action.key)}
    assert set(found) == set(document["properties"])
    for key, param in found.items():
        assert param["routing"]["send"]["property"] == key
        assert param["description"]
        assert param.get("required", False) == (key in document.get("required", ()))


@pytest.mark.parametrize(
    ("action", "key", "expected"),
    [
        ("create-phone-call", "to_number", {"type": "string", "required": True}),
        ("create-phone-call", "metadata", {"type": "json"}),
        ("create-phone-call", "agent_override", {"type": "json"}),
        ("create-phone-call", "ignore_e164_validation", {"type": "boolean"}),
        ("create-phone-call", "override_agent_version", {"type": "string"}),
        ("create-phone-calls", "rows", {"type": "json", "default": "[]"}),
        ("list-calls", "start_after", {"type": "dateTime"}),
        ("list-calls", "limit", {"type": "number", "default": 50}),
        ("list-calls", "call_status", {"type": "multiOptions", "default": []}),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_parameters_take_the_form_n8n_users_fill_in(action, key, expected):
    """Each catalog property becomes the n8n parameter type that suits its shapes."""
    param = next(p for p in operation_parameters(action) if p["name"] == key)
    assert param | expected == param


@pytest.mark.parametrize(
    ("key", "source"), sorted(n8n.DROPDOWNS.items()), ids=lambda value: value
)
def test_dropdowns_load_the_connectors_options(key, source):
    """Agent and number fields are dropdowns whose loadOptions method reads
    GET /v1/options/<key>."""
    params = [
        param
        for action in catalog.ACTIONS
        for param in operation_parameters(action.key)
        if param["name"] == key
    ]
    assert params
    method = n8n.camel(source)
    for param in params:
        assert param["type"] == "options"
        assert param["typeOptions"] == {"loadOptionsMethod": method}
    node = rendered("nodes/Retell/Retell.node.ts")
    assert f"async {method}(this: ILoadOptionsFunctions)" in node
    assert f"return await choices.call(this, '{source}');" in node


def test_trigger_offers_every_catalog_trigger():
    """The trigger's Event parameter lists the four call events."""
    event = n8n.trigger_description()["properties"][0]
    assert event["name"] == "event"
    assert {option["value"] for option in event["options"]} == {
        trigger.key for trigger in catalog.TRIGGERS
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Agent (this call only)", "Agent (This Call Only)"),
        ("Respect do-not-call list", "Respect Do-Not-Call List"),
        ("Bind Agent to Phone Number", "Bind Agent to Phone Number"),
    ],
)
def test_names_are_title_case(text, expected):
    """Display names in n8n's title case."""
    assert n8n.title(text) == expected


# --- built and linted by n8n's tooling -------------------------------------------


@pytest.fixture(scope="session")
def extensions(tmp_path_factory) -> Path:
    """The package built by `n8n-node build`, packed by npm and unpacked into a
    folder for N8N_CUSTOM_EXTENSIONS, as a user would install it."""
    work = tmp_path_factory.mktemp("n8n-package")
    build = work / "build"
    skipped = shutil.ignore_patterns("node_modules", "dist")
    shutil.copytree(PACKAGE, build, ignore=skipped)
    (build / "node_modules").symlink_to(PACKAGE / "node_modules")
    built = subprocess.run(
        [NPM, "run", "build"], cwd=build, capture_output=True, text=True, timeout=120
    )
    assert built.returncode == 0, built.stdout + built.stderr
    packed = subprocess.run(
        [NPM, "pack", "--json", "--pack-destination", str(work)],
        cwd=build,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert packed.returncode == 0, packed.stderr
    tarball = work / json.loads(packed.stdout)[0]["filename"]
    target = work / "extensions"
    with tarfile.open(tarball) as archive:
        archive.extractall(target, filter="data")
    return target


@pytest.mark.n8n
@needs_tooling
def test_the_tooling_builds_every_file_the_package_names(extensions):
    """`n8n-node build` compiles the TypeScript; the packed package holds every
    file its n8n section names, and the icon."""
    package = extensions / "package"
    manifest = json.loads((package / "package.json").read_text(encoding="utf-8"))
    for path in [*manifest["n8n"]["credentials"], *manifest["n8n"]["nodes"]]:
        assert (package / path).is_file(), path
    assert (package / "dist" / "icons" / "retell.svg").is_file()


@pytest.mark.n8n
@needs_tooling
def test_n8n_lint_finds_nothing_but_the_licence():
    """`n8n-node lint` (strict, n8n Cloud's rules): no problem but the licence
    field, which is the owner's decision (n8n asks for MIT)."""
    linted = subprocess.run(
        [NPM, "run", "lint"], cwd=PACKAGE, capture_output=True, text=True, timeout=120
    )
    output = re.sub(r"\x1b\[[0-9;]*m", "", linted.stdout + linted.stderr)
    rules = set(re.findall(r"\berror\b.*?\s(\S+/\S+)\s*$", output, re.MULTILINE))
    licence = "n8n-nodes-base/community-package-json-license-not-default"
    assert rules == {licence}, output


# --- run by n8n ------------------------------------------------------------------


class N8n:
    """One n8n instance's home, environment and command line."""

    def __init__(self, home: Path, extensions: Path) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.outbound = home / "outbound.log"
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(home),
            "N8N_USER_FOLDER": str(home),
            "N8N_CUSTOM_EXTENSIONS": str(extensions / "package"),
            "N8N_LISTEN_ADDRESS": "127.0.0.1",
            "N8N_PORT": str(self.port),
            "WEBHOOK_URL": f"{self.url}/",
            "N8N_SECURE_COOKIE": "false",
            "N8N_DIAGNOSTICS_ENABLED": "false",
            "N8N_VERSION_NOTIFICATIONS_ENABLED": "false",
            "N8N_TEMPLATES_ENABLED": "false",
            "N8N_PERSONALIZATION_ENABLED": "false",
            "N8N_COMMUNITY_PACKAGES_ENABLED": "false",
            "N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS": "false",
            "DB_TYPE": "sqlite",
            # Each process gets its own task broker port, so runs never collide.
            "N8N_RUNNERS_BROKER_PORT": str(free_port()),
            "NODE_OPTIONS": f"--require {HERE / 'loopback-only.js'}",
            "N8N_OUTBOUND_LOG": str(self.outbound),
        }
        self.server: subprocess.Popen | None = None

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        self.env["N8N_RUNNERS_BROKER_PORT"] = str(free_port())
        return subprocess.run(
            [str(N8N), *args],
            cwd=self.home,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def load(self, kind: str, document) -> None:
        """`n8n import:<kind>` of a JSON document; asserts it worked."""
        path = self.home / f"{kind}-{uuid.uuid4().hex}.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        done = self.run(f"import:{kind}", f"--input={path}")
        assert done.returncode == 0, done.stdout + done.stderr

    def credential(self, connector_url: str) -> None:
        self.load(
            "credentials",
            [
                {
                    "id": CREDENTIAL_ID,
                    "name": "Retell connector",
                    "type": n8n.CREDENTIAL,
                    "data": {"apiKey": API_KEY, "baseUrl": connector_url},
                }
            ],
        )

    def outbound_attempts(self) -> list[str]:
        """What the loopback guard wrote: a line per process, and any refusal."""
        if not self.outbound.exists():
            return []
        return self.outbound.read_text(encoding="utf-8").splitlines()

    def start(self) -> None:
        self.log = open(self.home / "n8n-start.log", "ab")
        self.server = subprocess.Popen(
            [str(N8N), "start"],
            cwd=self.home,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.server.poll() is None, self.tail()
            try:
                # /healthz answers before the REST API is mounted, and until then
                # any GET may get the editor's HTML page: wait for JSON settings.
                answer = requests.get(f"{self.url}/rest/settings", timeout=2)
                if answer.ok and answer.headers["content-type"].startswith(
                    "application/json"
                ):
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise AssertionError("n8n did not become ready:\n" + self.tail())

    def tail(self) -> str:
        self.log.flush()
        return (self.home / "n8n-start.log").read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.server and self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            try:
                self.server.wait(30)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
        if self.server:
            self.log.close()


@pytest.fixture
def instance(tmp_path, extensions):
    running = N8n(tmp_path / "n8n", extensions)
    running.home.mkdir()
    yield running
    running.stop()
    attempts = running.outbound_attempts()
    assert attempts, "the loopback guard was not loaded into n8n"
    assert [line for line in attempts if " loaded " not in line] == [], attempts


@pytest.fixture
def connector(app):
    """The connector on a loopback port, for n8n to call."""
    with serving(app) as url:
        yield url


def workflow(name: str, **changes) -> dict:
    """A workflow template from tests/platforms/n8n with node parameters changed:
    ``changes`` maps a node's name to the parameters to set on it."""
    document = json.loads((HERE / name).read_text(encoding="utf-8"))
    for node in document["nodes"]:
        node["parameters"].update(changes.get(node["name"], {}))
    return document


@pytest.mark.n8n
@needs_tooling
@needs_n8n
def test_a_workflow_places_a_call_and_a_refused_number_fails_it(
    instance, connector, simulator, client, auth
):
    """Manual Trigger → Retell "Create phone call": `n8n execute` exits 0 and the
    simulator gets the call; a national-format number exits non-zero with the
    connector's 422 detail in n8n's output."""
    instance.credential(connector)
    placed = workflow(
        "call-workflow.json",
        **{
            "Create phone call": {
                "from_number": FROM,
                "to_number": "+1 415-555-0123",
                "additionalFields": {
                    "metadata": '{"row": 7}',
                    "retell_llm_dynamic_variables": '{"customer_name": "Ana"}',
                    "honor_internal_dnc": True,
                },
            }
        },
    )
    refused = workflow(
        "call-workflow.json",
        **{"Create phone call": {"from_number": FROM, "to_number": "4155550123"}},
    )
    refused["id"], refused["name"] = "retellCallWf0002", "Retell: a refused number"
    for node in refused["nodes"]:
        node["id"] = str(uuid.uuid4())
    instance.load("workflow", [placed, refused])

    ran = instance.run("execute", f"--id={placed['id']}", "--rawOutput")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    (create,) = simulator.creates()
    body = create["body"]
    assert (body["from_number"], body["to_number"]) == (FROM, TO)
    assert body["metadata"] == {"row": 7}
    assert body["retell_llm_dynamic_variables"] == {"customer_name": "Ana"}
    call_id = simulator.calls()[0]["call_id"]
    assert call_id in ran.stdout

    expected = client.post(
        "/v1/actions/create-phone-call",
        json={"from_number": FROM, "to_number": "4155550123"},
        headers=auth,
    ).get_json()
    failed = instance.run("execute", f"--id={refused['id']}")
    assert failed.returncode != 0
    # n8n's summary of the failed run: the error's message, then its stack.
    summary = (failed.stdout + failed.stderr).split("Execution error:")[-1]
    assert summary.split("\n")[2] == expected["detail"], summary
    field = expected["errors"][0]
    assert f'"description": "to_number: {field["message"]}"' in failed.stdout
    assert len(simulator.creates()) == 1


def variant(document: dict, workflow_id: str, node: str, parameters: dict) -> dict:
    """Another workflow from a template: its own id and node ids, one node set."""
    changed = json.loads(json.dumps(document))
    changed["id"], changed["name"] = workflow_id, f"Retell: {workflow_id}"
    for item in changed["nodes"]:
        item["id"] = str(uuid.uuid4())
        if item["name"] == node:
            item["parameters"] = parameters
    return changed


@pytest.mark.n8n
@needs_tooling
@needs_n8n
def test_list_and_bulk_send_times_choices_and_rows_as_the_connector_wants(
    instance, connector, simulator, client, auth
):
    """A picked time leaves n8n with the workflow's UTC offset, a multi-choice as a
    list, and bulk rows typed as JSON as an array: the connector accepts them."""
    instance.credential(connector)
    template = workflow("call-workflow.json")
    template["settings"]["timezone"] = "Europe/Berlin"
    listed = variant(
        template,
        "retellListWf0001",
        "Create phone call",
        {
            "resource": "call",
            "operation": "listCalls",
            "additionalFields": {
                "start_after": "2026-01-01T00:00:00",
                "call_status": ["ended", "error"],
                "limit": 5,
            },
        },
    )
    rows = [
        {"from_number": FROM, "to_number": "+14155550124"},
        {"from_number": FROM, "to_number": "4155550125"},
    ]
    bulk = variant(
        template,
        "retellBulkWf0001",
        "Create phone call",
        {
            "resource": "call",
            "operation": "createPhoneCalls",
            "rows": json.dumps(rows),
        },
    )
    instance.load("workflow", [listed, bulk])

    ran = instance.run("execute", f"--id={listed['id']}")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    (search,) = simulator.requests(path="/v3/list-calls")
    criteria = search["body"]["filter_criteria"]
    # Midnight in Berlin on 1 January 2026 is 23:00 UTC the day before.
    assert criteria["start_timestamp"]["value"] == 1767222000000
    assert criteria["call_status"]["value"] == ["ended", "error"]
    assert search["body"]["limit"] == 5

    ran = instance.run("execute", f"--id={bulk['id']}")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    job_id = re.search(r'"job_id": "(job_[0-9a-f]+)"', ran.stdout)[1]
    job = client.get(f"/v1/jobs/{job_id}", headers=auth).get_json()
    assert job["total"] == 2
    assert job["rows"][1]["errors"][0]["field"] == "to_number"


def deliveries(app, seconds: float, until) -> None:
    """Run the connector's delivery worker until ``until()`` holds."""
    services = app.extensions["connector"]
    worker = DeliveryWorker(services.engine, services.keyring, targets=services.targets)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        worker.run_once()
        if until():
            return
        time.sleep(0.2)
    raise AssertionError("the delivery did not arrive in time")


def subscribed(app) -> list[tuple[str, str]]:
    engine = app.extensions["connector"].engine
    with engine.connect() as conn:
        rows = conn.execute(select(subscriptions.c.trigger, subscriptions.c.target_url))
        return [tuple(row) for row in rows]


class Rest:
    """n8n's own REST API as its editor uses it, signed in as the owner."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()
        # n8n binds its auth cookie to the browser that signed in.
        self.session.headers["browser-id"] = "retell-connector-tests"
        # The first owner is set up once per instance; its cookie signs us in.
        self.call(
            "POST",
            "/owner/setup",
            {
                "email": "owner@example.com",
                "firstName": "Test",
                "lastName": "Owner",
                "password": "Passw0rd-for-tests",
            },
        )

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        response = self.session.request(
            method, f"{self.url}/rest{path}", json=body, timeout=30
        )
        said = f"{method} {path}: {response.status_code} {response.text[:2000]}"
        assert response.ok, said
        assert response.headers["content-type"].startswith("application/json"), said
        return response.json().get("data", {})


@pytest.mark.n8n
@needs_tooling
@needs_n8n
def test_activating_the_trigger_subscribes_and_deactivating_unsubscribes(
    instance, app, connector, simulator, client, auth, hooks
):
    """Activation subscribes the workflow's webhook URL; a call's ended event
    passes the trigger's signature check and runs the workflow, which forwards
    it; an unsigned POST is refused; deactivation deletes the subscription."""
    account_id = client.get("/v1/me", headers=auth).get_json()["account_id"]
    simulator.set_webhook_url(f"{connector}/v1/webhooks/retell/{account_id}")
    instance.credential(connector)
    forwarded = f"{hooks.url}/n8n/call_ended"
    flow = workflow("trigger-workflow.json", Forward={"url": forwarded})
    instance.load("workflow", [flow])
    webhook_id = flow["nodes"][0]["webhookId"]
    target = f"{instance.url}/webhook/{webhook_id}/webhook"
    instance.start()

    rest = Rest(instance.url)
    version = rest.call("GET", f"/workflows/{flow['id']}")["versionId"]
    rest.call("POST", f"/workflows/{flow['id']}/activate", {"versionId": version})
    assert subscribed(app) == [("call_ended", target)]

    refused = requests.post(
        target,
        json={"id": "call_forged:call_ended"},
        headers={"webhook-id": "msg_x", "webhook-timestamp": str(int(time.time()))},
        timeout=10,
    )
    assert refused.status_code == 401

    placed = client.post(
        "/v1/actions/create-phone-call",
        json={"from_number": FROM, "to_number": TO},
        headers=auth,
    ).get_json()
    event_id = f"{placed['call_id']}:call_ended"
    deliveries(app, 30, lambda: any(e["id"] == event_id for e in hooks.received))
    (event,) = hooks.received
    sent = client.get("/v1/triggers/call_ended/events", headers=auth).get_json()
    assert [event] == [item for item in sent if item["id"] == event_id]

    rest.call("POST", f"/workflows/{flow['id']}/deactivate", {})
    assert subscribed(app) == []


@pytest.mark.n8n
@needs_tooling
@needs_n8n
def test_the_editor_tests_the_credential_and_loads_the_dropdowns(
    instance, connector, simulator
):
    """n8n's credential test (GET /v1/me with the Bearer key) passes, a wrong key
    fails it, and the agent and number dropdowns list the account's own."""
    instance.credential(connector)
    instance.start()
    rest = Rest(instance.url)
    credential = {"id": CREDENTIAL_ID, "name": "Retell", "type": n8n.CREDENTIAL}

    def tested(key: str) -> dict:
        # The editor sends the form's values along with the stored credential.
        data = {"apiKey": key, "baseUrl": connector}
        body = {"credentials": {**credential, "data": data}}
        return rest.call("POST", "/credentials/test", body)

    assert tested(API_KEY)["status"] == "OK"
    refused = tested("key_wrong_0000")
    assert refused["status"] == "Error", refused

    def choices(key: str) -> list[dict]:
        param = next(
            p for p in operation_parameters("create-phone-call") if p["name"] == key
        )
        return rest.call(
            "POST",
            "/dynamic-node-parameters/options",
            {
                "path": f"parameters.{key}",
                "nodeTypeAndVersion": {"name": "CUSTOM.retell", "version": 1},
                "currentNodeParameters": {
                    "resource": "call",
                    "operation": "createPhoneCall",
                },
                "methodName": param["typeOptions"]["loadOptionsMethod"],
                "credentials": {n8n.CREDENTIAL: {"id": CREDENTIAL_ID, "name": "x"}},
            },
        )

    agents = requests.get(
        f"{connector}/v1/options/agents",
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=5,
    ).json()
    assert choices("override_agent_id") == [
        {"name": item["label"], "value": item["value"]} for item in agents
    ]
    assert FROM in [item["value"] for item in choices("from_number")]
