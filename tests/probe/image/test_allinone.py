"""The image service inside iaas-all (one process with every service)."""
import hashlib

import pytest

from tests.probe.fixtures import Cloud, wait_for_port

pytestmark = pytest.mark.slow


def test_image_roundtrip_in_iaas_all(tmp_path):
    c = Cloud.create(tmp_path)
    try:
        d = c.start('iaas-all', wait_port=c.ports['image'], timeout=60)
        wait_for_port(c.ports['identity_port'], proc=d.proc, what='iaas-all')
        data = b'all-in-one' * 100000
        src = tmp_path / 'a.raw'
        src.write_bytes(data)
        img = c.openstack('image', 'create', '--file', str(src), 'aio-img')
        assert img['status'] == 'active' and img['checksum'] == hashlib.md5(data).hexdigest()
        out = tmp_path / 'b.raw'
        c.openstack('image', 'save', '--file', str(out), 'aio-img', json_out=False)
        assert out.read_bytes() == data
        assert (c.state_path / 'images' / img['id']).exists()
    finally:
        c.stop_all()
