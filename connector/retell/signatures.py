"""Verification of Retell's ``x-retell-signature`` webhook header.

Retell signs each webhook with the account's API key (the one with the "webhook"
badge): ``v=<unix ms>,d=<hex HMAC-SHA256(key, raw_body + str(ms))>``
(https://docs.retellai.com/features/secure-webhook; ``retell/lib/webhook_auth.py``
in retell-sdk 6.2.13). The scheme is implemented here rather than imported because
the SDK helper has vanished and come back between releases (field case B06).

The digest is computed over the exact bytes received. A body parsed and dumped
again differs in spacing, escapes and number forms and never verifies (B05).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Sequence

#: Exactly the SDK's accepted form (``re.fullmatch``, lowercase hex only), except
#: that the timestamp is limited to ASCII digits and 19 of them: ``\d`` also matches
#: other scripts' digits, and int() of a huge digit string is slow or refused.
_HEADER = re.compile(r"v=([0-9]{1,19}),d=([0-9a-f]{64})")

#: Retell's freshness window: five minutes either side, inclusive (SDK
#: ``FIVE_MINUTES``).
TOLERANCE_MS = 300_000

_MESSAGES = {
    "missing_signature": "The x-retell-signature header is missing.",
    "malformed_signature": "The x-retell-signature header is not v=<ms>,d=<hex>.",
    "stale_signature": "The x-retell-signature timestamp is outside the window.",
    "invalid_signature": "The x-retell-signature digest does not match the body.",
}


class SignatureError(Exception):
    """The webhook's signature is missing, malformed, stale or wrong."""

    def __init__(self, code: str) -> None:
        super().__init__(_MESSAGES[code])
        self.code = code


def sign(raw_body: bytes, key: str, ts_ms: int) -> str:
    """The ``x-retell-signature`` value Retell would send for this body and time."""
    return f"v={ts_ms},d={_digest(raw_body, key, ts_ms)}"


def verify(
    raw_body: bytes,
    header: str | None,
    keys: Sequence[str],
    *,
    now_ms: int | None = None,
    tolerance_ms: int = TOLERANCE_MS,
) -> int:
    """Check a webhook signature; return the index in ``keys`` of the key that matched.

    ``keys`` lists the current signing key first, then any previous one still in
    its grace period (field case B23), so the caller can log which one matched.
    Empty keys never match. Raises :class:`SignatureError` on any failure.
    """
    if not keys:
        raise ValueError("verify() needs at least one key")
    if not header:
        raise SignatureError("missing_signature")
    match = _HEADER.fullmatch(header)
    if match is None:
        raise SignatureError("malformed_signature")

    ts_ms = int(match[1])
    if now_ms is None:
        now_ms = time.time_ns() // 1_000_000
    if abs(now_ms - ts_ms) > tolerance_ms:
        raise SignatureError("stale_signature")

    received = match[2]
    for index, key in enumerate(keys):
        # compare_digest for every key: the time taken must not tell an attacker
        # how many leading characters were right.
        if key and hmac.compare_digest(_digest(raw_body, key, ts_ms), received):
            return index
    raise SignatureError("invalid_signature")


def _digest(raw_body: bytes, key: str, ts_ms: int) -> str:
    # str(int) as the SDK does: "v=0017..." is signed as "17...".
    message = raw_body + str(ts_ms).encode("ascii")
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()
