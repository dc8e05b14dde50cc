"""Intervals from events: order-independent, appending equals deriving,
the contract's checks."""
import datetime
import itertools
import random
import uuid

import pytest

from iaas.billing import events, intervals

T = datetime.datetime(2025, 3, 1)


def ev(state, hours, flavor='m1.small', rtype='instance', rid='i1', **extra):
    when = T + datetime.timedelta(hours=hours)
    payload = {'resource_type': rtype, 'resource_id': rid, 'project_id': 'p',
               'user_id': None, 'state': state, 'at': events.format_time(when), **extra}
    if rtype == 'instance':
        payload.update(flavor_name=flavor, flavor_id='1', vcpus=1, memory_mb=1, root_gb=1)
    etype = {'instance': 'compute.instance.update', 'volume': 'volume.resize.end'}[rtype]
    return events.parse(events.envelope(etype, payload, str(uuid.uuid4()), when))


def shape(res):
    return [(i['state'], i['price_key'], i['size'], i['start_at'], i['end_at'])
            for i in res.intervals]


HISTORY = [ev('building', 0), ev('active', 1), ev('active', 2), ev('stopped', 5),
           ev('active', 7), ev('active', 9, flavor='m1.big'), ev('error', 11),
           ev('deleted', 12), ev('active', 13)]


def test_derive_sorted():
    got = shape(intervals.derive(HISTORY))
    h = [T + datetime.timedelta(hours=x) for x in (0, 1, 5, 7, 9, 11, 12)]
    assert got == [('building', 'm1.small', None, h[0], h[1]),
                   ('active', 'm1.small', None, h[1], h[2]),
                   ('stopped', 'm1.small', None, h[2], h[3]),
                   ('active', 'm1.small', None, h[3], h[4]),
                   ('active', 'm1.big', None, h[4], h[5]),
                   ('error', 'm1.small', None, h[5], h[6])]


def test_any_order_same_intervals():
    want = shape(intervals.derive(HISTORY))
    rnd = random.Random(3)
    for _ in range(200):
        evs = list(HISTORY)
        rnd.shuffle(evs)
        assert shape(intervals.derive(evs)) == want


def test_append_equals_derive():
    """Appending later events to a head gives what deriving all gives."""
    for cut in range(1, len(HISTORY)):
        first = intervals.derive(HISTORY[:cut])
        more = intervals.apply(first.head, HISTORY[cut:])
        ivs = [dict(i) for i in first.intervals]
        if more.close_at is not None:
            open_ = [i for i in ivs if i['end_at'] is None]
            assert len(open_) == 1
            open_[0]['end_at'] = more.close_at
        combined = ivs + more.intervals
        full = intervals.derive(HISTORY)
        assert [(i['state'], i['start_at'], i['end_at']) for i in combined] == [
            (i['state'], i['start_at'], i['end_at']) for i in full.intervals]


def test_volume_states_are_present_and_sizes_split():
    evs = [ev('available', 0, rtype='volume', rid='v', size_gb=1, volume_type='t'),
           ev('in-use', 1, rtype='volume', rid='v', size_gb=1, volume_type='t'),
           ev('available', 2, rtype='volume', rid='v', size_gb=2, volume_type='t')]
    assert [(s, k, z) for s, k, z, _a, _b in shape(intervals.derive(evs))] == [
        ('present', 't', 1), ('present', 't', 2)]


@pytest.mark.parametrize('bad', [
    {'state': 'flying'}, {'at': 'yesterday'}, {'resource_type': 'teapot'},
    {'project_id': None}, {'flavor_name': 7}])
def test_contract_checked(bad):
    payload = {'resource_type': 'instance', 'resource_id': 'i', 'project_id': 'p',
               'state': 'active', 'at': '2025-03-01T00:00:00.000000Z', 'flavor_name': 'f'}
    payload.update(bad)
    with pytest.raises(events.InvalidEvent):
        events.parse(events.envelope('compute.instance.update', payload, 'm', T))


def test_other_event_types_ignored_and_times_parsed():
    assert events.parse({'event_type': 'compute.instance.exists', 'payload': {}}) is None
    assert events.parse_time('2025-03-01T01:02:03.000004+01:00') == datetime.datetime(
        2025, 3, 1, 0, 2, 3, 4)
    assert list(itertools.islice(iter(events.EVENT_TYPES), 1))
