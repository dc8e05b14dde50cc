"""volume groups, group types, group snapshots

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def _common():
    """id, uuid and the timestamp / soft-delete columns of every table here."""
    return [sa.Column('id', sa.Integer(), nullable=False),
            sa.Column('uuid', sa.String(length=36), nullable=False),
            sa.Column('created_at', sa.DateTime(), nullable=False),
            sa.Column('updated_at', sa.DateTime(), nullable=True),
            sa.Column('deleted_at', sa.DateTime(), nullable=True),
            sa.Column('deleted', sa.Integer(), server_default='0', nullable=False)]


def _keys(table):
    return [sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{table}')),
            sa.UniqueConstraint('uuid', name=op.f(f'uq_{table}_uuid'))]


def upgrade():
    op.create_table(
        'group_types', *_common(),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('is_public', sa.Boolean(), nullable=False),
        sa.Column('group_specs', sa.JSON(), nullable=False),
        *_keys('group_types'),
        sa.UniqueConstraint('name', 'deleted', name=op.f('uq_group_types_name_deleted')))
    op.create_table(
        'volume_groups', *_common(),
        sa.Column('project_id', sa.String(length=255), nullable=False),
        sa.Column('user_id', sa.String(length=255), nullable=False),
        sa.Column('availability_zone', sa.String(length=255), nullable=False),
        sa.Column('group_type_id', sa.String(length=36), nullable=False),
        sa.Column('volume_type_ids', sa.JSON(), nullable=False),
        sa.Column('display_name', sa.String(length=255), nullable=True),
        sa.Column('display_description', sa.Text(), nullable=True),
        sa.Column('status', sa.String(length=64), nullable=False),
        sa.Column('status_changed_at', sa.DateTime(), nullable=True),
        sa.Column('group_snapshot_id', sa.String(length=36), nullable=True),
        sa.Column('source_group_id', sa.String(length=36), nullable=True),
        *_keys('volume_groups'))
    op.create_index(op.f('ix_volume_groups_project_id_deleted'), 'volume_groups',
                    ['project_id', 'deleted'], unique=False)
    op.create_table(
        'group_snapshots', *_common(),
        sa.Column('project_id', sa.String(length=255), nullable=False),
        sa.Column('user_id', sa.String(length=255), nullable=False),
        sa.Column('group_id', sa.String(length=36), nullable=False),
        sa.Column('group_type_id', sa.String(length=36), nullable=False),
        sa.Column('display_name', sa.String(length=255), nullable=True),
        sa.Column('display_description', sa.Text(), nullable=True),
        sa.Column('status', sa.String(length=64), nullable=False),
        sa.Column('status_changed_at', sa.DateTime(), nullable=True),
        *_keys('group_snapshots'))
    op.create_index(op.f('ix_group_snapshots_project_id_deleted'), 'group_snapshots',
                    ['project_id', 'deleted'], unique=False)
    op.create_index(op.f('ix_group_snapshots_group_id_deleted'), 'group_snapshots',
                    ['group_id', 'deleted'], unique=False)
    with op.batch_alter_table('volumes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_id', sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f('ix_volumes_group_id'), ['group_id'], unique=False)
    with op.batch_alter_table('volume_snapshots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_snapshot_id', sa.String(length=36),
                                      nullable=True))
        batch_op.create_index(batch_op.f('ix_volume_snapshots_group_snapshot_id'),
                              ['group_snapshot_id'], unique=False)


def downgrade():
    with op.batch_alter_table('volume_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_volume_snapshots_group_snapshot_id'))
        batch_op.drop_column('group_snapshot_id')
    with op.batch_alter_table('volumes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_volumes_group_id'))
        batch_op.drop_column('group_id')
    for table in ('group_snapshots', 'volume_groups', 'group_types'):
        op.drop_table(table)
