"""Phone numbers: E.164 only, never a guessed country (field cases B02, B03)."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import ValidationError
from phonenumbers import PhoneNumberType

from connector.mapping import field_errors
from connector.mapping.fields import (
    ExemptFromE164,
    LenientPhoneNumber,
    PhoneNumber,
    normalise_e164,
    region_of,
)
from connector.mapping.inputs import CreatePhoneCallInput


def _create_errors(**overrides) -> dict[str, str]:
    body = {"from_number": "+14155550100", "to_number": "+14155550134", **overrides}
    with pytest.raises(ValidationError) as caught:
        CreatePhoneCallInput().load(body)
    return {e["field"]: e["message"] for e in field_errors(caught.value)}


@pytest.mark.parametrize(
    "received",
    ["(415) 555-0134", "415.555.0134", "14155550134", "0612345678"],
    ids=["parenthesised-national", "dotted-national", "missing-plus", "french-0"],
)
def test_b02_national_forms_are_refused_naming_value_and_form(received):
    """B02: national forms and missing '+' fail on to_number, quoting both forms."""
    message = _create_errors(to_number=received)["to_number"]
    assert f"'{received}'" in message
    assert "+14155550134" in message
    assert "start with + and the country code" in message


def test_b02_message_reads_as_documented():
    """B02: the exact message for a national US number."""
    assert _create_errors(to_number="(415) 555-0134")["to_number"] == (
        "'(415) 555-0134' is not an international (E.164) phone number: start with +"
        " and the country code, e.g. +14155550134"
    )


def test_b02_decorated_e164_is_normalised():
    """B02: '+1 415-555-0134' only adds spaces and dashes, so it is normalised."""
    loaded = CreatePhoneCallInput().load(
        {"from_number": "+14155550100", "to_number": "+1 415-555-0134"}
    )
    assert loaded["to_number"] == "+14155550134"


@pytest.mark.parametrize(
    "received",
    ["(415) 555-0134", "14155550134", 14155550134],
    ids=["national", "missing-plus", "json-number"],
)
def test_b02_same_rules_apply_to_from_number(received):
    """B02: from_number gets the same checks as to_number."""
    assert "from_number" in _create_errors(from_number=received)


@pytest.mark.parametrize(
    ("received", "expected_fragment"),
    [
        (14155550134, "must be a string"),
        (1.4155550134e10, "must be a string"),
        ("1.41556E+10", "spreadsheet number in scientific notation"),
        ("+14155550134.0", "decimal part that spreadsheets add"),
    ],
    ids=["json-integer", "json-float", "scientific-text", "trailing-dot-zero"],
)
def test_b03_spreadsheet_damage_is_refused_with_a_hint(received, expected_fragment):
    """B03: JSON numbers fail on type, spreadsheet text gets a formatting hint."""
    message = _create_errors(to_number=received)["to_number"]
    assert expected_fragment in message
    assert "text" in message


def test_b03_json_numbers_fail_on_type_before_any_parsing():
    """B03: a JSON number's error is about its type, whatever its digits."""
    message = _create_errors(to_number=1.4155550134e10)["to_number"]
    assert message.startswith('must be a string such as "+14155550134", got number')


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        ("+14155550134", "+14155550134"),
        ("+1 415-555-0134", "+14155550134"),
        ("+1 (415) 555.0134", "+14155550134"),
        ("  +14155550134\n", "+14155550134"),
        ("+1\u00a0415\u00a0555\u20110134", "+14155550134"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+44 (0) 20 7946 0000", "+442079460000"),
    ],
    ids=[
        "plain",
        "spaces-dashes",
        "parentheses-dots",
        "surrounding-whitespace",
        "no-break-space-typographic-dash",
        "france-mobile",
        "uk-trunk-zero-in-parentheses",
    ],
)
def test_unambiguous_decoration_is_normalised(received, expected):
    """Digits after '+' with spaces, dashes, dots or parentheses normalise."""
    assert normalise_e164(received) == expected


@pytest.mark.parametrize(
    ("received", "expected_fragment"),
    [
        ("+1-800-FLOWERS", "characters other than digits"),
        ("+1 415 555 0134 ext 5", "characters other than digits"),
        ("+14155550134;ext=5", "characters other than digits"),
        ("tel:+14155550134", "start with + and the country code"),
        ("+1 415 555 013", "not a valid phone number for country code +1"),
        ("+999 123 456", "known country code"),
        ("", "is empty"),
        ("   ", "is empty"),
        (None, "must be a string"),
        (True, "must be a string"),
        (["+14155550134"], "must be a string"),
    ],
    ids=[
        "vanity-letters",
        "extension-words",
        "extension-rfc3966",
        "tel-uri",
        "too-short",
        "unknown-country-code",
        "empty",
        "blank",
        "null",
        "boolean",
        "list",
    ],
)
def test_anything_else_is_refused(received, expected_fragment):
    """Values whose meaning is not certain are errors, not guesses."""
    with pytest.raises(ValidationError) as caught:
        normalise_e164(received)
    assert expected_fragment in caught.value.messages[0]


def test_invalid_number_message_gives_an_example_from_that_country():
    """A wrong-length French number is answered with a French example."""
    with pytest.raises(ValidationError) as caught:
        normalise_e164("+33 6 12 34")
    assert "+33" in caught.value.messages[0].split("e.g.")[1]


def test_long_values_are_shortened_in_messages():
    """A pasted paragraph is quoted back shortened, not in full."""
    with pytest.raises(ValidationError) as caught:
        normalise_e164("call me " * 50)
    assert len(caught.value.messages[0]) < 250


@pytest.mark.parametrize(
    ("number", "region"),
    [
        ("+14155550134", "US"),
        ("+14165550134", "CA"),
        ("+33612345678", "FR"),
        ("+442079460000", "GB"),
        ("+80012345678", "001"),
    ],
    ids=["us", "canada-shares-plus-1", "france", "uk", "non-geographic"],
)
def test_region_of_uses_the_numbering_plan(number, region):
    """region_of returns the ISO alpha-2 region, telling +1 countries apart."""
    assert region_of(number) == region


def test_region_of_refuses_non_numbers():
    """region_of raises a ValidationError for text that is no number."""
    with pytest.raises(ValidationError):
        region_of("not a number")


@pytest.mark.parametrize(
    ("received", "expected"),
    [("0612345678", "0612345678"), (" sip-user-7 ", "sip-user-7")],
    ids=["national-kept", "trimmed"],
)
def test_lenient_number_accepts_any_text(received, expected):
    """LenientPhoneNumber keeps any non-empty text, trimmed."""
    assert LenientPhoneNumber().deserialize(received) == expected


@pytest.mark.parametrize(
    "received", [14155550134, "", "  "], ids=["json-number", "empty", "blank"]
)
def test_lenient_number_still_needs_text(received):
    """LenientPhoneNumber refuses numbers and empty text."""
    with pytest.raises(ValidationError):
        LenientPhoneNumber().deserialize(received)


def test_phone_field_defers_to_lenient_rule_for_exempt_values():
    """A value marked ExemptFromE164 skips the E.164 check only."""
    assert PhoneNumber().deserialize(ExemptFromE164(" 0612345678 ")) == "0612345678"


_EXAMPLES = sorted(
    phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    for region in phonenumbers.SUPPORTED_REGIONS
    for kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE)
    if (number := phonenumbers.example_number_for_type(region, kind)) is not None
)


@given(st.sampled_from(_EXAMPLES))
def test_every_example_number_round_trips(e164):
    """Property: each numbering plan's example number is returned unchanged."""
    assert normalise_e164(e164) == e164


@given(st.sampled_from(_EXAMPLES))
def test_international_formatting_normalises_back(e164):
    """Property: the human international format normalises to the same E.164."""
    formatted = phonenumbers.format_number(
        phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    assert normalise_e164(formatted) == e164


@given(st.sampled_from(_EXAMPLES))
def test_dropping_the_plus_is_always_refused(e164):
    """Property: the digits of a valid number without '+' are never accepted."""
    with pytest.raises(ValidationError):
        normalise_e164(e164[1:])
