"""A volume host killed (SIGKILL, no clean shutdown) in the middle of an
operation: separate processes, RabbitMQ, PostgreSQL. The conductor's
reaper ends the operation once the host is seen down; nothing stays in a
transitional status, and the volume can be deleted when the host is back."""
import time

import pytest

from tests.probe.compute.helpers import deadline_poll, start_compute_cloud

pytestmark = pytest.mark.slow

SLOW = {'volume': {'enabled_backends': 'slow'},
        'backend_slow': {'volume_driver': 'fake', 'fake_delay': 60}}


def start_volume_host(cc, sections):
    cfg = cc.cloud.host_config('vol1', sections, database=False)
    cc.cloud.start('iaas-volume', config_file=cfg, wait_port=False, key='iaas-volume-vol1')
    deadline_poll(lambda: [s for s in cc.openstack('volume', 'service', 'list')
                           if s['State'] == 'up'], 30, interval=0.3,
                  what='volume service up')


def status(cc, vid):
    return cc.openstack('volume', 'show', vid)


def test_volume_host_killed_mid_create(tmp_path):
    cc = start_compute_cloud(tmp_path, hosts=())
    try:
        start_volume_host(cc, SLOW)
        v = cc.openstack('volume', 'create', '--size', '1', 'doomed')
        # placed and cast: the backend sleeps 60 s in create_volume
        deadline_poll(lambda: status(cc, v['id'])['os-vol-host-attr:host'], 20,
                      what='volume placed on vol1')
        assert status(cc, v['id'])['status'] == 'creating'

        cc.cloud.kill('iaas-volume-vol1')
        killed_at = time.monotonic()
        # service_down_time 4 s + the reaper every second: error long before
        # the 60 s create would have ended
        got = deadline_poll(lambda: (lambda s: s if s['status'] != 'creating' else None)(
            status(cc, v['id'])), 30, interval=0.5, what='volume out of creating')
        assert got['status'] == 'error', got
        assert time.monotonic() - killed_at < 30

        # the host back (fast this time): the failed volume is deleted
        start_volume_host(cc, {'volume': {'enabled_backends': 'slow'},
                               'backend_slow': {'volume_driver': 'fake'}})
        cc.openstack('volume', 'delete', 'doomed', json_out=False)
        deadline_poll(lambda: not cc.openstack('volume', 'list'), 30, interval=0.5,
                      what='volume deleted')
    finally:
        cc.stop()
