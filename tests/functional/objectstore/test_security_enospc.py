"""A full disk refuses writes on its own device only (issue 12, finding
11): the storage server answers 507 for that device, the proxy goes on
with the other replicas and does not stop using the node, and other
accounts' writes and deletes keep working."""
import os
import subprocess

import pytest
import requests

from tests.functional.objectstore.conftest import Store

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='mounts a tmpfs (needs root)')


def _mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    subprocess.run(['mount', '-t', 'tmpfs', '-o', f'size={size}', 'tmpfs', str(path)],
                   check=True)


def _umount(path):
    subprocess.run(['umount', '-l', str(path)], check=False)


@pytest.fixture(params=['http', 'in-process'])
def shared_disk(request, tmp_path):
    """Three storage nodes whose devices share one 2 MiB filesystem (as the
    devices of iaas-all share the state directory's disk)."""
    root = tmp_path / 'disk'
    _mount_tmpfs(root, '2m')
    try:
        store = Store(root, in_process=request.param == 'in-process')
        try:
            yield store
        finally:
            store.stop()
    finally:
        _umount(root)


@pytest.fixture(params=['http', 'in-process'])
def one_full_device(request, tmp_path):
    """Three nodes; node 0's device is a 256 KiB filesystem."""
    store = Store(tmp_path / 'os', in_process=request.param == 'in-process')
    dev = os.path.join(store.nodes[0][0], 'd00')
    _mount_tmpfs(dev, '256k')
    try:
        yield store, dev
    finally:
        store.stop()
        _umount(dev)


def _setup(store):
    tok, url = store.token()
    tok2, url2 = store.token('test2:tester2', 'testing2')
    h, h2 = {'X-Auth-Token': tok}, {'X-Auth-Token': tok2}
    assert requests.put(url + '/big', headers=h).status_code == 201
    assert requests.put(url2 + '/c', headers=h2).status_code == 201
    assert requests.put(url2 + '/c/old', data=b'old', headers=h2).status_code == 201
    return url, h, url2, h2


@pytest.mark.parametrize('chunked', [False, True])
def test_full_disk_refuses_that_write_only(shared_disk, chunked):
    url, h, url2, h2 = _setup(shared_disk)
    body = b'x' * (3 * 1024 * 1024)
    data = iter([body[i:i + 65536] for i in range(0, len(body), 65536)]) if chunked else body
    r = requests.put(url + '/big/huge', data=data, headers=h)
    assert r.status_code in (503, 507)
    assert requests.get(url + '/big/huge', headers=h).status_code == 404
    # at once: another account's writes and deletes still work
    assert requests.put(url2 + '/c/new', data=b'new', headers=h2).status_code == 201
    assert requests.delete(url2 + '/c/old', headers=h2).status_code == 204
    assert requests.get(url2 + '/c/new', headers=h2).content == b'new'
    assert not shared_disk.cluster._errors


def test_a_full_device_answers_507_and_stays_in_use(one_full_device):
    store, dev = one_full_device
    url, h, url2, h2 = _setup(store)
    r = requests.put(url + '/big/huge', data=b'y' * (1024 * 1024), headers=h)
    assert r.status_code == 201          # the two other replicas
    assert requests.get(url + '/big/huge', headers=h).content == b'y' * (1024 * 1024)
    # the storage server itself says 507 for that device
    node = next(n for n in store.ring.devs if n['device'] == 'd00')
    part, _ = store.ring.get_nodes(url.rsplit('/', 1)[1], 'big', 'huge2')
    path = f"/obj/d00/{part}/{url.rsplit('/', 1)[1]}/big/huge2"
    r = requests.put(f"http://127.0.0.1:{node['port']}{path}", data=b'z' * (512 * 1024),
                     headers={'X-Timestamp': '1700000000.00000',
                              'Content-Type': 'application/octet-stream'}) \
        if store.services[0] is not None else None
    if r is not None:
        assert r.status_code == 507
    # the node is not error-limited: a small object lands on all three devices
    assert not store.cluster._errors
    assert requests.put(url2 + '/c/small', data=b's', headers=h2).status_code == 201
    a2 = url2.rsplit('/', 1)[1]
    part, nodes = store.ring.get_nodes(a2, 'c', 'small')
    assert {n['device'] for n in nodes} == {'d00', 'd10', 'd20'}
    for n in nodes:
        status, _, _ = store.cluster.request(n, 'HEAD', f"/obj/{n['device']}/{part}/{a2}/c/small")
        assert status == 200, n['device']
    assert requests.delete(url2 + '/c/old', headers=h2).status_code == 204
