"""Object, switch, number, version and time fields as mappers send them."""

from __future__ import annotations

import json

import pytest
from marshmallow import ValidationError

from connector.mapping.fields import (
    AgentVersion,
    EpochMillis,
    Identifier,
    JSONObject,
    StrictBoolean,
    StringMap,
    WholeNumber,
)


def _error(field, value) -> object:
    with pytest.raises(ValidationError) as caught:
        field.deserialize(value)
    return caught.value.messages


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"crm": {"id": 1}}, {"crm": {"id": 1}}),
        ('{"crm": {"id": 1}}', {"crm": {"id": 1}}),
        ("  {}  ", {}),
        ("", None),
        ("   ", None),
    ],
    ids=["object", "json-text", "empty-object-text", "empty-text", "blank-text"],
)
def test_json_object_accepts_object_or_json_text(value, expected):
    """JSONObject loads objects and JSON text; empty text means not set."""
    assert JSONObject().deserialize(value) == expected


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ('{"a": 1,}', "is not valid JSON: Expecting property name"),
        ('{"a": 1', "line 1, column 8"),
        ("[1, 2]", "the text holds a JSON array"),
        ('"text"', "the text holds a JSON string"),
        ("42", "the text holds a JSON number"),
        ([1, 2], "got array"),
        (3, "got number"),
    ],
    ids=[
        "trailing-comma",
        "unterminated-says-where",
        "array-text",
        "string-text",
        "number-text",
        "array",
        "number",
    ],
)
def test_json_object_refuses_non_objects(value, fragment):
    """Invalid JSON says where it failed; non-objects say what they were."""
    assert fragment in _error(JSONObject(), value)[0]


def test_json_object_size_limit_counts_compact_utf8_bytes():
    """max_bytes bounds the compact UTF-8 JSON; one byte over is refused."""
    fits = {"n": "é" * 4}  # {"n":"éééé"} is 16 bytes
    assert (
        len(json.dumps(fits, separators=(",", ":"), ensure_ascii=False).encode()) == 16
    )
    assert JSONObject(max_bytes=16).deserialize(fits) == fits
    message = _error(JSONObject(max_bytes=15), fits)[0]
    assert message == "is 16 bytes as JSON; at most 15 bytes are allowed"


@pytest.mark.parametrize(
    ("value", "errors"),
    [
        ({"voice": {}}, {"voice": ["is not allowed here; use one of: a, b"]}),
        ({"a": "x"}, {"a": ["must be an object, got string"]}),
    ],
    ids=["unknown-key", "non-object-value"],
)
def test_json_object_with_object_keys(value, errors):
    """object_keys limits the keys and requires each to hold an object."""
    assert _error(JSONObject(object_keys=("a", "b")), value) == errors


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"X-Campaign-Id": "spring"}, {"X-Campaign-Id": "spring"}),
        ('{"X-Campaign-Id": "spring"}', {"X-Campaign-Id": "spring"}),
        ({"Campaign": "spring"}, {"Campaign": "spring"}),
        ("", None),
    ],
    ids=["object", "json-text", "no-x-prefix-is-fine", "empty"],
)
def test_string_map_accepts_text_values(value, expected):
    """StringMap takes objects of text, as objects or JSON text."""
    assert StringMap().deserialize(value) == expected


@pytest.mark.parametrize(
    ("value", "errors"),
    [
        ({"X-Count": 3}, {"X-Count": ["must be a string, got number"]}),
        ({"X-Tags": ["a"]}, {"X-Tags": ["must be a string, got array"]}),
        ({"Bad Header": "x"}, {"Bad Header": ["'Bad Header' is not a valid"]}),
    ],
    ids=["number-value", "array-value", "space-in-name"],
)
def test_string_map_refuses_non_text_and_bad_names(value, errors):
    """Non-text values and non-token header names are reported per header."""
    ((key, (message,)),) = _error(StringMap(), value).items()
    expected_key, (expected_start,) = next(iter(errors.items()))
    assert key == expected_key
    assert message.startswith(expected_start)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        ("true", True),
        ("false", False),
        ("True", True),
        ("FALSE", False),
        (" true ", True),
        (1, True),
        (0, False),
        ("1", True),
        ("0", False),
    ],
    ids=[
        "json-true",
        "json-false",
        "text-true",
        "text-false",
        "title-case",
        "upper-case",
        "padded",
        "one",
        "zero",
        "text-one",
        "text-zero",
    ],
)
def test_strict_boolean_accepts_unambiguous_spellings(value, expected):
    """StrictBoolean takes true/false, their text forms, and 1/0."""
    assert StrictBoolean().deserialize(value) is expected


@pytest.mark.parametrize(
    "value",
    ["yes", "no", "on", "y", "tRuE", 2, 1.0, [], {}],
    ids=["yes", "no", "on", "y", "mixed-case", "two", "float-one", "list", "object"],
)
def test_strict_boolean_refuses_everything_else(value):
    """Spellings marshmallow would guess at are errors here."""
    assert _error(StrictBoolean(), value)[0].startswith("must be true or false")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(50, 50), ("50", 50), (" 7 ", 7), (3.0, 3), (1, 1), (1000, 1000)],
    ids=["integer", "text", "padded-text", "whole-float", "minimum", "maximum"],
)
def test_whole_number_accepts_whole_values(value, expected):
    """WholeNumber takes integers, numeric text and whole floats."""
    assert WholeNumber(minimum=1, maximum=1000).deserialize(value) == expected


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (50.5, "must be a whole number"),
        ("fifty", "must be a whole number"),
        (True, "must be a whole number"),
        (0, "must be at least 1, got 0"),
        (1001, "must be at most 1000, got 1001"),
    ],
    ids=["fraction", "words", "boolean", "below", "above"],
)
def test_whole_number_refuses_fractions_and_out_of_range(value, fragment):
    """Fractions are refused rather than truncated; bounds are named."""
    assert fragment in _error(WholeNumber(minimum=1, maximum=1000), value)[0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, 3),
        ("3", 3),
        (3.0, 3),
        (0, 0),
        ("prod", "prod"),
        (" latest_published ", "latest_published"),
    ],
    ids=["number", "numeric-text", "whole-float", "zero", "tag", "tag-trimmed"],
)
def test_agent_version_is_a_number_or_a_tag(value, expected):
    """AgentVersion turns numeric text into a number and keeps tags as text."""
    assert AgentVersion().deserialize(value) == expected


@pytest.mark.parametrize(
    "value",
    [-1, "-2", 2.5, True, {}, " "],
    ids=["neg", "neg-text", "frac", "bool", "obj", "blank"],
)
def test_agent_version_refuses_other_values(value):
    """Negative, fractional and non-text versions are refused."""
    _error(AgentVersion(), value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-01T00:00:00Z", 1767225600000),
        ("2026-01-01T01:00:00+01:00", 1767225600000),
        ("2026-01-01T00:00:00.250Z", 1767225600250),
        (1767225600000, 1767225600000),
        ("1767225600000", 1767225600000),
    ],
    ids=["utc-z", "offset", "milliseconds", "epoch-ms", "epoch-ms-text"],
)
def test_epoch_millis_accepts_iso_with_zone_or_ms(value, expected):
    """EpochMillis reads ISO 8601 with a zone, or epoch milliseconds."""
    assert EpochMillis().deserialize(value) == expected


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("2026-01-01T00:00:00", "has no time zone"),
        ("2026-01-01", "has no time zone"),
        (1767225600, "looks like seconds"),
        ("next tuesday", "must be an ISO 8601 date-time"),
        (True, "must be an ISO 8601 date-time"),
    ],
    ids=["naive", "date-only", "epoch-seconds", "words", "boolean"],
)
def test_epoch_millis_never_guesses(value, fragment):
    """Times without a zone and second-precision epochs are refused."""
    assert fragment in _error(EpochMillis(), value)[0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("call_123", "call_123"), ("  call_123\n", "call_123")],
    ids=["plain", "trimmed"],
)
def test_identifier_is_trimmed_text(value, expected):
    """Identifier trims surrounding whitespace from ids."""
    assert Identifier().deserialize(value) == expected


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        (Identifier(), 123, "must be text, got number"),
        (Identifier(), "  ", "is empty"),
        (Identifier(max_length=3), "abcd", "at most 3"),
    ],
    ids=["number", "blank", "too-long"],
)
def test_identifier_refuses_non_text(field, value, fragment):
    """Identifier needs non-empty text within its length."""
    assert fragment in _error(field, value)[0]
