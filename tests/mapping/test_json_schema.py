"""Generated JSON Schema tells the truth about inputs and outputs."""

from __future__ import annotations

import pytest
from apispec.ext.marshmallow.openapi import OpenAPIConverter
from jsonschema import Draft202012Validator
from marshmallow import fields as ma_fields

from connector.mapping import fields, inputs, jsonschema_attributes, outputs

from .conftest import load_fixture

SCHEMAS = [
    inputs.CreatePhoneCallInput,
    inputs.GetCallInput,
    inputs.ListCallsInput,
    inputs.BindAgentInput,
    outputs.CallOutput,
    outputs.CallEventOutput,
    outputs.CallFailedOutput,
    outputs.CallListOutput,
    outputs.CreatePhoneCallOutput,
    outputs.Option,
]


def json_schema(schema_class) -> dict:
    """Convert a schema the way the catalog does: apispec 3.1, nested inline."""
    converter = OpenAPIConverter("3.1.0", lambda _schema: None, None)
    converter.add_attribute_function(jsonschema_attributes)
    return converter.schema2jsonschema(schema_class())


def validator(schema_class) -> Draft202012Validator:
    schema = json_schema(schema_class)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(
        schema, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


@pytest.mark.parametrize("schema_class", SCHEMAS, ids=lambda s: s.__name__)
def test_schemas_are_valid_json_schema_2020_12(schema_class):
    """Every schema converts to a valid JSON Schema 2020-12 document."""
    validator(schema_class)


@pytest.mark.parametrize(
    "custom",
    [
        value
        for value in vars(fields).values()
        if isinstance(value, type)
        and issubclass(value, ma_fields.Field)
        and value.__module__ == fields.__name__
    ]
    + [inputs.CallStatuses],
    ids=lambda f: f.__name__,
)
def test_every_custom_field_declares_its_json_schema(custom):
    """Each custom field class carries a valid json_schema fragment."""
    assert isinstance(custom.json_schema, dict)
    Draft202012Validator.check_schema(custom.json_schema)


def test_custom_fragment_is_used_with_metadata_and_nullability():
    """The converter uses json_schema verbatim, keeps titles, adds null if allowed."""
    prop = json_schema(inputs.CreatePhoneCallInput)["properties"]["to_number"]
    assert prop["pattern"] == fields.PhoneNumber.json_schema["pattern"]
    assert prop["type"] == "string"
    assert prop["title"] == "To number"
    optional = json_schema(inputs.ListCallsInput)["properties"]["to_number"]
    assert optional["type"] == ["string", "null"]


def test_input_schemas_refuse_unknown_fields():
    """Inputs declare additionalProperties false, like the loader."""
    assert json_schema(inputs.CreatePhoneCallInput)["additionalProperties"] is False
    assert json_schema(inputs.CreatePhoneCallInput)["required"] == [
        "from_number",
        "to_number",
    ]


@pytest.mark.parametrize(
    "body",
    [
        load_fixture("create-phone-call.request.json"),
        {
            "from_number": "+1 415-555-0100",
            "to_number": "+14155550134",
            "override_agent_version": "prod",
            "metadata": '{"row": 1}',
            "retell_llm_dynamic_variables": [{"key": "n", "value": 14}],
            "ignore_e164_validation": "true",
        },
    ],
    ids=["retell-fixture", "mapper-forms"],
)
def test_accepted_create_inputs_match_the_input_schema(body):
    """What the loader accepts, the published input schema accepts too."""
    inputs.CreatePhoneCallInput().load(body)
    validator(inputs.CreatePhoneCallInput).validate(body)


def test_flat_call_validates_against_call_output(analyzed_call):
    """flatten_call(fixture) validates against the generated CallOutput schema."""
    validator(outputs.CallOutput).validate(outputs.flatten_call(analyzed_call))


@pytest.mark.parametrize(
    ("event", "schema_class", "call"),
    [
        ("call_ended", outputs.CallEventOutput, "webhook.call_ended.json"),
        ("call_analyzed", outputs.CallEventOutput, "webhook.call_analyzed.json"),
        ("call_failed", outputs.CallFailedOutput, "webhook.call_ended.json"),
    ],
    ids=["ended", "analyzed", "failed"],
)
def test_event_outputs_validate(event, schema_class, call):
    """Trigger outputs validate against their generated schemas."""
    call_object = load_fixture(call)["call"]
    output = outputs.event_output(event, call_object, received_at_ms=1767283248000)
    validator(schema_class).validate(output)


def test_sparse_and_list_outputs_validate(registered_call, analyzed_call):
    """A fresh call, a create output and a list page validate too."""
    flat = outputs.flatten_call(registered_call)
    validator(outputs.CallOutput).validate(flat)
    validator(outputs.CreatePhoneCallOutput).validate({**flat, "warnings": ["w"]})
    page = outputs.call_list_output({"items": [analyzed_call], "has_more": False})
    validator(outputs.CallListOutput).validate(page)


def test_tool_calls_validate(analyzed_call):
    """A call with tool invocations validates, including the nested items."""
    call = {
        **analyzed_call,
        "transcript_with_tool_calls": [
            {
                "role": "tool_call_invocation",
                "tool_call_id": "t1",
                "name": "book",
                "arguments": "{}",
            },
            {"role": "tool_call_result", "tool_call_id": "t1", "content": "ok"},
        ],
    }
    validator(outputs.CallOutput).validate(outputs.flatten_call(call))
