"""Wire encoding and webhook signatures, written for the simulator alone.

Retell's servers run on Node, so bodies are what ``JSON.stringify`` produces: no
whitespace, UTF-8, non-ASCII left unescaped and integral numbers without ``.0``.
Webhooks carry ``x-retell-signature: v=<ms>,d=<hex>`` where ``<hex>`` is the lowercase
HMAC-SHA256 of ``raw_body + str(ms)`` keyed with the workspace's webhook API key
(https://docs.retellai.com/features/secure-webhook; the SDKs' ``lib/webhook_auth``).

This module deliberately shares nothing with the connector's verifier, so a bug on
one side cannot hide the same bug on the other.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import time
from typing import Any

SIGNATURE_HEADER = "x-retell-signature"

# Above this magnitude JavaScript prints numbers in exponent form (ECMA-262
# Number::toString), so integral floats there are left as Python writes them.
_JS_EXPONENT_FROM = 1e21


def _js_numbers(value: Any) -> Any:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("JSON has no NaN or Infinity")
        if value.is_integer() and abs(value) < _JS_EXPONENT_FROM:
            return int(value)
        return value
    if isinstance(value, dict):
        return {key: _js_numbers(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_js_numbers(item) for item in value]
    return value


def compact_json(value: Any) -> str:
    """Serialise ``value`` the way JavaScript's ``JSON.stringify`` would."""
    return json.dumps(
        _js_numbers(value),
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def signature_digest(body: str, key: str, timestamp_ms: int) -> str:
    """Lowercase hex HMAC-SHA256 of ``body + str(timestamp_ms)`` under ``key``."""
    message = (body + str(timestamp_ms)).encode("utf-8")
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(body: str, key: str, timestamp_ms: int | None = None) -> str:
    """The ``x-retell-signature`` value for ``body``, stamped now unless told."""
    if timestamp_ms is None:
        timestamp_ms = int(time.time() * 1000)
    return f"v={timestamp_ms},d={signature_digest(body, key, timestamp_ms)}"
