"""Reading request bodies the way the platforms actually send them (field case B24).

Media types are compared on the mimetype alone, case-insensitively; n8n sends
``Application/JSON; charset=utf-8`` and Make's HTTP module can send a form body.
"""

from __future__ import annotations

from flask import request
from marshmallow import ValidationError

from ..errors import FatalError
from ..mapping import jsontext

_JSON_TYPES = ("application/json",)
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_CHARSETS = (None, "utf-8", "utf8")


class UnsupportedMedia(FatalError):
    status = 415
    code = "unsupported_media_type"
    title = "The body is not in a format the connector reads"


def body() -> dict:
    """The request's input as a dict, whatever supported form it came in."""
    charset = request.mimetype_params.get("charset")
    if (charset.lower() if charset else None) not in _CHARSETS:
        raise UnsupportedMedia(
            f"The body is declared as {charset}; send it as UTF-8 "
            "(Content-Type: application/json; charset=utf-8).",
            code="unsupported_charset",
        )
    mimetype = request.mimetype
    if mimetype in _FORM_TYPES:
        return {
            key: values[0] if len(values) == 1 else values
            for key, values in request.form.lists()
        }
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    if mimetype and mimetype not in _JSON_TYPES and not mimetype.endswith("+json"):
        raise UnsupportedMedia(
            f"The body is {mimetype}; send JSON with Content-Type: application/json."
        )
    # A missing Content-Type is read as JSON: some senders leave it out entirely.
    return parse_json_object(raw)


def parse_json_object(raw: bytes) -> dict:
    """The body as a JSON object; any malformed body is a 4xx, never a 500."""
    try:
        value = jsontext.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise _invalid(f"The body is not valid UTF-8 (byte {err.start}).") from None
    except jsontext.JSONTextError as err:
        raise _invalid(f"The body {err}.") from None
    if not isinstance(value, dict):
        kind = _JSON_NAMES.get(type(value), "value")
        raise FatalError(
            f"The body must be a JSON object ({{...}}), not {kind}.",
            status=422,
            code="validation_failed",
            title="The input does not pass validation",
            errors=[{"field": "", "message": "must be a JSON object"}],
        )
    return value


_JSON_NAMES = {
    list: "an array",
    str: "text",
    int: "a number",
    float: "a number",
    bool: "true or false",
    type(None): "null",
}


def _invalid(detail: str) -> FatalError:
    return FatalError(detail, code="invalid_json", title="The body is not valid JSON")


def query_limit(default: int, maximum: int) -> int:
    """The ``limit`` query parameter, 1 to ``maximum``; anything else is a 422."""
    raw = request.args.get("limit", str(default))
    # isdigit() would take "²"; only ASCII digits are a count.
    if raw.isascii() and raw.isdigit() and len(raw) < 6 and 1 <= int(raw) <= maximum:
        return int(raw)
    raise ValidationError({"limit": [f"must be a whole number from 1 to {maximum}"]})
