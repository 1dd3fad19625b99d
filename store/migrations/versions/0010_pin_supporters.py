"""privacy: a PIN for the plan; named supporters and every consent about them

Revision ID: 0010
Revises: 0004
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0010'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('plan_pin',
    sa.Column('participant_id', ID, autoincrement=False, nullable=False),
    sa.Column('pin_hash', sa.String(length=255), nullable=True),
    sa.Column('set_at', WHEN, nullable=True),
    sa.Column('awaiting', sa.String(length=10), nullable=True),
    sa.Column('awaiting_until', WHEN, nullable=True),
    sa.Column('then', sa.String(length=10), nullable=True),
    sa.Column('candidate_hash', sa.String(length=255), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', WHEN, nullable=True),
    sa.Column('unlocked_until', WHEN, nullable=True),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_plan_pin_participant_id_participant')),
    sa.PrimaryKeyConstraint('participant_id', name=op.f('pk_plan_pin'))
    )
    op.create_table('supporter',
    sa.Column('id', ID, nullable=False),
    sa.Column('participant_id', ID, nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('sections', JSON, nullable=False),
    sa.Column('notify_crisis', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('sent_version_id', ID, nullable=True),
    sa.Column('last_notice_at', WHEN, nullable=True),
    sa.Column('created_at', WHEN, nullable=False),
    sa.Column('updated_at', WHEN, nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_supporter_participant_id_participant')),
    sa.ForeignKeyConstraint(['sent_version_id'], ['plan_version.id'], name=op.f('fk_supporter_sent_version_id_plan_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supporter'))
    )
    with op.batch_alter_table('supporter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supporter_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supporter_phone'), ['phone'], unique=False)
    op.create_table('supporter_consent',
    sa.Column('id', ID, nullable=False),
    sa.Column('supporter_id', ID, nullable=False),
    sa.Column('what', sa.String(length=20), nullable=False),
    sa.Column('given', sa.Boolean(), nullable=False),
    sa.Column('by', sa.String(length=12), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=True),
    sa.Column('at', WHEN, nullable=False),
    sa.ForeignKeyConstraint(['supporter_id'], ['supporter.id'], name=op.f('fk_supporter_consent_supporter_id_supporter')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supporter_consent'))
    )
    with op.batch_alter_table('supporter_consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supporter_consent_supporter_id'), ['supporter_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('supporter_consent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supporter_consent_supporter_id'))
    op.drop_table('supporter_consent')
    with op.batch_alter_table('supporter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supporter_phone'))
        batch_op.drop_index(batch_op.f('ix_supporter_participant_id'))
    op.drop_table('supporter')
    op.drop_table('plan_pin')
