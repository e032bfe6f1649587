"""Keep the previous webhook signing key for a grace period (field case B23).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 15:31:07.667180
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("previous_key_sealed", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("previous_key_until", sa.BigInteger(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("previous_key_until")
        batch_op.drop_column("previous_key_sealed")
