"""Strict JSON parsing, for request bodies and for JSON typed into a mapper field.

Python's parser accepts things that are not JSON, or that break later: NaN and
Infinity (not JSON, RFC 8259 section 6), lone surrogates (valid JSON text that cannot
be encoded as UTF-8 to store or send on), integers of thousands of digits (which
Python refuses to convert), and nesting deep enough to exhaust the recursion of the
code that walks the value. Each becomes a plain-language error here instead.
"""

from __future__ import annotations

import json
import re

#: Deeper than any Retell object or mapper output.
MAX_DEPTH = 32


class JSONTextError(ValueError):
    """The text is not JSON the connector can use; the message says why."""


#: Where a lone surrogate can come from: a \uD800-\uDFFF escape, or one already in
#: the text. Without either, the UTF-8 check below cannot fail and is skipped.
_MAYBE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]|[\ud800-\udfff]")


def _no_constants(name: str):
    raise JSONTextError(f"has {name}, which is not a JSON value; send a number")


def loads(text: str) -> object:
    """Parse ``text`` as JSON, refusing what would fail or mislead later."""
    try:
        value = json.loads(text, parse_constant=_no_constants)
        if _MAYBE_SURROGATE.search(text):
            json.dumps(value, ensure_ascii=False).encode("utf-8")
    except JSONTextError:
        raise
    except json.JSONDecodeError as err:
        raise JSONTextError(
            f"is not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}"
            f" (character {err.pos + 1})"
        ) from None
    except UnicodeEncodeError:
        raise JSONTextError(
            "contains an unpaired surrogate (\\ud800-\\udfff); send real characters"
        ) from None
    except RecursionError:
        raise JSONTextError(f"is nested more than {MAX_DEPTH} levels deep") from None
    except ValueError:
        # Python refuses to convert integers of more than 4300 digits.
        raise JSONTextError(
            "has a number too long to use (thousands of digits)"
        ) from None
    if depth(value) > MAX_DEPTH:
        raise JSONTextError(f"is nested more than {MAX_DEPTH} levels deep")
    return value


def depth(value: object) -> int:
    """How deeply arrays and objects nest in ``value``, counted without recursion."""
    if not isinstance(value, dict | list):
        return 0
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        children = item.values() if isinstance(item, dict) else item
        # Only containers are walked further: most of a body's values are scalars.
        stack.extend(
            (child, level + 1) for child in children if isinstance(child, dict | list)
        )
    return deepest
