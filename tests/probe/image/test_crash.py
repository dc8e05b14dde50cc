"""iaas-image killed (SIGKILL) in the middle of an upload: after a restart
the image is 'queued' again, its quota reservation is released and no
partial file is left in the store."""
import os
import signal
import socket
import time

import pytest
import requests

from tests.probe.fixtures import Cloud

pytestmark = pytest.mark.slow


def test_kill_during_upload_then_restart(tmp_path):
    c = Cloud.create(tmp_path, sections={'image': {'upload_stale_timeout': 2,
                                                   'janitor_interval': 1,
                                                   'user_storage_quota': 100 << 20}})
    try:
        c.start('iaas-api')
        d = c.start('iaas-image', wait_port=c.ports['image'])
        token = c.openstack('token', 'issue')['id']
        base = f'http://127.0.0.1:{c.ports["image"]}/v2/images'
        h = {'X-Auth-Token': token}
        img = requests.post(base, json={'name': 'cut', 'disk_format': 'raw',
                                        'container_format': 'bare'}, headers=h,
                            timeout=30).json()
        size = 80 << 20
        s = socket.create_connection(('127.0.0.1', c.ports['image']))
        s.sendall((f'PUT /v2/images/{img["id"]}/file HTTP/1.1\r\nHost: x\r\n'
                   f'X-Auth-Token: {token}\r\nContent-Type: application/octet-stream\r\n'
                   f'Content-Length: {size}\r\n\r\n').encode())
        s.sendall(b'\0' * (20 << 20))
        datadir = c.state_path / 'images'
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(
                n.endswith('.tmp') for n in (os.listdir(datadir) if datadir.exists() else [])):
            time.sleep(0.05)
        assert any(n.endswith('.tmp') for n in os.listdir(datadir))
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait(10)
        s.close()
        c.daemons.pop('iaas-image').stop()
        c.start('iaas-image', wait_port=c.ports['image'])
        deadline = time.monotonic() + 20
        status = None
        while time.monotonic() < deadline:
            status = requests.get(f'{base}/{img["id"]}', headers=h, timeout=10).json()['status']
            if status == 'queued' and not os.listdir(datadir):
                break
            time.sleep(0.2)
        assert status == 'queued'
        assert os.listdir(datadir) == []
        # the reservation is gone: a 90 MiB image fits the 100 MiB quota
        r = requests.put(f'{base}/{img["id"]}/file', data=b'\0' * (90 << 20), headers={
            **h, 'Content-Type': 'application/octet-stream'}, timeout=60)
        assert r.status_code == 204, r.text
    finally:
        c.stop_all()
