"""billing: usage events, resources, intervals, corrections, price sheet,
discounts, credits, invoices and lines, budgets and their alerts

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def utc_time():
    """UTC times with microseconds (MariaDB's plain DATETIME drops them)."""
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb')


def big_id():
    """A 64-bit key; INTEGER on SQLite, where only that autoincrements."""
    return sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table('billing_budget_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('spent', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('budget', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('fired_at', utc_time(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_budget_alerts')),
    sa.UniqueConstraint('project_id', 'period', 'level', name=op.f('uq_billing_budget_alerts_project_id_period_level'))
    )
    op.create_table('billing_budgets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('amount', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('enforce', sa.Boolean(), nullable=True),
    sa.Column('updated_at', utc_time(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_budgets')),
    sa.UniqueConstraint('project_id', name=op.f('uq_billing_budgets_project_id'))
    )
    op.create_table('billing_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_type', sa.String(length=32), nullable=False),
    sa.Column('resource_id', sa.String(length=64), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('at', utc_time(), nullable=False),
    sa.Column('reason', sa.String(length=255), nullable=False),
    sa.Column('message_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', utc_time(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_corrections'))
    )
    op.create_index(op.f('ix_billing_corrections_project_id_created_at'), 'billing_corrections', ['project_id', 'created_at'], unique=False)
    op.create_table('billing_credits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('amount', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reason', sa.String(length=255), nullable=False),
    sa.Column('created_at', utc_time(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_credits'))
    )
    op.create_index(op.f('ix_billing_credits_project_id_period'), 'billing_credits', ['project_id', 'period'], unique=False)
    op.create_table('billing_discounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('percent', sa.Numeric(precision=7, scale=4), nullable=False),
    sa.Column('effective_from', utc_time(), nullable=False),
    sa.Column('created_at', utc_time(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_discounts'))
    )
    op.create_index(op.f('ix_billing_discounts_project_id_effective_from'), 'billing_discounts', ['project_id', 'effective_from'], unique=False)
    op.create_table('billing_events',
    sa.Column('id', big_id(), nullable=False),
    sa.Column('message_id', sa.String(length=64), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('resource_type', sa.String(length=32), nullable=False),
    sa.Column('resource_id', sa.String(length=64), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('at', utc_time(), nullable=False),
    sa.Column('received_at', utc_time(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_events')),
    sa.UniqueConstraint('message_id', name=op.f('uq_billing_events_message_id'))
    )
    op.create_index(op.f('ix_billing_events_project_id_at'), 'billing_events', ['project_id', 'at'], unique=False)
    op.create_index(op.f('ix_billing_events_resource_type_resource_id_at'), 'billing_events', ['resource_type', 'resource_id', 'at'], unique=False)
    op.create_table('billing_intervals',
    sa.Column('id', big_id(), nullable=False),
    sa.Column('resource_type', sa.String(length=32), nullable=False),
    sa.Column('resource_id', sa.String(length=64), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('start_at', utc_time(), nullable=False),
    sa.Column('end_at', utc_time(), nullable=True),
    sa.Column('price_key', sa.String(length=255), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('requests', sa.BigInteger(), nullable=True),
    sa.Column('bytes_out', sa.BigInteger(), nullable=True),
    sa.Column('attrs', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_intervals'))
    )
    op.create_index(op.f('ix_billing_intervals_project_id_start_at'), 'billing_intervals', ['project_id', 'start_at'], unique=False)
    op.create_index(op.f('ix_billing_intervals_resource_type_resource_id_kind_end_at'), 'billing_intervals', ['resource_type', 'resource_id', 'kind', 'end_at'], unique=False)
    op.create_index(op.f('ix_billing_intervals_start_at'), 'billing_intervals', ['start_at'], unique=False)
    op.create_table('billing_invoices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('region', sa.String(length=64), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('subtotal', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('discount', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('credits', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('tax_rate', sa.Numeric(precision=7, scale=4), nullable=False),
    sa.Column('tax', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('total', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.Column('rounding', sa.String(length=16), nullable=False),
    sa.Column('line_count', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('issued_at', utc_time(), nullable=False),
    sa.Column('paid_at', utc_time(), nullable=True),
    sa.Column('paid_reference', sa.String(length=255), nullable=True),
    sa.Column('webhook_sent_at', utc_time(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_invoices')),
    sa.UniqueConstraint('project_id', 'period', name=op.f('uq_billing_invoices_project_id_period')),
    sa.UniqueConstraint('uuid', name=op.f('uq_billing_invoices_uuid'))
    )
    op.create_table('billing_prices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meter', sa.String(length=64), nullable=False),
    sa.Column('price_key', sa.String(length=255), nullable=False),
    sa.Column('region', sa.String(length=64), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=24, scale=10), nullable=False),
    sa.Column('effective_from', utc_time(), nullable=False),
    sa.Column('created_at', utc_time(), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=True),
    sa.Column('note', sa.String(length=255), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_prices'))
    )
    op.create_index(op.f('ix_billing_prices_meter_price_key_region_effective_from'), 'billing_prices', ['meter', 'price_key', 'region', 'effective_from'], unique=False)
    op.create_table('billing_resources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_type', sa.String(length=32), nullable=False),
    sa.Column('resource_id', sa.String(length=64), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('price_key', sa.String(length=255), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('attrs', sa.JSON(), nullable=False),
    sa.Column('last_at', utc_time(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('seen_at', utc_time(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_resources')),
    sa.UniqueConstraint('resource_type', 'resource_id', name=op.f('uq_billing_resources_resource_type_resource_id'))
    )
    op.create_index(op.f('ix_billing_resources_deleted_resource_type'), 'billing_resources', ['deleted', 'resource_type'], unique=False)
    op.create_index(op.f('ix_billing_resources_project_id'), 'billing_resources', ['project_id'], unique=False)
    op.create_table('billing_invoice_lines',
    sa.Column('id', big_id(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('resource_type', sa.String(length=32), nullable=False),
    sa.Column('resource_id', sa.String(length=64), nullable=False),
    sa.Column('meter', sa.String(length=64), nullable=False),
    sa.Column('price_key', sa.String(length=255), nullable=True),
    sa.Column('start_at', utc_time(), nullable=False),
    sa.Column('end_at', utc_time(), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=30, scale=9), nullable=False),
    sa.Column('unit', sa.String(length=32), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=24, scale=10), nullable=False),
    sa.Column('amount', sa.Numeric(precision=20, scale=4), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['billing_invoices.id'], name=op.f('fk_billing_invoice_lines_invoice_id_billing_invoices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_invoice_lines'))
    )
    op.create_index(op.f('ix_billing_invoice_lines_invoice_id'), 'billing_invoice_lines', ['invoice_id'], unique=False)


def downgrade():
    op.drop_table('billing_invoice_lines')
    op.drop_table('billing_resources')
    op.drop_table('billing_prices')
    op.drop_table('billing_invoices')
    op.drop_table('billing_intervals')
    op.drop_table('billing_events')
    op.drop_table('billing_discounts')
    op.drop_table('billing_credits')
    op.drop_table('billing_corrections')
    op.drop_table('billing_budgets')
    op.drop_table('billing_budget_alerts')
