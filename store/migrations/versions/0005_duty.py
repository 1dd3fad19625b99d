"""duty: who hears about an alert, when the team works, escalation, acknowledgement notes,
and the notifications sent to staff

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')
EMPTY = sa.text("'[]'")


def upgrade() -> None:
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duty_emails', JSON, nullable=False, server_default=EMPTY))
        batch_op.add_column(sa.Column('duty_phones', JSON, nullable=False, server_default=EMPTY))
        batch_op.add_column(sa.Column('working_hours', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('escalate_after_minutes', sa.Integer(), nullable=False, server_default='30'))
        batch_op.add_column(sa.Column('out_of_hours_email', sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column('out_of_hours_phone', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('notify_also', JSON, nullable=False, server_default=EMPTY))
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.add_column(sa.Column('acknowledged_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('escalation_step', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('escalate_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_alert_escalate_at'), ['escalate_at'], unique=False)
    op.create_table('notification',
    sa.Column('id', ID, nullable=False),
    sa.Column('alert_id', ID, nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('address', sa.String(length=320), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error_code', sa.String(length=40), nullable=True),
    sa.Column('message_id', ID, nullable=True),
    sa.Column('email_id', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['alert_id'], ['alert.id'], name=op.f('fk_notification_alert_id_alert')),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], name=op.f('fk_notification_message_id_message')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('alert_id', 'step', 'channel', 'address', name=op.f('uq_notification_alert_id'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_due', ['status', 'next_attempt_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_due')
    op.drop_table('notification')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_escalate_at'))
        batch_op.drop_column('escalate_at')
        batch_op.drop_column('escalation_step')
        batch_op.drop_column('acknowledged_note')
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_column('notify_also')
        batch_op.drop_column('out_of_hours_phone')
        batch_op.drop_column('out_of_hours_email')
        batch_op.drop_column('escalate_after_minutes')
        batch_op.drop_column('working_hours')
        batch_op.drop_column('duty_phones')
        batch_op.drop_column('duty_emails')
