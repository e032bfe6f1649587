"""The generated files: fresh, identical to what the service serves, and valid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from connector import catalog
from connector.catalog import schemas
from connector.manifests import files
from connector.mapping.inputs import CreatePhoneCallInput

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "retell"


def test_checked_in_files_are_fresh():
    """`connector generate` would change nothing; run it after editing the catalog."""
    assert files.stale(ROOT) == []


def test_catalog_serves_the_checked_in_schemas(client):
    """GET /v1/catalog carries exactly the documents in schemas/."""
    body = client.get("/v1/catalog").get_json()
    for action in body["actions"]:
        for side in ("input", "output"):
            path = ROOT / "schemas" / "actions" / f"{action['key']}.{side}.json"
            assert action[f"{side}_schema"] == json.loads(path.read_text())
    for trigger in body["triggers"]:
        path = ROOT / "schemas" / "triggers" / f"{trigger['key']}.output.json"
        assert trigger["output_schema"] == json.loads(path.read_text())
    assert {a["key"] for a in body["actions"]} == {a.key for a in catalog.ACTIONS}


@pytest.mark.parametrize("name", sorted(schemas.documents()), ids=str)
def test_every_schema_is_valid_json_schema(name):
    """Each document is itself valid JSON Schema 2020-12."""
    Draft202012Validator.check_schema(schemas.documents()[name])


@pytest.mark.parametrize(
    "operation",
    [*catalog.ACTIONS, *catalog.TRIGGERS],
    ids=lambda operation: operation.key,
)
def test_every_sample_matches_its_output_schema(operation):
    """The sample the platforms show is what the output schema describes."""
    kind = "actions" if operation in catalog.ACTIONS else "triggers"
    document = schemas.documents()[f"{kind}/{operation.key}.output.json"]
    errors = list(Draft202012Validator(document).iter_errors(operation.sample))
    assert errors == []


def test_retell_fixture_request_fits_the_input_schema():
    """Retell's documented create-phone-call body passes both schema and loader."""
    body = json.loads((FIXTURES / "create-phone-call.request.json").read_text())
    document = schemas.documents()["actions/create-phone-call.input.json"]
    assert list(Draft202012Validator(document).iter_errors(body)) == []
    loaded = CreatePhoneCallInput().load(body)
    assert loaded.pop("warnings") == []
    assert loaded == body


def test_openapi_document_is_valid(client):
    """The served and the checked-in OpenAPI documents pass the 3.1 validator."""
    validate(client.get("/openapi.json").get_json())
    validate(json.loads((ROOT / "manifests" / "openapi.json").read_text()))


def test_openapi_lists_every_action_and_trigger(client):
    """Adding an operation to the catalog adds its path to OpenAPI."""
    paths = client.get("/openapi.json").get_json()["paths"]
    for action in catalog.ACTIONS:
        assert f"/v1/actions/{action.key}" in paths
    for trigger in catalog.TRIGGERS:
        assert f"/v1/triggers/{trigger.key}/subscriptions" in paths
