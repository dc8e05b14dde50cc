"""volume user messages

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('volume_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('request_id', sa.String(length=255), nullable=True),
    sa.Column('resource_type', sa.String(length=64), nullable=True),
    sa.Column('resource_uuid', sa.String(length=36), nullable=True),
    sa.Column('event_id', sa.String(length=255), nullable=False),
    sa.Column('action_id', sa.String(length=10), nullable=True),
    sa.Column('detail_id', sa.String(length=10), nullable=True),
    sa.Column('message_level', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volume_messages')),
    sa.UniqueConstraint('uuid', name=op.f('uq_volume_messages_uuid'))
    )
    with op.batch_alter_table('volume_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_volume_messages_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_volume_messages_project_id'), ['project_id'], unique=False)


def downgrade():
    with op.batch_alter_table('volume_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_volume_messages_project_id'))
        batch_op.drop_index(batch_op.f('ix_volume_messages_expires_at'))

    op.drop_table('volume_messages')
