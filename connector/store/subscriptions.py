"""REST-hook subscriptions: where each account wants each trigger's events sent."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError

from .database import now_ms, writing
from .keyring import Keyring
from .tables import outbox, subscriptions


@dataclass(frozen=True)
class Subscription:
    id: str
    account_id: str
    trigger: str
    target_url: str
    secret: str
    filters: dict

    def public(self, *, with_secret: bool = False) -> dict:
        body = {
            "id": self.id,
            "trigger": self.trigger,
            "target_url": self.target_url,
            "filters": self.filters,
        }
        if with_secret:
            body["secret"] = self.secret
        return body


def matches(filters: dict, output: dict) -> bool:
    """Whether an event output passes a subscription's equality filters."""
    return all(
        _as_text(output.get(key)) == _as_text(value) for key, value in filters.items()
    )


def _as_text(value) -> str:
    # Filters come from mappers as text; compare in one spelling so that
    # {"agent_version": "3"} matches 3 and {"call_successful": "true"} matches True.
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _load(keyring: Keyring, row) -> Subscription:
    return Subscription(
        id=row.id,
        account_id=row.account_id,
        trigger=row.trigger,
        target_url=row.target_url,
        secret=keyring.open(row.secret_sealed),
        filters=json.loads(row.filters),
    )


def subscribe(
    engine: Engine,
    keyring: Keyring,
    *,
    account_id: str,
    trigger: str,
    target_url: str,
    filters: dict,
    secret: str,
) -> tuple[Subscription, bool]:
    """Create a subscription, or return the one that already exists (created=False).

    Zapier and Make re-subscribe the same URL when a scenario is switched off and on;
    answering with the existing subscription keeps one delivery per event. New
    ``filters`` replace the old ones.
    """
    existing = _find(engine, keyring, account_id, trigger, target_url)
    if existing:
        if existing.filters != filters:
            # Subscribing again is how a platform changes a hook's settings.
            with writing(engine) as conn:
                conn.execute(
                    update(subscriptions)
                    .where(subscriptions.c.id == existing.id)
                    .values(filters=json.dumps(filters, sort_keys=True))
                )
            existing = _find(engine, keyring, account_id, trigger, target_url)
        return existing, False
    row = {
        "id": "sub_" + secrets.token_hex(12),
        "account_id": account_id,
        "trigger": trigger,
        "target_url": target_url,
        "secret_sealed": keyring.seal(secret),
        "filters": json.dumps(filters, sort_keys=True),
        "created_at": now_ms(),
    }
    try:
        with writing(engine) as conn:
            conn.execute(subscriptions.insert().values(**row))
    except IntegrityError:
        # A concurrent subscribe for the same target won the race.
        existing = _find(engine, keyring, account_id, trigger, target_url)
        if existing is None:
            raise
        return existing, False
    return _find(engine, keyring, account_id, trigger, target_url), True


def _find(engine, keyring, account_id, trigger, target_url) -> Subscription | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(subscriptions).where(
                subscriptions.c.account_id == account_id,
                subscriptions.c.trigger == trigger,
                subscriptions.c.target_url == target_url,
            )
        ).first()
    return _load(keyring, row) if row else None


def get(engine: Engine, keyring: Keyring, subscription_id: str) -> Subscription | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(subscriptions).where(subscriptions.c.id == subscription_id)
        ).first()
    return _load(keyring, row) if row else None


def targets_for(conn, account_id: str, trigger: str, output: dict) -> list[str]:
    """Ids of the account's subscriptions to ``trigger`` whose filters ``output``
    passes, inside the caller's transaction.

    Only ids and filters are read: ingest is the hot path, and the secrets are not
    needed until a delivery is signed.
    """
    rows = conn.execute(_TARGETS, {"account": account_id, "trigger": trigger})
    return [row.id for row in rows if matches(json.loads(row.filters), output)]


_TARGETS = select(subscriptions.c.id, subscriptions.c.filters).where(
    subscriptions.c.account_id == bindparam("account"),
    subscriptions.c.trigger == bindparam("trigger"),
)


def remove(
    engine: Engine, account_id: str, subscription_id: str, *, reason: str
) -> bool:
    """Delete a subscription and cancel what it still had queued; False if unknown.

    ``account_id`` scopes the delete: an account can never remove another's.
    """
    with writing(engine) as conn:
        deleted = conn.execute(
            delete(subscriptions).where(
                subscriptions.c.id == subscription_id,
                subscriptions.c.account_id == account_id,
            )
        ).rowcount
        if deleted:
            conn.execute(
                update(outbox)
                .where(
                    outbox.c.subscription_id == subscription_id,
                    outbox.c.state == "pending",
                )
                .values(state="cancelled", last_error=reason, finished_at=now_ms())
            )
    return bool(deleted)


def record_attempt(conn, subscription_id: str, status: int | None, error: str | None):
    conn.execute(
        update(subscriptions)
        .where(subscriptions.c.id == subscription_id)
        .values(last_status=status, last_error=error, last_attempt_at=now_ms())
    )
