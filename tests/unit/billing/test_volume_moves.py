"""Billing follows a retyped volume (volume.retype: a new price key) and a
transferred one (volume.transfer.accept.end: a new project; its snapshots
with snapshot.transfer.accept.end), from the payloads the volume API emits."""
import datetime
import uuid

from iaas import notifications
from iaas.billing import events, intervals

T = datetime.datetime(2025, 3, 1)
VOL = {'uuid': 'v1', 'project_id': 'donor', 'user_id': 'u1', 'status': 'available',
       'size': 10, 'volume_type_id': 'type-uuid'}
SNAP = {'uuid': 's1', 'project_id': 'donor', 'user_id': 'u1', 'status': 'available',
        'volume_size': 10, 'volume_id': 'v1'}


def _event(event_type, payload, hours):
    when = T + datetime.timedelta(hours=hours)
    payload = dict(payload, at=events.format_time(when))
    return events.parse(events.envelope(event_type, payload, str(uuid.uuid4()), when))


def _shape(res):
    return [(i['project_id'], i['price_key'], i['size'], i['start_at'], i['end_at'])
            for i in res.intervals]


def _h(hours):
    return T + datetime.timedelta(hours=hours)


def test_a_retype_starts_an_interval_at_the_new_price_key():
    evs = [_event('volume.create.end', notifications.volume_payload(VOL, volume_type='std'),
                  0),
           _event('volume.retype', notifications.volume_payload(VOL, volume_type='gold'), 5),
           _event('volume.delete.end',
                  notifications.volume_payload(VOL, 'deleted', volume_type='gold'), 8)]
    assert evs[1].event_type == 'volume.retype' and evs[1].price_key == 'gold'
    assert _shape(intervals.derive(evs)) == [('donor', 'std', 10, _h(0), _h(5)),
                                             ('donor', 'gold', 10, _h(5), _h(8))]


def test_a_transfer_moves_the_volume_and_its_snapshots_to_the_new_project():
    moved = dict(VOL, project_id='receiver', user_id='u2')
    evs = [_event('volume.create.end', notifications.volume_payload(VOL, volume_type='std'),
                  0),
           _event('volume.transfer.accept.end',
                  notifications.volume_payload(moved, volume_type='std'), 3)]
    assert _shape(intervals.derive(evs)) == [('donor', 'std', 10, _h(0), _h(3)),
                                             ('receiver', 'std', 10, _h(3), None)]
    snaps = [_event('snapshot.create.end', notifications.snapshot_payload(SNAP), 1),
             _event('snapshot.transfer.accept.end', notifications.snapshot_payload(
                 dict(SNAP, project_id='receiver')), 3)]
    got = [(i['project_id'], i['start_at'], i['end_at'])
           for i in intervals.derive(snaps).intervals]
    assert got == [('donor', _h(1), _h(3)), ('receiver', _h(3), None)]


def test_the_api_emits_them(monkeypatch):
    sent = []
    monkeypatch.setattr(notifications, 'notify',
                        lambda ctx, etype, payload, *a, **k: sent.append((etype, payload)))
    notifications.volume_retyped(None, VOL, 'gold')
    notifications.volume_transferred(None, dict(VOL, project_id='receiver'), [SNAP], 'std')
    notifications.volume_retyped(None, None, 'gold')        # no swap: nothing
    assert [(e, p['project_id'], p.get('volume_type')) for e, p in sent] == [
        ('volume.retype', 'donor', 'gold'),
        ('volume.transfer.accept.end', 'receiver', 'std'),
        ('snapshot.transfer.accept.end', 'donor', None)]
