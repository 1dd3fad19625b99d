"""admin page: sessions, sign-in throttle, trusted browsers, TOTP, demo participants

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('signin_failure',
    sa.Column('id', ID, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('account_key', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('known_device', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signin_failure'))
    )
    with op.batch_alter_table('signin_failure', schema=None) as batch_op:
        batch_op.create_index('ix_signin_failure_account', ['account_key', 'at'], unique=False)
        batch_op.create_index('ix_signin_failure_address', ['address', 'at'], unique=False)

    op.create_table('admin_session',
    sa.Column('id', ID, nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('practitioner_id', ID, nullable=False),
    sa.Column('stage', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_admin_session_practitioner_id_practitioner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_admin_session_token_hash'))
    )
    with op.batch_alter_table('admin_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admin_session_practitioner_id'), ['practitioner_id'], unique=False)

    op.create_table('trusted_device',
    sa.Column('id', ID, nullable=False),
    sa.Column('practitioner_id', ID, nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_trusted_device_practitioner_id_practitioner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trusted_device')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_trusted_device_token_hash'))
    )
    with op.batch_alter_table('trusted_device', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trusted_device_practitioner_id'), ['practitioner_id'], unique=False)

    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_demo', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('practitioner', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))

    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.add_column(sa.Column('require_totp', sa.Boolean(), server_default=sa.false(), nullable=False))

    # Passwords set before this revision were chosen by their owners.
    op.execute(
        "UPDATE practitioner SET password_changed_at = created_at WHERE password_hash IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_column('require_totp')

    with op.batch_alter_table('practitioner', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_secret')
        batch_op.drop_column('password_changed_at')

    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_column('is_demo')

    with op.batch_alter_table('trusted_device', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trusted_device_practitioner_id'))
    op.drop_table('trusted_device')

    with op.batch_alter_table('admin_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_admin_session_practitioner_id'))
    op.drop_table('admin_session')

    with op.batch_alter_table('signin_failure', schema=None) as batch_op:
        batch_op.drop_index('ix_signin_failure_address')
        batch_op.drop_index('ix_signin_failure_account')
    op.drop_table('signin_failure')
