"""Two networks with the same subnet on one host, a guest on each with the
same fixed IP: each reads its own instance from 169.254.169.254 (issue 12,
finding 6). 169.254.169.254:80 arriving on a bridge is redirected to the
metadata proxy's socket bound to that bridge, which names the network to
the metadata server (signed) and answers out of the same bridge."""
import json
import re
import shutil
import subprocess
import sys

import pytest

from tests.probe.fixtures import Cloud
from tests.probe.network.netns import rpc_call, sh
from tests.probe.network.test_netns_metadata import MAKE_INSTANCE
from tests.probe.network.test_netns_single_host import _iptables_rules

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not shutil.which('dnsmasq') or not shutil.which('busybox'),
                                 reason='needs dnsmasq and busybox')]

IP = '10.95.0.77'


def test_same_fixed_ip_on_two_networks(tmp_path, topo):
    host = topo.ns('host')
    cloud = Cloud.create(tmp_path, sections={
        'network': {'network_manager': 'flat_dhcp', 'netns': host, 'dnsmasq_user': 'root'},
        'metadata': {'proxy_shared_secret': 'probe-secret'}})
    try:
        cloud.start('iaas-api')
        cloud.start('iaas-network', wait_port=False)
        topo.wait('iaas-network', lambda: any('iaas-FORWARD' in x
                                              for x in _iptables_rules(topo, host)))
        project = cloud.openstack('token', 'issue')['project_id']
        guests = {}
        for name in ('ovl-a', 'ovl-b'):
            inst = json.loads(sh(sys.executable, '-c', MAKE_INSTANCE, str(cloud.config_file),
                                 project).stdout)
            net = cloud.openstack('network', 'create', name)
            cloud.openstack('subnet', 'create', '--network', name, '--subnet-range',
                            '10.95.0.0/24', f'{name}-sub')
            nic = rpc_call(cloud.config_file, 'allocate_for_instance',
                           instance_uuid=inst['uuid'], host='probe', project_id=project,
                           requested_networks=[{'uuid': net['id'], 'fixed_ip': IP}])[0]
            assert nic['ips'] == [IP] and nic['network_id'] == net['id']
            g = topo.guest(name, host, nic)
            topo.run(g, 'ip', 'addr', 'add', f'{IP}/24', 'dev', 'eth0')
            topo.run(g, 'ip', 'route', 'add', 'default', 'via', '10.95.0.1')
            guests[name] = (g, inst)
        rules = _iptables_rules(topo, host)
        to_proxy = f"--to-ports {cloud.ports['metadata.proxy_port']}"
        assert sum('169.254.169.254' in r and to_proxy in r for r in rules) == 2

        def fetch(g, path):
            r = topo.run(g, 'curl', '-sf', '-m', '3', f'http://169.254.169.254{path}',
                         check=False)
            return r.stdout if r.returncode == 0 else None
        ec2_ids = set()
        for name, (g, inst) in guests.items():
            md = json.loads(topo.wait(f'metadata of {name}', lambda g=g: fetch(
                g, '/openstack/latest/meta_data.json'), timeout=60))
            assert md['uuid'] == inst['uuid'], name
            iid = fetch(g, '/latest/meta-data/instance-id')
            assert re.fullmatch(r'i-[0-9a-f]{17}', iid), iid
            ec2_ids.add(iid)
        assert len(ec2_ids) == len(guests)      # each guest its own instance's id
        # straight to the metadata server from the shared address: nobody's
        r = subprocess.run(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}',
                            f'http://127.0.0.1:{cloud.ports["metadata_port"]}/openstack/latest/'
                            'meta_data.json', '-H', f'X-Forwarded-For: {IP}'],
                           capture_output=True, text=True, timeout=10)
        assert r.stdout == '404'
    finally:
        cloud.stop_all()
