"""[network] options: IPAM, the network manager and its host-side work."""
from oslo_config import cfg

network_group = cfg.OptGroup('network', title='Network options',
                             help='Project networks, fixed and floating IPs, security '
                                  'groups and the host-side work of iaas-network.')

network_opts = [
    cfg.StrOpt('network_manager', default='flat_dhcp',
               choices=['flat', 'flat_dhcp', 'segmented'],
               help='"flat": guests join a given bridge and get their address through '
                    'the config drive (no DHCP); "flat_dhcp": the same bridge plus one '
                    'dnsmasq per network with a host entry per port; "segmented": a '
                    'network and bridge per project, isolated from other projects, '
                    'carried between hosts on a VLAN or VXLAN segment.'),
    cfg.StrOpt('segment_type', default='vxlan', choices=['vlan', 'vxlan'],
               help='Segment type of new project networks with the segmented manager.'),
    cfg.StrOpt('segment_range', default='100:4000',
               help='MIN:MAX segment ids (VLAN tags or VXLAN VNIs) handed to new '
                    'project networks.'),
    cfg.StrOpt('physical_interface', default=None,
               help='Interface VLAN sub-interfaces are made on (segment type vlan) or '
                    'added to the bridge of flat networks.'),
    cfg.StrOpt('vxlan_local_ip', default=None,
               help='This host\'s underlay address for VXLAN segments.'),
    cfg.ListOpt('vxlan_peers', default=[],
                help='Underlay addresses of the other hosts; each VXLAN segment floods '
                     'unknown traffic to all of them (static head-end replication).'),
    cfg.StrOpt('vxlan_device', default=None,
               help='Underlay device for VXLAN (optional).'),
    cfg.IntOpt('vxlan_port', default=4789, min=1, max=65535,
               help='UDP port of VXLAN segments.'),
    cfg.StrOpt('bridge_prefix', default='brq',
               help='Prefix of the Linux bridge made for a network (bridge names hold '
                    'at most 15 characters; the rest is the network id).'),
    cfg.StrOpt('netns', default=None,
               help='Name of an existing network namespace iaas-network does all its '
                    'host-side work in (bridges, dnsmasq, iptables). Default: the '
                    'namespace the daemon runs in.'),
    cfg.BoolOpt('multi_host', default=False,
                help='Every compute host runs its own iaas-network: allocations go to '
                     'the network service of the instance\'s host (topic '
                     'network.<host>), which plugs its side before answering. Off: any '
                     'network host answers and the others follow its refresh.'),
    cfg.BoolOpt('manage_host_networking', default=False,
                help='Let iaas-network change this host\'s own network namespace '
                     '(bridges, dnsmasq, iptables, ip_forward) when no netns is set. '
                     'Off by default, so an all-in-one process never rewrites the '
                     'firewall of the machine it runs on by surprise; with netns set, '
                     'host-side work always happens inside that namespace. With neither, '
                     'iaas-network only allocates addresses (IPAM).'),
    cfg.BoolOpt('serve_gateway', default=True,
                help='Put each network\'s gateway address on its bridge here and run '
                     'its dnsmasq. Set false on hosts that only carry the segment to '
                     'their guests (one gateway host per network).'),
    cfg.StrOpt('public_interface', default=None,
               help='Interface holding floating IP addresses (added as /32); outbound '
                    'NAT of project networks goes out through it.'),
    cfg.BoolOpt('outbound_nat', default=True,
                help='SNAT traffic of project networks leaving through '
                     'public_interface to its first address.'),
    cfg.StrOpt('public_bridge_address', default=None,
               help='ADDRESS/PREFIX (e.g. 172.24.4.1/24): public_interface is a bridge '
                    'of this host alone holding this address, the gateway of an external '
                    'network whose range exists only here (devstack\'s br-ex; the '
                    'all-in-one\'s br-iaas). iaas-network makes the bridge if it is '
                    'missing and puts the address on it, so floating IPs of the range '
                    'answer from this host itself; and with outbound_nat, traffic of '
                    'project networks leaving through any other interface (the host\'s '
                    'default route) is masqueraded to that interface\'s address, in a '
                    'chain of ours (iaas-masquerade), ahead of the floating IP rules. '
                    'Unset: public_interface is an existing uplink.'),
    cfg.BoolOpt('create_default_networks', default=False,
                help='On first start, iaas-all creates devstack\'s layout for the admin '
                     'project: the external network "public" on public_interface with '
                     'the range of public_bridge_address (the host holds its gateway), '
                     'the network "private" with a DHCP subnet default_private_cidr, '
                     'the router "router1" (gateway on public, interface on private) '
                     'and ingress ICMP and TCP 22 in the admin project\'s default '
                     'security group. Once: a marker file in state_path '
                     '(default-networks-created) keeps a later start from making again '
                     'what an operator deleted. Nothing is made when a range overlaps '
                     'an address or route the host already has.'),
    cfg.StrOpt('default_private_cidr', default='10.90.0.0/24',
               help='Range of the "private" network create_default_networks makes; its '
                    'first address is the gateway, held by this host.'),
    cfg.StrOpt('metadata_host', default='127.0.0.1',
               help='Address of the metadata server the per-network metadata proxy of '
                    'iaas-network forwards 169.254.169.254:80 to (its port is [api] '
                    'metadata_port).'),
    cfg.IntOpt('max_fixed_ips_per_port', default=5, min=1,
               help='Most fixed IPs a port may request (Neutron\'s default: 5); more '
                    'is refused (400) before any work.'),
    cfg.IntOpt('max_dns_nameservers', default=5, min=0,
               help='Most DNS name servers of a subnet (Neutron\'s default: 5).'),
    cfg.IntOpt('max_subnet_host_routes', default=20, min=0,
               help='Most host routes of a subnet (Neutron\'s default: 20).'),
    cfg.IntOpt('fixed_ip_release_grace', default=60, min=0,
               help='Seconds a released fixed IP stays out of use, so a late packet or '
                    'a stale lease never reaches the next owner.'),
    cfg.BoolOpt('use_ipset', default=True,
                help='Match a security group rule\'s remote group with one ipset '
                     '(hash:ip, refilled atomically) instead of one iptables rule per '
                     'member address; falls back to per-address rules when the ipset '
                     'tool does not work here.'),
    cfg.StrOpt('dnsmasq', default='dnsmasq', help='dnsmasq binary.'),
    cfg.StrOpt('dnsmasq_user', default=None,
               help='User dnsmasq runs as (its --user); default: dnsmasq\'s own '
                    '("nobody"), which must be able to read files under state_path.'),
    cfg.IntOpt('dhcp_lease_time', default=86400, min=120,
               help='DHCP lease time in seconds.'),
    cfg.StrOpt('dns_domain', default='novalocal', help='DHCP domain of guests.'),
    cfg.IntOpt('sync_interval', default=30, min=1,
               help='Seconds between two full rebuilds of this host\'s state from the '
                    'database (changes are also applied at once when made).'),
]


def register_opts(conf):
    conf.register_group(network_group)
    conf.register_opts(network_opts, group=network_group)


def list_opts():
    return {network_group: network_opts}
