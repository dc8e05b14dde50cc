"""Links of one network namespace through pyroute2: bridges, addresses,
VXLAN and VLAN segments, veth pairs. Runs where the privileges are (the
net_admin context, see iaas.privileged.network.netlink); every method checks
its arguments (interface names, addresses, numbers) before touching the
kernel, and returns plain values that cross the privsep socket.

Every ``ensure_*`` is idempotent (safe to call on each sync).
"""
import ipaddress

from iaas.privileged import CommandError, Refused
from iaas.privileged.commands import check_ifname, check_netns

FLOOD = '00:00:00:00:00:00'


def _ip(value):
    try:
        return str(ipaddress.ip_address(value))
    except (TypeError, ValueError):
        raise Refused(f'address refused: {value!r}'[:200]) from None


def _int(value, lo, hi, what):
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise Refused(f'{what} refused: {value!r}'[:200]) from None
        if not lo <= value <= hi:
            raise Refused(f'{what} refused: {value!r}'[:200])
    return value


def vxlan_name(vni):
    return f'vxlan-{vni}'


def vlan_name(parent, vid):
    return f'{parent[:10]}.{vid}'


class Links:
    """The link operations of LinuxNet over one pyroute2 ``IPRoute``."""

    OPS = ('index', 'links', 'ensure_bridge', 'delete_link', 'enslave', 'addresses',
           'ensure_address', 'delete_address', 'ensure_vxlan', 'ensure_vlan', 'ensure_veth')

    def __init__(self, ipr):
        self.ipr = ipr

    def index(self, name):
        name = check_ifname(name)
        found = self.ipr.link_lookup(ifname=name)
        return found[0] if found else None

    def links(self):
        """{name: kind} of every link ('' for links without a kind)."""
        out = {}
        for link in self.ipr.get_links():
            info = link.get_attr('IFLA_LINKINFO')
            kind = info.get_attr('IFLA_INFO_KIND') if info else ''
            out[link.get_attr('IFLA_IFNAME')] = kind or ''
        return out

    def ensure_bridge(self, name, mtu=None):
        idx = self.index(name)
        if idx is None:
            self.ipr.link('add', ifname=name, kind='bridge')
            idx = self.index(name)
        kw = {'mtu': _int(mtu, 68, 65535, 'MTU')} if mtu else {}
        self.ipr.link('set', index=idx, state='up', **kw)
        return idx

    def delete_link(self, name):
        idx = self.index(name)
        if idx is not None:
            self.ipr.link('del', index=idx)

    def enslave(self, dev, bridge):
        idx, br = self.index(dev), self.index(bridge)
        if idx is None or br is None:
            raise CommandError(f'cannot add {dev} to {bridge}: no such link')
        self.ipr.link('set', index=idx, master=br, state='up')

    def addresses(self, dev):
        idx = self.index(dev)
        if idx is None:
            return []
        return [(a.get_attr('IFA_ADDRESS'), a['prefixlen'])
                for a in self.ipr.get_addr(index=idx, family=2)]

    def ensure_address(self, dev, address, prefixlen):
        address, prefixlen = _ip(address), _int(prefixlen, 0, 128, 'prefix length')
        if (address, prefixlen) not in self.addresses(dev):
            self.ipr.addr('add', index=self.index(dev), address=address, prefixlen=prefixlen)

    def delete_address(self, dev, address, prefixlen):
        address, prefixlen = _ip(address), _int(prefixlen, 0, 128, 'prefix length')
        if (address, prefixlen) in self.addresses(dev):
            self.ipr.addr('del', index=self.index(dev), address=address, prefixlen=prefixlen)

    def ensure_vxlan(self, vni, bridge, local_ip=None, port=4789, dev=None, peers=(),
                     mtu=None):
        """A VXLAN link for ``vni`` in ``bridge``; unknown/broadcast traffic is
        flooded to each of ``peers`` (all-zero FDB entries)."""
        vni = _int(vni, 1, (1 << 24) - 1, 'VNI')
        peers = [_ip(p) for p in peers if p]
        local_ip = _ip(local_ip) if local_ip else None
        name = vxlan_name(vni)
        idx = self.index(name)
        if idx is None:
            kw = {'vxlan_id': vni, 'vxlan_port': _int(port, 1, 65535, 'VXLAN port'),
                  'vxlan_learning': True}
            if local_ip:
                kw['vxlan_local'] = local_ip
            if dev:
                kw['vxlan_link'] = self.index(dev)
            self.ipr.link('add', ifname=name, kind='vxlan', **kw)
            idx = self.index(name)
        if mtu:
            self.ipr.link('set', index=idx, mtu=_int(mtu, 68, 65535, 'MTU'))
        self.enslave(name, bridge)
        have = {f.get_attr('NDA_DST') for f in self.ipr.fdb('dump', ifindex=idx)
                if f.get_attr('NDA_LLADDR') == FLOOD}
        for peer in peers:
            if peer != local_ip and peer not in have:
                self.ipr.fdb('append', ifindex=idx, lladdr=FLOOD, dst=peer)
        for gone in have - set(peers):
            if gone:
                self.ipr.fdb('del', ifindex=idx, lladdr=FLOOD, dst=gone)
        return name

    def ensure_vlan(self, parent, vid, bridge):
        """An 802.1q sub-interface ``parent.vid`` in ``bridge``."""
        vid = _int(vid, 1, 4094, 'VLAN id')
        name = vlan_name(check_ifname(parent), vid)
        if self.index(name) is None:
            pidx = self.index(parent)
            if pidx is None:
                raise CommandError(f'VLAN parent interface {parent} does not exist')
            self.ipr.link('add', ifname=name, kind='vlan', link=pidx, vlan_id=vid)
        self.enslave(name, bridge)
        return name

    def ensure_veth(self, name, peer, bridge=None, peer_netns=None):
        """A veth pair; ``name`` joins ``bridge``, ``peer`` may move to another
        namespace (used by tests standing in for guests)."""
        peer, peer_netns = check_ifname(peer), check_netns(peer_netns)
        if self.index(name) is None:
            self.ipr.link('add', ifname=name, kind='veth', peer=peer)
        if bridge:
            self.enslave(name, bridge)
        if peer_netns:
            self.ipr.link('set', index=self.index(peer), net_ns_fd=peer_netns)
