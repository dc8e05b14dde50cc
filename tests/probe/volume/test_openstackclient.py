"""Unmodified python-openstackclient against the block-storage daemons
(separate processes, RabbitMQ, PostgreSQL; iaas-volume with no database
credentials, the file backend): volumes, snapshots, clones, volumes from an
image, extend, types, quotas."""
import pytest

from tests.probe.compute.helpers import Rest, deadline_poll, start_compute_cloud

pytestmark = pytest.mark.slow


@pytest.fixture
def volume_cloud(tmp_path):
    cc = start_compute_cloud(tmp_path, hosts=('cmp1',),
                             sections={'fake_driver': {'spawn_delay': 0.2}})
    try:
        cfg = cc.cloud.host_config('vol1', {'volume': {'enabled_backends': 'file'}},
                                   database=False)
        cc.cloud.start('iaas-volume', config_file=cfg, wait_port=False)
        rest = Rest(cc.cloud)
        deadline_poll(lambda: cc.openstack('volume', 'service', 'list'), 30, interval=0.3,
                      what='volume service listed')
        yield cc, rest
    finally:
        cc.stop()


def wait_volume(cc, name, status, what='volume', timeout=60):
    def check():
        v = cc.openstack(what, 'show', name)
        return v if v['status'] == status else None
    return deadline_poll(check, timeout, interval=0.3, what=f'{what} {name} {status}')


def test_volume_life_cycle(volume_cloud):
    cc, rest = volume_cloud
    v = cc.openstack('volume', 'create', '--size', '1', '--property', 'k=v',
                     '--description', 'first', 'vol-a')
    assert v['size'] == 1 and v['name'] == 'vol-a'
    wait_volume(cc, 'vol-a', 'available')
    listed = cc.openstack('volume', 'list')
    assert [(x['Name'], x['Status'], x['Size']) for x in listed] == [('vol-a', 'available', 1)]
    cc.openstack('volume', 'set', '--name', 'vol-b', '--property', 'x=y', 'vol-a',
                 json_out=False)
    shown = cc.openstack('volume', 'show', 'vol-b')
    assert 'x' in str(shown['properties']) and shown['description'] == 'first'

    cc.openstack('volume', 'set', '--size', '2', 'vol-b', json_out=False)
    deadline_poll(lambda: cc.openstack('volume', 'show', 'vol-b')['size'] == 2, 60,
                  interval=0.3, what='extended')
    wait_volume(cc, 'vol-b', 'available')

    snap = cc.openstack('volume', 'snapshot', 'create', '--volume', 'vol-b', 'snap-1')
    assert snap['name'] == 'snap-1'
    wait_volume(cc, 'snap-1', 'available', what='volume snapshot')
    cc.openstack('volume', 'create', '--snapshot', 'snap-1', 'from-snap')
    assert wait_volume(cc, 'from-snap', 'available')['size'] == 2
    cc.openstack('volume', 'create', '--source', 'vol-b', 'clone')
    wait_volume(cc, 'clone', 'available')

    rest.upload_image('vol-image')
    cc.openstack('volume', 'create', '--image', 'vol-image', '--size', '1', 'from-image')
    got = wait_volume(cc, 'from-image', 'available')
    assert got['bootable'] in (True, 'true')
    assert 'vol-image' in str(got['volume_image_metadata'])

    # the volume into an image and back
    img = cc.openstack('image', 'create', '--volume', 'vol-b', 'from-vol-b')
    assert img['image_id'] if 'image_id' in img else img
    deadline_poll(lambda: cc.openstack('image', 'show', 'from-vol-b')['status'] == 'active',
                  60, interval=0.3, what='uploaded image active')
    assert cc.openstack('image', 'show', 'from-vol-b')['size'] == 2 << 30
    wait_volume(cc, 'vol-b', 'available')

    # a volume with snapshots is refused deletion; then everything goes
    bad = cc.openstack('volume', 'delete', 'vol-b', json_out=False, check=False)
    assert bad.returncode != 0 and 'snapshot' in bad.stderr.lower()
    cc.openstack('volume', 'snapshot', 'delete', 'snap-1', json_out=False)
    deadline_poll(lambda: not cc.openstack('volume', 'snapshot', 'list'), 60, interval=0.3,
                  what='snapshot gone')
    cc.openstack('volume', 'delete', 'vol-b', 'from-snap', 'clone', 'from-image',
                 json_out=False)
    deadline_poll(lambda: not cc.openstack('volume', 'list'), 60, interval=0.3,
                  what='volumes gone')


def test_types_and_quotas(volume_cloud):
    cc, _ = volume_cloud
    t = cc.openstack('volume', 'type', 'create', '--property', 'volume_backend_name=file',
                     'fast')
    assert t['name'] == 'fast'
    assert 'fast' in {x['Name'] for x in cc.openstack('volume', 'type', 'list')}
    cc.openstack('volume', 'create', '--size', '1', '--type', 'fast', 'typed')
    assert wait_volume(cc, 'typed', 'available')['type'] == 'fast'

    cc.openstack('quota', 'set', '--volumes', '2', '--gigabytes', '3', 'admin',
                 json_out=False)
    q = cc.openstack('quota', 'show', '--volume', 'admin')
    q = {r['Resource']: r['Limit'] for r in q} if isinstance(q, list) else q
    assert q['volumes'] == 2 and q['gigabytes'] == 3, q
    over = cc.openstack('volume', 'create', '--size', '5', 'too-big', check=False)
    assert over.returncode != 0 and 'gigabytes' in over.stderr, over.stderr
    cc.openstack('volume', 'create', '--size', '1', 'second')
    third = cc.openstack('volume', 'create', '--size', '1', 'third', check=False)
    assert third.returncode != 0 and 'volumes' in third.stderr, third.stderr
    cc.openstack('volume', 'delete', 'typed', json_out=False)
    deadline_poll(lambda: 'typed' not in {x['Name'] for x in cc.openstack('volume', 'list')},
                  60, interval=0.3, what='typed gone')
    cc.openstack('volume', 'type', 'delete', 'fast', json_out=False)


def test_server_volumes(volume_cloud):
    """server add/remove volume, boot from an image-made volume, delete on termination."""
    cc, rest = volume_cloud
    rest.upload_image('bfv-image')
    cc.openstack('flavor', 'create', '--ram', '128', '--disk', '1', '--vcpus', '1', 'vf1')
    srv = cc.openstack('server', 'create', '--image', 'bfv-image', '--flavor', 'vf1',
                       '--nic', 'none', '--wait', 'vm1')
    assert srv['status'] == 'ACTIVE'
    cc.openstack('volume', 'create', '--size', '1', 'data')
    wait_volume(cc, 'data', 'available')
    cc.openstack('server', 'add', 'volume', 'vm1', 'data', json_out=False)
    got = wait_volume(cc, 'data', 'in-use')
    assert got['attachments'][0]['device'] == '/dev/vdb'
    shown = cc.openstack('server', 'show', 'vm1')
    assert 'data' in str(shown['volumes_attached']) or got['id'] in str(shown)
    guest = cc.fake_accounting('cmp1')['guests'][srv['id']]['volumes']
    assert [v['serial'] for v in guest] == [got['id']]
    cc.openstack('server', 'remove', 'volume', 'vm1', 'data', json_out=False)
    wait_volume(cc, 'data', 'available')

    bfv = cc.openstack('server', 'create', '--flavor', 'vf1', '--nic', 'none',
                       '--block-device', 'source_type=image,uuid=' +
                       cc.openstack('image', 'show', 'bfv-image')['id'] +
                       ',destination_type=volume,volume_size=1,boot_index=0,'
                       'delete_on_termination=true', '--wait', 'bfv1')
    assert bfv['status'] == 'ACTIVE', bfv
    vols = cc.openstack('volume', 'list')
    root = [v for v in vols if v['Status'] == 'in-use']
    assert len(root) == 1, vols
    guest = cc.fake_accounting('cmp1')['guests'][bfv['id']]['volumes']
    assert [(v['device'], v['serial']) for v in guest] == [('/dev/vda', root[0]['ID'])]
    cc.openstack('server', 'delete', '--wait', 'bfv1', json_out=False)
    deadline_poll(lambda: root[0]['ID'] not in {v['ID'] for v in cc.openstack(
        'volume', 'list')}, 60, interval=0.3, what='root volume deleted with its server')


def test_backups_to_the_object_store(volume_cloud):
    """volume backup create (full, then incremental) / restore / delete with
    the real iaas-objectstore (the service account's container)."""
    cc, _ = volume_cloud
    cc.cloud.start('iaas-objectstore', wait_port=cc.cloud.ports['objectstore'])
    cc.openstack('volume', 'create', '--size', '1', 'src')
    wait_volume(cc, 'src', 'available')
    full = cc.openstack('volume', 'backup', 'create', '--name', 'full', 'src')
    assert full['name'] == 'full'
    wait_volume(cc, 'full', 'available', what='volume backup')
    wait_volume(cc, 'src', 'available')
    cc.openstack('volume', 'backup', 'create', '--incremental', '--name', 'inc', 'src')
    got = wait_volume(cc, 'inc', 'available', what='volume backup')
    assert got['is_incremental'] in (True, 'True'), got
    bad = cc.openstack('volume', 'backup', 'delete', 'full', json_out=False, check=False)
    assert bad.returncode != 0 and 'Incremental backups exist' in bad.stderr, bad.stderr
    cc.openstack('volume', 'delete', 'src', json_out=False)
    deadline_poll(lambda: not cc.openstack('volume', 'list'), 60, interval=0.3,
                  what='source volume gone')
    restored = cc.openstack('volume', 'backup', 'restore', 'inc', 'restored')
    vid = restored.get('volume_id') or restored.get('id')
    deadline_poll(lambda: cc.openstack('volume', 'show', vid)['status'] == 'available', 120,
                  interval=0.3, what='restored volume available')
    cc.openstack('volume', 'backup', 'delete', 'inc', json_out=False)
    deadline_poll(lambda: 'inc' not in {b['Name'] for b in cc.openstack(
        'volume', 'backup', 'list')}, 60, interval=0.3, what='incremental deleted')
    cc.openstack('volume', 'backup', 'delete', 'full', json_out=False)
    deadline_poll(lambda: not cc.openstack('volume', 'backup', 'list'), 60, interval=0.3,
                  what='backups deleted')
