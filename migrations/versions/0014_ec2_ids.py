"""EC2 ids mapped to UUIDs, EC2 tags

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'ec2_ids',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ec2_id', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('uuid', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('ec2_id'),
        sa.UniqueConstraint('kind', 'uuid', name='uniq_ec2_ids0kind0uuid'),
    )
    op.create_table(
        'ec2_tags',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.String(length=255), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('uuid', sa.String(length=64), nullable=False),
        sa.Column('key', sa.String(length=128), nullable=False),
        sa.Column('value', sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kind', 'uuid', 'key', name='uniq_ec2_tags0kind0uuid0key'),
    )
    op.create_index('ix_ec2_tags_project_id', 'ec2_tags', ['project_id'])


def downgrade():
    op.drop_table('ec2_tags')
    op.drop_table('ec2_ids')
