"""Events keep their flattened keys; pacing slots in fractional milliseconds; the
outbox index follows the claim order.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 17:32:47.308781
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("flat_keys", sa.Text(), nullable=True))

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_subscription")
        batch_op.create_index(
            "ix_outbox_subscription_due",
            ["subscription_id", "state", "next_attempt_at", "id"],
            unique=False,
        )

    with op.batch_alter_table("pacing", schema=None) as batch_op:
        batch_op.alter_column(
            "next_slot_at",
            existing_type=sa.BigInteger(),
            type_=sa.Float(),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("pacing", schema=None) as batch_op:
        batch_op.alter_column(
            "next_slot_at",
            existing_type=sa.Float(),
            type_=sa.BigInteger(),
            existing_nullable=False,
        )

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_subscription_due")
        batch_op.create_index(
            "ix_outbox_subscription", ["subscription_id", "state"], unique=False
        )

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("flat_keys")
