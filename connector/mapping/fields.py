"""marshmallow fields for the values that no-code mappers send.

Make, Zapier and n8n turn spreadsheet cells and form inputs into JSON with little
control over types: phone numbers arrive as numbers, booleans as ``"true"``, objects
as JSON text. Each field here accepts the forms a mapper really produces, turns them
into what Retell expects, and otherwise fails with a message a marketer can act on:
the value received and the form expected.

Every field class carries ``json_schema``, a JSON Schema 2020-12 fragment describing
what it accepts. :func:`jsonschema_attributes` hands it to apispec, so the generated
schemas, OpenAPI and platform manifests describe the same rules the code enforces.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import math
import re
import typing
from collections.abc import Iterable, Mapping
from decimal import Decimal

import phonenumbers
from marshmallow import ValidationError, fields
from marshmallow.exceptions import SCHEMA

from . import jsontext

__all__ = [
    "AgentVersion",
    "DynamicVariableMap",
    "DynamicVariables",
    "EpochMillis",
    "ExemptFromE164",
    "Identifier",
    "JSONObject",
    "LenientPhoneNumber",
    "PhoneNumber",
    "StrictBoolean",
    "StringMap",
    "WholeNumber",
    "coerce_variable",
    "describe_type",
    "jsonschema_attributes",
    "normalise_e164",
    "quote",
    "region_of",
]

EXAMPLE_E164 = "+14155550134"

# Longest received value quoted back in a message; a pasted CSV row must not turn an
# error list into a wall of text.
_QUOTE_LIMIT = 60


def describe_type(value: object) -> str:
    """Name a Python value by its JSON type, the vocabulary mapper users see."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    return type(value).__name__


def quote(value: object) -> str:
    """Render a received value for an error message, shortened if long."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if len(text) > _QUOTE_LIMIT:
        text = text[: _QUOTE_LIMIT - 1] + "…"
    return f"'{text}'" if isinstance(value, str) else text


# --------------------------------------------------------------------------- phones

# What may follow the "+": digits plus the decoration people type or copy from web
# pages (spaces, no-break spaces, ASCII and typographic dashes, dots, parentheses).
# None of these can change which number is meant once "+" and the country code are
# there. Letters (vanity numbers), "ext", ";", "/" and "tel:" are refused even though
# phonenumbers would parse some of them: the caller would not get what they typed.
_DECORATED_E164 = re.compile(r"\+[0-9 \u00a0().\-\u2010-\u2015]+")
_SCIENTIFIC = re.compile(r"[+-]?\d+(\.\d+)?[eE][+-]?\d+")
_SPREADSHEET_DECIMAL = re.compile(r"\+?[0-9]+\.0+")


def _example_for(country_code: int) -> str:
    """A real-looking E.164 example for a country code, from numbering-plan data."""
    region = phonenumbers.region_code_for_country_code(country_code)
    example = phonenumbers.example_number(region) if region else None
    if example is None:
        return EXAMPLE_E164
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)


def normalise_e164(value: object) -> str:
    """Return ``value`` as an E.164 string, or raise a plain-language ValidationError.

    Accepted: a string starting with ``+`` and the country code, optionally decorated
    with spaces, dashes, dots or parentheses (``"+1 (415) 555-0134"``); surrounding
    whitespace is ignored. The number must be possible and valid for its country in
    libphonenumber's numbering-plan data. No country is ever assumed: national forms
    and digits without ``+`` are refused, because the same digits dial different
    people in different countries.
    """
    if not isinstance(value, str):
        raise ValidationError(
            f'must be a string such as "{EXAMPLE_E164}", got {describe_type(value)}'
            f" {quote(value)}; a number loses its + and can lose digits, so map the"
            " phone column as text"
        )
    return _normalise_text(value)


# A campaign sends the same from-number with every create; parsing it against the
# numbering plan costs more than the rest of the input's validation. Refusals are
# raised, not cached.
@functools.lru_cache(maxsize=4096)
def _normalise_text(value: str) -> str:
    text = value.strip()
    if not text:
        raise ValidationError(
            f"is empty: expected an international (E.164) phone number, e.g."
            f" {EXAMPLE_E164}"
        )
    if "e+" in text.lower() or _SCIENTIFIC.fullmatch(text):
        raise ValidationError(
            f"{quote(value)} looks like a spreadsheet number in scientific notation,"
            " so digits are already lost; format the column as text and send the"
            f" full number, e.g. {EXAMPLE_E164}"
        )
    if _SPREADSHEET_DECIMAL.fullmatch(text):
        raise ValidationError(
            f"{quote(value)} ends in a decimal part that spreadsheets add to"
            " numbers; format the column as text and send the number without it,"
            f" e.g. {EXAMPLE_E164}"
        )
    if not text.startswith("+"):
        raise ValidationError(
            f"{quote(value)} is not an international (E.164) phone number: start"
            f" with + and the country code, e.g. {EXAMPLE_E164}"
        )
    if not _DECORATED_E164.fullmatch(text):
        raise ValidationError(
            f"{quote(value)} contains characters other than digits, spaces, dashes,"
            " dots and parentheses; send only the number in international (E.164)"
            f" form, e.g. {EXAMPLE_E164}"
        )
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as error:
        raise ValidationError(
            f"{quote(value)} does not start with a known country code; expected an"
            f" international (E.164) phone number, e.g. {EXAMPLE_E164}"
        ) from error
    if not (
        phonenumbers.is_possible_number(number) and phonenumbers.is_valid_number(number)
    ):
        raise ValidationError(
            f"{quote(value)} is not a valid phone number for country code"
            f" +{number.country_code}: check the digits; expected an international"
            f" (E.164) number, e.g. {_example_for(number.country_code)}"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@functools.lru_cache(maxsize=4096)
def region_of(e164: str) -> str:
    """Return the ISO 3166-1 alpha-2 region of a number (``"001"`` if non-geographic).

    Within shared country codes (``+1``, ``+44``, ``+7``) the region comes from the
    numbering plan, so ``+1 416…`` is ``CA`` while ``+1 415…`` is ``US``.
    """
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException as error:
        raise ValidationError(f"{quote(e164)} is not an E.164 phone number") from error
    region = phonenumbers.region_code_for_number(number)
    if region is None:
        raise ValidationError(f"{quote(e164)} belongs to no known region")
    return region


class ExemptFromE164(str):
    """A phone value the caller asked not to check (``ignore_e164_validation``).

    The input schema wraps the raw string in this marker before loading, so the
    exemption travels with the value instead of living in shared schema state, which
    would leak between concurrent requests.
    """

    __slots__ = ()


_E164_SCHEMA: dict = {
    "type": "string",
    "pattern": r"^\s*\+[0-9 \u00a0().\-\u2010-\u2015]+\s*$",
    "examples": [EXAMPLE_E164, "+1 415-555-0134"],
}


class LenientPhoneNumber(fields.Field):
    """Any non-empty string, trimmed: for custom telephony numbers Retell lets through.

    Used when ``ignore_e164_validation`` is true. Numbers still have to be strings:
    a JSON number has already lost its ``+`` and maybe digits.
    """

    json_schema: typing.ClassVar[dict] = {"type": "string", "minLength": 1}

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        if not isinstance(value, str):
            raise ValidationError(
                f"must be a string, got {describe_type(value)} {quote(value)}; map"
                " the phone column as text"
            )
        text = value.strip()
        if not text:
            raise ValidationError("is empty: expected a phone number")
        return text


class PhoneNumber(fields.Field):
    """A phone number in E.164, normalised; see :func:`normalise_e164` for the rules.

    A value wrapped in :class:`ExemptFromE164` gets the :class:`LenientPhoneNumber`
    check instead.
    """

    json_schema: typing.ClassVar[dict] = _E164_SCHEMA

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        if isinstance(value, ExemptFromE164):
            return LenientPhoneNumber()._deserialize(str(value), attr, data)
        return normalise_e164(value)


# --------------------------------------------------------------------------- scalars


class StrictBoolean(fields.Boolean):
    """A yes/no switch that accepts only spellings with one obvious meaning.

    Accepted: JSON ``true``/``false``; the strings ``"true"``/``"false"`` in lower,
    Title or UPPER case (what Make, Zapier and n8n send for checkboxes); ``1``/``0``
    as numbers or strings. marshmallow's own Boolean also takes "yes", "on", "y" and
    friends; here they are errors, so a typo never silently flips a setting.
    """

    truthy = {"true", "1"}
    falsy = {"false", "0"}
    _spellings = ["true", "false", "True", "False", "TRUE", "FALSE", "1", "0"]
    json_schema: typing.ClassVar[dict] = {
        "type": ["boolean", "string", "integer"],
        "enum": [True, False, *_spellings, 1, 0],
    }

    def _deserialize(self, value, attr, data, **kwargs) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return value == 1
        if isinstance(value, str) and value.strip() in self._spellings:
            return value.strip().lower() in self.truthy
        raise ValidationError(
            f"must be true or false, got {describe_type(value)} {quote(value)}"
        )


class WholeNumber(fields.Field):
    """A whole number within bounds; also as a numeric string or ``3.0``.

    Spreadsheets turn 3 into 3.0 and mappers send "3"; both mean 3. A fractional
    value is refused rather than truncated.
    """

    json_schema: typing.ClassVar[dict] = {
        "anyOf": [
            {"type": "integer"},
            {"type": "string", "pattern": r"^\s*[0-9]+\s*$"},
        ]
    }

    def __init__(
        self,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
        **kwargs: typing.Any,
    ) -> None:
        super().__init__(**kwargs)
        self.minimum = minimum
        self.maximum = maximum
        integer: dict = {"type": "integer"}
        if minimum is not None:
            integer["minimum"] = minimum
        if maximum is not None:
            integer["maximum"] = maximum
        self.json_schema = {"anyOf": [integer, self.json_schema["anyOf"][1]]}

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        number = _whole_number(value)
        if number is None:
            raise ValidationError(
                f"must be a whole number, got {describe_type(value)} {quote(value)}"
            )
        if self.minimum is not None and number < self.minimum:
            raise ValidationError(f"must be at least {self.minimum}, got {number}")
        if self.maximum is not None and number > self.maximum:
            raise ValidationError(f"must be at most {self.maximum}, got {number}")
        return number


def _whole_number(value: object) -> int | None:
    """The integer a mapper meant, or None when it is not a whole number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    # Bounded: Python refuses to convert strings of over 4300 digits.
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?[0-9]{1,18}\s*", value):
        return int(value)
    return None


class AgentVersion(fields.Field):
    """An agent version: a number (``3``, also ``"3"`` or ``3.0``) or a tag name.

    Retell resolves strings such as ``"prod"`` or ``"latest_published"`` as version
    tags (retell-sdk 6.2.13, ``phone_number_update_params.InboundAgent``).
    """

    json_schema: typing.ClassVar[dict] = {
        "anyOf": [
            {"type": "integer", "minimum": 0},
            {"type": "string", "minLength": 1, "maxLength": 255},
        ],
        "examples": [3, "prod"],
    }

    def _deserialize(self, value, attr, data, **kwargs) -> int | str:
        number = _whole_number(value)
        if number is not None:
            if number < 0:
                raise ValidationError(f"must be 0 or more, got {number}")
            return number
        if isinstance(value, str) and value.strip() and len(value.strip()) <= 255:
            return value.strip()
        raise ValidationError(
            'must be a version number such as 3 or a tag name such as "prod", got'
            f" {describe_type(value)} {quote(value)}"
        )


class Identifier(fields.Field):
    """A Retell id or opaque token: non-empty text, surrounding whitespace removed.

    Ids are not checked against a pattern because Retell does not document one
    (retell-api.md, "Observed ID shapes").
    """

    json_schema: typing.ClassVar[dict] = {"type": "string", "minLength": 1}

    def __init__(self, *, max_length: int = 255, **kwargs: typing.Any):
        # Retell's ids are about 32 characters; a bound keeps a pasted transcript
        # from being sent to Retell as an id.
        super().__init__(**kwargs)
        self.max_length = max_length
        self.json_schema = {**self.json_schema, "maxLength": max_length}

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        if not isinstance(value, str):
            raise ValidationError(
                f"must be text, got {describe_type(value)} {quote(value)}"
            )
        text = value.strip()
        if not text:
            raise ValidationError("is empty")
        if len(text) > self.max_length:
            raise ValidationError(
                f"is {len(text)} characters long; at most {self.max_length} allowed"
            )
        return text


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class EpochMillis(fields.Field):
    """A point in time as Unix epoch milliseconds.

    Accepted: an integer of milliseconds (also as a numeric string), or an ISO 8601
    date-time with ``Z`` or an offset (``2026-01-01T09:00:00+01:00``). A time without
    an offset is refused rather than read in some guessed zone. Integers below
    100,000,000,000 (a 1973 date in milliseconds) are refused as probably seconds.
    """

    json_schema: typing.ClassVar[dict] = {
        "anyOf": [
            {"type": "integer", "minimum": 100_000_000_000},
            {"type": "string", "format": "date-time"},
            {"type": "string", "pattern": r"^\s*[0-9]{12,}\s*$"},
        ],
        "examples": ["2026-01-01T00:00:00Z", 1767225600000],
    }

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        number = _whole_number(value)
        if number is not None:
            if number < 100_000_000_000:
                raise ValidationError(
                    f"{number} looks like seconds, not milliseconds; multiply by 1000"
                    " or send an ISO 8601 time such as 2026-01-01T00:00:00Z"
                )
            return number
        if isinstance(value, str):
            text = value.strip()
            try:
                moment = dt.datetime.fromisoformat(text)
            except ValueError:
                moment = None
            if moment is not None and moment.tzinfo is not None:
                return (moment - _EPOCH) // dt.timedelta(milliseconds=1)
            if moment is not None:
                raise ValidationError(
                    f"{quote(value)} has no time zone; add Z for UTC or an offset,"
                    " e.g. 2026-01-01T09:00:00Z or 2026-01-01T09:00:00+01:00"
                )
        raise ValidationError(
            f"must be an ISO 8601 date-time such as 2026-01-01T00:00:00Z or epoch"
            f" milliseconds, got {describe_type(value)} {quote(value)}"
        )


# --------------------------------------------------------------------------- objects


def _decode_json(text: str) -> object:
    """Parse JSON text, saying where it breaks in words a mapper user can follow."""
    try:
        return jsontext.loads(text)
    except jsontext.JSONTextError as error:
        raise ValidationError(str(error)) from None


def _object_from(value: object) -> dict | None:
    """Decode an object sent as JSON or as JSON text; None means "not set"."""
    if isinstance(value, str):
        if not value.strip():
            return None
        value = _decode_json(value)
        if not isinstance(value, dict):
            raise ValidationError(
                'must be an object such as {"key": "value"}; the text holds a'
                f" JSON {describe_type(value)}"
            )
        return value
    if not isinstance(value, Mapping):
        raise ValidationError(
            'must be an object such as {"key": "value"} or that object as JSON'
            f" text, got {describe_type(value)}"
        )
    return dict(value)


def _json_or_text(schema: dict) -> dict:
    """Describe "this object, or the same object written as JSON text"."""
    return {
        "anyOf": [
            schema,
            {"type": "string", "contentMediaType": "application/json"},
        ]
    }


class JSONObject(fields.Field):
    """A JSON object, sent either as an object or as text holding one.

    Make and Zapier often pass JSON as text. Empty text means "not set" and loads as
    None. ``max_bytes`` bounds the compact UTF-8 encoding (Retell documents 50 kB for
    metadata). ``object_keys``, when given, are the only keys allowed and each must
    hold an object (as for ``agent_override``).
    """

    json_schema: typing.ClassVar[dict] = _json_or_text({"type": "object"})

    def __init__(
        self,
        *,
        max_bytes: int | None = None,
        object_keys: Iterable[str] | None = None,
        **kwargs: typing.Any,
    ) -> None:
        super().__init__(**kwargs)
        self.max_bytes = max_bytes
        self.object_keys = tuple(object_keys) if object_keys is not None else None
        if self.object_keys is not None:
            self.json_schema = _json_or_text(
                {
                    "type": "object",
                    "properties": {key: {"type": "object"} for key in self.object_keys},
                    "additionalProperties": False,
                }
            )

    def _deserialize(self, value, attr, data, **kwargs) -> dict | None:
        obj = _object_from(value)
        if obj is None:
            return None
        if self.object_keys is not None:
            errors: dict[str, list[str]] = {}
            allowed = ", ".join(self.object_keys)
            for key, item in obj.items():
                if key not in self.object_keys:
                    errors[key] = [f"is not allowed here; use one of: {allowed}"]
                elif not isinstance(item, Mapping):
                    errors[key] = [f"must be an object, got {describe_type(item)}"]
            if errors:
                raise ValidationError(errors)
        if self.max_bytes is not None:
            size = len(
                json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()
            )
            if size > self.max_bytes:
                raise ValidationError(
                    f"is {size:,} bytes as JSON; at most {self.max_bytes:,} bytes are"
                    " allowed"
                )
        return obj


# RFC 3261 section 25.1 "token": the characters a SIP header name may use.
_SIP_TOKEN = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+")


class StringMap(fields.Field):
    """An object of text values (``custom_sip_headers``), as an object or JSON text.

    Keys must be SIP tokens (RFC 3261 section 25.1). Retell does not say whether
    custom header names need an ``X-`` prefix (its example uses one), so any token is
    accepted and Retell has the last word. Values must already be strings: unlike
    dynamic variables, header values are not spoken, so guessing a format for them
    would hide mistakes.
    """

    json_schema: typing.ClassVar[dict] = _json_or_text(
        {
            "type": "object",
            "propertyNames": {"pattern": r"^[A-Za-z0-9\-.!%*_+`'~]+$"},
            "additionalProperties": {"type": "string"},
        }
    )

    def _deserialize(self, value, attr, data, **kwargs) -> dict[str, str] | None:
        obj = _object_from(value)
        if obj is None:
            return None
        errors: dict[str, list[str]] = {}
        for key, item in obj.items():
            if not _SIP_TOKEN.fullmatch(key):
                errors[key] = [
                    f"{quote(key)} is not a valid header name: use letters, digits"
                    " and dashes, e.g. X-Campaign-Id"
                ]
            elif not isinstance(item, str):
                errors[key] = [f"must be a string, got {describe_type(item)}"]
        if errors:
            raise ValidationError(errors)
        return obj


class DynamicVariableMap(dict):
    """Loaded dynamic variables (``dict[str, str]``) plus the keys dropped as null."""

    def __init__(self, values: Mapping[str, str], dropped: Iterable[str] = ()):
        super().__init__(values)
        self.dropped: list[str] = list(dropped)


def coerce_variable(value: str | int | float | bool) -> str:
    """Turn a scalar into the text Retell substitutes for ``{{variable}}``.

    The fixed rule: text stays as it is (empty text included); ``true``/``false``
    become ``"true"``/``"false"`` (the JSON spelling, not Python's ``"True"``);
    whole numbers, also ``14.0`` from a spreadsheet, become digits (``"14"``);
    other numbers use the shortest decimal that reads back as the same number, never
    scientific notation (``12.5`` -> ``"12.5"``, ``1e-7`` -> ``"0.0000001"``).
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if value.is_integer():
        return str(int(value))
    return format(Decimal(repr(value)), "f")


class DynamicVariables(fields.Field):
    """Retell's ``retell_llm_dynamic_variables``: loaded as text values only.

    Accepted shapes:

    - an object, ``{"first_name": "Ana", "slot_hour": 14}``;
    - a list of pairs, ``[{"key": "first_name", "value": "Ana"}]``, which is what the
      Make, Zapier and n8n key/value editors produce. ``"name"`` is accepted in place
      of ``"key"`` because n8n's parameter lists use it; an item with both is refused;
    - either of them as JSON text (starting with ``{`` or ``[``).

    Keys are trimmed and must be non-empty; a key given twice in a list is refused.
    Values are converted by :func:`coerce_variable`. A ``null`` value drops the key so
    the agent's default applies; the dropped keys are kept on the result
    (:attr:`DynamicVariableMap.dropped`) for the caller to report as warnings.
    Objects and arrays are refused, with the variable's path, because Retell fills
    placeholders with strings only (https://docs.retellai.com/build/dynamic-variables).
    """

    json_schema: typing.ClassVar[dict] = {
        "anyOf": [
            {
                "type": "object",
                "additionalProperties": {
                    "type": ["string", "number", "boolean", "null"]
                },
            },
            {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "key": {"type": "string", "minLength": 1},
                        "name": {"type": "string", "minLength": 1},
                        "value": {"type": ["string", "number", "boolean", "null"]},
                    },
                    "oneOf": [{"required": ["key"]}, {"required": ["name"]}],
                },
            },
            {
                "type": "string",
                "contentMediaType": "application/json",
                "pattern": r"^\s*[\[{]",
            },
        ]
    }

    def _deserialize(self, value, attr, data, **kwargs) -> DynamicVariableMap:
        errors: dict[str | int, list[str]] = {}
        if isinstance(value, str) and value.strip().startswith(("{", "[")):
            value = _decode_json(value)
        if isinstance(value, Mapping):
            # An empty name has no path of its own; report it on the field itself.
            pairs = [(SCHEMA, key, item) for key, item in value.items()]
        elif isinstance(value, list):
            pairs = self._pairs_from_list(value, errors)
        else:
            raise ValidationError(
                "must be an object of names and values, or a list of"
                f' {{"key", "value"}} pairs, got {describe_type(value)}'
            )

        values: dict[str, str] = {}
        dropped: list[str] = []
        for where, raw_key, item in pairs:
            key = raw_key.strip() if isinstance(raw_key, str) else raw_key
            if not isinstance(key, str) or not key:
                errors[where] = ["a variable name is empty"]
            elif key in values or key in dropped:
                errors[key] = [f"the variable {quote(key)} is given more than once"]
            elif item is None:
                dropped.append(key)
            elif isinstance(item, float) and not math.isfinite(item):
                errors[key] = [f"must be a finite number, got {item}"]
            elif isinstance(item, str | int | float):
                values[key] = coerce_variable(item)
            else:
                errors[key] = [f"must be a string, got {describe_type(item)}"]
        if errors:
            raise ValidationError(errors)
        return DynamicVariableMap(values, dropped)

    @staticmethod
    def _pairs_from_list(items: list, errors: dict) -> list[tuple[int, object, object]]:
        pairs = []
        for index, item in enumerate(items):
            if not isinstance(item, Mapping):
                errors[index] = [
                    f'must be a {{"key", "value"}} pair, got {describe_type(item)}'
                ]
                continue
            unknown = sorted(set(item) - {"key", "name", "value"})
            if unknown:
                errors[index] = [
                    f"has unexpected field(s) {', '.join(unknown)}; use key and value"
                ]
            elif "key" in item and "name" in item:
                errors[index] = ["give either key or name, not both"]
            elif "key" not in item and "name" not in item:
                errors[index] = ["is missing the key (the variable name)"]
            else:
                name = item.get("key", item.get("name"))
                pairs.append((index, name, item.get("value")))
        return pairs


# ------------------------------------------------------------------- JSON Schema


def jsonschema_attributes(self, field: fields.Field, **kwargs: typing.Any) -> dict:
    """apispec attribute function: the field's ``json_schema``, made nullable if needed.

    Register with ``OpenAPIConverter.add_attribute_function``; it runs after apispec's
    own functions, so its keys win over the type apispec guessed from the base class.
    The field's ``metadata`` (title, description) still comes from apispec.
    """
    schema = getattr(field, "json_schema", None)
    if not isinstance(schema, dict):
        return {}
    attributes = copy.deepcopy(schema)
    # The fragment is the whole truth about accepted values: drop the type apispec
    # guessed from a base class (e.g. "boolean"), which would contradict an anyOf.
    guessed = kwargs.get("ret", {})
    for key in ("type", "format"):
        if key not in attributes:
            guessed.pop(key, None)
    if field.allow_none:
        if "type" in attributes:
            types = _types(attributes)
            if "null" not in types:
                attributes["type"] = [*types, "null"]
            if "enum" in attributes and None not in attributes["enum"]:
                attributes["enum"] = [*attributes["enum"], None]
        elif "anyOf" in attributes:
            attributes["anyOf"] = [*attributes["anyOf"], {"type": "null"}]
    return attributes


def _types(schema: dict) -> list[str]:
    declared = schema.get("type", [])
    return [declared] if isinstance(declared, str) else list(declared)
