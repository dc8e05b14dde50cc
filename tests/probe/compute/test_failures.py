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
