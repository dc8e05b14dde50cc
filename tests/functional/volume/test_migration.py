"""Volume migration (os-migrate_volume, admin) with two volume hosts and
three backends in process: 'fv1' serves 'file' (raw) and 'file2' (qcow2),
'fv2' serves its own 'file' (raw, another directory). The data is copied
(to the other host through the volume service, chunk by chunk), the volume
keeps its id and reports its new host; a failure leaves it available on
its old host with migration_status error."""
import os

import pytest

from iaas.conf import volume as volume_conf
from iaas.db import volume_backends as db_backends
from iaas.db import volumes as db
from iaas.volume.drivers import file as file_driver
from iaas.volume.manager import VolumeManager, load_backends
from tests.functional.volume.conftest import volume_cloud, wait_for

MiB = 1 << 20
PATTERN = [(0, b'head' * 1024), (5 * MiB + 17, os.urandom(3 * MiB)),
           ((1 << 30) - 4096, b'tail' * 1024)]


class _View:
    """A backend's option group with some options of its own."""

    def __init__(self, view, **own):
        self._view, self._own = view, own

    def __getattr__(self, name):
        return self._own[name] if name in self._own else getattr(self._view, name)


@pytest.fixture
def two(conf, db_url):
    volume_conf.register_backend(conf, 'file', file_driver.file_opts)
    volume_conf.register_backend(conf, 'file2', file_driver.file_opts)
    conf.set_override('volume_format', 'raw', group='backend_file')
    conf.set_override('volume_driver', 'file', group='backend_file2')
    conf.set_override('volume_format', 'qcow2', group='backend_file2')
    conf.set_override('volumes_dir', os.path.join(conf.state_path, 'volumes2'),
                      group='backend_file2')
    conf.set_override('enabled_backends', ['file', 'file2'], group='volume')
    fv1 = VolumeManager('fv1')
    name, drv, view = load_backends('fv2')['file']
    own = _View(view, volumes_dir=os.path.join(conf.state_path, 'volumes-fv2'))
    fv2 = VolumeManager('fv2', {'file': (name, file_driver.FileDriver('file', own, 'fv2'),
                                         own)})
    with volume_cloud(conf, [fv1, fv2], ['file', 'file2']) as c:
        c.drivers = {f'{m.host}@{b}': d for m in (fv1, fv2)
                     for b, (_, d, _) in m.backends.items()}
        wait_for(lambda: len(c.v('GET', '/scheduler-stats/get_pools', token=c.admin,
                                 project=c.admin_project).json['pools']) == 3,
                 what='three backends')
        yield c


def _admin_view(cloud, vid):
    return cloud.v('GET', f'/volumes/{vid}', token=cloud.admin).json['volume']


def _host(cloud, vid):
    return _admin_view(cloud, vid)['os-vol-host-attr:host'].split('#')[0]


def _plain(cloud, vid):
    v = _admin_view(cloud, vid)
    row = db.get(vid)
    return {'id': vid, 'size': v['size'], 'provider_location': row['provider_location']}


def _write(cloud, vid):
    with cloud.drivers[_host(cloud, vid)].open_volume(_plain(cloud, vid), 'r+b') as f:
        for offset, data in PATTERN:
            f.seek(offset)
            f.write(data)


def _check(cloud, vid):
    with cloud.drivers[_host(cloud, vid)].open_volume(_plain(cloud, vid), 'rb') as f:
        for offset, data in PATTERN:
            f.seek(offset)
            assert f.read(len(data)) == data, offset
        f.seek(4 * MiB)
        assert f.read(MiB) == bytes(MiB)          # what was zero still is


def _migrate(cloud, vid, host, status=202, token=None, **extra):
    r = cloud.v('POST', f'/volumes/{vid}/action',
                {'os-migrate_volume': {'host': host, **extra}}, token=token or cloud.admin)
    assert r.status_int == status, r.body
    return r


def _settled(cloud, vid):
    return wait_for(lambda: (lambda v: v['status'] == 'available' and
                             v['migration_status'] in ('success', 'error') and v)(
        _admin_view(cloud, vid)), timeout=120, what=f'migration of {vid} over')


def test_migration_to_another_host_and_backend_keeps_the_data(two):
    vol = two.create(size=1, name='data')
    two.wait_status(vol['id'], 'available')
    src = _host(two, vol['id'])
    _write(two, vol['id'])
    others = sorted(set(two.drivers) - {src})
    remote = next(h for h in others if h.split('@')[0] != src.split('@')[0])
    _migrate(two, vol['id'], f"{remote}#{remote.split('@')[1]}", force_host_copy=False,
             lock_volume=False)
    got = _settled(two, vol['id'])
    assert got['migration_status'] == 'success', got
    assert got['os-vol-host-attr:host'].startswith(remote + '#')
    assert got['id'] == vol['id'] and got['name'] == 'data'
    _check(two, vol['id'])
    src_driver = two.drivers[src]
    assert not os.path.exists(src_driver.path({'id': vol['id']}))   # the old copy is gone
    # members do not see the migration status (admins only)
    assert 'migration_status' not in two.v('GET', f"/volumes/{vol['id']}").json['volume']

    # again, between the two backends of one host (raw <-> qcow2)
    here = remote.split('@')[0]
    local = next((h for h in two.drivers if h.startswith(here + '@') and h != remote), None)
    if local is None:                      # it went to fv2: go back to fv1's other one
        local = next(h for h in two.drivers if h.startswith('fv1@'))
    _migrate(two, vol['id'], local)
    got = _settled(two, vol['id'])
    assert got['migration_status'] == 'success' and _host(two, vol['id']) == local
    _check(two, vol['id'])
    # it is an ordinary volume there: extend, then delete
    r = two.v('POST', f"/volumes/{vol['id']}/action", {'os-extend': {'new_size': 2}})
    assert r.status_int == 202, r.body
    assert two.wait_status(vol['id'], 'available')['size'] == 2
    assert two.v('DELETE', f"/volumes/{vol['id']}").status_int == 202
    two.wait_status(vol['id'], 'deleted')


def test_a_failed_copy_leaves_it_on_its_old_host(two, monkeypatch):
    vol = two.create(size=1)
    two.wait_status(vol['id'], 'available')
    src = _host(two, vol['id'])
    _write(two, vol['id'])
    target = next(h for h in sorted(two.drivers) if h != src)

    def broken(volume):
        raise file_driver.DriverError('disk on fire')
    monkeypatch.setattr(two.drivers[target], 'create_volume', broken)
    _migrate(two, vol['id'], target)
    got = _settled(two, vol['id'])
    assert got['migration_status'] == 'error' and _host(two, vol['id']) == src
    _check(two, vol['id'])
    monkeypatch.undo()
    # and it can be migrated once the target works again
    _migrate(two, vol['id'], target)
    assert _settled(two, vol['id'])['migration_status'] == 'success'
    _check(two, vol['id'])


def test_refusals(two):
    vol = two.create(size=1)
    two.wait_status(vol['id'], 'available')
    vid, src = vol['id'], _host(two, vol['id'])
    target = next(h for h in sorted(two.drivers) if h != src)
    act = f'/volumes/{vid}/action'
    # members: 403 on their own volume, another project's is 404
    _migrate(two, vid, target, 403, token=two.alice)
    r = two.v('POST', act, {'os-migrate_volume': {'host': target}}, token=two.bob,
              project=two.b_project)
    assert r.status_int == 404
    for body in ({}, {'host': None}, {'host': ''}, {'host': 'a b'}, {'host': target,
                                                                    'bogus': 1},
                 {'host': target, 'lock_volume': 'maybe'}, {'cluster': 'c1'},
                 {'host': src}, {'host': 'nowhere@none'}, {'host': 'x' * 300}):
        r = two.v('POST', act, {'os-migrate_volume': body}, token=two.admin)
        assert r.status_int == 400, (body, r.status_int, r.body)
    r = two.v('POST', act, {'os-migrate_volume_completion': {'new_volume': vid}},
              token=two.admin)
    assert r.status_int == 400 and 'not mid-migration' in r.body.decode()
    for body in ({}, {'new_volume': 5}, {'new_volume': vid, 'error': 'perhaps'}):
        r = two.v('POST', act, {'os-migrate_volume_completion': body}, token=two.admin)
        assert r.status_int == 400, (body, r.body)
    # not available (reserved), or with a snapshot: 400
    assert two.v('POST', act, {'os-reserve': None}).status_int == 202
    _migrate(two, vid, target, 400)
    assert two.v('POST', act, {'os-unreserve': None}).status_int == 202
    snap = two.v('POST', '/snapshots', {'snapshot': {'volume_id': vid}}).json['snapshot']
    two.wait_status(snap['id'], 'available', kind='snapshots')
    r = _migrate(two, vid, target, 400)
    assert 'snapshots' in r.body.decode()
    assert _admin_view(two, vid)['migration_status'] is None and _host(two, vid) == src


def test_an_admin_aborts_a_migration(two):
    vol = two.create(size=1)
    two.wait_status(vol['id'], 'available')
    vid, src = vol['id'], _host(two, vol['id'])
    target = next(h for h in sorted(two.drivers) if h != src)
    # begun (as the API does) without the cast: then aborted
    db_backends.claim_migration(target, vid, ('available',), 'maintenance',
                                previous_status='available', migration_status='migrating')
    v = _admin_view(two, vid)
    assert (v['status'], v['migration_status']) == ('maintenance', 'migrating')
    for action in ({'os-extend': {'new_size': 3}}, {'os-migrate_volume': {'host': target}}):
        r = two.v('POST', f'/volumes/{vid}/action', action, token=two.admin)
        assert r.status_int == 400, (action, r.body)
    r = two.v('POST', f'/volumes/{vid}/action', {'os-migrate_volume_completion': {
        'new_volume': vid, 'error': True}}, token=two.admin)
    assert r.status_int == 200 and r.json == {'save_volume_id': vid}, r.body
    v = _admin_view(two, vid)
    assert (v['status'], v['migration_status']) == ('available', 'error')
    assert _host(two, vid) == src
