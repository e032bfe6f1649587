"""Dynamic variables: text values only, by one fixed rule (field case B01)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import ValidationError

from connector.mapping import field_errors
from connector.mapping.fields import DynamicVariables, coerce_variable
from connector.mapping.inputs import CreatePhoneCallInput

B01_VARIABLES = {
    "first_name": "Ana",
    "slot_hour": 14,
    "is_returning": True,
    "balance": 12.5,
    "middle_name": None,
}


def _load(variables) -> dict:
    return CreatePhoneCallInput().load(
        {
            "from_number": "+14155550100",
            "to_number": "+14155550134",
            "retell_llm_dynamic_variables": variables,
        }
    )


def test_b01_scalars_are_coerced_by_the_documented_rule():
    """B01: every value reaching Retell is a string, spelled as documented."""
    loaded = _load(B01_VARIABLES)
    assert loaded["retell_llm_dynamic_variables"] == {
        "first_name": "Ana",
        "slot_hour": "14",
        "is_returning": "true",
        "balance": "12.5",
    }


def test_b01_null_is_dropped_and_reported_as_a_warning():
    """B01: a null key is left out so the agent default applies, with a warning."""
    loaded = _load(B01_VARIABLES)
    assert "middle_name" not in loaded["retell_llm_dynamic_variables"]
    assert loaded["warnings"] == [
        "retell_llm_dynamic_variables.middle_name was empty (null), so it was not"
        " sent and the agent's default value applies"
    ]


def test_b01_objects_are_refused_with_their_path():
    """B01: an object value fails at retell_llm_dynamic_variables.prefs."""
    with pytest.raises(ValidationError) as caught:
        _load({**B01_VARIABLES, "prefs": {"lang": "es"}})
    assert field_errors(caught.value) == [
        {
            "field": "retell_llm_dynamic_variables.prefs",
            "message": "must be a string, got object",
        }
    ]


def test_b01_every_bad_key_is_listed():
    """B01: all non-scalar values are reported at once, each with its path."""
    with pytest.raises(ValidationError) as caught:
        _load({"a": [1], "b": {}, "c": "fine"})
    assert [e["field"] for e in field_errors(caught.value)] == [
        "retell_llm_dynamic_variables.a",
        "retell_llm_dynamic_variables.b",
    ]


def test_no_warnings_when_nothing_was_dropped():
    """The warnings list is present and empty when all values were kept."""
    assert _load({"first_name": "Ana"})["warnings"] == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Ana", "Ana"),
        ("", ""),
        (" padded ", " padded "),
        (14, "14"),
        (-3, "-3"),
        (0, "0"),
        (12.5, "12.5"),
        (14.0, "14"),
        (0.1, "0.1"),
        (1e-7, "0.0000001"),
        (1e20, "100000000000000000000"),
        (True, "true"),
        (False, "false"),
    ],
    ids=[
        "text",
        "empty-text",
        "text-untrimmed",
        "integer",
        "negative",
        "zero",
        "decimal",
        "spreadsheet-whole-float",
        "shortest-decimal",
        "small-no-exponent",
        "large-no-exponent",
        "true-json-spelling",
        "false-json-spelling",
    ],
)
def test_coercion_rule(value, expected):
    """The fixed coercion rule, value by value."""
    assert coerce_variable(value) == expected


@pytest.mark.parametrize(
    "pairs",
    [
        [{"key": "first_name", "value": "Ana"}, {"key": "slot_hour", "value": 14}],
        [{"name": "first_name", "value": "Ana"}, {"name": "slot_hour", "value": 14}],
        [{"key": " first_name ", "value": "Ana"}, {"key": "slot_hour", "value": 14}],
    ],
    ids=["key-value", "name-value-n8n", "keys-trimmed"],
)
def test_list_of_pairs_is_accepted(pairs):
    """Mapper key/value lists load like an object."""
    assert DynamicVariables().deserialize(pairs) == {
        "first_name": "Ana",
        "slot_hour": "14",
    }


@pytest.mark.parametrize(
    "text",
    [
        '{"first_name": "Ana", "slot_hour": 14}',
        ' [{"key": "first_name", "value": "Ana"}, {"key": "slot_hour", "value": 14}]',
    ],
    ids=["object-as-json-text", "pairs-as-json-text"],
)
def test_json_text_of_either_shape_is_accepted(text):
    """Either shape also loads when a mapper sends it as JSON text."""
    assert DynamicVariables().deserialize(text) == {
        "first_name": "Ana",
        "slot_hour": "14",
    }


def test_broken_json_text_says_where():
    """Broken JSON text is refused with the position of the problem."""
    with pytest.raises(ValidationError) as caught:
        DynamicVariables().deserialize('{"a": }')
    assert caught.value.messages[0].startswith("is not valid JSON")


def test_null_in_pair_list_is_dropped_too():
    """A pair with a null value is dropped and recorded like in object form."""
    loaded = DynamicVariables().deserialize([{"key": "x", "value": None}])
    assert (loaded, loaded.dropped) == ({}, ["x"])


@pytest.mark.parametrize(
    ("pairs", "field", "fragment"),
    [
        ([{"key": "a", "value": "1"}, {"key": "a", "value": "2"}], "a", "more than"),
        ([{"value": "1"}], "0", "missing the key"),
        ([{"key": "a", "name": "a", "value": "1"}], "0", "not both"),
        ([{"key": "a", "value": "1", "extra": 1}], "0", "unexpected field"),
        (["a=1"], "0", "pair"),
        ([{"key": " ", "value": "1"}], "0", "name is empty"),
        ([{"key": "a", "value": [1, 2]}], "a", "must be a string, got array"),
    ],
    ids=[
        "duplicate-key",
        "no-key",
        "key-and-name",
        "extra-field",
        "not-an-object",
        "empty-key",
        "array-value",
    ],
)
def test_malformed_pair_lists_are_refused(pairs, field, fragment):
    """Structural problems in list form are reported at the item or key."""
    with pytest.raises(ValidationError) as caught:
        _load(pairs)
    errors = {e["field"]: e["message"] for e in field_errors(caught.value)}
    assert fragment in errors[f"retell_llm_dynamic_variables.{field}"]


def test_empty_name_in_object_form_is_reported_on_the_field():
    """An object key that is empty has no path, so the field itself is named."""
    with pytest.raises(ValidationError) as caught:
        _load({" ": "x"})
    assert field_errors(caught.value) == [
        {"field": "retell_llm_dynamic_variables", "message": "a variable name is empty"}
    ]


@pytest.mark.parametrize(
    "value",
    ["first_name=Ana", 3, True],
    ids=["text", "number", "boolean"],
)
def test_other_shapes_are_refused(value):
    """Only an object or a list of pairs is accepted."""
    with pytest.raises(ValidationError) as caught:
        _load(value)
    assert (
        "must be an object" in caught.value.messages["retell_llm_dynamic_variables"][0]
    )


def test_empty_text_means_not_set():
    """An empty mapped field leaves the variables out of the body."""
    assert "retell_llm_dynamic_variables" not in _load("")


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
)


@given(st.dictionaries(st.text(min_size=1).filter(str.strip), _SCALARS))
def test_coercion_never_yields_non_strings(variables):
    """Property: any object of JSON scalars loads to text values, nulls dropped."""
    stripped = {key.strip() for key in variables}
    if len(stripped) != len(variables):
        return  # keys that trim to the same name are a different rule
    loaded = DynamicVariables().deserialize(variables)
    assert all(isinstance(v, str) for v in loaded.values())
    assert set(loaded) | set(loaded.dropped) == stripped
    assert set(loaded.dropped) == {k.strip() for k, v in variables.items() if v is None}


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_text_reads_back_as_the_same_number(number):
    """Property: coerced floats are exact and never in scientific notation."""
    text = coerce_variable(number)
    assert float(text) == number
    assert "e" not in text.lower()
