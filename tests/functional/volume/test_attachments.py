"""Volumes attached to servers through Nova's os-volume_attachments, with
the real compute (fake hypervisor), conductor and volume host (file
backend) in process: reservation, the guest's disk, detach, delete."""
import json
import os

from tests.functional.volume.conftest import wait_for

MV = {'OpenStack-API-Version': 'compute 2.79'}


def _guest_state(conf, sid):
    path = os.path.join(conf.state_path, 'fake-driver', 'fv-c1.json')
    with open(path) as f:
        return json.load(f)['guests'].get(sid, {})


def _guest_volumes(conf, sid):
    return _guest_state(conf, sid).get('volumes', [])


def _other_image():
    from iaas.db import images as db_images
    return db_images.image_create({
        'name': 'img2', 'status': 'active', 'visibility': 'public', 'disk_format': 'raw',
        'container_format': 'bare', 'size': 4096, 'owner': 'someone'})['id']


def _rebuild(cloud, conf, sid, image):
    """Rebuild ``sid`` from ``image`` and wait until the guest runs it."""
    r = cloud.c('POST', f'/servers/{sid}/action', {'rebuild': {'imageRef': image}},
                cloud.alice, headers=MV)
    assert r.status_int == 202, r.body
    wait_for(lambda: cloud.c('GET', f'/servers/{sid}', token=cloud.alice).json['server'][
        'status'] == 'ACTIVE' and _guest_state(conf, sid).get('image_id') == image,
        what='rebuilt')


def test_attach_detach_and_delete_on_termination(cloud, conf):
    sid = cloud.server()
    vol = cloud.create(size=1, name='data')
    cloud.wait_status(vol['id'], 'available')
    r = cloud.c('POST', f'/servers/{sid}/os-volume_attachments',
                {'volumeAttachment': {'volumeId': vol['id']}}, cloud.alice, headers=MV)
    assert r.status_int == 200, r.body
    assert r.json['volumeAttachment']['device'] == '/dev/vdb'
    got = cloud.wait_status(vol['id'], 'in-use')
    assert got['attachments'][0]['server_id'] == sid
    assert got['attachments'][0]['device'] == '/dev/vdb'
    guest = _guest_volumes(conf, sid)
    assert [(g['serial'], g['device']) for g in guest] == [(vol['id'], '/dev/vdb')]
    srv = cloud.c('GET', f'/servers/{sid}', token=cloud.alice, headers=MV).json['server']
    assert srv['os-extended-volumes:volumes_attached'] == [
        {'id': vol['id'], 'delete_on_termination': False}]
    listed = cloud.c('GET', f'/servers/{sid}/os-volume_attachments', token=cloud.alice).json
    assert [a['volumeId'] for a in listed['volumeAttachments']] == [vol['id']]

    # in use: not deletable, not attachable twice
    assert cloud.v('DELETE', f"/volumes/{vol['id']}").status_int == 400
    sid2 = cloud.server(name='vm2')
    r = cloud.c('POST', f'/servers/{sid2}/os-volume_attachments',
                {'volumeAttachment': {'volumeId': vol['id']}}, cloud.alice)
    assert r.status_int == 400, r.body

    # extend while attached: the guest sees the new size
    r = cloud.v('POST', f"/volumes/{vol['id']}/action", {'os-extend': {'new_size': 2}})
    assert r.status_int == 202, r.body
    assert cloud.wait_status(vol['id'], 'in-use')['size'] == 2
    wait_for(lambda: _guest_volumes(conf, sid)[0]['size'] == 2 << 30, what='guest size')

    # a rebuild from another image keeps the volume in the guest
    _rebuild(cloud, conf, sid, _other_image())
    assert [(g['serial'], g['device']) for g in _guest_volumes(conf, sid)] == [
        (vol['id'], '/dev/vdb')]
    assert cloud.wait_status(vol['id'], 'in-use')['attachments'][0]['server_id'] == sid

    r = cloud.c('DELETE', f"/servers/{sid}/os-volume_attachments/{vol['id']}",
                token=cloud.alice)
    assert r.status_int == 202, r.body
    cloud.wait_status(vol['id'], 'available')
    wait_for(lambda: _guest_volumes(conf, sid) == [], what='guest unplugged')

    # to the second server with delete_on_termination; deleting it deletes the volume
    r = cloud.c('POST', f'/servers/{sid2}/os-volume_attachments',
                {'volumeAttachment': {'volumeId': vol['id'], 'delete_on_termination': True}},
                cloud.alice, headers=MV)
    assert r.status_int == 200, r.body
    cloud.wait_status(vol['id'], 'in-use')
    keep = cloud.create(size=1, name='keep')
    cloud.wait_status(keep['id'], 'available')
    r = cloud.c('POST', f'/servers/{sid2}/os-volume_attachments',
                {'volumeAttachment': {'volumeId': keep['id']}}, cloud.alice)
    assert r.status_int == 200 and r.json['volumeAttachment']['device'] == '/dev/vdc'
    cloud.wait_status(keep['id'], 'in-use')
    assert cloud.c('DELETE', f'/servers/{sid2}', token=cloud.alice).status_int == 204
    cloud.wait_status(vol['id'], 'deleted')
    assert cloud.wait_status(keep['id'], 'available')['attachments'] == []


def test_other_projects_volume_cannot_be_attached(cloud):
    sid = cloud.server(token=cloud.bob, name='bobs')
    vol = cloud.create(size=1)
    cloud.wait_status(vol['id'], 'available')
    r = cloud.c('POST', f'/servers/{sid}/os-volume_attachments',
                {'volumeAttachment': {'volumeId': vol['id']}}, cloud.bob)
    assert r.status_int == 404, r.body
    # nor to another project's server
    r = cloud.c('POST', f'/servers/{sid}/os-volume_attachments',
                {'volumeAttachment': {'volumeId': vol['id']}}, cloud.alice)
    assert r.status_int == 404, r.body
    assert cloud.wait_status(vol['id'], 'available')['attachments'] == []


def test_boot_from_volume_and_delete_on_termination(cloud, conf):
    root = cloud.create(size=1, name='root')
    cloud.wait_status(root['id'], 'available')
    assert cloud.v('POST', f"/volumes/{root['id']}/action",
                   {'os-set_bootable': {'bootable': True}}).status_int == 200
    body = {'server': {'name': 'bfv', 'imageRef': cloud.image, 'flavorRef': cloud.flavor,
                       'networks': 'none', 'block_device_mapping_v2': [
                           {'source_type': 'volume', 'destination_type': 'volume',
                            'uuid': root['id'], 'boot_index': 0},
                           {'source_type': 'blank', 'destination_type': 'volume',
                            'volume_size': 1, 'delete_on_termination': True}]}}
    r = cloud.c('POST', '/servers', body, cloud.alice, headers=MV)
    assert r.status_int == 202, r.body
    sid = r.json['server']['id']
    wait_for(lambda: cloud.c('GET', f'/servers/{sid}', token=cloud.alice).json['server'][
        'status'] == 'ACTIVE', what='bfv ACTIVE')
    srv = cloud.c('GET', f'/servers/{sid}', token=cloud.alice, headers=MV).json['server']
    attached = {a['id']: a['delete_on_termination']
                for a in srv['os-extended-volumes:volumes_attached']}
    assert len(attached) == 2 and attached[root['id']] is False
    assert srv['image'] == ''
    blank = next(v for v in attached if v != root['id'])
    wait_for(lambda: {d['device'] for d in _guest_volumes(conf, sid)} == {'/dev/vda',
                                                                         '/dev/vdb'},
             what='guest disks')
    assert cloud.wait_status(root['id'], 'in-use')['attachments'][0]['device'] == '/dev/vda'
    cloud.wait_status(blank, 'in-use')
    # the root volume cannot be detached
    r = cloud.c('DELETE', f"/servers/{sid}/os-volume_attachments/{root['id']}",
                token=cloud.alice)
    assert r.status_int == 400, r.body

    # rebuild: another image is refused (the root volume is kept); the same
    # image rebuilds over the same volumes
    other = _other_image()
    r = cloud.c('POST', f'/servers/{sid}/action', {'rebuild': {'imageRef': other}},
                cloud.alice, headers=MV)
    assert r.status_int == 400, r.body
    assert 'volume-backed' in r.json['badRequest']['message']
    assert _guest_state(conf, sid)['image_id'] == cloud.image      # untouched
    _rebuild(cloud, conf, sid, cloud.image)
    assert {d['device']: d['serial'] for d in _guest_volumes(conf, sid)} == {
        '/dev/vda': root['id'], '/dev/vdb': blank}
    assert cloud.wait_status(root['id'], 'in-use')['attachments'][0]['server_id'] == sid

    assert cloud.c('DELETE', f'/servers/{sid}', token=cloud.alice).status_int == 204
    cloud.wait_status(blank, 'deleted')
    assert cloud.wait_status(root['id'], 'available')['attachments'] == []


def test_boot_volumes_are_checked_before_anything_is_made(cloud):
    vol = cloud.create(size=1)
    cloud.wait_status(vol['id'], 'available')
    for bdm in ([{'source_type': 'volume', 'destination_type': 'volume', 'uuid': 'nope',
                  'boot_index': 0}],
                [{'source_type': 'floppy', 'destination_type': 'volume', 'boot_index': 0}],
                [{'source_type': 'blank', 'destination_type': 'volume', 'boot_index': 1}],
                [{'source_type': 'volume', 'destination_type': 'volume', 'uuid': vol['id'],
                  'boot_index': 0}] * 2):
        body = {'server': {'name': 'x', 'imageRef': cloud.image, 'flavorRef': cloud.flavor,
                           'networks': 'none', 'block_device_mapping_v2': bdm}}
        r = cloud.c('POST', '/servers', body, cloud.alice, headers=MV)
        assert r.status_int == 400, (bdm, r.body)
    # another project's volume: not found
    body = {'server': {'name': 'x', 'imageRef': cloud.image, 'flavorRef': cloud.flavor,
                       'networks': 'none', 'block_device_mapping_v2': [
                           {'source_type': 'volume', 'destination_type': 'volume',
                            'uuid': vol['id'], 'boot_index': 0}]}}
    r = cloud.c('POST', '/servers', body, cloud.bob, headers=MV)
    assert r.status_int == 400 and 'could not be found' in r.body.decode()
    assert cloud.c('GET', '/servers', token=cloud.alice).json['servers'] == []
    assert cloud.wait_status(vol['id'], 'available')['attachments'] == []


def test_force_detach_frees_a_volume_of_a_lost_server(cloud):
    """A compute host died with the volume attached: the operator forces it
    off, and it attaches elsewhere."""
    sid = cloud.server(name='lost')
    vol = cloud.create(size=1)
    cloud.wait_status(vol['id'], 'available')
    assert cloud.c('POST', f'/servers/{sid}/os-volume_attachments',
                   {'volumeAttachment': {'volumeId': vol['id']}}, cloud.alice).status_int == 200
    cloud.wait_status(vol['id'], 'in-use')
    r = cloud.v('POST', f"/volumes/{vol['id']}/action", {'os-force_detach': {}})
    assert r.status_int == 403                          # operators only
    r = cloud.v('POST', f"/volumes/{vol['id']}/action", {'os-force_detach': {}},
                token=cloud.admin, project=cloud.admin_project)
    assert r.status_int == 202, r.body
    assert cloud.wait_status(vol['id'], 'available')['attachments'] == []
    other = cloud.server(name='other')
    assert cloud.c('POST', f'/servers/{other}/os-volume_attachments',
                   {'volumeAttachment': {'volumeId': vol['id']}}, cloud.alice).status_int == 200
    assert cloud.wait_status(vol['id'], 'in-use')['attachments'][0]['server_id'] == other
