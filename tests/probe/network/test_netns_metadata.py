"""A guest reads its instance id and public key from 169.254.169.254: the
network host redirects it to iaas-network's metadata proxy (a socket bound to
the network's bridge in the host namespace), which forwards it to the
metadata server (the cloud's iaas-api) naming the network; the server finds
the instance by network and fixed IP."""
import json
import os
import re
import shlex
import shutil
import sys

import pytest

from tests.probe.fixtures import Cloud
from tests.probe.network.netns import rpc_call, sh
from tests.probe.network.test_netns_single_host import _iptables_rules

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not shutil.which('dnsmasq') or not shutil.which('busybox'),
                                 reason='needs dnsmasq and busybox')]

MAKE_INSTANCE = """
import json, sys
from iaas.conf import CONF, register_all
register_all(CONF)
CONF(['--config-file', sys.argv[1]], project='iaas')
from iaas.db import instances
i = instances.create_with_quota(sys.argv[2], [{
    'project_id': sys.argv[2], 'user_id': 'u', 'display_name': 'meta-guest',
    'hostname': 'meta-guest', 'key_name': 'mykey', 'key_data': 'ssh-ed25519 AAAATEST me@probe',
    'vcpus': 1, 'memory_mb': 64, 'flavor': {'name': 'm1.nano'}}])[0]
print(json.dumps({'uuid': i['uuid'], 'id': i['id']}))
"""


def _privsep_daemons(config_file):
    """Contexts of the privsep daemons started with ``config_file``."""
    out = []
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open(f'/proc/{pid}/cmdline', 'rb') as f:
                argv = f.read().decode(errors='replace').split('\0')
        except OSError:
            continue
        if str(config_file) in argv and '--privsep_context' in argv:
            out.append(argv[argv.index('--privsep_context') + 1])
    return out


@pytest.mark.parametrize('privsep_mode', ['inline', 'daemon'])
def test_guest_reads_metadata(tmp_path, topo, privsep_mode):
    """Also with [privsep] mode = daemon: links, iptables, dnsmasq and the
    proxy's sockets in the namespace all come from the privsep daemon."""
    host = topo.ns('host')
    privsep = {'mode': privsep_mode, 'helper_command': shlex.join(
        [sys.executable, '-m', 'iaas.privileged.helper',
         '--config-file', str(tmp_path / 'iaas.conf')])}
    cloud = Cloud.create(tmp_path, sections={'network': {
        'network_manager': 'flat_dhcp', 'netns': host, 'dnsmasq_user': 'root'},
        'privsep': privsep})
    assert cloud.config_file == tmp_path / 'iaas.conf'
    try:
        cloud.start('iaas-api')
        cloud.start('iaas-network', wait_port=False)
        topo.wait('iaas-network', lambda: any('iaas-FORWARD' in x
                                              for x in _iptables_rules(topo, host)))
        assert _privsep_daemons(cloud.config_file) == (
            ['iaas.privileged.net_admin'] if privsep_mode == 'daemon' else [])
        project = cloud.openstack('token', 'issue')['project_id']
        inst = json.loads(sh(sys.executable, '-c', MAKE_INSTANCE, str(cloud.config_file),
                             project).stdout)
        net = cloud.openstack('network', 'create', 'flat1')
        assert net['provider:network_type'] == 'flat'
        cloud.openstack('subnet', 'create', '--network', 'flat1', '--subnet-range',
                        '10.94.0.0/24', 'flat1-sub')
        nic = rpc_call(cloud.config_file, 'allocate_for_instance', instance_uuid=inst['uuid'],
                       host='probe', project_id=project, requested_networks='auto')[0]
        assert nic['network_id'] == net['id'] and nic['dhcp'] is True
        g = topo.guest('g', host, nic)
        assert topo.dhcp(g) == nic['ips'][0]

        def fetch(path):
            r = topo.run(g, 'curl', '-sf', '-m', '3', f'http://169.254.169.254{path}',
                         check=False)
            return r.stdout if r.returncode == 0 else None
        md = json.loads(topo.wait('metadata server', lambda: fetch(
            '/openstack/latest/meta_data.json'), timeout=60))
        assert md['uuid'] == inst['uuid']
        assert md['public_keys'] == {'mykey': 'ssh-ed25519 AAAATEST me@probe'}
        # the EC2 API's id of the instance: made once, the same on every read
        iid = fetch('/latest/meta-data/instance-id')
        assert re.fullmatch(r'i-[0-9a-f]{17}', iid) and \
            fetch('/latest/meta-data/instance-id') == iid
        assert fetch('/latest/meta-data/public-keys/0/openssh-key') == \
            'ssh-ed25519 AAAATEST me@probe'
        assert fetch('/latest/meta-data/local-ipv4') == nic['ips'][0]
    finally:
        cloud.stop_all()
