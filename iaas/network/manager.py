"""The iaas-network RPC endpoint: allocates instances' ports and keeps this
host's side (bridges, segments, dnsmasq, iptables) equal to the database.

Every change ends in :meth:`NetworkManager.sync`, which rebuilds the whole
host-side state from the DB idempotently; so a restart, a fanout
``refresh`` after an API change, and the periodic task all converge to the
same links and rules, without duplicates. With ``[network] netns`` all of
it happens inside that network namespace.
"""
import ipaddress
import logging
import os
import threading

from iaas import manager, rpc
from iaas.conductor import rpcapi as conductor_rpcapi
from iaas.conf import CONF
from iaas.context import get_admin_context
from iaas.network import dhcp, firewall, linux_net, rpcapi
from iaas.network import metadata_proxy as metadata_proxy_mod

LOG = logging.getLogger(__name__)

class NetworkManager(manager.Manager):
    service_name = 'iaas-network'
    # holds no database credentials: state through the conductor, as a network host
    conductor_role = 'network'

    def __init__(self, host, net=None, metadata_proxy=None):
        super().__init__(host)
        self.net = net or linux_net.LinuxNet(CONF.network.netns)
        self.dhcp = dhcp.Dnsmasq(os.path.join(CONF.state_path, 'networks', host), self.net,
                                 binary=CONF.network.dnsmasq,
                                 lease_time=CONF.network.dhcp_lease_time,
                                 domain=CONF.network.dns_domain,
                                 user=CONF.network.dnsmasq_user)
        self.conductor = conductor_rpcapi.ConductorAPI(self.conductor_role, host)
        self._sync_lock = threading.Lock()
        self.last_rules = None
        self._fw_memo = {}         # what firewall.apply loaded last (skips no-op reloads)
        self._fip_targets = {}     # floating address -> fixed address, as applied
        # Host-side work only inside a configured namespace, or in our own
        # when the operator asked for it.
        self.host_side = bool(CONF.network.netns) or CONF.network.manage_host_networking
        # 169.254.169.254 of each served bridge lands on its own socket of
        # this proxy, which tells the metadata server the network.
        self.metadata_proxy = metadata_proxy
        if self.metadata_proxy is None and self.host_side and CONF.network.serve_gateway:
            self.metadata_proxy = metadata_proxy_mod.MetadataProxy(
                (CONF.network.metadata_host, CONF.api.metadata_port),
                CONF.metadata.proxy_port, netns=CONF.network.netns,
                secret=CONF.metadata.proxy_shared_secret,
                timeout=CONF.metadata.proxy_timeout,
                max_connections=CONF.metadata.proxy_max_connections)

    # -- lifecycle ------------------------------------------------------------
    def init_host(self):
        if not self.host_side:
            LOG.warning('iaas-network: no [network] netns and manage_host_networking is '
                        'off: allocating addresses only, no bridges/dnsmasq/iptables')
            return
        for key in ('net.ipv4.ip_forward', 'net.bridge.bridge-nf-call-iptables'):
            try:
                self.net.sysctl(key, 1)
            except linux_net.CommandError as exc:
                LOG.warning('%s', exc)
        self.sync()

    def cleanup_host(self):
        if self.metadata_proxy is not None:
            self.metadata_proxy.close()
        self.net.close()

    @manager.periodic_task(spacing=lambda: CONF.network.sync_interval)
    def periodic_sync(self, context):
        self.sync(context)

    # -- RPC ------------------------------------------------------------------
    @rpc.expose
    def refresh(self, context):
        self.sync(context)

    @rpc.expose
    def allocate_for_instance(self, context, instance_uuid, project_id=None,
                              requested_networks=None, security_groups=None, host=None):
        """Make (or re-bind, after a reschedule) the instance's ports, bound to
        compute ``host`` (default: this host); returns its network_info."""
        self.conductor.ports_allocate(context, instance_uuid, project_id, requested_networks,
                                      security_groups, host or self.host)
        self.sync(context)
        self._tell_others(context)
        return self.get_instance_nw_info(context, instance_uuid)

    @rpc.expose
    def deallocate_for_instance(self, context, instance_uuid):
        gone = self.conductor.ports_deallocate(context, instance_uuid)
        self.sync(context)
        self._tell_others(context)
        return gone

    @rpc.expose
    def get_instance_nw_info(self, context, instance_uuid):
        """One VIF per port, Nova-style (``id``, ``address``, ``devname``,
        ``network: {id, bridge, label, mtu, subnets: [{cidr, gateway, netmask,
        dns, dhcp, ips: [{address}]}]}``) plus flat keys (``port_id``, ``mac``,
        ``ips``, ``bridge``, ``network_id``, ``gateway``, ``cidr``, …)."""
        dhcp_on = CONF.network.network_manager != 'flat'
        return [vif(x['port'], x['network'], x['subnets'], dhcp_on)
                for x in self.conductor.ports_of_instance(context, instance_uuid)]

    def _tell_others(self, context):
        """Other hosts serve the same networks (gateway, DHCP entries, remote
        group members): have every host resync."""
        try:
            rpcapi.NetworkAPI().refresh(context)
        except Exception:
            LOG.warning('could not ask the other network hosts to refresh', exc_info=True)

    # -- host-side state --------------------------------------------------------
    def sync(self, context=None):
        """Make this host's bridges, segments, dnsmasq and iptables match the
        DB (read through the conductor)."""
        if not self.host_side:
            return
        context = context or get_admin_context()
        with self._sync_lock:
            state = self.conductor.network_host_state(context, self.host)
            self._sync_locked(context, state)

    def _served(self, state):
        local_nets = {p['network_id'] for p in state['ports']}
        if CONF.network.serve_gateway:
            return state['networks']
        return [n for n in state['networks'] if n['id'] in local_nets]

    def _sync_locked(self, context, state):
        cfg = CONF.network
        served = self._served(state)
        self._ensure_public_bridge()
        wanted_bridges, wanted_segments = set(), set()
        for n in served:
            br = n['bridge']
            self.net.ensure_bridge(br, n['mtu'])
            wanted_bridges.add(br)
            seg = self._ensure_segment(n)
            if seg:
                wanted_segments.add(seg)
            if cfg.serve_gateway:
                for s in n['subnets']:
                    if s['gateway_ip'] and ipaddress.ip_network(s['cidr']).version == 4:
                        self.net.ensure_address(
                            br, s['gateway_ip'], ipaddress.ip_network(s['cidr']).prefixlen)
        self._remove_stale_links(wanted_bridges, wanted_segments)
        if self.metadata_proxy is not None:
            self.metadata_proxy.sync({n['bridge']: (n['id'], self.net.index(n['bridge']))
                                      for n in served} if cfg.serve_gateway else {})
        self._sync_dhcp(context, served)
        fw = self._firewall_state(state, served)
        self.last_rules = firewall.apply(lambda argv, input=None: self.net.run(argv, input),
                                         fw, self._fw_memo)
        self._sync_floating_addresses(state)
        self._forget_moved_flows(fw['floating_ips'])

    def _forget_moved_flows(self, floating_ips):
        """Drop the connection-tracking entries of floating IPs that moved or
        went away, so even an ongoing flow (a running ping) stops reaching the
        old guest at once. Needs the ``conntrack`` tool; without it old flows
        live until they time out."""
        now = {f['address']: f['fixed_ip_address'] for f in floating_ips}
        for addr, fixed in self._fip_targets.items():
            if now.get(addr) != fixed:
                for argv in (['conntrack', '-D', '-d', addr], ['conntrack', '-D', '-s', addr]):
                    try:
                        self.net.run(argv, check=False)
                    except OSError:
                        LOG.info('conntrack tool not available: old flows of %s remain', addr)
        self._fip_targets = now

    def _ensure_segment(self, n):
        cfg = CONF.network
        if n['segment_type'] == 'vxlan':
            return self.net.ensure_vxlan(n['segment_id'], n['bridge'],
                                         local_ip=cfg.vxlan_local_ip, port=cfg.vxlan_port,
                                         dev=cfg.vxlan_device, peers=cfg.vxlan_peers,
                                         mtu=n['mtu'])
        if n['segment_type'] == 'vlan':
            parent = n['physical_interface'] or cfg.physical_interface
            return self.net.ensure_vlan(parent, n['segment_id'], n['bridge'])
        if n['physical_interface']:
            self.net.enslave(n['physical_interface'], n['bridge'])
        return None

    def _remove_stale_links(self, bridges, segments):
        prefix = CONF.network.bridge_prefix
        for name, kind in self.net.links().items():
            stale_bridge = kind == 'bridge' and name.startswith(prefix) and name not in bridges
            stale_seg = kind == 'vxlan' and name.startswith('vxlan-') and name not in segments
            if stale_bridge or stale_seg:
                LOG.info('removing stale link %s', name)
                self.net.delete_link(name)

    def _sync_dhcp(self, context, served):
        keep = set()
        if CONF.network.network_manager != 'flat' and CONF.network.serve_gateway:
            for n in served:
                sub = next((s for s in n['subnets'] if s['enable_dhcp'] and
                            ipaddress.ip_network(s['cidr']).version == 4), None)
                if sub is None:
                    continue
                keep.add(n['id'])
                # a router's interface holds the gateway address: no lease for it
                self.dhcp.ensure(n, n['bridge'], sub, [
                    p for p in n['ports'] if p['ips'] and
                    not p['device_owner'].startswith('network:router')])
                self.conductor.fixed_ips_leased(context, n['id'],
                                                sorted(self.dhcp.leases(n['id'])))
        for nid in self.dhcp.running():
            if nid not in keep:
                self.dhcp.stop(nid)

    def _firewall_state(self, state, served):
        cfg = CONF.network
        ports = [dict(p, devname=devname(p['id'])) for p in state['ports']]
        fw = {'ports': ports, 'groups': state['groups'], 'isolate': [],
              'floating_ips': [], 'snat': [], 'metadata': None, 'ipsets': cfg.use_ipset}
        if cfg.network_manager == 'segmented':
            for i, a in enumerate(served):
                for b in served[i + 1:]:
                    if a['project_id'] != b['project_id']:
                        fw['isolate'].append((a['bridge'], b['bridge']))
        if not cfg.serve_gateway:
            return fw
        # to the per-network proxy (its socket on that bridge names the network)
        fw['metadata'] = {'bridges': [n['bridge'] for n in served], 'host': None,
                          'port': CONF.metadata.proxy_port}
        served_ids = {n['id'] for n in served}
        fw['floating_ips'] = [f for f in state['floating_ips']
                              if f['network_id'] in served_ids and f['fixed_ip_address']]
        public = self._public_address()
        if cfg.public_bridge_address and cfg.outbound_nat:
            # the public range lives on this host only: out through the
            # host's other interfaces, project traffic takes their address
            fw['masquerade'] = {
                'keep': [cfg.public_interface, cfg.bridge_prefix + '+'],
                'sources': [s['cidr'] for n in served for s in n['subnets']
                            if ipaddress.ip_network(s['cidr']).version == 4]}
        if public and cfg.outbound_nat:
            for n in served:
                for s in n['subnets']:
                    if ipaddress.ip_network(s['cidr']).version == 4:
                        fw['snat'].append({'cidr': s['cidr'],
                                           'out_interface': cfg.public_interface,
                                           'to_source': public})
        return fw

    def _ensure_public_bridge(self):
        """public_interface as a bridge of this host holding
        public_bridge_address, when that option is set."""
        cfg = CONF.network
        if not (cfg.public_bridge_address and cfg.public_interface and cfg.serve_gateway):
            return
        iface = ipaddress.ip_interface(cfg.public_bridge_address)
        self.net.ensure_bridge(cfg.public_interface)
        self.net.ensure_address(cfg.public_interface, str(iface.ip),
                                iface.network.prefixlen)

    def _public_address(self):
        iface = CONF.network.public_interface
        if not iface:
            return None
        addrs = [a for a, plen in self.net.addresses(iface) if plen != 32]
        return addrs[0] if addrs else None

    def _sync_floating_addresses(self, state):
        iface = CONF.network.public_interface
        if not iface or not CONF.network.serve_gateway or self.net.index(iface) is None:
            return
        served = {n['id'] for n in self._served(state)}
        wanted = {f['address'] for f in state['floating_ips'] if f['network_id'] in served}
        have = {a for a, plen in self.net.addresses(iface) if plen == 32}
        for a in sorted(wanted - have):
            self.net.ensure_address(iface, a, 32)
        for a in sorted(have - wanted):
            self.net.delete_address(iface, a, 32)


def vif(p, n, subnets, dhcp_on):
    """The Nova-style VIF of port ``p`` on network ``n`` with its ``subnets``."""
    vsubs = []
    for s in subnets:
        ips = [x['ip_address'] for x in p['fixed_ips'] if x['subnet_id'] == s['id']]
        if not ips:
            continue
        cidr = ipaddress.ip_network(s['cidr'])
        vsubs.append({'cidr': s['cidr'], 'gateway': s['gateway_ip'],
                      'netmask': str(cidr.netmask), 'dns': s['dns_nameservers'],
                      'dhcp': bool(s['enable_dhcp'] and dhcp_on),
                      'ips': [{'address': a} for a in ips]})
    first = vsubs[0] if vsubs else {}
    return {'id': p['id'], 'address': p['mac_address'], 'devname': devname(p['id']),
            'type': 'bridge', 'mtu': n['mtu'],
            'network': {'id': n['id'], 'bridge': n['bridge'], 'label': n['name'],
                        'mtu': n['mtu'], 'subnets': vsubs},
            'port_id': p['id'], 'mac': p['mac_address'],
            'ips': [x['ip_address'] for x in p['fixed_ips']],
            'bridge': n['bridge'], 'network_id': n['id'], 'network_name': n['name'],
            'cidr': first.get('cidr'), 'netmask': first.get('netmask'),
            'gateway': first.get('gateway'), 'dns': first.get('dns', []),
            'dhcp': first.get('dhcp', False), 'segment_type': n['segment_type'],
            'segment_id': n['segment_id']}


def devname(port_id):
    """Host-side device name of a port (the guest's tap or veth)."""
    return ('tap' + port_id)[:14]
