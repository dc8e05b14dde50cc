"""``iaas-manage status`` on each database: every kind of problem shows in
its section with the command that fixes it; a healthy cloud says all good;
an empty database says to run db sync."""
import datetime
import json

import pytest
import sqlalchemy as sa

from iaas.cmd import manage
from iaas.db import compute_nodes, flavors, images, instances, services
from iaas.db.base import utcnow
from iaas.db.engine import transaction
from iaas.db.image_models import Image
from iaas.db.models import Instance, Service
from iaas.db.volume_models import Volume, VolumeBackup, VolumeSnapshot

LONG_AGO = datetime.timedelta(hours=2)


@pytest.fixture(autouse=True)
def _no_allinone_record(monkeypatch, tmp_path):
    # iaas-manage must use this test's database, not a recorded all-in-one
    monkeypatch.setenv('IAAS_ALLINONE_RECORD', str(tmp_path / 'no-record.json'))
    # one process runs several commands here: keep pytest's log handlers
    monkeypatch.setattr(manage.logs, 'setup', lambda conf, name: None)


def run(capsys, *args):
    from iaas.conf import CONF
    url, state = CONF.database.connection, CONF.state_path
    CONF.clear()   # as a fresh process: the conf fixture parsed no command line of ours
    try:
        code = manage.main(list(args))
    finally:   # main() resets CONF, overrides too: this test's database again
        CONF.set_override('state_path', state)
        CONF.set_override('connection', url, group='database')
    out, err = capsys.readouterr()
    return code, out, err


def healthy_cloud():
    """One compute host (up, with room), its node, a flavor."""
    services.service_register('cmp-1', 'iaas-compute', 'compute')
    compute_nodes.upsert('cmp-1', 'cmp-1', vcpus=8, memory_mb=16384, local_gb=200,
                         cpu_allocation_ratio=1.0, ram_allocation_ratio=1.0,
                         disk_allocation_ratio=1.0)
    flavors.create('m1.small', 2048, 1, root_gb=20, flavorid='2')


def set_rows(model, where, **values):
    with transaction() as s:
        s.execute(sa.update(model).where(where).values(**values))


def add_instance(name, vm_state, task_state, host='cmp-1', updated_at=None, memory_mb=512):
    with transaction() as s:
        inst = Instance(display_name=name, project_id='p1', user_id='u1', vm_state=vm_state,
                        task_state=task_state, host=host, node=host, vcpus=1,
                        memory_mb=memory_mb, root_gb=1)
        s.add(inst)
        s.flush()
        uuid = inst.uuid
    set_rows(Instance, Instance.uuid == uuid, updated_at=updated_at or utcnow())
    return uuid


def test_healthy_cloud_is_all_good(db_url, capsys):
    healthy_cloud()
    code, out, err = run(capsys, 'status')
    assert code == 0, out + err
    assert 'all good' in out
    assert 'room for more servers: m1.small 8' in out   # 8 vCPUs / 1 each
    for title in ('DOWN', 'STUCK', 'DEGRADED', 'NEAR CAPACITY'):
        assert title not in out


def test_every_problem_with_its_fix(db_url, capsys):
    healthy_cloud()
    now, old = utcnow(), utcnow() - LONG_AGO
    # DOWN: a stale heartbeat, a forced-down service
    services.service_register('net-1', 'iaas-network', 'network')
    set_rows(Service, Service.host == 'net-1', last_seen_up=old)
    services.service_register('vol-1', 'iaas-volume', 'volume')
    services.service_update('vol-1', 'iaas-volume', forced_down=True)
    # DEGRADED: a disabled service, a compute service without a hypervisor
    services.service_update('cmp-1', 'iaas-compute', disabled=True,
                            disabled_reason='disk swap')
    services.service_register('cmp-2', 'iaas-compute', 'compute')
    # STUCK: a build, a task, a volume, a snapshot, a backup, an image
    build = add_instance('vm-build', 'building', 'spawning', updated_at=old)
    busy = add_instance('vm-busy', 'active', 'rebooting', updated_at=old)
    add_instance('vm-fresh', 'active', 'rebooting', updated_at=now)   # not stuck yet
    with transaction() as s:
        vol = Volume(project_id='p1', user_id='u1', size=1, status='attaching',
                     status_changed_at=old, display_name='data')
        s.add(vol)
        s.flush()
        snap = VolumeSnapshot(volume_id=vol.uuid, project_id='p1', user_id='u1',
                              volume_size=1, status='creating', status_changed_at=old)
        backup = VolumeBackup(volume_id=vol.uuid, project_id='p1', user_id='u1', size=1,
                              status='restoring', status_changed_at=old)
        s.add_all([snap, backup])
        s.flush()
        vol_id, snap_id, backup_id = vol.uuid, snap.uuid, backup.uuid
    img = images.image_create({'name': 'snap-img', 'status': 'saving', 'owner': 'p1'})
    set_rows(Image, Image.id == img['id'], updated_at=old)
    # NEAR CAPACITY: a node almost full, a flavor nothing fits
    compute_nodes.upsert('cmp-3', 'cmp-3', vcpus=4, memory_mb=4096, local_gb=100,
                         cpu_allocation_ratio=1.0, ram_allocation_ratio=1.0,
                         disk_allocation_ratio=1.0)
    services.service_register('cmp-3', 'iaas-compute', 'compute')
    add_instance('vm-big', 'active', None, host='cmp-3', memory_mb=3900)
    compute_nodes.refresh_usage('cmp-3')
    flavors.create('m1.huge', 65536, 4, root_gb=20, flavorid='9')

    code, out, _ = run(capsys, 'status')
    assert code == 1, out
    sections = {}
    current = None
    for line in out.splitlines():
        if line and not line.startswith(' '):
            current = line
        sections.setdefault(current, []).append(line)
    text = {k: '\n'.join(v) for k, v in sections.items()}
    down, stuck = text['DOWN'], text['STUCK']
    degraded, capacity = text['DEGRADED'], text['NEAR CAPACITY']
    assert 'iaas-network on net-1: no heartbeat for 2 h' in down
    assert 'systemctl start iaas-network' in down
    assert 'iaas-volume on vol-1: forced down' in down
    assert 'openstack compute service set --up vol-1 iaas-volume' in down
    assert 'iaas-compute on cmp-1: disabled (disk swap)' in degraded
    assert 'iaas-manage service enable cmp-1 iaas-compute' in degraded
    assert 'iaas-compute on cmp-2 reports no hypervisor' in degraded
    assert 'iaas-volume on vol-1 reports no backend' in degraded
    assert f'server {build} (vm-build) in BUILD' in stuck
    assert f'iaas-manage server reset-state {build} --state error' in stuck
    assert f'server {busy} (vm-busy) in task rebooting' in stuck
    assert 'vm-fresh' not in out
    assert f'openstack volume set --state available {vol_id}' in stuck
    assert f'openstack volume snapshot set --state error {snap_id}' in stuck
    assert f'openstack volume backup set --state error {backup_id}' in stuck
    assert f'openstack image delete {img["id"]}' in stuck
    assert 'hypervisor cmp-3/cmp-3: 95 % of its RAM claimed' in capacity
    assert 'no room left in the cloud for one more server of: m1.small, m1.huge' in capacity
    assert 'problem(s)' in out.splitlines()[-1]

    code, out, _ = run(capsys, 'status', '--json')
    report = json.loads(out)
    assert code == 1 and report['ok'] is False
    assert report['problems'] == sum(len(report[k]) for k in
                                     ('down', 'stuck', 'degraded', 'near_capacity'))
    assert {p['id'] for p in report['stuck']} == {build, busy, vol_id, snap_id, backup_id,
                                                  img['id']}
    # cmp-1 is disabled, cmp-2 has no node: only cmp-3 (4 vCPUs, 196 MiB left) counts
    assert report['free_per_flavor'] == {'m1.small': 0, 'm1.huge': 0}

    # the proposed fixes work: the servers leave the report
    assert run(capsys, 'server', 'reset-state', build, '--state', 'error')[0] == 0
    assert run(capsys, 'server', 'reset-state', busy)[0] == 0
    assert instances.get(build)['vm_state'] == 'error'
    assert instances.get(busy)['task_state'] is None
    report = json.loads(run(capsys, 'status', '--json')[1])
    assert {p['id'] for p in report['stuck']} == {vol_id, snap_id, backup_id, img['id']}


def test_thresholds_are_options(db_url, capsys):
    healthy_cloud()
    add_instance('vm-half', 'active', None, memory_mb=8192)
    compute_nodes.refresh_usage('cmp-1')
    assert run(capsys, 'status')[0] == 0
    code, out, err = run(capsys, "status", "--capacity-percent", "50")
    assert code == 1 and 'hypervisor cmp-1/cmp-1: 50 % of its RAM claimed' in out, err
    add_instance('vm-recent', 'building', 'scheduling',
                 updated_at=utcnow() - datetime.timedelta(minutes=10))
    assert 'vm-recent' not in run(capsys, 'status')[1]
    assert 'vm-recent' in run(capsys, 'status', '--stuck-minutes', '5')[1]


def test_empty_database_says_db_sync(conf, empty_db_url, capsys):
    conf.set_override('connection', empty_db_url, group='database')
    for command in (['status'], ['service', 'list']):
        code, out, err = run(capsys, *command)
        assert code == 2
        assert 'has no iaas schema: run "iaas-manage db sync" first' in err
        assert 'Traceback' not in out + err
