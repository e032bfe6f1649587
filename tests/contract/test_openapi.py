"""Contract fuzzing: the running connector answers as its OpenAPI document says.

schemathesis (https://schemathesis.readthedocs.io) generates valid and invalid
requests for every operation in ``manifests/openapi.json`` (the document the
platforms import, and what ``GET /openapi.json`` serves), sends them to a connector
on loopback in front of the built-in simulator, and checks every answer against the
document. The connector holds a finished call and its events first, so the list and
event responses are checked with real items in them, not only empty lists.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import time
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import settings

from connector.app import create_app
from connector.config import Settings
from connector.retell.signatures import sign
from connector.simulator import SimulatorConfig, Workspace
from connector.simulator import create_app as create_simulator
from tests.conftest import API_KEY, Simulator, serving

pytestmark = pytest.mark.contract

DOCUMENT = Path(__file__).resolve().parents[2] / "manifests" / "openapi.json"
WEBHOOK = "/v1/webhooks/retell/{account_id}"
AUTH = {"Authorization": f"Bearer {API_KEY}"}

#: What every operation is held to. Left out on purpose:
#: positive_data_acceptance, because schema-valid input is refused by design when it
#: names a number or agent the workspace does not own (Retell's 404/422, passed on);
#: ignored_auth, because any well-formed key is its own tenant (contract.md, "Auth"),
#: so a made-up key may read its own, empty, event list.
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "missing_required_header",
    "unsupported_method",
)

CONFIG = schemathesis.Config.from_dict(
    {
        "headers": AUTH,
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        "operations": [
            {
                # A body schemathesis corrupts on purpose fails on its signature
                # before any body rule is reached, so the check learns nothing.
                "include-path": WEBHOOK,
                "checks": {"negative_data_rejection": {"enabled": False}},
            },
            {
                # Actions read mapper input leniently on purpose: an empty or null
                # optional field counts as not set (README, "What the mapping rules
                # accept"), which the schemas' minLength and types do not say.
                "include-path-regex": "^/v1/actions/",
                "checks": {"negative_data_rejection": {"enabled": False}},
            },
        ],
    }
)

# Loaded at import rather than through schemathesis.pytest.from_fixture, which
# reads Node._nodeid, an attribute pytest 9 no longer has (schemathesis 4.32.5).
schema = schemathesis.openapi.from_dict(json.loads(DOCUMENT.read_text()), config=CONFIG)


class RetellSignature(requests.auth.AuthBase):
    """Signs a webhook as Retell does, over the exact bytes about to be sent.

    Only requests that carry the header are signed, so the generated cases that
    leave it out still take the 401 path.
    """

    def __init__(self, key: str) -> None:
        self.key = key

    def __call__(self, prepared: requests.PreparedRequest) -> requests.PreparedRequest:
        if "x-retell-signature" in prepared.headers:
            body = prepared.body or b""
            raw = body.encode("utf-8") if isinstance(body, str) else body
            now = time.time_ns() // 1_000_000
            prepared.headers["x-retell-signature"] = sign(raw, self.key, now)
        return prepared


def _loopback_only(real):
    """getaddrinfo that answers for loopback only: fuzzed target URLs name made-up
    hosts, and none of them may be looked up in real DNS."""

    def getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        try:
            loopback = ipaddress.ip_address(name).is_loopback
        except (TypeError, ValueError):
            loopback = name == "localhost"
        if not loopback:
            raise socket.gaierror(socket.EAI_NONAME, "not resolved in contract tests")
        return real(host, *args, **kwargs)

    return getaddrinfo


def _seed(connector: str, simulator: Simulator, account_id: str) -> None:
    """Place a connected and a busy call and wait for all their events."""
    simulator.set_webhook_url(f"{connector}/v1/webhooks/retell/{account_id}")
    for to_number in ("+14155550123", "+14155550170"):
        response = requests.post(
            f"{connector}/v1/actions/create-phone-call",
            json={"from_number": "+14155550100", "to_number": to_number},
            headers=AUTH,
            timeout=10,
        )
        response.raise_for_status()
    wanted = {"call_analyzed": 2, "call_failed": 1}
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        counts = {
            trigger: len(
                requests.get(
                    f"{connector}/v1/triggers/{trigger}/events", headers=AUTH, timeout=5
                ).json()
            )
            for trigger in wanted
        }
        if counts == wanted:
            return
        time.sleep(0.1)
    raise AssertionError(f"the seeded calls did not finish: {counts}")


@pytest.fixture(scope="module")
def connector(tmp_path_factory):
    """URL and tenant of a connector holding two finished calls, for the module."""
    folder = tmp_path_factory.mktemp("contract")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "getaddrinfo", _loopback_only(socket.getaddrinfo))
        config = SimulatorConfig(workspaces=[Workspace(api_keys=[API_KEY])], speed=20.0)
        simulator_app = create_simulator(config)
        with serving(simulator_app) as simulator_url:
            app = create_app(
                Settings(
                    database_url=f"sqlite:///{folder / 'connector.db'}",
                    retell_base_url=simulator_url,
                    public_url="http://127.0.0.1:9",
                    secret_key="test-secret-key",
                    instance_path=str(folder),
                    upstream_timeout=5.0,
                    # Pacing is not what is tested here, and the creates that pass
                    # validation would otherwise wait for their slot (1 CPS).
                    default_cps=100.0,
                    # The fuzzer also sets the pacing (down to 0.1 CPS); a short
                    # wait turns the creates after it into quick, documented 429s.
                    pacing_max_wait=0.2,
                )
            )
            app.extensions["connector"].retell.backoff_base = 0.01
            account_id = app.extensions["connector"].keyring.account_id(API_KEY)
            try:
                with serving(app) as url:
                    try:
                        _seed(url, Simulator(simulator_app, simulator_url), account_id)
                        yield url, account_id
                    finally:
                        # Calls the fuzzer placed still send webhooks; stop those
                        # before the connector goes away.
                        simulator_app.simulator.stop()
            finally:
                app.extensions["connector"].engine.dispose()


def test_the_fuzzed_document_is_the_served_one(connector):
    """GET /openapi.json is manifests/openapi.json, apart from the server URL."""
    url, _ = connector
    served = requests.get(f"{url}/openapi.json", timeout=5).json()
    checked_in = json.loads(DOCUMENT.read_text())
    for document in (served, checked_in):
        document.pop("servers")
        document.pop("x-generated", None)
    assert served == checked_in


@schema.parametrize()
@settings(max_examples=20, deadline=None)
def test_every_answer_matches_the_document(case, connector):
    """Generated requests get documented statuses, media types and bodies; no 5xx."""
    url, account_id = connector
    if case.operation.path == WEBHOOK:
        case.path_parameters = {"account_id": account_id}
        case.call_and_validate(base_url=url, auth=RetellSignature(API_KEY), timeout=10)
    else:
        case.call_and_validate(base_url=url, timeout=10)
