"""A compute process killed (SIGKILL) in the middle of a build: the
scheduler's reaper sees the host down and puts the server in ERROR with a
fault; it never stays in BUILD."""
import time

import pytest

from tests.probe.compute.helpers import Rest, deadline_poll, start_compute_cloud

pytestmark = pytest.mark.slow


def test_compute_killed_mid_build(tmp_path):
    # spawn_delay 30 s: the build is surely running when the host dies.
    cc = start_compute_cloud(tmp_path, hosts=('cmp1',),
                             sections={'fake_driver': {'spawn_delay': 30}})
    try:
        rest = Rest(cc.cloud)
        image = rest.upload_image()
        flavor = rest.create_flavor('kill.small', 256)
        r = rest.post('/servers', {'server': {'name': 'doomed', 'imageRef': image,
                                              'flavorRef': flavor, 'networks': 'none'}})
        assert r.status_code == 202, r.text
        sid = r.json()['server']['id']
        spawning = deadline_poll(
            lambda: (lambda s: s if s['OS-EXT-STS:task_state'] == 'spawning' else None)(
                rest.server(sid)), 20, what='build under way on cmp1')
        assert spawning['status'] == 'BUILD' and spawning['OS-EXT-SRV-ATTR:host'] == 'cmp1'

        cc.cloud.kill(cc.compute_key('cmp1'))
        killed_at = time.monotonic()
        # service_down_time 4 s + reaper every 1 s: ERROR well before the 30 s
        # spawn would have ended (and before build_timeout).
        server = rest.wait_status(sid, ('ERROR', 'ACTIVE'), timeout=25)
        took = time.monotonic() - killed_at
        assert server['status'] == 'ERROR', server
        assert 'cmp1 went down during the build' in server['fault']['message']
        assert server['OS-EXT-STS:task_state'] is None
        assert took < 25
        # The host is shown down, and the server can be deleted without it.
        svcs = rest.get('/os-services?binary=iaas-compute').json()['services']
        assert [(s['host'], s['state']) for s in svcs] == [('cmp1', 'down')]
        assert rest.delete(f'/servers/{sid}').status_code == 204
        deadline_poll(lambda: rest.get(f'/servers/{sid}').status_code == 404, 20,
                      what='server gone')
    finally:
        cc.stop()


def test_failed_build_is_rescheduled_to_another_host(tmp_path):
    """cmp1's hypervisor fails every spawn: each server is rescheduled to
    cmp2 and ends ACTIVE there; cmp1 keeps no guest."""
    cc = start_compute_cloud(tmp_path, hosts=('cmp1', 'cmp2'), host_sections={
        'cmp1': {'fake_driver': {'spawn_failure_rate': 1.0}}})
    try:
        rest = Rest(cc.cloud)
        image = rest.upload_image()
        flavor = rest.create_flavor('resched.small', 256)
        r = rest.post('/servers', {'server': {'name': 'rs', 'imageRef': image,
                                              'flavorRef': flavor, 'networks': 'none',
                                              'min_count': 4, 'max_count': 4}})
        assert r.status_code == 202, r.text
        servers = rest.get('/servers/detail?name=^rs-').json()['servers']
        assert len(servers) == 4
        done = [rest.wait_status(s['id'], ('ACTIVE', 'ERROR'), 60) for s in servers]
        assert [(s['status'], s['OS-EXT-SRV-ATTR:host']) for s in done] == \
            [('ACTIVE', 'cmp2')] * 4, [s.get('fault') for s in done]
        bad, good = cc.fake_accounting('cmp1'), cc.fake_accounting('cmp2')
        assert bad['guests'] == {} and bad['spawned'] == 0
        assert sorted(good['guests']) == sorted(s['id'] for s in done)
        # Spread placed some on cmp1 first: they failed there and moved.
        tried = cc.cloud.daemons[cc.compute_key('cmp1')].log().count('failed (attempt 1)')
        assert tried >= 1
        hv = {h['service']['host']: h for h in
              rest.get('/os-hypervisors/detail').json()['hypervisors']}
        assert hv['cmp1']['running_vms'] == 0 and hv['cmp2']['running_vms'] == 4
    finally:
        cc.stop()
