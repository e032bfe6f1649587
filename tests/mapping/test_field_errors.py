"""field_errors: marshmallow's nested messages as a flat, sorted list."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from connector.mapping import field_errors


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        (
            {"to_number": ["bad"]},
            [{"field": "to_number", "message": "bad"}],
        ),
        (
            {"retell_llm_dynamic_variables": {"prefs": ["must be a string"]}},
            [
                {
                    "field": "retell_llm_dynamic_variables.prefs",
                    "message": "must be a string",
                }
            ],
        ),
        (
            {"rows": {10: {"to_number": ["b"]}, 3: {"to_number": ["a"]}}},
            [
                {"field": "rows.3.to_number", "message": "a"},
                {"field": "rows.10.to_number", "message": "b"},
            ],
        ),
        (
            {"_schema": ["whole input"], "a": ["x"]},
            [{"field": "", "message": "whole input"}, {"field": "a", "message": "x"}],
        ),
        (
            {"variables": {"_schema": ["empty name"]}},
            [{"field": "variables", "message": "empty name"}],
        ),
        (
            {"b": ["first", "second"], "a": ["only"]},
            [
                {"field": "a", "message": "only"},
                {"field": "b", "message": "first"},
                {"field": "b", "message": "second"},
            ],
        ),
        (["top-level"], [{"field": "", "message": "top-level"}]),
        ("bare text", [{"field": "", "message": "bare text"}]),
    ],
    ids=[
        "one-field",
        "nested-path",
        "list-indexes-numeric-order",
        "schema-level-is-empty-field",
        "nested-schema-level-is-parent",
        "sorted-messages-keep-order",
        "list-message",
        "string-message",
    ],
)
def test_field_errors(messages, expected):
    """Nested messages flatten to dotted paths in a stable order."""
    assert field_errors(ValidationError(messages)) == expected
