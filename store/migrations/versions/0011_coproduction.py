"""co-production: the team's suggestions, overrides with their reasons

Revision ID: 0011
Revises: 0004
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table(
        'suggestion',
        sa.Column('id', ID, nullable=False),
        sa.Column('participant_id', ID, nullable=False),
        sa.Column('plan_id', ID, nullable=False),
        sa.Column('version_id', ID, nullable=False),
        sa.Column('practitioner_id', ID, nullable=False),
        sa.Column('action', sa.String(length=10), nullable=False),
        sa.Column('section', sa.String(length=40), nullable=False),
        sa.Column('original', sa.Text(), nullable=True),
        sa.Column('text', sa.Text(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('weakens', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('answer', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('asked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_suggestion_participant_id_participant')),
        sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_suggestion_plan_id_plan')),
        sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_suggestion_practitioner_id_practitioner')),
        sa.ForeignKeyConstraint(['version_id'], ['plan_version.id'], name=op.f('fk_suggestion_version_id_plan_version')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_suggestion')),
    )
    op.create_index('ix_suggestion_participant_status', 'suggestion', ['participant_id', 'status'], unique=False)
    op.create_index(op.f('ix_suggestion_version_id'), 'suggestion', ['version_id'], unique=False)
    op.create_table(
        'override',
        sa.Column('id', ID, nullable=False),
        sa.Column('participant_id', ID, nullable=False),
        sa.Column('plan_id', ID, nullable=False),
        sa.Column('version_id', ID, nullable=False),
        sa.Column('replaced_id', ID, nullable=False),
        sa.Column('practitioner_id', ID, nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('changes', JSON, nullable=False),
        sa.Column('removed_safety', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('restored_id', ID, nullable=True),
        sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_override_participant_id_participant')),
        sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_override_plan_id_plan')),
        sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_override_practitioner_id_practitioner')),
        sa.ForeignKeyConstraint(['replaced_id'], ['plan_version.id'], name=op.f('fk_override_replaced_id_plan_version')),
        sa.ForeignKeyConstraint(['restored_id'], ['plan_version.id'], name=op.f('fk_override_restored_id_plan_version')),
        sa.ForeignKeyConstraint(['version_id'], ['plan_version.id'], name=op.f('fk_override_version_id_plan_version')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_override')),
    )
    op.create_index(op.f('ix_override_participant_id'), 'override', ['participant_id'], unique=False)
    op.create_index(op.f('ix_override_practitioner_id'), 'override', ['practitioner_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_override_practitioner_id'), table_name='override')
    op.drop_index(op.f('ix_override_participant_id'), table_name='override')
    op.drop_table('override')
    op.drop_index(op.f('ix_suggestion_version_id'), table_name='suggestion')
    op.drop_index('ix_suggestion_participant_status', table_name='suggestion')
    op.drop_table('suggestion')
