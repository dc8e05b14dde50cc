"""iaas.compute.image_client: the compute host's way to the image service,
and the libvirt image cache using it by default."""
import subprocess

import pytest
import requests

from iaas.common import service_auth
from iaas.compute import image_client
from iaas.compute.virt import driver
from iaas.compute.virt.libvirt import imagecache
from tests.unit.compute.virt.libvirt.test_imagecache import _ImageServer


class FakeClient:
    def __init__(self, url, fail=False):
        self.url, self.fail, self.session = url, fail, requests.Session()

    def endpoint(self, service_type):
        assert service_type == 'image'
        if self.fail:
            raise service_auth.ServiceAuthError('no catalog')
        return self.url

    def token(self):
        return 'tok'


@pytest.fixture
def server(tmp_path):
    src = tmp_path / 'src'
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', str(src), '1M'], check=True)
    s = _ImageServer(src.read_bytes())
    yield s
    s.close()


def test_fetch_verifies_and_returns_the_record(server, tmp_path, monkeypatch):
    monkeypatch.setattr(service_auth, 'get_client', lambda: FakeClient(server.url))
    image = image_client.fetch('img-h', str(tmp_path / 'dest'))
    assert image['disk_format'] == 'qcow2'
    assert (tmp_path / 'dest').stat().st_size == image['size']


def test_unreachable_image_service_is_a_fetch_error(server, tmp_path, monkeypatch):
    monkeypatch.setattr(service_auth, 'get_client', lambda: FakeClient(server.url, True))
    with pytest.raises(image_client.ImageFetchError, match='cannot reach the image service'):
        image_client.fetch('img-h', str(tmp_path / 'dest'))


def test_image_cache_fetches_through_the_client(server, tmp_path, monkeypatch):
    monkeypatch.setattr(service_auth, 'get_client', lambda: FakeClient(server.url))
    cache = imagecache.ImageCache(str(tmp_path / '_base'))
    path, fmt = cache.ensure('img-h')
    assert fmt == 'qcow2' and cache.downloads == 1
    monkeypatch.setattr(service_auth, 'get_client', lambda: FakeClient(server.url, True))
    with pytest.raises(driver.DriverError, match='img-2 download failed: cannot reach'):
        imagecache.ImageCache(str(tmp_path / '_base2')).ensure('img-2')
