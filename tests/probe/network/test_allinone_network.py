"""The all-in-one's network out of the box (`make run` on a machine of its
own), with a network namespace playing that machine:

* "host" holds an uplink (198.51.100.2/24, default route via the "inet"
  namespace, the internet: 198.51.100.1 and 203.0.113.10 on its loopback,
  no route back to any range of the cloud);
* ``iaas-all`` runs inside "host" with etc/iaas-allinone.conf as shipped
  (manage_host_networking, br-iaas 172.24.4.1/24, default networks) and the
  libvirt driver; only the bridge prefix, the domain prefix and the state
  directory are the run's own;
* its first start made public, private, router1 and opened ICMP/SSH: a
  busybox guest booted with ``--network private`` gets its lease from our
  dnsmasq, reads the metadata service, pings 203.0.113.10 (a reply can only
  come back masqueraded to the host's uplink address), and answers pings
  from the host itself on a floating IP of ``public``, and lets the host in
  by SSH there (dropbear, the keypair's key);
* tools/clean-allinone.sh (`make clean`), run inside "host" after iaas-all
  stopped, leaves no bridge, no iaas-* chain and no state.

Test plumbing, not product: libvirtd runs in the root namespace and plugs
guests into a root bridge of the private network's name (run prefix, no
address), joined by a veth to the bridge iaas-network made in "host"
(Topology.root_bridge), as in test_guests_e2e.py. Nothing is added to the
root namespace's addresses, routes or iptables.
"""
import configparser
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

from tests.probe.foundation.test_allinone import AllInOne
from tests.probe.libvirt.conftest import (  # noqa: F401  (fixtures)
    ROOT,
    guest_env,
    libvirtd,
    libvirtd_running,
    test_image,
)
from tests.probe.network.netns import Topology
from tests.probe.network.test_guests_e2e import Lab, keygen, ssh_works

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200),
              pytest.mark.skipif(not shutil.which('dnsmasq') or not shutil.which('ssh'),
                                 reason='needs dnsmasq and an ssh client')]
BIN = os.path.dirname(sys.executable)
INTERNET = '203.0.113.10'


class Host(Lab):
    """The "host" namespace with the all-in-one inside; the openstack client
    runs in there too (the APIs listen on its loopback)."""

    def __init__(self, tmp_path, topo, ns, state):     # no Cloud: iaas-all runs in ns
        self.tmp_path, self.topo, self.host, self.cloud = tmp_path, topo, ns, None
        self.env = dict(os.environ)
        with open(os.path.join(state, 'admin-openrc')) as f:
            for line in f:
                k, _, v = line.removeprefix('export ').strip().partition('=')
                self.env[k] = v.strip("'")

    def os(self, *args, json_out=True, timeout=120):
        cmd = ['ip', 'netns', 'exec', self.host, os.path.join(BIN, 'openstack'), *args]
        r = subprocess.run(cmd + (['-f', 'json'] if json_out else []), env=self.env,
                           capture_output=True, text=True, timeout=timeout)
        assert r.returncode == 0, f'{" ".join(args)}: {r.stdout}{r.stderr[-3000:]}'
        return json.loads(r.stdout) if json_out and r.stdout.strip() else r


def allinone_config(path, bridge_prefix, domain_prefix):
    """etc/iaas-allinone.conf with the run's own prefixes."""
    cp = configparser.ConfigParser(interpolation=None)
    cp.read(os.path.join(ROOT, 'etc', 'iaas-allinone.conf'))
    cp['network']['bridge_prefix'] = bridge_prefix
    cp.setdefault('libvirt', {})
    cp['libvirt']['domain_prefix'] = domain_prefix
    cp['libvirt']['image_cache_interval'] = '0'
    with open(path, 'w') as f:
        cp.write(f)
    return path


def test_allinone_guest_network_out_of_the_box(tmp_path, guest_env, test_image):  # noqa: F811
    topo = Topology(tmp_path)
    # qemu (libvirt-qemu) reaches the instance disks under the state dir
    state = tempfile.mkdtemp(prefix='iaas-aio-net-', dir='/tmp')
    os.chmod(state, 0o755)
    cloud = None
    try:
        ns, inet = topo.ns('host'), topo.ns('inet')
        topo.veth(ns, 'uplink0', inet, 'eth0')
        topo.addr(ns, 'uplink0', '198.51.100.2/24')
        topo.addr(inet, 'eth0', '198.51.100.1/24')
        topo.addr(inet, 'lo', f'{INTERNET}/32')
        topo.run(ns, 'ip', 'route', 'add', 'default', 'via', '198.51.100.1')
        conf = allinone_config(tmp_path / 'allinone.conf', topo.prefix, guest_env.prefix)
        cloud = AllInOne(conf, state, wrap=('ip', 'netns', 'exec', ns))
        cloud.wait_ready(timeout=180)
        host = Host(tmp_path, topo, ns, state)

        # first start made the layout
        nets = {n['Name']: n for n in host.os('network', 'list')}
        assert {'public', 'private'} <= set(nets), nets
        assert host.os('network', 'show', 'public')['router:external'] is True
        router = host.os('router', 'show', 'router1')
        assert router['external_gateway_info']['network_id'] == nets['public']['ID']
        # iaas-network made br-iaas with the gateway and the private bridge
        assert '172.24.4.1/24' in topo.run(ns, 'ip', '-4', '-o', 'addr', 'show',
                                           'br-iaas').stdout
        private_id = nets['private']['ID']
        bridge = (topo.prefix + private_id.replace('-', ''))[:15]
        topo.wait(f'bridge {bridge} in the host namespace', lambda: '10.90.0.1/24' in topo.run(
            ns, 'ip', '-4', '-o', 'addr', 'show', bridge, check=False).stdout)
        topo.root_bridge(bridge, ns, bridge)

        # what run-allinone.sh does on first start, then the README's example
        host.os('image', 'create', '--disk-format', 'qcow2', '--container-format', 'bare',
                '--public', '--file', test_image, 'iaas-test-busybox', timeout=300)
        key = tmp_path / 'id_ed25519'
        host.os('keypair', 'create', '--public-key', str(keygen(key)), 'mykey')
        srv = host.os('server', 'create', '--image', 'iaas-test-busybox', '--flavor',
                      'm1.nano', '--network', 'private', '--key-name', 'mykey',
                      '--property', f'ping={INTERNET}', '--wait', 'vm1', timeout=300)
        assert srv['status'] == 'ACTIVE', srv
        fixed = host.os('server', 'show', 'vm1')['addresses']['private'][0]
        assert fixed.startswith('10.90.0.')
        assert host.console_line('vm1', 'IAAS-TEST-IMAGE-DHCP').strip() == \
            f'IAAS-TEST-IMAGE-DHCP eth0 {fixed}'
        assert host.console_line('vm1', 'IAAS-TEST-IMAGE-METADATA').startswith(
            'IAAS-TEST-IMAGE-METADATA instance-id=i-')
        # out to the "internet" through the host's default route: the reply
        # can only come back to the masqueraded address
        assert host.console_line('vm1', 'IAAS-TEST-IMAGE-PING').strip() == \
            f'IAAS-TEST-IMAGE-PING {INTERNET} ok'
        masq = topo.run(ns, 'iptables', '-t', 'nat', '-L', 'iaas-masquerade', '-v', '-n',
                        '-x').stdout
        counted = [line.split() for line in masq.splitlines() if 'MASQUERADE' in line]
        assert counted and int(counted[0][0]) > 0, masq

        # a floating IP of public answers from the host itself
        addr = host.floating_ip('vm1')
        assert addr.startswith('172.24.4.')
        assert topo.reach(ns, addr, timeout=60), f'no answer from {addr}'
        # and SSH (dropbear in the test image, the keypair's key from metadata)
        r = ssh_works(lambda: topo.ssh(ns, key, f'root@{addr}',
                                       'cat /iaas-boot-line; ip -4 -o addr'), 'vm1')
        assert f'uuid={srv["id"]}' in r.stdout and fixed in r.stdout, r.stdout
        host.os('server', 'delete', '--wait', 'vm1', json_out=False, timeout=300)

        code, err = cloud.stop()
        cloud = None
        assert code == 0, err[-2000:]
        # make clean, inside the "host"
        env = dict(os.environ, IAAS_PYTHON=sys.executable)
        r = subprocess.run(['ip', 'netns', 'exec', ns,
                            os.path.join(ROOT, 'tools', 'clean-allinone.sh'), state, str(conf)],
                           capture_output=True, text=True, timeout=120, env=env)
        assert r.returncode == 0, r.stdout + r.stderr
        links = topo.run(ns, 'ip', '-o', 'link', 'show').stdout
        assert 'br-iaas' not in links and f'{bridge}:' not in links, links
        for tool in ('iptables-save', 'ip6tables-save'):
            assert 'iaas-' not in topo.run(ns, tool).stdout
        assert not os.path.exists(state)
        assert 'dnsmasq' not in host.processes_in_host()
    finally:
        if cloud is not None:
            cloud.stop()
        topo.cleanup()
        shutil.rmtree(state, ignore_errors=True)
