"""Host-side links through pyroute2: bridges, addresses, VXLAN and VLAN
segments, veth pairs; commands run inside the configured network namespace.

A driver: it knows nothing of the DB or the bus. Every ``ensure_*`` is
idempotent (safe to call on each sync). Everything privileged goes through
the net_admin entry points of :mod:`iaas.privileged.network` (allow-listed
commands, netlink operations), in this process or in the privsep daemon
depending on ``[privsep] mode``.
"""
import logging

from iaas.privileged import CommandError, netlink, network

LOG = logging.getLogger(__name__)

__all__ = ['CommandError', 'LinuxNet']


class LinuxNet:
    """Links and commands of one network namespace (None: the current one).

    ``ipr_factory`` and ``runner`` are test seams: given, the link operations
    run on ``ipr_factory(netns)`` and the (still allow-list checked) commands
    through ``runner`` in this process instead of the privileged entry points.
    """

    def __init__(self, netns=None, ipr_factory=None, runner=None):
        self.netns = netns
        self._ipr_factory = ipr_factory
        self._runner = runner
        self._ipr = None
        self._netlink_used = False     # a privileged netlink socket to close

    @property
    def ipr(self):
        if self._ipr is None:
            self._ipr = self._ipr_factory(self.netns)
        return self._ipr

    def close(self):
        if self._ipr is not None:
            self._ipr.close()
            self._ipr = None
        if self._netlink_used:
            self._netlink_used = False
            network.netlink_close(self.netns)

    # -- commands -------------------------------------------------------------
    def argv(self, cmd):
        return network.argv_in(self.netns, cmd)

    def run(self, cmd, input=None, check=True):
        if self._runner is not None:
            rc, out, err = network.run_checked(self.netns, cmd, input, self._runner)
        else:
            rc, out, err = network.execute(self.netns, list(cmd), input)
        if check and rc != 0:
            raise CommandError(f'{" ".join(cmd)} failed ({rc}): {err.strip()}')
        return out

    def sysctl(self, key, value):
        self.run(['sysctl', '-q', '-w', f'{key}={value}'])

    # -- links ----------------------------------------------------------------
    def _links(self, op, *args, **kwargs):
        if self._ipr_factory is not None:
            return getattr(netlink.Links(self.ipr), op)(*args, **kwargs)
        self._netlink_used = True
        return network.netlink(self.netns, op, list(args), kwargs)

    def index(self, name):
        return self._links('index', name)

    def links(self):
        """{name: kind} of every link ('' for links without a kind)."""
        return self._links('links')

    def ensure_bridge(self, name, mtu=None):
        return self._links('ensure_bridge', name, mtu)

    def delete_link(self, name):
        self._links('delete_link', name)

    def enslave(self, dev, bridge):
        self._links('enslave', dev, bridge)

    def addresses(self, dev):
        return [tuple(a) for a in self._links('addresses', dev)]

    def ensure_address(self, dev, address, prefixlen):
        self._links('ensure_address', dev, address, prefixlen)

    def delete_address(self, dev, address, prefixlen):
        self._links('delete_address', dev, address, prefixlen)

    # -- segments -------------------------------------------------------------
    vxlan_name = staticmethod(netlink.vxlan_name)
    vlan_name = staticmethod(netlink.vlan_name)

    def ensure_vxlan(self, vni, bridge, local_ip=None, port=4789, dev=None, peers=(),
                     mtu=None):
        """A VXLAN link for ``vni`` in ``bridge``; unknown/broadcast traffic is
        flooded to each of ``peers`` (all-zero FDB entries)."""
        return self._links('ensure_vxlan', vni, bridge, local_ip=local_ip, port=port,
                           dev=dev, peers=list(peers or ()), mtu=mtu)

    def ensure_vlan(self, parent, vid, bridge):
        """An 802.1q sub-interface ``parent.vid`` in ``bridge``."""
        return self._links('ensure_vlan', parent, vid, bridge)

    def ensure_veth(self, name, peer, bridge=None, peer_netns=None):
        """A veth pair; ``name`` joins ``bridge``, ``peer`` may move to another
        namespace (used by tests standing in for guests)."""
        self._links('ensure_veth', name, peer, bridge=bridge, peer_netns=peer_netns)
