"""alerts: severity and the rule that matched; a team for alerts about unknown senders

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.add_column(sa.Column('severity', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('rule', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('team_id', ID, nullable=True))
        batch_op.create_index(batch_op.f('ix_alert_team_id'), ['team_id'], unique=False)
        batch_op.create_foreign_key('fk_alert_team_id_team', 'team', ['team_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_constraint('fk_alert_team_id_team', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_alert_team_id'))
        batch_op.drop_column('team_id')
        batch_op.drop_column('rule')
        batch_op.drop_column('severity')
