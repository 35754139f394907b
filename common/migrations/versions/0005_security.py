"""security: roles agent/support_lead/marketer/admin (staff -> agent), per-account grants, staff audit log

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import common.db

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    # The support role was called "staff"; it is "agent" now, beside the new "support_lead".
    op.execute("UPDATE staff_users SET role = 'agent' WHERE role = 'staff'")
    with op.batch_alter_table('staff_users') as batch:
        batch.add_column(sa.Column('grants', JSON, nullable=True))
    op.execute("UPDATE staff_users SET grants = '[]'")
    with op.batch_alter_table('staff_users') as batch:
        batch.alter_column('grants', existing_type=JSON, nullable=False)
    op.create_table('staff_audit',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', common.db.UTCDateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('actor_email', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('target', sa.String(length=200), nullable=False),
    sa.Column('detail', JSON, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_audit'))
    )
    op.create_index('ix_staff_audit_at', 'staff_audit', ['at'], unique=False)
    op.create_index('ix_staff_audit_actor_at', 'staff_audit', ['actor_id', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_staff_audit_actor_at', table_name='staff_audit')
    op.drop_index('ix_staff_audit_at', table_name='staff_audit')
    op.drop_table('staff_audit')
    with op.batch_alter_table('staff_users') as batch:
        batch.drop_column('grants')
    op.execute("UPDATE staff_users SET role = 'staff' WHERE role = 'agent'")
    op.execute("UPDATE staff_users SET role = 'admin' WHERE role = 'support_lead'")
