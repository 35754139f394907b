"""returns.product_ids: a return may cover some lines of an order ("return just the pan")

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('returns') as batch:
        batch.add_column(sa.Column('product_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
                                   nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('returns') as batch:
        batch.drop_column('product_ids')
