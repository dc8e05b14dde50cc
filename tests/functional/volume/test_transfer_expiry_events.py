"""Volume transfers that expire ([volume] transfer_expiry), and the usage
events of an accepted transfer and of a retype (what billing follows)."""
import datetime

import sqlalchemy as sa

from iaas import notifications
from iaas.db import engine
from iaas.db.volume_models import VolumeTransfer
from iaas.volume import transfers as transfer_service
from tests.functional.volume.test_transfers import _accept, _available, _snapshot, _transfer


def _age(tid, seconds):
    """Make the offer ``seconds`` older (as if made that long ago)."""
    with engine.transaction() as s:
        row = s.scalars(sa.select(VolumeTransfer).where(VolumeTransfer.uuid == tid)).one()
        row.created_at = row.created_at - datetime.timedelta(seconds=seconds)


def test_an_expired_transfer_is_gone_and_its_volume_back(cloud, conf):
    conf.set_override('transfer_expiry', 3600, group='volume')
    old, fresh = _available(cloud), _available(cloud)
    t_old, t_fresh = _transfer(cloud, old['id']), _transfer(cloud, fresh['id'])
    _age(t_old['id'], 3601)
    assert cloud.v('GET', f"/os-volume-transfer/{t_old['id']}").status_int == 404
    r = _accept(cloud, t_old['id'], t_old['auth_key'])
    assert r.status_int == 404, r.body
    # ended like a delete: the volume is alice's and available again
    got = cloud.v('GET', f"/volumes/{old['id']}").json['volume']
    assert got['status'] == 'available'
    listed = [t['id'] for t in cloud.v('GET', '/os-volume-transfer').json['transfers']]
    assert listed == [t_fresh['id']]
    assert _accept(cloud, t_fresh['id'], t_fresh['auth_key']).status_int == 202
    # the option off (the default): offers never expire
    conf.set_override('transfer_expiry', 0, group='volume')
    vol = _available(cloud)
    t = _transfer(cloud, vol['id'])
    _age(t['id'], 10 ** 7)
    assert transfer_service.expire() == 0
    assert _accept(cloud, t['id'], t['auth_key']).status_int == 202


def test_expire_ends_the_expired_ones(cloud, conf):
    conf.set_override('transfer_expiry', 60, group='volume')
    vol = _available(cloud)
    t = _transfer(cloud, vol['id'])
    assert transfer_service.expire() == 0
    _age(t['id'], 61)
    assert transfer_service.expire() == 1
    assert cloud.v('GET', f"/volumes/{vol['id']}").json['volume']['status'] == 'available'
    assert transfer_service.expire() == 0


def test_accept_and_retype_emit_usage_events(cloud, monkeypatch):
    sent = []
    real = notifications.notify

    def spy(ctx, event_type, payload, *args, **kwargs):
        sent.append((event_type, payload))
        return real(ctx, event_type, payload, *args, **kwargs)
    monkeypatch.setattr(notifications, 'notify', spy)
    admin = dict(token=cloud.admin, project=cloud.admin_project)
    assert cloud.v('POST', '/types', {'volume_type': {'name': 'gold'}},
                   **admin).status_int == 200
    vol = _available(cloud, size=2)
    snap = _snapshot(cloud, vol['id'])
    r = cloud.v('POST', f"/volumes/{vol['id']}/action", {'os-retype': {'new_type': 'gold'}})
    assert r.status_int == 202, r.body
    retyped = [p for e, p in sent if e == 'volume.retype']
    assert [(p['resource_id'], p['volume_type'], p['project_id']) for p in retyped] == [
        (vol['id'], 'gold', cloud.a_project)]
    t = _transfer(cloud, vol['id'])
    assert _accept(cloud, t['id'], t['auth_key']).status_int == 202
    moved = [(e, p['resource_id'], p['project_id']) for e, p in sent
             if e.endswith('transfer.accept.end')]
    assert moved == [('volume.transfer.accept.end', vol['id'], cloud.b_project),
                     ('snapshot.transfer.accept.end', snap['id'], cloud.b_project)]
    assert [p['volume_type'] for e, p in sent if e == 'volume.transfer.accept.end'] == \
        ['gold']
