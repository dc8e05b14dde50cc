"""volumes: types, volumes, snapshots, attachments, backups, backends

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('volume_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('volume_id', sa.String(length=36), nullable=False),
    sa.Column('instance_uuid', sa.String(length=36), nullable=True),
    sa.Column('attached_host', sa.String(length=255), nullable=True),
    sa.Column('mountpoint', sa.String(length=255), nullable=True),
    sa.Column('attach_status', sa.String(length=64), nullable=False),
    sa.Column('attach_mode', sa.String(length=8), nullable=False),
    sa.Column('connector', sa.JSON(), nullable=True),
    sa.Column('connection_info', sa.JSON(), nullable=True),
    sa.Column('delete_on_termination', sa.Boolean(), nullable=False),
    sa.Column('boot_index', sa.Integer(), nullable=True),
    sa.Column('attach_time', sa.DateTime(), nullable=True),
    sa.Column('detach_time', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('deleted', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volume_attachments')),
    sa.UniqueConstraint('uuid', name=op.f('uq_volume_attachments_uuid'))
    )
    with op.batch_alter_table('volume_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_volume_attachments_instance_uuid_deleted'), ['instance_uuid', 'deleted'], unique=False)
        batch_op.create_index(batch_op.f('ix_volume_attachments_volume_id_deleted'), ['volume_id', 'deleted'], unique=False)

    op.create_table('volume_backends',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('backend_name', sa.String(length=255), nullable=False),
    sa.Column('driver', sa.String(length=64), nullable=False),
    sa.Column('protocol', sa.String(length=64), nullable=False),
    sa.Column('availability_zone', sa.String(length=255), nullable=False),
    sa.Column('total_gb', sa.Float(), nullable=False),
    sa.Column('free_gb', sa.Float(), nullable=False),
    sa.Column('provisioned_gb', sa.Float(), nullable=False),
    sa.Column('thin', sa.Boolean(), nullable=False),
    sa.Column('max_over_subscription_ratio', sa.Float(), nullable=False),
    sa.Column('reserved_percentage', sa.Integer(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('deleted', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volume_backends')),
    sa.UniqueConstraint('host', 'backend_name', 'deleted', name=op.f('uq_volume_backends_host_backend_name_deleted'))
    )
    op.create_table('volume_backups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('volume_id', sa.String(length=36), nullable=False),
    sa.Column('snapshot_id', sa.String(length=36), nullable=True),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=True),
    sa.Column('availability_zone', sa.String(length=255), nullable=True),
    sa.Column('status', sa.String(length=64), nullable=False),
    sa.Column('status_changed_at', sa.DateTime(), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('object_count', sa.Integer(), nullable=False),
    sa.Column('container', sa.String(length=255), nullable=True),
    sa.Column('manifest', sa.JSON(), nullable=True),
    sa.Column('display_name', sa.String(length=255), nullable=True),
    sa.Column('display_description', sa.Text(), nullable=True),
    sa.Column('is_incremental', sa.Boolean(), nullable=False),
    sa.Column('parent_id', sa.String(length=36), nullable=True),
    sa.Column('restore_volume_id', sa.String(length=36), nullable=True),
    sa.Column('data_timestamp', sa.DateTime(), nullable=True),
    sa.Column('fail_reason', sa.Text(), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('deleted', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volume_backups')),
    sa.UniqueConstraint('uuid', name=op.f('uq_volume_backups_uuid'))
    )
    with op.batch_alter_table('volume_backups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_volume_backups_project_id_deleted'), ['project_id', 'deleted'], unique=False)
        batch_op.create_index(batch_op.f('ix_volume_backups_volume_id_deleted'), ['volume_id', 'deleted'], unique=False)

    op.create_table('volume_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('volume_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=64), nullable=False),
    sa.Column('status_changed_at', sa.DateTime(), nullable=True),
    sa.Column('progress', sa.String(length=8), nullable=False),
    sa.Column('volume_size', sa.BigInteger(), nullable=False),
    sa.Column('display_name', sa.String(length=255), nullable=True),
    sa.Column('display_description', sa.Text(), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('provider_location', sa.Text(), nullable=True),
    sa.Column('fault', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('deleted', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volume_snapshots')),
    sa.UniqueConstraint('uuid', name=op.f('uq_volume_snapshots_uuid'))
    )
    with op.batch_alter_table('volume_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_volume_snapshots_project_id_deleted'), ['project_id', 'deleted'], unique=False)
        batch_op.create_index(batch_op.f('ix_volume_snapshots_volume_id_deleted'), ['volume_id', 'deleted'], unique=False)

    op.create_table('volume_types',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('extra_specs', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('deleted', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volume_types')),
    sa.UniqueConstraint('name', 'deleted', name=op.f('uq_volume_types_name_deleted')),
    sa.UniqueConstraint('uuid', name=op.f('uq_volume_types_uuid'))
    )
    op.create_table('volumes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=True),
    sa.Column('availability_zone', sa.String(length=255), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('previous_size', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=64), nullable=False),
    sa.Column('previous_status', sa.String(length=64), nullable=True),
    sa.Column('status_changed_at', sa.DateTime(), nullable=True),
    sa.Column('attach_status', sa.String(length=64), nullable=False),
    sa.Column('migration_status', sa.String(length=64), nullable=True),
    sa.Column('display_name', sa.String(length=255), nullable=True),
    sa.Column('display_description', sa.Text(), nullable=True),
    sa.Column('volume_type_id', sa.String(length=36), nullable=True),
    sa.Column('snapshot_id', sa.String(length=36), nullable=True),
    sa.Column('source_volid', sa.String(length=36), nullable=True),
    sa.Column('image_id', sa.String(length=36), nullable=True),
    sa.Column('backup_id', sa.String(length=36), nullable=True),
    sa.Column('bootable', sa.Boolean(), nullable=False),
    sa.Column('multiattach', sa.Boolean(), nullable=False),
    sa.Column('provider_location', sa.Text(), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('image_metadata', sa.JSON(), nullable=False),
    sa.Column('fault', sa.Text(), nullable=True),
    sa.Column('launched_at', sa.DateTime(), nullable=True),
    sa.Column('terminated_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('deleted', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volumes')),
    sa.UniqueConstraint('uuid', name=op.f('uq_volumes_uuid'))
    )
    with op.batch_alter_table('volumes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_volumes_host_deleted'), ['host', 'deleted'], unique=False)
        batch_op.create_index(batch_op.f('ix_volumes_project_id_deleted'), ['project_id', 'deleted'], unique=False)

    op.create_table('volume_type_projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('type_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['type_id'], ['volume_types.id'], name=op.f('fk_volume_type_projects_type_id_volume_types'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volume_type_projects')),
    sa.UniqueConstraint('type_id', 'project_id', name=op.f('uq_volume_type_projects_type_id_project_id'))
    )


def downgrade():
    # Whole tables only (MariaDB refuses to drop an index a foreign key uses).
    for table in ('volume_type_projects', 'volumes', 'volume_types', 'volume_snapshots',
                  'volume_backups', 'volume_backends', 'volume_attachments'):
        op.drop_table(table)
