"""One dnsmasq per network: a hosts file with an entry per port, reloaded
with SIGHUP; ``static`` ranges, so only known ports get a lease.

dnsmasq daemonizes (its pid file is in the network's directory), so it
outlives a restart of iaas-network: the next start finds it by its pid file
and command line and keeps it instead of starting a second one.
"""
import ipaddress
import logging
import os
import shutil
import signal
import time

from iaas.privileged import network as privileged_network

LOG = logging.getLogger(__name__)


class DhcpError(RuntimeError):
    pass


def hosts_lines(ports, domain):
    out = []
    for p in sorted(ports, key=lambda x: x['mac_address']):
        for ip in p['ips']:
            if ipaddress.ip_address(ip).version == 4:
                name = 'host-' + ip.replace('.', '-')
                out.append(f'{p["mac_address"]},{name}.{domain},{ip}')
                break
    return out


class Dnsmasq:
    """The dnsmasq processes of one host, under ``base_dir/<network id>/``."""

    def __init__(self, base_dir, net, binary='dnsmasq', lease_time=86400,
                 domain='novalocal', user=None):
        self.base_dir = base_dir
        self.net = net      # a LinuxNet (for the namespace prefix)
        self.binary = binary
        self.lease_time = lease_time
        self.domain = domain
        self.user = user

    def _dir(self, network_id):
        return os.path.join(self.base_dir, network_id)

    def _paths(self, network_id):
        d = self._dir(network_id)
        return {k: os.path.join(d, k) for k in ('hosts', 'leases', 'pid', 'opts')}

    def pid(self, network_id):
        """The pid of this network's live dnsmasq, or None."""
        try:
            with open(self._paths(network_id)['pid']) as f:
                pid = int(f.read().strip())
            with open(f'/proc/{pid}/cmdline', 'rb') as f:
                cmdline = f.read().decode(errors='replace')
        except (OSError, ValueError):
            return None
        return pid if self._dir(network_id) in cmdline else None

    def _signal(self, network_id, pid, signum):
        """Signal this network's dnsmasq (it runs as another user: through
        the privileged entry point, which checks it is our dnsmasq)."""
        privileged_network.signal_dnsmasq(pid, int(signum), self._paths(network_id)['pid'])

    def argv(self, network, bridge, subnet, paths):
        net = ipaddress.ip_network(subnet['cidr'])
        args = [self.binary, '--conf-file=/dev/null', '--no-hosts', '--no-resolv',
                '--bind-interfaces', f'--interface={bridge}', '--except-interface=lo',
                '--port=0', f'--pid-file={paths["pid"]}',
                f'--dhcp-hostsfile={paths["hosts"]}', f'--dhcp-leasefile={paths["leases"]}',
                f'--dhcp-optsfile={paths["opts"]}', f'--domain={self.domain}',
                f'--dhcp-range=set:net0,{net.network_address},static,{net.netmask},'
                f'{self.lease_time}s', '--dhcp-authoritative', '--dhcp-no-override']
        if self.user:
            args.append(f'--user={self.user}')
        return args

    def opts_lines(self, network, subnet):
        lines = []
        if subnet.get('gateway_ip'):
            lines.append(f'tag:net0,option:router,{subnet["gateway_ip"]}')
        else:
            lines.append('tag:net0,option:router')
        if subnet.get('dns_nameservers'):
            lines.append('tag:net0,option:dns-server,' + ','.join(subnet['dns_nameservers']))
        if network.get('mtu'):
            lines.append(f'tag:net0,option:mtu,{network["mtu"]}')
        return lines

    def ensure(self, network, bridge, subnet, ports):
        """Start or reload the network's dnsmasq for ``ports``."""
        paths = self._paths(network['id'])
        os.makedirs(self._dir(network['id']), exist_ok=True)
        changed = False
        for key, lines in (('hosts', hosts_lines(ports, self.domain)),
                           ('opts', self.opts_lines(network, subnet))):
            text = '\n'.join(lines) + '\n'
            try:
                with open(paths[key]) as f:
                    same = f.read() == text
            except OSError:
                same = False
            if not same:
                tmp = paths[key] + '.tmp'
                with open(tmp, 'w') as f:
                    f.write(text)
                os.chmod(tmp, 0o644)
                os.replace(tmp, paths[key])
                changed = True
        pid = self.pid(network['id'])
        if pid:
            if changed:
                self._signal(network['id'], pid, signal.SIGHUP)
            return pid
        if not os.path.exists(paths['leases']):
            open(paths['leases'], 'a').close()
        self.net.run(self.argv(network, bridge, subnet, paths))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            pid = self.pid(network['id'])
            if pid:
                LOG.info('dnsmasq for network %s on %s: pid %s', network['id'], bridge, pid)
                return pid
            time.sleep(0.05)
        raise DhcpError(f'dnsmasq for network {network["id"]} did not start')

    def stop(self, network_id, remove=True):
        pid = self.pid(network_id)
        if pid:
            self._signal(network_id, pid, signal.SIGTERM)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and os.path.exists(f'/proc/{pid}'):
                time.sleep(0.05)
        if remove:
            shutil.rmtree(self._dir(network_id), ignore_errors=True)

    def running(self):
        """Network ids with a directory here."""
        try:
            return [d for d in os.listdir(self.base_dir)
                    if os.path.isdir(os.path.join(self.base_dir, d))]
        except FileNotFoundError:
            return []

    def leases(self, network_id):
        """{ip: mac} of the current leases."""
        out = {}
        try:
            with open(self._paths(network_id)['leases']) as f:
                for line in f:
                    parts = line.split()
                    if len(parts) >= 3:
                        out[parts[2]] = parts[1]
        except OSError:
            pass
        return out
