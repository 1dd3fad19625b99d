"""languages: the translations a team offers, and who enabled an unreviewed one

Revision ID: 0015
Revises: 0012
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0015'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('team') as batch:
        batch.add_column(sa.Column('languages', JSON, server_default='{}', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('team') as batch:
        batch.drop_column('languages')
