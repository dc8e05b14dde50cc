"""Host-side links through pyroute2: bridges, addresses, VXLAN and VLAN
segments, veth pairs; commands run inside the configured network namespace.

A driver: it knows nothing of the DB or the bus. Every ``ensure_*`` is
idempotent (safe to call on each sync).
"""
import logging
import subprocess

LOG = logging.getLogger(__name__)


class CommandError(RuntimeError):
    pass


def _default_ipr(netns):
    from pyroute2 import IPRoute
    return IPRoute(netns=netns) if netns else IPRoute()


class LinuxNet:
    """Links and commands of one network namespace (None: the current one)."""

    def __init__(self, netns=None, ipr_factory=_default_ipr, runner=subprocess.run):
        self.netns = netns
        self._ipr_factory = ipr_factory
        self._runner = runner
        self._ipr = None

    @property
    def ipr(self):
        if self._ipr is None:
            self._ipr = self._ipr_factory(self.netns)
        return self._ipr

    def close(self):
        if self._ipr is not None:
            self._ipr.close()
            self._ipr = None

    # -- commands -------------------------------------------------------------
    def argv(self, cmd):
        return (['ip', 'netns', 'exec', self.netns] if self.netns else []) + list(cmd)

    def run(self, cmd, input=None, check=True):
        r = self._runner(self.argv(cmd), input=input, capture_output=True, text=True,
                         timeout=60)
        if check and r.returncode != 0:
            raise CommandError(f'{" ".join(cmd)} failed ({r.returncode}): {r.stderr.strip()}')
        return r.stdout

    def sysctl(self, key, value):
        self.run(['sysctl', '-q', '-w', f'{key}={value}'])

    # -- links ----------------------------------------------------------------
    def index(self, name):
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
        kw = {'mtu': mtu} if mtu else {}
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
        if (address, prefixlen) not in self.addresses(dev):
            self.ipr.addr('add', index=self.index(dev), address=address, prefixlen=prefixlen)

    def delete_address(self, dev, address, prefixlen):
        if (address, prefixlen) in self.addresses(dev):
            self.ipr.addr('del', index=self.index(dev), address=address, prefixlen=prefixlen)

    # -- segments -------------------------------------------------------------
    @staticmethod
    def vxlan_name(vni):
        return f'vxlan-{vni}'

    @staticmethod
    def vlan_name(parent, vid):
        return f'{parent[:10]}.{vid}'

    def ensure_vxlan(self, vni, bridge, local_ip=None, port=4789, dev=None, peers=(),
                     mtu=None):
        """A VXLAN link for ``vni`` in ``bridge``; unknown/broadcast traffic is
        flooded to each of ``peers`` (all-zero FDB entries)."""
        name = self.vxlan_name(vni)
        idx = self.index(name)
        if idx is None:
            kw = {'vxlan_id': int(vni), 'vxlan_port': int(port), 'vxlan_learning': True}
            if local_ip:
                kw['vxlan_local'] = local_ip
            if dev:
                kw['vxlan_link'] = self.index(dev)
            self.ipr.link('add', ifname=name, kind='vxlan', **kw)
            idx = self.index(name)
        if mtu:
            self.ipr.link('set', index=idx, mtu=mtu)
        self.enslave(name, bridge)
        have = {f.get_attr('NDA_DST') for f in self.ipr.fdb('dump', ifindex=idx)
                if f.get_attr('NDA_LLADDR') == '00:00:00:00:00:00'}
        for peer in peers:
            if peer and peer != local_ip and peer not in have:
                self.ipr.fdb('append', ifindex=idx, lladdr='00:00:00:00:00:00', dst=peer)
        for gone in have - set(peers):
            if gone:
                self.ipr.fdb('del', ifindex=idx, lladdr='00:00:00:00:00:00', dst=gone)
        return name

    def ensure_vlan(self, parent, vid, bridge):
        """An 802.1q sub-interface ``parent.vid`` in ``bridge``."""
        name = self.vlan_name(parent, vid)
        if self.index(name) is None:
            pidx = self.index(parent)
            if pidx is None:
                raise CommandError(f'VLAN parent interface {parent} does not exist')
            self.ipr.link('add', ifname=name, kind='vlan', link=pidx, vlan_id=int(vid))
        self.enslave(name, bridge)
        return name

    def ensure_veth(self, name, peer, bridge=None, peer_netns=None):
        """A veth pair; ``name`` joins ``bridge``, ``peer`` may move to another
        namespace (used by tests standing in for guests)."""
        if self.index(name) is None:
            self.ipr.link('add', ifname=name, kind='veth', peer=peer)
        if bridge:
            self.enslave(name, bridge)
        if peer_netns:
            self.ipr.link('set', index=self.index(peer), net_ns_fd=peer_netns)
