"""server groups

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'instance_groups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uuid', sa.String(length=36), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('project_id', sa.String(length=255), nullable=False),
        sa.Column('user_id', sa.String(length=255), nullable=False),
        sa.Column('policy', sa.String(length=64), nullable=False),
        sa.Column('rules', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.Column('deleted_at', sa.DateTime(), nullable=True),
        sa.Column('deleted', sa.Integer(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_instance_groups')),
        sa.UniqueConstraint('uuid', name=op.f('uq_instance_groups_uuid')))
    op.create_index(op.f('ix_instance_groups_project_id'), 'instance_groups',
                    ['project_id'], unique=False)
    op.create_table(
        'instance_group_members',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('instance_uuid', sa.String(length=36), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['group_id'], ['instance_groups.id'],
                                name=op.f('fk_instance_group_members_group_id_instance_groups'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_instance_group_members')),
        sa.UniqueConstraint('group_id', 'instance_uuid',
                            name=op.f('uq_instance_group_members_group_id_instance_uuid')))
    op.create_index(op.f('ix_instance_group_members_group_id'), 'instance_group_members',
                    ['group_id'], unique=False)
    op.create_index(op.f('ix_instance_group_members_instance_uuid'),
                    'instance_group_members', ['instance_uuid'], unique=False)


def downgrade():
    op.drop_table('instance_group_members')
    op.drop_table('instance_groups')
