"""Unmodified python-swiftclient (the `swift` command) against a real
iaas-objectstore daemon (single node, ring made on first start)."""
import hashlib
import json
import os
import subprocess
import sys

import pytest
import requests

from tests.probe.objectstore.helpers import Daemon, free_port, wait_http, write_conf

pytestmark = pytest.mark.slow
SWIFT = os.path.join(os.path.dirname(sys.executable), 'swift')


@pytest.fixture(scope='module')
def daemon(tmp_path_factory):
    state = tmp_path_factory.mktemp('objstore')
    port = free_port()
    conf = write_conf(str(state / 'iaas.conf'), state, port=port, storage_port=free_port(),
                      tempauth_users='test:tester:testing:.admin', replicator_interval=3600,
                      auditor_interval=3600, expirer_interval=1, default_part_power=8)
    d = Daemon(conf).start()
    try:
        wait_http(f'http://127.0.0.1:{port}/info', proc=d.proc)
        yield f'http://127.0.0.1:{port}', state
    finally:
        d.stop()


def swift(url, *args, cwd=None):
    cmd = [SWIFT, '-A', url + '/auth/v1.0', '-U', 'test:tester', '-K', 'testing', *args]
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=120)
    assert p.returncode == 0, f'{args}: {p.stdout} {p.stderr}'
    return p.stdout


def test_swift_cli(daemon, tmp_path):
    url, state = daemon
    assert os.path.exists(os.path.join(state, 'objectstore', 'object.ring.json'))
    src = tmp_path / 'src'
    (src / 'photos').mkdir(parents=True)
    files = {'photos/a.jpg': os.urandom(5000), 'photos/b.jpg': os.urandom(7000),
             'notes.txt': b'hello\n', 'big.bin': os.urandom(3 * 1024 * 1024 + 5)}
    for name, data in files.items():
        (src / name).write_bytes(data)
    swift(url, 'upload', 'docs', 'photos', 'notes.txt', cwd=src)
    # segmented upload (-S): DLO segments in docs_segments
    swift(url, 'upload', '-S', '1048576', 'docs', 'big.bin', cwd=src)
    out = swift(url, 'list', 'docs')
    assert out.split() == ['big.bin', 'notes.txt', 'photos/a.jpg', 'photos/b.jpg']
    assert swift(url, 'list', 'docs', '--prefix', 'photos/').split() == \
        ['photos/a.jpg', 'photos/b.jpg']
    assert swift(url, 'list', 'docs', '--delimiter', '/').split() == \
        ['big.bin', 'notes.txt', 'photos/']
    assert len(swift(url, 'list', 'docs_segments').split()) == 4
    assert 'docs' in swift(url, 'list').split()
    dst = tmp_path / 'dst'
    dst.mkdir()
    swift(url, 'download', 'docs', cwd=dst)
    for name, data in files.items():
        assert hashlib.md5((dst / name).read_bytes()).hexdigest() == \
            hashlib.md5(data).hexdigest(), name
    swift(url, 'post', '-m', 'Color:blue', 'docs', 'notes.txt')
    stat = swift(url, 'stat', 'docs', 'notes.txt')
    assert 'Meta Color: blue' in stat and 'Content Length: 6' in stat
    stat = swift(url, 'stat', 'docs')
    assert 'Objects: 4' in stat
    swift(url, 'post', '-m', 'Owner:me', 'docs')
    assert 'Meta Owner: me' in swift(url, 'stat', 'docs')
    swift(url, 'delete', 'docs', 'big.bin')          # removes the segments too
    assert swift(url, 'list', 'docs_segments').split() == []
    swift(url, 'delete', 'docs')
    assert 'docs' not in swift(url, 'list').split()


def test_swift_slo_upload(daemon, tmp_path):
    url, _ = daemon
    data = os.urandom(2 * 1024 * 1024 + 3)
    (tmp_path / 'slo.bin').write_bytes(data)
    swift(url, 'upload', '--use-slo', '-S', '1048576', 'sloc', 'slo.bin', cwd=tmp_path)
    out = tmp_path / 'out'
    out.mkdir()
    swift(url, 'download', 'sloc', 'slo.bin', '-o', str(out / 'x'))
    assert (out / 'x').read_bytes() == data
    token = requests.get(url + '/auth/v1.0', headers={'X-Auth-User': 'test:tester',
                                                      'X-Auth-Key': 'testing'})
    h = {'X-Auth-Token': token.headers['X-Auth-Token']}
    st = token.headers['X-Storage-Url']
    manifest = requests.get(st + '/sloc/slo.bin?multipart-manifest=get', headers=h).json()
    assert len(manifest) == 3
    swift(url, 'delete', 'sloc', 'slo.bin')
    left = requests.get(st + '/sloc_segments?format=json', headers=h)
    assert left.status_code == 204 or json.loads(left.text or '[]') == []
