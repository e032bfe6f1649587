"""What every route needs: the shared services, the caller's key and account."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app, request
from sqlalchemy import Engine

from ..config import Settings
from ..errors import FatalError
from ..retell.client import RetellClient
from ..store import accounts
from ..store.database import now_ms
from ..store.keyring import Keyring

#: Retell keys are opaque tokens; anything with spaces or control characters is a
#: pasting mistake, not a key.
_TOKEN = re.compile(r"[\x21-\x7e]{8,512}")


@dataclass
class Services:
    settings: Settings
    engine: Engine
    keyring: Keyring
    retell: RetellClient
    #: Accounts already recorded by this process, so each request need not write.
    known_accounts: set
    #: Epoch milliseconds; tests freeze it to check signature freshness.
    clock: Callable[[], int] = now_ms


def services() -> Services:
    return current_app.extensions["connector"]


@dataclass(frozen=True)
class Caller:
    """The account a request acts for (satisfies catalog.Context)."""

    api_key: str = field(repr=False)
    account_id: str
    retell: RetellClient = field(repr=False)


class Unauthorized(FatalError):
    status = 401
    code = "unauthorized"
    title = "A Retell API key is needed"


def caller() -> Caller:
    """Authenticate the request by its Bearer key; 401 without a usable one."""
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if not header:
        raise Unauthorized(
            "Send your Retell API key in the Authorization header as "
            "'Bearer <your key>'. You find the key in the Retell dashboard under "
            "API Keys."
        )
    if scheme.lower() != "bearer" or not _TOKEN.fullmatch(key):
        raise Unauthorized(
            "The Authorization header must be 'Bearer ' followed by your Retell API "
            "key, with nothing else around it."
        )
    found = services()
    account_id = found.keyring.account_id(key)
    if account_id not in found.known_accounts:
        accounts.remember(found.engine, found.keyring, key)
        found.known_accounts.add(account_id)
    return Caller(api_key=key, account_id=account_id, retell=found.retell)


def webhook_url(account_id: str) -> str:
    base = services().settings.public_url.rstrip("/")
    return f"{base}/v1/webhooks/retell/{account_id}"
