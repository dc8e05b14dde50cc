"""Host failure and maintenance: the migrations table (evacuations, cold
migrations and resizes of servers between hosts)

Revision ID: 0022
Revises: 0021
"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'migrations',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('uuid', sa.String(length=36), nullable=False),
        sa.Column('instance_uuid', sa.String(length=36), nullable=False),
        sa.Column('project_id', sa.String(length=255), nullable=True),
        sa.Column('user_id', sa.String(length=255), nullable=True),
        sa.Column('migration_type', sa.String(length=32), nullable=False),
        sa.Column('status', sa.String(length=32), nullable=False),
        sa.Column('source_compute', sa.String(length=255), nullable=True),
        sa.Column('source_node', sa.String(length=255), nullable=True),
        sa.Column('dest_compute', sa.String(length=255), nullable=True),
        sa.Column('dest_node', sa.String(length=255), nullable=True),
        sa.Column('old_flavor_id', sa.Integer(), nullable=True),
        sa.Column('new_flavor_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.Column('deleted_at', sa.DateTime(), nullable=True),
        sa.Column('deleted', sa.Integer(), server_default='0', nullable=False),
        sa.UniqueConstraint('uuid', name=op.f('uq_migrations_uuid')))
    op.create_index('ix_migrations_instance_uuid', 'migrations', ['instance_uuid'])
    op.create_index('ix_migrations_source_compute_status', 'migrations',
                    ['source_compute', 'status'])


def downgrade():
    op.drop_index('ix_migrations_source_compute_status', table_name='migrations')
    op.drop_index('ix_migrations_instance_uuid', table_name='migrations')
    op.drop_table('migrations')
