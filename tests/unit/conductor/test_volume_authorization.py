"""What the conductor lets a volume host do: only the volumes placed on its
own backends (another host's volume does not exist for it), only a status
swap and the host-writable fields; and what a compute host may do with a
volume attachment: only for a server placed on it."""
import datetime

import pytest
import sqlalchemy as sa

from iaas.conductor.manager import ConductorManager
from iaas.context import RequestContext
from iaas.db import services as db_services
from iaas.db import volume_backends as db_backends
from iaas.db import volume_backups as db_backups
from iaas.db import volume_snapshots as db_snapshots
from iaas.db import volumes as db
from iaas.db.base import utcnow
from iaas.db.engine import transaction
from iaas.db.volume_models import Volume
from iaas.exception import (
    BackupNotFound,
    HostNotAuthorized,
    InstanceNotFound,
    SnapshotNotFound,
    VolumeNotFound,
)
from tests.unit.conductor.direct import direct_conductor, placed_instance

OWNER, OTHER = 'vauth-v1', 'vauth-v2'


@pytest.fixture
def ctx(conf, sqlite_db):
    return RequestContext(user_id='u', project_id='p', roles=['member'])


@pytest.fixture
def volume(ctx):
    db_backends.report(OWNER, 'file', 'file', 'file', 'nova', {'total_gb': 100, 'free_gb': 100})
    vol = db.create({'project_id': 'p', 'user_id': 'u', 'size': 1})
    assert db_backends.claim(OWNER, 'file', vol['uuid'], 1) is True
    return vol['uuid']


def test_the_owning_host_reads_and_swaps(ctx, volume):
    mine = direct_conductor(OWNER, 'volume')
    assert mine.volume_get(ctx, volume)['host'] == f'{OWNER}@file'
    got = mine.volume_update(ctx, volume, 'creating', 'available', provider_location='x')
    assert got['status'] == 'available' and got['provider_location'] == 'x'
    assert db.get(volume)['launched_at'] is not None


@pytest.mark.parametrize('call', [
    lambda c, ctx, v: c.volume_get(ctx, v),
    lambda c, ctx, v: c.volume_update(ctx, v, 'creating', 'available'),
    lambda c, ctx, v: c.volume_destroyed(ctx, v),
])
def test_another_volume_host_finds_no_such_volume(ctx, volume, call):
    before = db.get(volume)
    with pytest.raises(VolumeNotFound):
        call(direct_conductor(OTHER, 'volume'), ctx, volume)
    assert db.get(volume) == before


def test_a_volume_host_writes_only_status_and_its_fields(ctx, volume):
    mine = direct_conductor(OWNER, 'volume')
    for values in ({'size': 1000}, {'project_id': 'q'}, {'host': f'{OTHER}@file'},
                   {'volume_type_id': 'x'}, {'multiattach': True}):
        with pytest.raises(HostNotAuthorized):
            mine.volume_update(ctx, volume, 'creating', 'available', **values)
    with pytest.raises(HostNotAuthorized):
        mine.volume_update(ctx, volume, 'creating', 'pwned')
    assert db.get(volume)['status'] == 'creating'


def test_other_roles_may_not_act_as_a_volume_host(ctx, volume):
    for role in ('compute', 'network'):
        with pytest.raises(HostNotAuthorized):
            direct_conductor(OWNER, role).volume_get(ctx, volume)


def test_snapshots_and_backups_of_another_hosts_volume(ctx, volume):
    db.swap(volume, 'creating', 'available')
    snap = db_snapshots.create({'volume_id': volume, 'project_id': 'p', 'user_id': 'u'})
    other = direct_conductor(OTHER, 'volume')
    with pytest.raises(SnapshotNotFound):
        other.snapshot_get(ctx, snap['uuid'])
    with pytest.raises(SnapshotNotFound):
        other.snapshot_update(ctx, snap['uuid'], 'creating', 'available')
    backup = db_backups.create({'volume_id': volume, 'project_id': 'p', 'user_id': 'u'},
                               ('available',))
    with pytest.raises(BackupNotFound):
        other.backup_get(ctx, backup['uuid'])
    with pytest.raises(BackupNotFound):
        other.backup_update(ctx, backup['uuid'], 'creating', 'available')
    mine = direct_conductor(OWNER, 'volume')
    assert mine.backup_get(ctx, backup['uuid'])['chain'] == []
    with pytest.raises(HostNotAuthorized):
        mine.backup_update(ctx, backup['uuid'], 'creating', 'available', size=1000)
    # a backup being deleted: any volume host may (its data is only in the object store)
    db_backups.swap(backup['uuid'], 'creating', 'available')
    db_backups.begin_delete(backup['uuid'], ('available',))
    other.backup_destroyed(ctx, backup['uuid'])


def test_capacity_is_reported_for_the_calling_host_only(ctx):
    direct_conductor(OTHER, 'volume').volume_backend_report(
        ctx, 'file', 'file', 'file', 'nova', {'total_gb': 5}, 1.0, 0)
    assert {b['name'] for b in db_backends.list_()} == {f'{OTHER}@file'}


def test_attachments_only_for_servers_on_the_calling_compute_host(ctx, volume):
    db.swap(volume, 'creating', 'available')
    server = placed_instance('vauth-c1')
    _, att = db.reserve(volume, server, ('available',), mountpoint='/dev/vdb')
    with pytest.raises(InstanceNotFound):
        direct_conductor('vauth-c2').attachment_complete(ctx, att['uuid'], {}, {}, '/dev/vdb')
    with pytest.raises(InstanceNotFound):
        direct_conductor('vauth-c2').instance_volumes_released(ctx, server)
    assert db.get(volume)['status'] == 'reserved'
    direct_conductor('vauth-c1').attachment_complete(ctx, att['uuid'], {'x': 1}, {}, '/dev/vdb')
    assert db.get(volume)['status'] == 'in-use'


def test_the_reaper_ends_operations_of_a_dead_host_and_old_ones(ctx, volume, conf):
    # the volume host never reported (or went down): creating → error
    cond = ConductorManager('vauth-cond')
    cond.reap_volumes(ctx)
    got = db.get(volume)
    assert got['status'] == 'error' and 'did not finish' in got['fault']
    # an extend on a live host that never finishes: back to its status and size
    svc = db_services.service_register(OWNER, 'iaas-volume', 'volume')
    db_services.service_heartbeat(svc['id'])
    db.swap(volume, 'error', 'available')
    db.extend(volume, 'p', 3, ('available',))
    cond.reap_volumes(ctx)
    assert db.get(volume)['status'] == 'extending'          # not old yet
    conf.set_override('action_timeout', 1, group='volume')
    with transaction() as s:
        s.execute(sa.update(Volume).where(Volume.uuid == volume).values(
            status_changed_at=utcnow() - datetime.timedelta(seconds=5)))
    cond.reap_volumes(ctx)
    got = db.get(volume)
    assert (got['status'], got['size']) == ('error_extending', 1)


def test_the_reaper_drops_an_attachment_that_never_completed(ctx, volume, conf):
    svc = db_services.service_register(OWNER, 'iaas-volume', 'volume')
    db_services.service_heartbeat(svc['id'])
    db.swap(volume, 'creating', 'available')
    _, att = db.reserve(volume, None, ('available',))
    kept = db.attachments(volume_id=volume)
    assert [a['uuid'] for a in kept] == [att['uuid']]
    conf.set_override('action_timeout', 1, group='volume')
    with transaction() as s:
        s.execute(sa.update(Volume).where(Volume.uuid == volume).values(
            status_changed_at=utcnow() - datetime.timedelta(seconds=5)))
    ConductorManager('vauth-cond').reap_volumes(ctx)
    got = db.get(volume)
    assert got['status'] == 'available' and 'reserve did not finish' in got['fault']
    assert db.attachments(volume_id=volume) == []
