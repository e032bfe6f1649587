"""No-code input and output mapping: what Make, Zapier and n8n send and receive.

This package knows marshmallow, phonenumbers and the shapes of Retell's API, and
nothing of Flask or HTTP. Validation failures are marshmallow ``ValidationError``s;
:func:`field_errors` turns one into the ``errors`` list of a problem+json response.
"""

from __future__ import annotations

import typing

from marshmallow import ValidationError
from marshmallow.exceptions import SCHEMA

from .fields import jsonschema_attributes

__all__ = ["field_errors", "jsonschema_attributes"]


def field_errors(exc: ValidationError) -> list[dict]:
    """Flatten marshmallow's nested messages into ``[{"field", "message"}]``.

    Paths are dotted (``retell_llm_dynamic_variables.prefs``), list positions are
    numbers (``rows.3.to_number``), and schema-level errors (``_schema``) belong to
    their parent path, ``""`` at the top. Sorted by path, numbers numerically, with
    each field's messages in their original order.
    """
    found: list[tuple[tuple, str, str]] = []
    _collect(exc.messages, (), found)
    found.sort(key=lambda item: item[0])
    return [{"field": path, "message": message} for _, path, message in found]


def _collect(messages: typing.Any, path: tuple, found: list) -> None:
    if isinstance(messages, dict):
        for key, value in messages.items():
            _collect(value, path if key == SCHEMA else (*path, key), found)
        return
    if isinstance(messages, list | tuple):
        if all(isinstance(item, str) for item in messages):
            for message in messages:
                found.append((_sort_key(path), _dotted(path), message))
        else:
            for item in messages:
                _collect(item, path, found)
        return
    found.append((_sort_key(path), _dotted(path), str(messages)))


def _dotted(path: tuple) -> str:
    return ".".join(str(part) for part in path)


def _sort_key(path: tuple) -> tuple:
    # Numbers sort before names and among themselves by value, so rows.2 < rows.10.
    return tuple(
        (0, part, "") if isinstance(part, int) else (1, 0, str(part)) for part in path
    )
