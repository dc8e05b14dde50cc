"""volume QoS specs, volume_types.qos_specs_id

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'volume_qos_specs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uuid', sa.String(length=36), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('consumer', sa.String(length=32), nullable=False),
        sa.Column('specs', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.Column('deleted_at', sa.DateTime(), nullable=True),
        sa.Column('deleted', sa.Integer(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_volume_qos_specs')),
        sa.UniqueConstraint('name', 'deleted', name=op.f('uq_volume_qos_specs_name_deleted')),
        sa.UniqueConstraint('uuid', name=op.f('uq_volume_qos_specs_uuid')))
    with op.batch_alter_table('volume_types', schema=None) as batch_op:
        batch_op.add_column(sa.Column('qos_specs_id', sa.String(length=36), nullable=True))


def downgrade():
    with op.batch_alter_table('volume_types', schema=None) as batch_op:
        batch_op.drop_column('qos_specs_id')
    op.drop_table('volume_qos_specs')
