"""Accounts: one per Retell API key, named by its fingerprint."""

from __future__ import annotations

from sqlalchemy import Engine, bindparam, select, update

from .database import insert_ignoring_duplicates, now_ms, reading, writing
from .keyring import Keyring
from .tables import accounts


def remember(engine: Engine, keyring: Keyring, api_key: str) -> str:
    """Record the account that owns ``api_key`` (once) and return its id."""
    account_id = keyring.account_id(api_key)
    now = now_ms()
    with writing(engine) as conn:
        conn.execute(
            insert_ignoring_duplicates(engine, accounts).values(
                id=account_id,
                api_key_sealed=keyring.seal(api_key),
                created_at=now,
                seen_at=now,
            )
        )
    return account_id


#: How long the key in force before a change still verifies webhooks (B23).
GRACE_MS = 24 * 3600 * 1000


def set_webhook_key(
    engine: Engine, keyring: Keyring, account_id: str, key: str | None, now: int
) -> None:
    """Register the key Retell signs the account's webhooks with (None: forget it).

    The key in force until now keeps verifying for :data:`GRACE_MS`, since Retell
    retries and redelivers events it signed with it.
    """
    with writing(engine) as conn:
        row = conn.execute(
            select(accounts.c.api_key_sealed, accounts.c.webhook_key_sealed).where(
                accounts.c.id == account_id
            )
        ).one()
        in_force = keyring.open(row.webhook_key_sealed or row.api_key_sealed)
        if (key or keyring.open(row.api_key_sealed)) == in_force:
            # Registering the key already in force changes nothing; above all it
            # must not end the grace of the key before it, whose signed events
            # Retell may still be retrying.
            return
        conn.execute(
            update(accounts)
            .where(accounts.c.id == account_id)
            .values(
                webhook_key_sealed=keyring.seal(key) if key else None,
                previous_key_sealed=row.webhook_key_sealed or row.api_key_sealed,
                previous_key_until=now + GRACE_MS,
            )
        )


def signing_keys(
    engine: Engine, keyring: Keyring, account_id: str, now: int
) -> list[str] | None:
    """The keys that may have signed a webhook for this account, newest first;
    None if the account is unknown.

    Retell signs with the key that carries the webhook badge, which may not be the key
    the platforms call us with (contract: PUT /v1/me/webhook-key).
    """
    with reading(engine) as conn:
        row = conn.execute(_SIGNING_KEYS, {"account": account_id}).first()
    if row is None:
        return None
    keys = [keyring.open(row.webhook_key_sealed or row.api_key_sealed)]
    if row.previous_key_sealed and (row.previous_key_until or 0) > now:
        previous = keyring.open(row.previous_key_sealed)
        if previous not in keys:
            keys.append(previous)
    return keys


_SIGNING_KEYS = select(
    accounts.c.api_key_sealed,
    accounts.c.webhook_key_sealed,
    accounts.c.previous_key_sealed,
    accounts.c.previous_key_until,
).where(accounts.c.id == bindparam("account"))


def uses_webhook_key(engine: Engine, account_id: str) -> bool:
    with engine.connect() as conn:
        sealed = conn.execute(
            select(accounts.c.webhook_key_sealed).where(accounts.c.id == account_id)
        ).scalar()
    return sealed is not None


def api_key(engine: Engine, keyring: Keyring, account_id: str) -> str | None:
    """The account's calling key, for work done on its behalf (bulk jobs)."""
    with engine.connect() as conn:
        sealed = conn.execute(
            select(accounts.c.api_key_sealed).where(accounts.c.id == account_id)
        ).scalar()
    return keyring.open(sealed) if sealed else None


def exists(engine: Engine, account_id: str) -> bool:
    with engine.connect() as conn:
        return (
            conn.execute(
                select(accounts.c.id).where(accounts.c.id == account_id)
            ).first()
            is not None
        )
