"""QoS specs take effect: the front-end specs of a volume's type (consumer
front-end or both; per-GB keys scaled by the size) are in the
connection_info of its attachments, through Cinder's attachment API and
through Nova's os-volume_attachments (the hypervisor writes them as
``<iotune>``: tests/unit/volume/test_qos.py)."""
import pytest

from tests.functional.volume.conftest import wait_for

CONNECTOR = {'host': 'client-1', 'ip': '192.0.2.10', 'initiator': 'iqn.1993-08.org.x:01:c1'}
MV = {'OpenStack-API-Version': 'compute 2.79'}


def _admin(cloud):
    return dict(token=cloud.admin, project=cloud.admin_project)


def _typed_qos(cloud, consumer, **specs):
    admin = _admin(cloud)
    q = cloud.v('POST', '/qos-specs', {'qos_specs': {'name': 'q', 'consumer': consumer,
                                                     **specs}}, **admin)
    assert q.status_int == 200, q.body
    t = cloud.v('POST', '/types', {'volume_type': {'name': 'limited'}}, **admin)
    assert t.status_int == 200, t.body
    r = cloud.v('GET', f"/qos-specs/{q.json['qos_specs']['id']}/associate"
                f"?vol_type_id={t.json['volume_type']['id']}", **admin)
    assert r.status_int == 202, r.body
    return q.json['qos_specs']['id']


def _connection_info(cloud, size):
    vol = cloud.create(size=size, volume_type='limited')
    cloud.wait_status(vol['id'], 'available')
    r = cloud.v('POST', '/attachments', {'attachment': {
        'volume_uuid': vol['id'], 'connector': CONNECTOR}}, version='3.54')
    assert r.status_int == 200, r.body
    return vol, r.json['attachment']['connection_info']


@pytest.mark.parametrize('consumer', ['front-end', 'both'])
def test_front_end_specs_are_in_the_connection_info(cloud, consumer):
    _typed_qos(cloud, consumer, total_iops_sec='500', read_bytes_sec_max='2048',
               write_bytes_sec_per_gb='1000', vendor_key='x')
    _, info = _connection_info(cloud, 3)
    assert info['data']['qos_specs'] == {'total_iops_sec': '500',
                                         'read_bytes_sec_max': '2048',
                                         'write_bytes_sec': '3000', 'vendor_key': 'x'}


def test_back_end_specs_stay_on_the_backend(cloud):
    qos_id = _typed_qos(cloud, 'back-end', total_iops_sec='500')
    _, info = _connection_info(cloud, 1)
    assert info['data']['qos_specs'] is None
    # the consumer changed: the next export carries them
    r = cloud.v('PUT', f'/qos-specs/{qos_id}', {'qos_specs': {'consumer': 'both'}},
                **_admin(cloud))
    assert r.status_int == 200, r.body
    _, info = _connection_info(cloud, 1)
    assert info['data']['qos_specs'] == {'total_iops_sec': '500'}


def test_nova_attach_carries_them_too(cloud):
    _typed_qos(cloud, 'front-end', total_iops_sec_per_gb='10', read_iops_sec='77')
    sid = cloud.server()
    vol = cloud.create(size=2, volume_type='limited')
    cloud.wait_status(vol['id'], 'available')
    r = cloud.c('POST', f'/servers/{sid}/os-volume_attachments',
                {'volumeAttachment': {'volumeId': vol['id']}}, cloud.alice, headers=MV)
    assert r.status_int == 200, r.body
    cloud.wait_status(vol['id'], 'in-use')
    atts = wait_for(lambda: [a for a in cloud.v('GET', f"/attachments/detail?volume_id="
                                                f"{vol['id']}").json['attachments']
                             if a['connection_info']], what='attachment with its export')
    assert atts[0]['connection_info']['data']['qos_specs'] == {
        'total_iops_sec': '20', 'read_iops_sec': '77'}
