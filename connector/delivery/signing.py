"""Standard Webhooks signatures for the deliveries we send to platform hooks.

Spec: https://www.standardwebhooks.com/ (``spec/standard-webhooks.md``). Each
delivery carries ``webhook-id``, ``webhook-timestamp`` (Unix seconds) and
``webhook-signature``: space-separated ``v1,<base64 HMAC-SHA256>`` entries over
``"<id>.<timestamp>.<body>"``, keyed with the base64-decoded part of a
``whsec_...`` secret. Several entries let a subscriber keep verifying with its old
secret while a rotation is in its overlap window (field case B23).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping, Sequence
from secrets import token_bytes, token_hex

SECRET_PREFIX = "whsec_"

#: The spec's recommended replay window: five minutes either side.
TOLERANCE_SECONDS = 300

#: The spec asks for secrets of 24 to 64 random bytes.
SECRET_BYTES = 24


def new_secret() -> str:
    """A fresh subscription secret, ``whsec_`` + base64 of 24 random bytes."""
    return SECRET_PREFIX + base64.b64encode(token_bytes(SECRET_BYTES)).decode()


def new_message_id() -> str:
    """A unique ``webhook-id``; it stays the same across retries of one delivery."""
    return "msg_" + token_hex(16)


def sign_headers(
    message_id: str,
    timestamp: int,
    body: bytes,
    secrets: Sequence[str],
) -> dict[str, str]:
    """The three Standard Webhooks headers, with one signature per secret."""
    if not secrets:
        raise ValueError("sign_headers() needs at least one secret")
    signatures = " ".join(
        "v1," + _signature(_key(secret), message_id, timestamp, body)
        for secret in secrets
    )
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
    }


def verify(
    headers: Mapping[str, str],
    body: bytes,
    secret: str,
    *,
    now: int | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> None:
    """Check a delivery as a subscriber would; raise ``ValueError`` saying why not.

    Header names are matched case-insensitively. Entries other than ``v1`` (for
    example the spec's asymmetric ``v1a``) are skipped, not treated as failures.
    """
    found = {name.lower(): value for name, value in headers.items()}
    message_id = found.get("webhook-id")
    stamp = found.get("webhook-timestamp")
    header = found.get("webhook-signature")
    if not message_id or not stamp or not header:
        raise ValueError("missing webhook-id, webhook-timestamp or webhook-signature")
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
        raise ValueError("webhook-timestamp is not a Unix time in seconds")

    timestamp = int(stamp)
    if now is None:
        now = int(time.time())
    if abs(now - timestamp) > tolerance:
        raise ValueError("webhook-timestamp is outside the tolerance window")

    expected = _signature(_key(secret), message_id, timestamp, body).encode()
    for entry in header.split(" "):
        version, _, signature = entry.partition(",")
        # Bytes, because compare_digest refuses str with non-ASCII characters.
        received = signature.encode("utf-8", "surrogateescape")
        if version == "v1" and hmac.compare_digest(received, expected):
            return
    raise ValueError("no webhook-signature entry matches")


def _key(secret: str) -> bytes:
    # The spec's libraries accept the secret with or without its prefix.
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the secret is not whsec_ followed by base64") from None
    if not key:
        raise ValueError("the secret is empty")
    return key


def _signature(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    content = f"{message_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
