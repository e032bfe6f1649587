"""Account fingerprints and encryption of the keys and secrets we must keep.

An account is named by a keyed fingerprint of its Retell API key, so the id can appear
in URLs and logs without revealing the key. Keys we must use again (to verify Retell's
signatures) and subscription secrets are stored sealed with Fernet (AES-128-CBC plus
HMAC-SHA256, from ``cryptography``), under a key derived from the service's secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def _derive(secret: str, purpose: bytes) -> bytes:
    # Separate keys per purpose, so a fingerprint never helps to open a sealed value.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret.encode()
    )


#: Sealed values kept opened per process (keys and subscription secrets).
OPENED_CACHE = 1024


class Keyring:
    """Fingerprints and seals values with keys derived from one service secret."""

    def __init__(self, secret_key: str) -> None:
        self._fingerprint_key = _derive(secret_key, b"connector account id")
        self._fernet = Fernet(
            base64.urlsafe_b64encode(_derive(secret_key, b"connector storage"))
        )
        self._opened: dict[str, str] = {}
        self._lock = threading.Lock()

    def account_id(self, api_key: str) -> str:
        """The stable, non-reversible id of the account that owns ``api_key``."""
        digest = hmac.new(self._fingerprint_key, api_key.encode(), hashlib.sha256)
        return "acct_" + digest.hexdigest()[:24]

    def seal(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def open(self, token: str) -> str:
        """Decrypt a sealed value; a token sealed under another secret is an error."""
        # Every webhook opens its account's key and every delivery its secret: the
        # same few tokens over and over, so each is decrypted once per process.
        # Bounded, and keyed by the sealed text, so a changed key is a new entry.
        opened = self._opened.get(token)
        if opened is not None:
            return opened
        try:
            opened = self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as err:
            raise ValueError("sealed value does not open with this secret key") from err
        with self._lock:
            if len(self._opened) >= OPENED_CACHE:
                self._opened.pop(next(iter(self._opened)))
            self._opened[token] = opened
        return opened
