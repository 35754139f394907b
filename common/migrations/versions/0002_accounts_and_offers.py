"""accounts and offers: staff_users, offer_rules, offer_rule_versions, offer_exposures, coupons

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import common.db

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Staff accounts (web consoles) and retention offers: rules, versions, exposures, coupons.
    op.create_table('offer_rules',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('definition', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('budget_count', sa.Integer(), nullable=True),
    sa.Column('budget_money', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('spent_count', sa.Integer(), nullable=False),
    sa.Column('spent_money', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('created_at', common.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', common.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offer_rules'))
    )
    op.create_table('staff_users',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('created_at', common.db.UTCDateTime(), nullable=False),
    sa.Column('last_login_at', common.db.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_users')),
    sa.UniqueConstraint('email', name=op.f('uq_staff_users_email'))
    )
    op.create_table('offer_exposures',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('rule_version', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('conversation_id', sa.String(length=36), nullable=True),
    sa.Column('trigger', sa.String(length=40), nullable=False),
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('variant', sa.String(length=40), nullable=True),
    sa.Column('churn_probability', sa.Float(), nullable=True),
    sa.Column('risk_band', sa.String(length=8), nullable=True),
    sa.Column('expected_value', sa.Float(), nullable=False),
    sa.Column('cost_estimate', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('created_at', common.db.UTCDateTime(), nullable=False),
    sa.Column('shown_at', common.db.UTCDateTime(), nullable=True),
    sa.Column('accepted_at', common.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_offer_exposures_customer_id_customers')),
    sa.ForeignKeyConstraint(['rule_id'], ['offer_rules.id'], name=op.f('fk_offer_exposures_rule_id_offer_rules')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offer_exposures'))
    )
    with op.batch_alter_table('offer_exposures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offer_exposures_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index('ix_offer_exposures_customer_created', ['customer_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_offer_exposures_rule_id'), ['rule_id'], unique=False)

    op.create_table('offer_rule_versions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('definition', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('change', sa.String(length=16), nullable=False),
    sa.Column('changed_by', sa.String(length=254), nullable=False),
    sa.Column('changed_at', common.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['rule_id'], ['offer_rules.id'], name=op.f('fk_offer_rule_versions_rule_id_offer_rules')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offer_rule_versions')),
    sa.UniqueConstraint('rule_id', 'version', name='uq_offer_rule_versions_rule_version')
    )
    with op.batch_alter_table('offer_rule_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offer_rule_versions_rule_id'), ['rule_id'], unique=False)

    op.create_table('coupons',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('exposure_id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('value', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('min_basket', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('max_discount', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('reserved', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('issued_at', common.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', common.db.UTCDateTime(), nullable=False),
    sa.Column('redeemed_at', common.db.UTCDateTime(), nullable=True),
    sa.Column('order_id', sa.String(length=64), nullable=True),
    sa.Column('order_amount', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('discount', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_coupons_customer_id_customers')),
    sa.ForeignKeyConstraint(['exposure_id'], ['offer_exposures.id'], name=op.f('fk_coupons_exposure_id_offer_exposures')),
    sa.ForeignKeyConstraint(['rule_id'], ['offer_rules.id'], name=op.f('fk_coupons_rule_id_offer_rules')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coupons')),
    sa.UniqueConstraint('code', name=op.f('uq_coupons_code')),
    sa.UniqueConstraint('exposure_id', name=op.f('uq_coupons_exposure_id'))
    )
    with op.batch_alter_table('coupons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coupons_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_coupons_rule_id'), ['rule_id'], unique=False)



def downgrade() -> None:
    # Staff accounts (web consoles) and retention offers: rules, versions, exposures, coupons.
    with op.batch_alter_table('coupons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coupons_rule_id'))
        batch_op.drop_index(batch_op.f('ix_coupons_customer_id'))

    op.drop_table('coupons')
    with op.batch_alter_table('offer_rule_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offer_rule_versions_rule_id'))

    op.drop_table('offer_rule_versions')
    with op.batch_alter_table('offer_exposures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offer_exposures_rule_id'))
        batch_op.drop_index('ix_offer_exposures_customer_created')
        batch_op.drop_index(batch_op.f('ix_offer_exposures_conversation_id'))

    op.drop_table('offer_exposures')
    op.drop_table('staff_users')
    op.drop_table('offer_rules')
