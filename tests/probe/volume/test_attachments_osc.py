"""Unmodified python-openstackclient's ``volume attachment`` commands
(Cinder's attachment API, 3.27+) against the block-storage daemons
(separate processes, RabbitMQ, PostgreSQL, the file backend): create
(reserve), set (export to a connector), complete, list, show, delete."""
import pytest

from tests.probe.compute.helpers import deadline_poll
from tests.probe.volume.test_openstackclient import volume_cloud, wait_volume  # noqa: F401

pytestmark = pytest.mark.slow


def osv(cc, version, *args, **kw):
    return cc.openstack('--os-volume-api-version', version, 'volume', 'attachment', *args, **kw)


def test_attachment_commands(volume_cloud):  # noqa: F811
    cc, rest = volume_cloud
    cc.openstack('volume', 'create', '--size', '1', 'att-vol')
    vol = wait_volume(cc, 'att-vol', 'available')
    cc.openstack('flavor', 'create', '--ram', '64', '--disk', '1', '--vcpus', '1', 'af1')
    rest.upload_image('att-image')
    cc.openstack('server', 'create', '--image', 'att-image', '--flavor', 'af1', '--nic', 'none',
                 'att-vm')
    deadline_poll(lambda: cc.openstack('server', 'show', 'att-vm')['status'] == 'ACTIVE', 60,
                  interval=0.3, what='server ACTIVE')
    sid = cc.openstack('server', 'show', 'att-vm')['id']

    att = osv(cc, '3.27', 'create', '--server', sid, vol['id'])
    assert att['Status'] == 'reserved' and att['Volume ID'] == vol['id']
    assert att['Instance ID'] == sid
    att_id = att['ID']
    assert wait_volume(cc, 'att-vol', 'reserved')

    got = osv(cc, '3.27', 'set', '--host', 'client-1', '--ip', '192.0.2.10',
              '--initiator', 'iqn.1993-08.org.x:01:c1', att_id)
    assert got['Status'] == 'attaching'
    assert 'file' in str(got['Properties'])
    wait_volume(cc, 'att-vol', 'attaching')

    osv(cc, '3.44', 'complete', att_id, json_out=False)
    wait_volume(cc, 'att-vol', 'in-use')
    listed = osv(cc, '3.27', 'list')
    assert [(a['ID'], a['Status']) for a in listed] == [(att_id, 'attached')]
    assert [a['ID'] for a in osv(cc, '3.27', 'list', '--volume-id', vol['id'])] == [att_id]
    shown = osv(cc, '3.27', 'show', att_id)
    # (openstacksdk reads the mode from 'mode', Cinder answers 'attach_mode')
    assert shown['Status'] == 'attached' and shown['Volume ID'] == vol['id']

    # below 3.27 the client refuses, the server too
    r = osv(cc, '3.26', 'list', check=False)
    assert r.returncode != 0

    osv(cc, '3.27', 'delete', att_id, json_out=False)
    wait_volume(cc, 'att-vol', 'available')
    assert osv(cc, '3.27', 'list') == []

    # create with a connection at once (3.54: the mode)
    att = osv(cc, '3.54', 'create', '--connect', '--host', 'client-2', '--ip', '192.0.2.11',
              '--initiator', 'iqn.1993-08.org.x:01:c2', '--mode', 'ro', '--server', sid,
              vol['id'])
    assert att['Status'] == 'attaching' and 'ro' in str(att['Properties'])
    osv(cc, '3.44', 'complete', att['ID'], json_out=False)
    wait_volume(cc, 'att-vol', 'in-use')
    osv(cc, '3.27', 'delete', att['ID'], json_out=False)
    wait_volume(cc, 'att-vol', 'available')
