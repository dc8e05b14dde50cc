"""Client side of the iaas-network RPC API: the only place naming its topic and methods.

Topics: ``network`` (any network host), ``network.<host>`` (one host), and
the ``network`` fanout (every host).
"""
from iaas import rpc
from iaas.conf import CONF

TOPIC = 'network'


class NetworkAPI(rpc.ClientAPI):
    TOPIC = TOPIC
    VERSION = '1.0'

    def allocate_for_instance(self, context, instance_uuid, host, project_id,
                              requested_networks=None, security_groups=None, timeout=None):
        """Call (deadline rpc_response_timeout): make the instance's ports on
        ``host`` and plug that host's side (bridge, segment, DHCP entry,
        firewall). ``requested_networks``: 'auto' | 'none' | None |
        [{'uuid': …} or {'port': …} or {'fixed_ip': …}]. Returns network_info:
        [{'port_id', 'mac', 'ips', 'bridge', 'network_id', 'network_name',
        'gateway', 'cidr', 'dns', 'mtu'}]."""
        cctx = self.client.prepare(server=host,
                                   timeout=timeout or CONF.rpc_response_timeout)
        return cctx.call(context, 'allocate_for_instance', instance_uuid=instance_uuid,
                         project_id=project_id, requested_networks=requested_networks,
                         security_groups=security_groups)

    def deallocate_for_instance(self, context, instance_uuid, host, timeout=None):
        """Call (deadline rpc_response_timeout): delete the instance's ports
        (fixed IPs released with the grace period, floating IPs disassociated)
        and unplug them on ``host``."""
        cctx = self.client.prepare(server=host,
                                   timeout=timeout or CONF.rpc_response_timeout)
        return cctx.call(context, 'deallocate_for_instance', instance_uuid=instance_uuid)

    def get_instance_nw_info(self, context, instance_uuid, host, timeout=None):
        """Call: the network_info of an instance's existing ports."""
        cctx = self.client.prepare(server=host,
                                   timeout=timeout or CONF.rpc_response_timeout)
        return cctx.call(context, 'get_instance_nw_info', instance_uuid=instance_uuid)

    def refresh(self, context):
        """Fanout cast: every network host re-applies its state from the DB."""
        self.client.prepare(fanout=True).cast(context, 'refresh')
