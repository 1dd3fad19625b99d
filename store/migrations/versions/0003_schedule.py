"""between appointments: each participant's schedule, and the jobs table

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


PENDING_OUT = sa.text("direction = 'out' AND status IN ('queued', 'sending')")


def upgrade() -> None:
    op.create_table('schedule',
    sa.Column('id', ID, nullable=False),
    sa.Column('participant_id', ID, nullable=False),
    sa.Column('every_days', sa.Integer(), nullable=True),
    sa.Column('weekdays', sa.String(length=27), nullable=True),
    sa.Column('window_start', sa.String(length=5), nullable=False),
    sa.Column('window_end', sa.String(length=5), nullable=False),
    sa.Column('daily_cap', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_schedule_participant_id_participant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedule')),
    sa.UniqueConstraint('participant_id', name=op.f('uq_schedule_participant_id'))
    )
    op.create_table('job',
    sa.Column('id', ID, nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('participant_id', ID, nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('basis', sa.String(length=64), nullable=True),
    sa.Column('for_date', sa.Date(), nullable=True),
    sa.Column('conversation_id', ID, nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=40), nullable=True),
    sa.Column('planned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], name=op.f('fk_job_conversation_id_conversation')),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_job_participant_id_participant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job')),
    sa.UniqueConstraint('key', name=op.f('uq_job_key'))
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index('ix_job_due', ['status', 'due_at'], unique=False)
        batch_op.create_index('ix_job_participant', ['participant_id', 'kind', 'status'], unique=False)

    # The outbox's claim, with thousands queued at once: only the pending rows are indexed.
    op.create_index('ix_message_pending', 'message', ['id'], unique=False,
                    postgresql_where=PENDING_OUT, sqlite_where=PENDING_OUT)
    op.create_index('ix_message_pending_recipient', 'message', ['channel', 'address', 'id'],
                    unique=False, postgresql_where=PENDING_OUT, sqlite_where=PENDING_OUT)


def downgrade() -> None:
    op.drop_index('ix_message_pending_recipient', table_name='message')
    op.drop_index('ix_message_pending', table_name='message')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index('ix_job_participant')
        batch_op.drop_index('ix_job_due')
    op.drop_table('job')
    op.drop_table('schedule')
