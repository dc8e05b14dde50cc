"""networks

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('networks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=True),
    sa.Column('bridge', sa.String(length=15), nullable=True),
    sa.Column('segment_type', sa.String(length=16), nullable=False),
    sa.Column('segment_id', sa.Integer(), nullable=True),
    sa.Column('physical_interface', sa.String(length=15), nullable=True),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.Column('external', sa.Boolean(), nullable=False),
    sa.Column('admin_state_up', sa.Boolean(), nullable=False),
    sa.Column('mtu', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_networks')),
    sa.UniqueConstraint('segment_type', 'segment_id', name=op.f('uq_networks_segment_type_segment_id')),
    sa.UniqueConstraint('uuid', name=op.f('uq_networks_uuid'))
    )
    with op.batch_alter_table('networks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_networks_project_id'), ['project_id'], unique=False)

    op.create_table('security_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=True),
    sa.Column('default_for', sa.String(length=255), nullable=True),
    sa.Column('stateful', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_security_groups')),
    sa.UniqueConstraint('default_for', name=op.f('uq_security_groups_default_for')),
    sa.UniqueConstraint('uuid', name=op.f('uq_security_groups_uuid'))
    )
    with op.batch_alter_table('security_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_security_groups_project_id'), ['project_id'], unique=False)

    op.create_table('ports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=True),
    sa.Column('mac_address', sa.String(length=32), nullable=False),
    sa.Column('device_id', sa.String(length=255), nullable=False),
    sa.Column('device_owner', sa.String(length=255), nullable=False),
    sa.Column('binding_host', sa.String(length=255), nullable=True),
    sa.Column('admin_state_up', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('port_security_enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_ports_network_id_networks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ports')),
    sa.UniqueConstraint('mac_address', name=op.f('uq_ports_mac_address')),
    sa.UniqueConstraint('uuid', name=op.f('uq_ports_uuid'))
    )
    with op.batch_alter_table('ports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ports_device_id'), ['device_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ports_network_id'), ['network_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ports_project_id'), ['project_id'], unique=False)

    op.create_table('security_group_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('security_group_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=True),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('ethertype', sa.String(length=8), nullable=False),
    sa.Column('protocol', sa.String(length=16), nullable=True),
    sa.Column('port_range_min', sa.Integer(), nullable=True),
    sa.Column('port_range_max', sa.Integer(), nullable=True),
    sa.Column('remote_ip_prefix', sa.String(length=64), nullable=True),
    sa.Column('remote_group_uuid', sa.String(length=36), nullable=True),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['security_group_id'], ['security_groups.id'], name=op.f('fk_security_group_rules_security_group_id_security_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_security_group_rules')),
    sa.UniqueConstraint('uuid', name=op.f('uq_security_group_rules_uuid'))
    )
    with op.batch_alter_table('security_group_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_security_group_rules_security_group_id'), ['security_group_id'], unique=False)

    op.create_table('subnets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=True),
    sa.Column('ip_version', sa.Integer(), nullable=False),
    sa.Column('cidr', sa.String(length=64), nullable=False),
    sa.Column('gateway_ip', sa.String(length=64), nullable=True),
    sa.Column('dns_nameservers', sa.JSON(), nullable=False),
    sa.Column('allocation_pools', sa.JSON(), nullable=False),
    sa.Column('host_routes', sa.JSON(), nullable=False),
    sa.Column('enable_dhcp', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_subnets_network_id_networks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subnets')),
    sa.UniqueConstraint('uuid', name=op.f('uq_subnets_uuid'))
    )
    with op.batch_alter_table('subnets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subnets_network_id'), ['network_id'], unique=False)

    op.create_table('fixed_ips',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('subnet_id', sa.Integer(), nullable=False),
    sa.Column('port_id', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('leased', sa.Boolean(), nullable=False),
    sa.Column('released_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_fixed_ips_network_id_networks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['port_id'], ['ports.id'], name=op.f('fk_fixed_ips_port_id_ports'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['subnet_id'], ['subnets.id'], name=op.f('fk_fixed_ips_subnet_id_subnets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fixed_ips')),
    sa.UniqueConstraint('network_id', 'address', name=op.f('uq_fixed_ips_network_id_address'))
    )
    with op.batch_alter_table('fixed_ips', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fixed_ips_port_id'), ['port_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fixed_ips_subnet_id'), ['subnet_id'], unique=False)

    op.create_table('floating_ips',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('floating_network_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=True),
    sa.Column('port_id', sa.Integer(), nullable=True),
    sa.Column('fixed_ip_address', sa.String(length=64), nullable=True),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=True),
    sa.Column('extra', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['floating_network_id'], ['networks.id'], name=op.f('fk_floating_ips_floating_network_id_networks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['port_id'], ['ports.id'], name=op.f('fk_floating_ips_port_id_ports'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_floating_ips')),
    sa.UniqueConstraint('floating_network_id', 'address', name=op.f('uq_floating_ips_floating_network_id_address')),
    sa.UniqueConstraint('uuid', name=op.f('uq_floating_ips_uuid'))
    )
    with op.batch_alter_table('floating_ips', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_floating_ips_port_id'), ['port_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_floating_ips_project_id'), ['project_id'], unique=False)

    op.create_table('port_security_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('port_id', sa.Integer(), nullable=False),
    sa.Column('security_group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['port_id'], ['ports.id'], name=op.f('fk_port_security_groups_port_id_ports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['security_group_id'], ['security_groups.id'], name=op.f('fk_port_security_groups_security_group_id_security_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_port_security_groups')),
    sa.UniqueConstraint('port_id', 'security_group_id', name=op.f('uq_port_security_groups_port_id_security_group_id'))
    )
    with op.batch_alter_table('port_security_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_port_security_groups_port_id'), ['port_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_port_security_groups_security_group_id'), ['security_group_id'], unique=False)



def downgrade():
    # Whole tables only: MariaDB refuses to drop an index a foreign key uses.
    op.drop_table('port_security_groups')
    op.drop_table('floating_ips')
    op.drop_table('fixed_ips')
    op.drop_table('subnets')
    op.drop_table('security_group_rules')
    op.drop_table('ports')
    op.drop_table('security_groups')
    op.drop_table('networks')
