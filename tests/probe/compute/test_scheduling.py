"""Placement over two fake compute hosts (separate iaas-compute processes
with different host names, RabbitMQ, PostgreSQL): spread, anti-affinity,
a disabled service, and 60 concurrent creates against room for 40."""
import concurrent.futures

import pytest
import requests

from tests.probe.compute.helpers import Rest, deadline_poll, start_compute_cloud

pytestmark = pytest.mark.slow

HOST_ATTR = 'OS-EXT-SRV-ATTR:host'


@pytest.fixture
def two_hosts(tmp_path):
    cc = start_compute_cloud(tmp_path, hosts=('cmp1', 'cmp2'))
    yield cc
    cc.stop()


def boot(rest, name, image, flavor, hints=None, min_count=None, max_count=None):
    body = {'server': {'name': name, 'imageRef': image, 'flavorRef': flavor,
                       'networks': 'none'}}
    if min_count:
        body['server'].update(min_count=min_count, max_count=max_count or min_count)
    if hints:
        body['os:scheduler_hints'] = hints
    r = rest.post('/servers', body)
    assert r.status_code == 202, r.text
    return r.json()


def settle(rest, sid, timeout=60):
    return rest.wait_status(sid, ('ACTIVE', 'ERROR'), timeout)


def test_spread_anti_affinity_disabled(two_hosts):
    cc = two_hosts
    rest = Rest(cc.cloud)
    image = rest.upload_image()
    flavor = rest.create_flavor('sched.small', 512)

    # Spread (RAM weigher by default): the second server goes to the emptier host.
    a = settle(rest, boot(rest, 'spread-a', image, flavor)['server']['id'])
    b = settle(rest, boot(rest, 'spread-b', image, flavor)['server']['id'])
    assert a['status'] == b['status'] == 'ACTIVE'
    assert {a[HOST_ATTR], b[HOST_ATTR]} == {'cmp1', 'cmp2'}

    # Anti-affinity via openstackclient: two members on two hosts, no room for a third.
    group = cc.openstack('server', 'group', 'create', '--policy', 'anti-affinity', 'aa')
    members = []
    for n in ('aa-1', 'aa-2', 'aa-3'):
        out = cc.openstack('server', 'create', '--image', image, '--flavor', 'sched.small',
                           '--nic', 'none', '--hint', f'group={group["id"]}', n)
        members.append(settle(rest, out['id']))
    placed = [m for m in members if m['status'] == 'ACTIVE']
    assert len(placed) == 2, [(m['name'], m['status'], m.get('fault')) for m in members]
    assert {m[HOST_ATTR] for m in placed} == {'cmp1', 'cmp2'}
    refused = [m for m in members if m['status'] == 'ERROR']
    assert len(refused) == 1 and 'No valid host' in refused[0]['fault']['message']
    shown = cc.openstack('server', 'group', 'show', group['id'])
    assert {m['id'] for m in placed} <= set(shown['members'])

    # A disabled compute service gets nothing.
    cc.openstack('compute', 'service', 'set', '--disable', '--disable-reason', 'maint',
                 'cmp2', 'iaas-compute', json_out=False)
    svcs = cc.openstack('compute', 'service', 'list', '--service', 'iaas-compute')
    assert {s['Host']: s['Status'] for s in svcs} == {'cmp1': 'enabled', 'cmp2': 'disabled'}
    out = boot(rest, 'dis', image, flavor, min_count=3)
    ids = [s['id'] for s in rest.get('/servers/detail?name=^dis').json()['servers']]
    assert len(ids) == 3, out
    hosts = [settle(rest, i)[HOST_ATTR] for i in ids]
    assert hosts == ['cmp1'] * 3
    assert all(rest.server(i)['status'] == 'ACTIVE' for i in ids)


CAP_SECTIONS = {
    # Exactly 20 servers of 512 MiB fit on each host: no host reserve, ratio 1.
    'fake_driver': {'memory_mb': 20 * 512, 'vcpus': 64, 'local_gb': 1000,
                    'spawn_delay': 0.1},
    'compute': {'reserved_host_memory_mb': 0, 'max_concurrent_builds': 20},
    'scheduler': {'ram_allocation_ratio': 1.0, 'cpu_allocation_ratio': 16.0,
                  'disk_allocation_ratio': 1.0},
    'quota': {'instances': -1, 'cores': -1, 'ram': -1},
    # 60 creates at once from one user: above the default write burst (50),
    # which is not what this test is about
    'api': {'user_write_burst': 200},
}


def test_sixty_creates_for_forty_slots(tmp_path):
    cc = start_compute_cloud(tmp_path, hosts=('cmp1', 'cmp2'), sections=CAP_SECTIONS)
    try:
        rest = Rest(cc.cloud)
        image = rest.upload_image()
        flavor = rest.create_flavor('cap.512', 512, vcpus=1, disk=1)

        headers = dict(rest.session.headers)

        def one(i):
            # One connection per request, as 60 separate clients would.
            r = requests.post(f'{rest.compute}/servers', headers=headers, timeout=60,
                              json={'server': {'name': f'cap-{i:02d}', 'imageRef': image,
                                               'flavorRef': flavor, 'networks': 'none'}})
            return r.status_code, r.text

        with concurrent.futures.ThreadPoolExecutor(60) as pool:
            results = list(pool.map(one, range(60)))
        assert [c for c, _ in results] == [202] * 60, [t for c, t in results if c != 202]

        def settled():
            servers = rest.get('/servers/detail').json()['servers']
            return servers if len(servers) == 60 and all(
                s['status'] in ('ACTIVE', 'ERROR') and not s['OS-EXT-STS:task_state']
                for s in servers) else None
        servers = deadline_poll(settled, 120, interval=0.5, what='60 servers settled')
        active = [s for s in servers if s['status'] == 'ACTIVE']
        error = [s for s in servers if s['status'] == 'ERROR']
        assert len(active) == 40 and len(error) == 20, \
            {s['name']: (s['status'], (s.get('fault') or {}).get('message')) for s in servers}
        for s in error:
            assert 'No valid host' in s['fault']['message'], s['fault']
            assert s[HOST_ATTR] is None
        per_host = {}
        for s in active:
            per_host.setdefault(s[HOST_ATTR], []).append(s['id'])
        assert sorted(len(v) for v in per_host.values()) == [20, 20], per_host
        for host in ('cmp1', 'cmp2'):
            acct = cc.fake_accounting(host)
            assert acct['refused'] == 0, acct
            assert acct['peak']['memory_mb'] <= acct['capacity']['memory_mb'], acct
            assert acct['peak']['memory_mb'] == 20 * 512
            assert sorted(acct['guests']) == sorted(per_host[host])
        hv = {h['service']['host']: h for h in
              rest.get('/os-hypervisors/detail').json()['hypervisors']}
        assert hv['cmp1']['memory_mb_used'] == hv['cmp2']['memory_mb_used'] == 20 * 512
    finally:
        cc.stop()
