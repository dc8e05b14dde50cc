"""Unmodified python-openstackclient on a dead compute host and on host
maintenance, with every compute daemon as a process (RabbitMQ,
PostgreSQL) and two fake compute hosts: SIGKILL cmp1, fence it
(``compute service set --down``), ``server evacuate`` its server to cmp2,
bring cmp1 back, then ``server migrate --host cmp1`` and ``server
migration confirm``; ``server migration list`` shows both moves."""
import pytest

from tests.probe.compute.helpers import Rest, deadline_poll, start_compute_cloud

pytestmark = pytest.mark.slow


@pytest.fixture
def two_hosts(tmp_path):
    cc = start_compute_cloud(tmp_path, hosts=('cmp1', 'cmp2'),
                             sections={'fake_driver': {'spawn_delay': 0.2}})
    yield cc
    cc.stop()


def _settled(cc, name, status, timeout=60):
    def check():
        s = cc.openstack('server', 'show', name)
        return s if s['status'] == status and not s.get('OS-EXT-STS:task_state') else None
    return deadline_poll(check, timeout, interval=0.3, what=f'{name} {status}')


def test_evacuate_then_migrate_back_with_openstackclient(two_hosts):
    cc = two_hosts
    Rest(cc.cloud).upload_image('probe-img')
    cc.openstack('flavor', 'create', '--ram', '128', '--disk', '1', '--vcpus', '1',
                 'probe.ha')
    # on cmp1: cmp2 disabled meanwhile
    cc.openstack('compute', 'service', 'set', '--disable', 'cmp2', 'iaas-compute',
                 json_out=False)
    srv = cc.openstack('server', 'create', '--image', 'probe-img', '--flavor', 'probe.ha',
                       '--nic', 'none', '--property', 'HA_Enabled=True', '--wait', 'ha1')
    cc.openstack('compute', 'service', 'set', '--enable', 'cmp2', 'iaas-compute',
                 json_out=False)
    sid = srv['id']
    assert srv['status'] == 'ACTIVE' and srv['OS-EXT-SRV-ATTR:host'] == 'cmp1'

    # refused while cmp1 is up
    r = cc.openstack('server', 'evacuate', 'ha1', check=False)
    assert r.returncode != 0 and 'still in use' in r.stderr, r.stderr[-500:]

    cc.kill(cc.compute_key('cmp1'))
    cc.openstack('--os-compute-api-version', '2.11', 'compute', 'service', 'set',
                 '--down', 'cmp1', 'iaas-compute', json_out=False)
    cc.openstack('--os-compute-api-version', '2.29', 'server', 'evacuate', '--host', 'cmp2',
                 'ha1')
    s = _settled(cc, 'ha1', 'ACTIVE')
    assert s['id'] == sid and s['OS-EXT-SRV-ATTR:host'] == 'cmp2'
    assert 'HA_Enabled' in str(s['properties'])
    assert sid in cc.fake_accounting('cmp2')['guests']

    # cmp1 comes back; the operator lifts the fence
    cc.start_compute('cmp1')
    cc.openstack('--os-compute-api-version', '2.11', 'compute', 'service', 'set',
                 '--up', 'cmp1', 'iaas-compute', json_out=False)
    cc.wait_hypervisors(Rest(cc.cloud), ('cmp1', 'cmp2'))
    assert sid not in cc.fake_accounting('cmp1')['guests']

    cc.openstack('--os-compute-api-version', '2.56', 'server', 'migrate', '--host', 'cmp1',
                 'ha1', json_out=False)
    s = _settled(cc, 'ha1', 'VERIFY_RESIZE')
    assert s['OS-EXT-SRV-ATTR:host'] == 'cmp1'
    cc.openstack('server', 'migration', 'confirm', 'ha1', json_out=False)
    s = _settled(cc, 'ha1', 'ACTIVE')
    assert s['OS-EXT-SRV-ATTR:host'] == 'cmp1'
    deadline_poll(lambda: sid not in cc.fake_accounting('cmp2')['guests'], 30,
                  what='guest gone from cmp2')

    moves = cc.openstack('--os-compute-api-version', '2.59', 'server', 'migration', 'list',
                         '--server', sid)
    got = sorted((m['Type'], m['Status'], m['Source Compute'], m['Dest Compute'])
                 for m in moves)
    assert got == [('evacuation', 'completed', 'cmp1', 'cmp2'),
                   ('migration', 'confirmed', 'cmp2', 'cmp1')], moves
