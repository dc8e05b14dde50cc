"""routers

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'routers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uuid', sa.String(length=36), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('description', sa.String(length=255), nullable=False),
        sa.Column('project_id', sa.String(length=255), nullable=True),
        sa.Column('admin_state_up', sa.Boolean(), nullable=False),
        sa.Column('gateway_network_id', sa.Integer(), nullable=True),
        sa.Column('enable_snat', sa.Boolean(), nullable=False),
        sa.Column('routes', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['gateway_network_id'], ['networks.id'],
                                name=op.f('fk_routers_gateway_network_id_networks'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_routers')),
        sa.UniqueConstraint('uuid', name=op.f('uq_routers_uuid')))
    with op.batch_alter_table('routers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_routers_project_id'), ['project_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_routers_gateway_network_id'),
                              ['gateway_network_id'], unique=False)


def downgrade():
    op.drop_table('routers')
