"""conversation_events: index on (type, created_at) for reports over one event type

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # `keepcart kb gaps` reads the knowledge_missed events of a period without scanning every event.
    op.create_index('ix_conversation_events_type_created_at', 'conversation_events', ['type', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_conversation_events_type_created_at', table_name='conversation_events')
