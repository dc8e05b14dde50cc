"""Unmodified python-openstackclient against the compute daemons (separate
processes, RabbitMQ, PostgreSQL): the server life cycle and its actions,
snapshot, console log, flavors, key pairs, quotas and usage."""
import datetime

import pytest

from tests.probe.compute.helpers import Rest, deadline_poll

pytestmark = pytest.mark.slow


def wait_osc_status(cc, name, status, timeout=60):
    """osc has no --wait on stop/start/pause/…: poll ``server show``."""
    def check():
        s = cc.openstack('server', 'show', name)
        return s if s['status'] == status and not s.get('OS-EXT-STS:task_state') else None
    return deadline_poll(check, timeout, interval=0.3, what=f'{name} {status}')


def test_server_life_cycle(compute_cloud, tmp_path):
    cc = compute_cloud
    rest = Rest(cc.cloud)
    rest.upload_image('cirros-probe')

    fl = cc.openstack('flavor', 'create', '--ram', '256', '--disk', '1', '--vcpus', '1',
                      '--public', 'probe.small')
    assert fl['name'] == 'probe.small' and fl['ram'] == 256
    assert 'probe.small' in {f['Name'] for f in cc.openstack('flavor', 'list')}

    key = cc.openstack('keypair', 'create', 'probekey', json_out=False)
    assert key.returncode == 0 and 'PRIVATE KEY' in key.stdout
    pairs = cc.openstack('keypair', 'list')
    assert [p['Name'] for p in pairs] == ['probekey']

    srv = cc.openstack('server', 'create', '--image', 'cirros-probe', '--flavor',
                       'probe.small', '--key-name', 'probekey', '--nic', 'none', '--wait',
                       'vm1')
    assert srv['status'] == 'ACTIVE', srv
    assert srv['key_name'] == 'probekey'
    sid = srv['id']

    listed = cc.openstack('server', 'list')
    assert [(s['Name'], s['Status']) for s in listed] == [('vm1', 'ACTIVE')]
    shown = cc.openstack('server', 'show', 'vm1')
    assert shown['id'] == sid and shown['OS-EXT-SRV-ATTR:host'] == 'cmp1'
    assert shown['OS-EXT-STS:power_state'] in ('Running', 1)

    for action, status in (('stop', 'SHUTOFF'), ('start', 'ACTIVE'),
                           ('pause', 'PAUSED'), ('unpause', 'ACTIVE'),
                           ('suspend', 'SUSPENDED'), ('resume', 'ACTIVE')):
        cc.openstack('server', action, 'vm1', json_out=False)
        wait_osc_status(cc, 'vm1', status)
    # The fake hypervisor agrees.
    assert cc.fake_accounting('cmp1')['guests'][sid]['power_state'] == 1

    cc.openstack('server', 'reboot', '--wait', 'vm1', json_out=False)
    wait_osc_status(cc, 'vm1', 'ACTIVE')
    cc.openstack('server', 'reboot', '--hard', '--wait', 'vm1', json_out=False)
    wait_osc_status(cc, 'vm1', 'ACTIVE')

    log = cc.openstack('console', 'log', 'show', 'vm1', json_out=False)
    assert log.returncode == 0 and 'login prompt' in log.stdout
    assert 'reboot (hard)' in log.stdout and 'suspended' in log.stdout

    snap = cc.openstack('server', 'image', 'create', '--name', 'vm1-snap', '--wait', 'vm1')
    assert snap['name'] == 'vm1-snap'
    img = cc.openstack('image', 'show', 'vm1-snap')
    assert img['status'] == 'active' and img['size'] > 0
    wait_osc_status(cc, 'vm1', 'ACTIVE')

    # Quotas: admin sets, everyone reads; a limit is enforced.
    cc.openstack('quota', 'set', '--instances', '1', '--cores', '7', 'admin',
                 json_out=False)
    q = cc.openstack('quota', 'show', '--compute', 'admin')
    q = {r['Resource']: r['Limit'] for r in q} if isinstance(q, list) else q
    assert q['instances'] == 1 and q['cores'] == 7, q
    over = cc.openstack('server', 'create', '--image', 'cirros-probe', '--flavor',
                        'probe.small', '--nic', 'none', 'vm2', check=False)
    assert over.returncode != 0 and 'Quota exceeded' in over.stderr, over.stderr
    assert 'Traceback' not in over.stderr

    today = datetime.date.today()
    usage = cc.openstack('usage', 'show', '--project', 'admin', '--start',
                         (today - datetime.timedelta(days=1)).isoformat(), '--end',
                         (today + datetime.timedelta(days=1)).isoformat())
    assert [s['name'] for s in usage['Servers']] == ['vm1'], usage
    assert float(usage['RAM MB-Hours']) > 0

    cc.openstack('server', 'delete', '--wait', 'vm1', json_out=False)
    assert cc.openstack('server', 'list') == []
    assert sid not in cc.fake_accounting('cmp1')['guests']
    gone = cc.openstack('server', 'show', sid, check=False)
    assert gone.returncode != 0 and 'No Server found' in gone.stderr, gone.stderr

    cc.openstack('keypair', 'delete', 'probekey', json_out=False)
    assert cc.openstack('keypair', 'list') == []
