"""admin pages at a trust's scale: indexes for what they filter and sort on, a
normalised name to search, and when each person was last asked something

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME_KEY = sa.String(length=120).with_variant(sa.String(length=120, collation='C'), 'postgresql')
OPEN = sa.text('acknowledged_at IS NULL')
PARTICIPANT_INDEXES = {
    'ix_participant_name': ['name_key', 'id'],
    'ix_participant_team_name': ['team_id', 'name_key', 'id'],
    'ix_participant_practitioner_name': ['practitioner_id', 'name_key', 'id'],
    'ix_participant_quiet': ['last_inbound_at', 'id'],
    'ix_participant_team_quiet': ['team_id', 'last_inbound_at'],
    'ix_participant_practitioner_quiet': ['practitioner_id', 'last_inbound_at'],
}
# The dashboard's "no reply" list: only people asked since they last wrote are indexed.
UNANSWERED = sa.text('last_inbound_at IS NULL OR last_inbound_at < last_asked_at')
UNANSWERED_INDEXES = {
    'ix_participant_unanswered': ['last_asked_at'],
    'ix_participant_team_unanswered': ['team_id', 'last_asked_at'],
    'ix_participant_practitioner_unanswered': ['practitioner_id', 'last_asked_at'],
}
OTHER_INDEXES = {
    'ix_alert_acknowledged': ('alert', ['acknowledged_at', 'participant_id']),
    'ix_plan_version_status': ('plan_version', ['status', 'submitted_at', 'plan_id']),
    'ix_plan_version_plan_status': ('plan_version', ['plan_id', 'status']),
    'ix_conversation_dialog_created': ('conversation', ['dialog', 'created_at']),
    'ix_audit_event_actor': ('audit_event', ['actor', 'id']),
    'ix_audit_event_action': ('audit_event', ['action', 'id']),
    'ix_audit_event_record': ('audit_event', ['record_type', 'record_id', 'id']),
}


def _name_key(name: str) -> str:
    # A copy of store.models.name_key as it was at this revision: migrations stay fixed.
    decomposed = unicodedata.normalize('NFKD', name)
    bare = ''.join(c for c in decomposed if not unicodedata.combining(c))
    return ' '.join(bare.casefold().split())[:120]


def upgrade() -> None:
    op.add_column(
        'participant', sa.Column('name_key', NAME_KEY, server_default='', nullable=False)
    )
    op.add_column(
        'participant', sa.Column('last_asked_at', sa.DateTime(timezone=True), nullable=True)
    )
    conn = op.get_bind()
    names = conn.execute(sa.text('SELECT id, display_name FROM participant')).all()
    if names:
        conn.execute(
            sa.text('UPDATE participant SET name_key = :key WHERE id = :id'),
            [{'id': pid, 'key': _name_key(name)} for pid, name in names],
        )
    conn.execute(
        sa.text(
            "UPDATE participant SET last_asked_at = (SELECT max(job.done_at) FROM job"
            " WHERE job.participant_id = participant.id AND job.outcome = 'sent'"
            " AND job.kind IN ('check_in', 'appointment_prep'))"
        )
    )
    for name, columns in PARTICIPANT_INDEXES.items():
        op.create_index(name, 'participant', columns, unique=False)
    for name, (table, columns) in OTHER_INDEXES.items():
        op.create_index(name, table, columns, unique=False)
    for name, columns in UNANSWERED_INDEXES.items():
        op.create_index(
            name,
            'participant',
            columns,
            unique=False,
            sqlite_where=UNANSWERED,
            postgresql_where=UNANSWERED,
        )
    op.create_index(
        'ix_participant_unassigned',
        'participant',
        ['team_id', 'name_key', 'id'],
        unique=False,
        sqlite_where=sa.text('practitioner_id IS NULL'),
        postgresql_where=sa.text('practitioner_id IS NULL'),
    )
    op.create_index(
        'ix_participant_demo',
        'participant',
        ['id'],
        unique=False,
        sqlite_where=sa.text('is_demo IS 1'),
        postgresql_where=sa.text('is_demo IS true'),
    )
    op.create_index(
        'ix_alert_open',
        'alert',
        ['participant_id'],
        unique=False,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index('ix_alert_open', table_name='alert')
    op.drop_index('ix_participant_demo', table_name='participant')
    op.drop_index('ix_participant_unassigned', table_name='participant')
    for name, (table, _columns) in OTHER_INDEXES.items():
        op.drop_index(name, table_name=table)
    for name in [*PARTICIPANT_INDEXES, *UNANSWERED_INDEXES]:
        op.drop_index(name, table_name='participant')
    with op.batch_alter_table('participant') as batch:
        batch.drop_column('last_asked_at')
        batch.drop_column('name_key')
