"""records: NHS number and discharge on the participant; a channel unlinked at discharge

Revision ID: 0008
Revises: 0004
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nhs_number', sa.String(length=10), nullable=True))
        batch_op.add_column(
            sa.Column('discharged_at', sa.DateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table('channel_identity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unlinked_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('channel_identity', schema=None) as batch_op:
        batch_op.drop_column('unlinked_at')
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_column('discharged_at')
        batch_op.drop_column('nhs_number')
