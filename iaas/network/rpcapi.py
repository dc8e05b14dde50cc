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

    def _target(self, host, timeout):
        """``network.<host>`` with ``[network] multi_host`` (every compute
        host runs iaas-network, which plugs its side before answering), else
        any network host (``network``)."""
        return self.client.prepare(server=host if CONF.network.multi_host else None,
                                   timeout=timeout or CONF.rpc_response_timeout)

    def allocate_for_instance(self, context, instance_uuid, host, project_id,
                              requested_networks=None, security_groups=None, timeout=None):
        """Call (deadline rpc_response_timeout): make the instance's ports,
        bound to compute ``host``, and have the network hosts apply them
        (bridge, segment, DHCP entry, firewall). ``requested_networks``:
        'auto' | 'none' | None | [{'uuid': …, 'fixed_ip': …} or {'port': …}];
        ``security_groups``: names or ids (None: the project's default).
        Returns network_info: one Nova-style VIF per port ({'id', 'address',
        'devname', 'network': {'id', 'bridge', 'subnets': […]}} + flat keys
        'port_id', 'mac', 'ips', 'bridge', 'gateway', 'cidr', 'dns', 'mtu')."""
        return self._target(host, timeout).call(
            context, 'allocate_for_instance', instance_uuid=instance_uuid, host=host,
            project_id=project_id, requested_networks=requested_networks,
            security_groups=security_groups)

    def deallocate_for_instance(self, context, instance_uuid, host, timeout=None):
        """Call (deadline rpc_response_timeout): delete the instance's ports
        (fixed IPs released with the grace period, floating IPs disassociated)
        and have the network hosts drop them."""
        return self._target(host, timeout).call(context, 'deallocate_for_instance',
                                                instance_uuid=instance_uuid)

    def get_instance_nw_info(self, context, instance_uuid, host, timeout=None):
        """Call: the network_info of an instance's existing ports."""
        return self._target(host, timeout).call(context, 'get_instance_nw_info',
                                                instance_uuid=instance_uuid)

    def refresh(self, context):
        """Fanout cast: every network host re-applies its state from the DB."""
        self.client.prepare(fanout=True).cast(context, 'refresh')
