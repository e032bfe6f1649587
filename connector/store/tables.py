"""The connector's tables. Times are epoch milliseconds from the store's host clock."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# SQLite only makes INTEGER PRIMARY KEY an auto-incrementing rowid; PostgreSQL wants
# BIGINT for tables that grow with every event.
Id = BigInteger().with_variant(Integer(), "sqlite")

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("api_key_sealed", Text, nullable=False),
    Column("webhook_key_sealed", Text),
    Column("created_at", BigInteger, nullable=False),
    Column("seen_at", BigInteger, nullable=False),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("trigger", String(40), nullable=False),
    Column("target_url", Text, nullable=False),
    Column("secret_sealed", Text, nullable=False),
    Column("filters", Text, nullable=False, default="{}"),
    Column("created_at", BigInteger, nullable=False),
    Column("last_status", Integer),
    Column("last_error", Text),
    Column("last_attempt_at", BigInteger),
    UniqueConstraint("account_id", "trigger", "target_url"),
)

# The latest known state of each call, so that a late or repeated webhook never moves
# a call backwards (Retell retries and may reorder deliveries).
calls = Table(
    "calls",
    metadata,
    Column("account_id", String(40), primary_key=True),
    Column("call_id", String(128), primary_key=True),
    Column("stage", Integer, nullable=False),
    Column("call_status", String(40)),
    Column("call", Text, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

# One row per (account, call, event): the unique constraint is the dedupe of
# at-least-once webhooks, independent of the signature timestamp (field case B08).
events = Table(
    "events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", String(40), nullable=False),
    Column("call_id", String(128), nullable=False),
    Column("event", String(40), nullable=False),
    Column("output", Text, nullable=False),
    Column("received_at", BigInteger, nullable=False),
    UniqueConstraint("account_id", "call_id", "event"),
    Index("ix_events_account_event_id", "account_id", "event", "id"),
)

# One row per (event, subscriber): each subscriber gets its own retries, so one that
# fails never makes the others receive twice (field case B22).
outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("message_id", String(40), nullable=False, unique=True),
    Column("account_id", String(40), nullable=False),
    Column("subscription_id", String(40), nullable=False),
    Column("event_id", BigInteger, ForeignKey("events.id"), nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("lease_until", BigInteger),
    Column("last_status", Integer),
    Column("last_error", Text),
    Column("created_at", BigInteger, nullable=False),
    Column("finished_at", BigInteger),
    Index("ix_outbox_due", "state", "next_attempt_at"),
    Index("ix_outbox_subscription", "subscription_id", "state"),
)
