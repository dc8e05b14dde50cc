"""volume transfers and quota classes

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('volume_transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('volume_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('display_name', sa.String(length=255), nullable=True),
    sa.Column('salt', sa.String(length=64), nullable=False),
    sa.Column('crypt_hash', sa.String(length=128), nullable=False),
    sa.Column('no_snapshots', sa.Boolean(), nullable=False),
    sa.Column('destination_project_id', sa.String(length=255), nullable=True),
    sa.Column('accepted', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('deleted', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volume_transfers')),
    sa.UniqueConstraint('uuid', name=op.f('uq_volume_transfers_uuid'))
    )
    with op.batch_alter_table('volume_transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_volume_transfers_project_id_deleted'), ['project_id', 'deleted'], unique=False)
        batch_op.create_index(batch_op.f('ix_volume_transfers_volume_id_deleted'), ['volume_id', 'deleted'], unique=False)

    op.create_table('quota_classes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('class_name', sa.String(length=255), nullable=False),
    sa.Column('resource', sa.String(length=255), nullable=False),
    sa.Column('hard_limit', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quota_classes')),
    sa.UniqueConstraint('class_name', 'resource', name=op.f('uq_quota_classes_class_name_resource'))
    )


def downgrade():
    op.drop_table('quota_classes')
    with op.batch_alter_table('volume_transfers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_volume_transfers_volume_id_deleted'))
        batch_op.drop_index(batch_op.f('ix_volume_transfers_project_id_deleted'))

    op.drop_table('volume_transfers')
