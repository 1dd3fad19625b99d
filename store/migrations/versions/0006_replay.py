"""messages: the inbound message a reply answers, so a provider's retry gets the same replies

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_to_id', ID, nullable=True))
        batch_op.create_index(batch_op.f('ix_message_reply_to_id'), ['reply_to_id'], unique=False)
        batch_op.create_foreign_key(
            'fk_message_reply_to_id_message', 'message', ['reply_to_id'], ['id']
        )


def downgrade() -> None:
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_constraint('fk_message_reply_to_id_message', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_message_reply_to_id'))
        batch_op.drop_column('reply_to_id')
