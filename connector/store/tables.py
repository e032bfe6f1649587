"""The connector's tables. Times are epoch milliseconds from the store's host clock."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
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
    # The key that verified webhooks before the last change, still accepted for a
    # while: Retell may redeliver events it signed before (field case B23).
    Column("previous_key_sealed", Text),
    Column("previous_key_until", BigInteger),
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
    # The breaker (field case B22): after many failures in a row the subscriber gets
    # one probe per interval instead of its whole backlog at once.
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("paused_until", BigInteger),
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
    # JSON list of the flattened keys that had values in ``output``: what the next
    # event of the trigger carries as null (field case B16), read without parsing
    # whole outputs. Null for events stored before the column existed.
    Column("flat_keys", Text),
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
    # A subscriber's due deliveries in the order they are claimed, read from the
    # index instead of sorting its whole backlog on every claim (field case B17).
    Index(
        "ix_outbox_subscription_due",
        "subscription_id",
        "state",
        "next_attempt_at",
        "id",
    ),
)

# Idempotency keys, reserved by one atomic insert before Retell is called, so two
# requests racing with the same key cannot both place a call (field case B20).
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("account_id", String(40), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("status", Integer),
    Column("response", Text),
    Column("created_at", BigInteger, nullable=False),
    Column("locked_until", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Index("ix_idempotency_expiry", "expires_at"),
)

# One row per account: the next moment a create may go to Retell. Every worker and
# replica reserves its slot here, so the account's CPS holds across all of them.
pacing = Table(
    "pacing",
    metadata,
    Column("account_id", String(40), primary_key=True),
    Column("provider", String(16), nullable=False),
    Column("cps", Float, nullable=False),
    # Fractional milliseconds: at 16 CPS a slot is 62.5 ms, and rounding it up to a
    # whole millisecond added 0.8 % to every schedule.
    Column("next_slot_at", Float, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), nullable=False),
    Column("state", String(16), nullable=False),
    Column("total", Integer, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("finished_at", BigInteger),
    Index("ix_jobs_account", "account_id", "created_at"),
)

# Each row of a bulk job keeps the idempotency key it is sent with, so a job resumed
# after a crash re-sends a row Retell may have taken with the same key, and Retell
# places no second call.
job_rows = Table(
    "job_rows",
    metadata,
    Column("job_id", String(40), ForeignKey("jobs.id"), primary_key=True),
    Column("idx", Integer, primary_key=True),
    Column("state", String(16), nullable=False),
    Column("input", Text, nullable=False),
    Column("idempotency_key", String(255), nullable=False),
    Column("call_id", String(128)),
    Column("result", Text),
    Column("errors", Text),
    Column("attempts", Integer, nullable=False, default=0),
    Column("lease_until", BigInteger),
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_job_rows_due", "state", "next_attempt_at"),
)
