"""volume type encryption specs (Cinder's encryption table)

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'volume_type_encryption',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('encryption_id', sa.String(length=36), nullable=False),
        sa.Column('volume_type_id', sa.String(length=36), nullable=False),
        sa.Column('provider', sa.String(length=255), nullable=False),
        sa.Column('cipher', sa.String(length=255), nullable=True),
        sa.Column('key_size', sa.Integer(), nullable=True),
        sa.Column('control_location', sa.String(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.Column('deleted_at', sa.DateTime(), nullable=True),
        sa.Column('deleted', sa.Integer(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_volume_type_encryption')),
        sa.UniqueConstraint('encryption_id',
                            name=op.f('uq_volume_type_encryption_encryption_id')),
        sa.UniqueConstraint('volume_type_id', 'deleted',
                            name=op.f('uq_volume_type_encryption_volume_type_id_deleted')))


def downgrade():
    op.drop_table('volume_type_encryption')
