"""Real guests end to end: unmodified python-openstackclient boots TCG
guests through iaas-api → iaas-scheduler → iaas-compute (libvirt driver) on
a project network that iaas-network serves inside a namespace (the "host"):

* the busybox test image gets its lease from our dnsmasq (flat_dhcp) or its
  address from the config drive (flat, no dnsmasq), reads its instance
  id, uuid and public key from 169.254.169.254 and prints them on its
  console; ``openstack server add floating ip`` makes it answer pings from an
  "external" namespace once a security-group rule allows ICMP, and
  ``openstack server add / remove security group`` opens and closes it live;
* the Debian cloud-init image (#6) takes the keypair's public key and is
  reachable by SSH through its floating IP from the external namespace once
  a rule opens TCP 22; deleting the rule blocks the next connection.

Test plumbing, not product: libvirt plugs guests into root-namespace
bridges, so the test makes a root bridge with the network's bridge name
(run prefix, no address) joined by a veth to the bridge iaas-network made in
the host namespace (Topology.root_bridge). iaas-network redirects
169.254.169.254:80 to the metadata port *of the host namespace*, so a
second iaas-api runs in there (same database and bus: SQLite and
filesystem://, which a namespace can reach).
"""
import re
import shutil
import subprocess

import pytest

from tests.probe.compute.helpers import FAST, Rest, merge
from tests.probe.fixtures import BIN, Cloud, wait_for_port
from tests.probe.libvirt.conftest import (  # noqa: F401  (fixtures)
    guest_env,
    libvirtd,
    libvirtd_running,
    test_image,
    wait_for,
)
from tests.probe.libvirt.test_cloud_image import cloud_image  # noqa: F401  (fixture)
from tests.probe.network.netns import Topology, db_call
from tests.probe.network.test_netns_single_host import _iptables_rules

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800),
              pytest.mark.skipif(not shutil.which('dnsmasq') or not shutil.which('ssh'),
                                 reason='needs dnsmasq and an ssh client')]
BOOT = 180


class Lab:
    """The cloud, the host and external namespaces and the openstack CLI."""

    def __init__(self, tmp_path, topo, cloud):
        self.tmp_path, self.topo, self.cloud = tmp_path, topo, cloud
        self.host, self.ext = topo.ns('host'), topo.ns('ext')
        self.os = cloud.openstack

    def project_network(self, name, cidr):
        """A project network + subnet, its bridge plugged into the root namespace."""
        net = self.os('network', 'create', name)
        self.os('subnet', 'create', '--network', name, '--subnet-range', cidr,
                f'{name}-sub')
        # floating IPs reach the network through a router, as in Neutron
        self.os('router', 'create', f'{name}-router')
        self.os('router', 'set', '--external-gateway', 'public', f'{name}-router',
                json_out=False)
        self.os('router', 'add', 'subnet', f'{name}-router', f'{name}-sub', json_out=False)
        bridge = db_call(self.cloud.config_file, 'network_get', net['id'])['bridge']
        self.topo.wait(f'bridge {bridge} in the host namespace', lambda: self.topo.run(
            self.host, 'ip', 'link', 'show', bridge, check=False).returncode == 0)
        self.topo.root_bridge(bridge, self.host, bridge)
        return net

    def processes_in_host(self):
        """Command names of the processes in the host namespace."""
        names = []
        pids = subprocess.run(['ip', 'netns', 'pids', self.host], capture_output=True,
                              text=True).stdout.split()
        for pid in pids:
            try:
                with open(f'/proc/{pid}/comm') as f:
                    names.append(f.read().strip())
            except OSError:
                pass
        return names

    def console(self, server):
        return self.os('console', 'log', 'show', server, json_out=False).stdout

    def console_line(self, server, marker, timeout=BOOT):
        def check():
            return next((x[x.index(marker):] for x in self.console(server).splitlines()
                         if marker in x), None)
        return wait_for(check, timeout, interval=2, what=f'{marker} on {server}')

    def floating_ip(self, server):
        addr = self.os('floating', 'ip', 'create', 'public')['floating_ip_address']
        self.os('server', 'add', 'floating', 'ip', server, addr, json_out=False)
        return addr

    def rule(self, *args):
        return self.os('security', 'group', 'rule', 'create', *args, 'default')['id']


@pytest.fixture
def lab(request, tmp_path, guest_env, test_image):  # noqa: F811
    """``request.param``: the network manager (default flat_dhcp)."""
    manager = getattr(request, 'param', 'flat_dhcp')
    topo = Topology(tmp_path)
    cloud = None
    try:
        host, ext = topo.ns('host'), topo.ns('ext')
        topo.veth(host, 'pub0', ext, 'eth0')
        topo.addr(host, 'pub0', '172.24.6.1/24')
        topo.addr(ext, 'eth0', '172.24.6.254/24')
        cloud = Cloud.create(tmp_path, sections=merge(FAST, {
            'service_user': {'password': 'admin-secret-1'},
            'network': {'network_manager': manager, 'netns': host,
                        'dnsmasq_user': 'root', 'public_interface': 'pub0',
                        'bridge_prefix': topo.prefix},
            'compute': {'compute_driver': 'libvirt',
                        'instances_path': guest_env.instances_path,
                        'max_concurrent_builds': 2, 'shutdown_timeout': 60},
            'libvirt': {'domain_prefix': guest_env.prefix, 'image_cache_interval': 0}}))
        cloud.start('iaas-api')
        wait_for_port(cloud.ports['compute_port'], what='compute API')
        cloud.start('iaas-image', wait_port=cloud.ports['image'])
        cloud.start('iaas-scheduler', wait_port=False)
        cloud.start('iaas-compute', wait_port=False)
        cloud.start('iaas-network', wait_port=False)
        topo.wait('iaas-network', lambda: any('iaas-FORWARD' in x
                                              for x in _iptables_rules(topo, host)))
        # the metadata server the host namespace's redirect lands on
        cfg_ns = cloud.host_config('probe-md', sections={'api': {'listen': '0.0.0.0'}})
        topo.procs.append(subprocess.Popen(
            ['ip', 'netns', 'exec', host, f'{BIN}/iaas-api', '--config-file', str(cfg_ns)],
            stdout=open(tmp_path / 'api-ns.log', 'wb'), stderr=subprocess.STDOUT))
        Rest(cloud)      # a token works: the identity API is up
        lab = Lab(tmp_path, topo, cloud)
        lab.manager = manager
        lab.os('network', 'create', '--external', 'public')
        lab.os('subnet', 'create', '--network', 'public', '--subnet-range', '172.24.6.0/24',
               '--no-dhcp', '--gateway', 'none', '--allocation-pool',
               'start=172.24.6.10,end=172.24.6.30', 'public-sub')
        yield lab
        logs = {n: d.log() for n, d in cloud.daemons.items()}
        for name, text in logs.items():
            assert 'Traceback' not in text, f'{name} log has a traceback:\n{text[-4000:]}'
    finally:
        if cloud is not None:
            cloud.stop_all()
        topo.cleanup()


@pytest.mark.parametrize('lab', ['flat_dhcp', 'flat'], indirect=True)
def test_busybox_guest_metadata_and_floating_ip(lab, test_image):  # noqa: F811
    lab.os('image', 'create', '--disk-format', 'qcow2', '--container-format', 'bare',
           '--public', '--file', test_image, 'busybox')
    lab.os('flavor', 'create', '--ram', '128', '--disk', '1', '--vcpus', '1', 'probe.nano')
    key = keygen(lab.tmp_path / 'k1').read_text().strip()
    lab.os('keypair', 'create', '--public-key', str(lab.tmp_path / 'k1.pub'), 'k1')
    lab.project_network('vmnet', '10.96.0.0/24')
    srv = lab.os('server', 'create', '--image', 'busybox', '--flavor', 'probe.nano',
                 '--network', 'vmnet', '--key-name', 'k1', '--wait', 'vm1', timeout=300)
    assert srv['status'] == 'ACTIVE', srv
    fixed = lab.os('server', 'show', 'vm1')['addresses']['vmnet'][0]
    assert fixed.startswith('10.96.0.')

    # flat_dhcp: a lease from our dnsmasq; flat: the config drive's address
    marker = 'IAAS-TEST-IMAGE-STATIC' if lab.manager == 'flat' else 'IAAS-TEST-IMAGE-DHCP'
    assert lab.console_line('vm1', marker).strip() == f'{marker} eth0 {fixed}'
    assert ('dnsmasq' in lab.processes_in_host()) == (lab.manager == 'flat_dhcp')
    # the EC2 id: i- and 17 hex digits, the one the EC2 API shows for the server
    # (tests/probe/ec2 compares the two)
    assert re.fullmatch(rf'IAAS-TEST-IMAGE-METADATA instance-id=i-[0-9a-f]{{17}} '
                        rf'uuid={srv["id"]} key={re.escape(key)}',
                        lab.console_line('vm1', 'IAAS-TEST-IMAGE-METADATA').strip())

    faddr = lab.floating_ip('vm1')
    assert faddr.startswith('172.24.6.')
    assert lab.topo.unreachable(lab.ext, faddr)        # the default group keeps it out
    rule = lab.rule('--protocol', 'icmp')
    assert lab.topo.reach(lab.ext, faddr, timeout=30)
    lab.os('security', 'group', 'rule', 'delete', rule, json_out=False)
    assert lab.topo.unreachable(lab.ext, faddr)

    # a group of its own, added to and removed from the running server
    lab.os('security', 'group', 'create', 'pingers')
    lab.os('security', 'group', 'rule', 'create', '--protocol', 'icmp', 'pingers')
    lab.os('server', 'add', 'security', 'group', 'vm1', 'pingers', json_out=False)
    shown = lab.os('server', 'show', 'vm1')['security_groups']
    assert sorted(g['name'] for g in shown) == ['default', 'pingers'], shown
    assert lab.topo.reach(lab.ext, faddr, timeout=30)
    lab.os('server', 'remove', 'security', 'group', 'vm1', 'pingers', json_out=False)
    assert lab.topo.unreachable(lab.ext, faddr)
    assert [g['name'] for g in lab.os('server', 'show', 'vm1')['security_groups']] == \
        ['default']
    lab.os('server', 'delete', '--wait', 'vm1', json_out=False, timeout=300)


def ssh_works(attempt, what, timeout=180):
    """The first successful ``attempt()`` (a completed ssh run), retried
    until ``timeout`` while the guest boots."""
    return wait_for(lambda: (lambda r: r if r.returncode == 0 else None)(attempt()),
                    timeout, interval=2, what=f'ssh into {what}')


def keygen(path):
    """A fresh ed25519 key pair at ``path``; returns the public key's path."""
    subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'probe@iaas',
                    '-f', str(path)], check=True)
    return path.with_name(path.name + '.pub')


def test_cloud_init_guest_ssh_through_floating_ip(lab, cloud_image):  # noqa: F811
    key = lab.tmp_path / 'id_ed25519'
    lab.os('keypair', 'create', '--public-key', str(keygen(key)), 'k2')
    lab.os('image', 'create', '--disk-format', 'qcow2', '--container-format', 'bare',
           '--public', '--file', cloud_image, 'debian-cloud', timeout=300)
    lab.os('flavor', 'create', '--ram', '512', '--disk', '3', '--vcpus', '1', 'probe.small')
    lab.project_network('appnet', '10.97.0.0/24')
    srv = lab.os('server', 'create', '--image', 'debian-cloud', '--flavor', 'probe.small',
                 '--network', 'appnet', '--key-name', 'k2', '--wait', 'deb1', timeout=600)
    assert srv['status'] == 'ACTIVE', srv
    assert lab.console_line('deb1', 'IAAS-TEST-IMAGE-BOOTED', timeout=600).startswith(
        f'IAAS-TEST-IMAGE-BOOTED uuid={srv["id"]} hostname=deb1')
    faddr = lab.floating_ip('deb1')
    port22 = lab.rule('--protocol', 'tcp', '--dst-port', '22')

    def ssh(command, timeout=10):
        return lab.topo.ssh(lab.ext, key, f'debian@{faddr}', command, timeout)

    r = ssh_works(lambda: ssh('cat /var/lib/cloud/data/instance-id'), 'deb1')
    assert r.stdout.strip() == srv['id']
    fixed = lab.os('server', 'show', 'deb1')['addresses']['appnet'][0]
    # inside, the guest sees its fixed address; the connection came from outside
    assert fixed in ssh('ip -4 -o addr show').stdout
    assert '172.24.6.254' in ssh('echo $SSH_CLIENT').stdout
    lab.os('security', 'group', 'rule', 'delete', port22, json_out=False)
    r = ssh('true', timeout=5)
    assert r.returncode != 0 and 'timed out' in r.stderr, r.stderr
    lab.os('server', 'delete', '--wait', 'deb1', json_out=False, timeout=300)
