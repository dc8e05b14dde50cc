"""The shared notifier (iaas/notifications.py): the envelope, the drivers, a
failing or blocking bus never reaching the caller, the durable queue on the
bus, the instance completion → event table, and the object store's counters."""
import datetime
import os
import re
import threading
import uuid

import kombu
import pytest

from iaas import notifications, rpc, states
from iaas.objectstore import usage
from iaas.objectstore.storage import db as listing_db

TIMESTAMP = re.compile(r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$')


class Recorder:
    def __init__(self):
        self.sent = []

    def send(self, message, topic):
        self.sent.append((topic, message))


class Failing:
    calls = 0

    def send(self, message, topic):
        self.calls += 1
        raise ConnectionError('broker gone')


class Blocking:
    def __init__(self):
        self.release = threading.Event()
        self.entered = threading.Event()

    def send(self, message, topic):
        self.entered.set()
        self.release.wait(30)


@pytest.fixture
def notifier(conf, monkeypatch):
    """A fresh sender whose 'messaging' driver records what it is given."""
    notifications.reset()
    rec = Recorder()
    monkeypatch.setitem(notifications.DRIVERS, 'messaging', rec)
    yield rec
    notifications.flush(5)
    notifications.reset()


def test_envelope(notifier, conf):
    at = datetime.datetime(2024, 5, 1, 12, 0, 0, 123)
    msg = notifications.notify(None, 'volume.create.end', {'resource_id': 'v1'},
                               publisher_id='volume.h1', at=at)
    assert notifications.flush(5)
    [(topic, sent)] = notifier.sent
    assert sent is msg and topic == 'notifications'
    assert set(sent) == {'message_id', 'publisher_id', 'event_type', 'priority', 'timestamp',
                         'payload'}
    assert uuid.UUID(sent['message_id']).version == 4
    assert sent['publisher_id'] == 'volume.h1' and sent['priority'] == 'INFO'
    assert sent['event_type'] == 'volume.create.end'
    assert TIMESTAMP.match(sent['timestamp'])
    assert sent['payload'] == {'resource_id': 'v1', 'at': '2024-05-01T12:00:00.000123+00:00'}
    # default publisher: iaas.<host>; 'at' defaults to now; a payload's own 'at' is kept
    msg = notifications.notify(None, 'x', {'at': 'given'})
    assert msg['publisher_id'] == f'iaas.{conf.host}' and msg['payload']['at'] == 'given'
    now = notifications.notify(None, 'x', {})['payload']['at']
    assert datetime.datetime.fromisoformat(now).tzinfo == datetime.UTC


def test_every_topic_gets_a_copy(notifier, conf):
    conf.set_override('topics', ['notifications', 'audit'], group='notifications')
    msg = notifications.notify(None, 'image.delete', {})
    notifications.flush(5)
    assert notifier.sent == [('notifications', msg), ('audit', msg)]


def test_noop_driver_sends_nothing(notifier, conf):
    conf.set_override('driver', 'noop', group='notifications')
    assert notifications.notify(None, 'image.delete', {}) is None
    notifications.flush(5)
    assert notifier.sent == []


def test_failures_are_logged_never_raised(conf, monkeypatch, caplog):
    notifications.reset()
    failing = Failing()
    monkeypatch.setitem(notifications.DRIVERS, 'messaging', failing)
    try:
        assert notifications.notify(None, 'image.delete', {}) is not None
        assert notifications.flush(5)
        assert failing.calls == 1
        assert 'could not publish notification image.delete' in caplog.text
        # a payload that cannot be used is logged too, not raised
        assert notifications.notify(None, 'image.delete', None) is None
        assert 'notification image.delete not emitted' in caplog.text
    finally:
        notifications.reset()


def test_a_blocked_bus_never_blocks_the_caller(conf, monkeypatch, caplog):
    conf.set_override('max_queued', 3, group='notifications')
    notifications.reset()
    blocking = Blocking()
    monkeypatch.setitem(notifications.DRIVERS, 'messaging', blocking)
    try:
        notifications.notify(None, 'e1', {})
        assert blocking.entered.wait(5)
        # the sender is stuck in a publish: callers still return at once,
        # and past max_queued events are dropped with a warning
        queued = [notifications.notify(None, f'e{i}', {}) for i in range(2, 7)]
        assert [m is not None for m in queued] == [True, True, True, False, False]
        assert 'notification queue full' in caplog.text
        assert not notifications.flush(0.05)
    finally:
        blocking.release.set()
        assert notifications.flush(5)
        notifications.reset()


def test_published_persistent_into_the_durable_queue(conf, transport_url):
    """Over each bus: routing key notifications.info on the topic exchange, into
    <exchange>.notifications.info, declared by the publisher (so it waits for a
    consumer that is not there yet), persistent."""
    notifications.reset()
    try:
        msg = notifications.notify(None, 'compute.instance.create.end',
                                   {'resource_type': 'instance'})
        assert notifications.flush(10)
        transport = rpc.get_transport()
        queue = transport.notification_queue()
        assert queue.name == f'{conf.control_exchange}.notifications.info'
        assert queue.routing_key == 'notifications.info' and queue.durable
        with transport.connection() as conn:
            got = queue(conn.channel()).get(accept=['json'])
            assert got is not None and got.payload == msg
            assert got.properties.get('delivery_mode') == 2
            got.ack()
    finally:
        notifications.reset()


def test_transport_declares_queue_for_any_topic(conf):
    transport = rpc.Transport('memory://', exchange='x-notif')
    q = transport.notification_queue('billing', 'info')
    assert isinstance(q, kombu.Queue) and q.name == 'x-notif.billing.info'
    assert q.exchange.name == 'x-notif' and q.exchange.type == 'topic'


# -- instance events -----------------------------------------------------------------------
def _inst(**over):
    inst = {'uuid': 'i-1', 'project_id': 'p', 'user_id': 'u', 'vm_state': states.ACTIVE,
            'power_state': states.RUNNING, 'vcpus': 2, 'memory_mb': 2048, 'root_gb': 20,
            'flavor': {'id': 7, 'flavorid': 'm1.small-id', 'name': 'm1.small'},
            'updated_at': datetime.datetime(2024, 1, 2, 3, 4, 5, 6)}
    inst.update(over)
    return inst


@pytest.mark.parametrize('expected,values,event', [
    (states.SPAWNING, {'vm_state': states.ACTIVE}, 'compute.instance.create.end'),
    (states.POWERING_OFF, {'vm_state': states.STOPPED}, 'compute.instance.power_off.end'),
    (states.POWERING_ON, {'vm_state': states.ACTIVE}, 'compute.instance.power_on.end'),
    (states.PAUSING, {'vm_state': states.PAUSED}, 'compute.instance.pause.end'),
    (states.UNPAUSING, {'vm_state': states.ACTIVE}, 'compute.instance.unpause.end'),
    (states.SUSPENDING, {'vm_state': states.SUSPENDED}, 'compute.instance.suspend.end'),
    (states.RESUMING, {'vm_state': states.ACTIVE}, 'compute.instance.resume.end'),
    (states.REBUILDING, {'vm_state': states.ACTIVE}, 'compute.instance.update'),
    ([states.REBOOTING, states.REBOOTING_HARD], {'vm_state': states.ACTIVE},
     'compute.instance.update'),
    (None, {'vm_state': states.STOPPED}, 'compute.instance.update'),   # power sync
    (states.RESIZE_MIGRATING, {'vm_state': states.RESIZED}, None),    # billed at confirm
    (states.SPAWNING, {'task_state': None}, None),                     # no vm_state written
])
def test_instance_completions(notifier, expected, values, event):
    msg = notifications.instance_updated(None, expected, values, _inst())
    assert (msg and msg['event_type']) == event
    if event:
        assert msg['publisher_id'].startswith('conductor.')
        assert msg['payload'] == {
            'resource_type': 'instance', 'resource_id': 'i-1', 'project_id': 'p',
            'user_id': 'u', 'state': 'active', 'flavor_id': 'm1.small-id',
            'flavor_name': 'm1.small', 'vcpus': 2, 'memory_mb': 2048, 'root_gb': 20,
            'at': '2024-01-02T03:04:05.000006+00:00'}


def test_instance_states_and_nothing_for_no_change(notifier):
    assert notifications.instance_state(_inst(vm_state=states.RESIZED)) == 'active'
    assert notifications.instance_state(_inst(vm_state=states.RESIZED,
                                              power_state=states.SHUTDOWN)) == 'stopped'
    assert notifications.instance_state(_inst(vm_state='shelved_offloaded')) == 'shelved'
    assert notifications.instance_error(None, None) is None      # the swap did not happen
    assert notifications.instance_deleted(None, None) is None    # deleted already
    gone = notifications.instance_deleted(None, _inst())
    assert gone['event_type'] == 'compute.instance.delete.end'
    assert gone['payload']['state'] == 'deleted'


def test_volume_and_snapshot_events(notifier):
    vol = {'uuid': 'v', 'project_id': 'p', 'user_id': 'u', 'status': 'available', 'size': 3,
           'volume_type_id': 'type-uuid', 'status_changed_at': None, 'updated_at': None}
    m = notifications.volume_updated(None, 'creating', 'available', vol, volume_type='ssd')
    assert m['event_type'] == 'volume.create.end'
    assert m['payload']['volume_type'] == 'ssd' and m['payload']['size_gb'] == 3
    assert notifications.volume_updated(None, 'extending', 'in-use', vol)['event_type'] == \
        'volume.resize.end'
    assert notifications.volume_updated(None, 'extending', 'error_extending', vol) is None
    assert notifications.volume_updated(None, 'creating', 'error', vol) is None
    assert notifications.volume_updated(None, 'attaching', 'in-use', vol) is None
    snap = {'uuid': 's', 'project_id': 'p', 'user_id': 'u', 'status': 'available',
            'volume_size': 3, 'volume_id': 'v'}
    m = notifications.snapshot_updated(None, 'creating', 'available', snap)
    assert m['payload']['size_gb'] == 3 and m['payload']['volume_id'] == 'v'
    assert notifications.snapshot_deleted(None, snap)['payload']['state'] == 'deleted'


# -- object store -----------------------------------------------------------------------------
class _Resp:
    def __init__(self, status):
        self.status_int = status


def test_traffic_counted_per_account_and_flushed(notifier, conf):
    counter = usage.TrafficCounter()
    env = {'PATH_INFO': '/v1/AUTH_p1/c/o', 'iaas.objectstore.identity': object()}
    assert counter.count(env, _Resp(200), [b'abc']) == [b'abc']        # a list stays a list
    body = counter.count(env, _Resp(200), iter([b'12345', b'678']))
    assert b''.join(body) == b'12345678'
    body.close()
    # S3: the account its auth found
    s3 = counter.count({'PATH_INFO': '/bucket/key', 'iaas.s3.account': 'AUTH_p2'},
                       _Resp(206), (b'xy',))
    assert s3 == (b'xy',)
    # not billable: refused, anonymous failures, no account
    for environ, status in (({'PATH_INFO': '/v1/AUTH_p1/c'}, 401),
                            ({'PATH_INFO': '/v1/AUTH_p1/c', 'iaas.objectstore.identity': 1},
                             403),
                            ({'PATH_INFO': '/v1/AUTH_x/c'}, 404),
                            ({'PATH_INFO': '/info'}, 200)):
        counter.count(environ, _Resp(status), [b'no'])
    # a public read is the account's traffic
    counter.count({'PATH_INFO': '/v1/AUTH_p1/pub/o'}, _Resp(200), [b'z'])
    assert usage.flush_traffic(counter) == {'accounts': 2}
    notifications.flush(5)
    events = {m['payload']['resource_id']: m for _t, m in notifier.sent}
    p1 = events['AUTH_p1']
    assert p1['event_type'] == 'objectstore.account.traffic'
    assert p1['publisher_id'] == f'objectstore.{conf.host}'
    pay = p1['payload']
    assert (pay['requests'], pay['bytes_out']) == (3, 12)
    assert pay['resource_type'] == 'object_account' and pay['project_id'] == 'p1'
    assert pay['state'] == 'present' and pay['user_id'] is None
    assert pay['period_start'] <= pay['period_end'] == pay['at']
    assert (events['AUTH_p2']['payload']['requests'],
            events['AUTH_p2']['payload']['bytes_out']) == (1, 2)
    # the next period starts empty
    assert usage.flush_traffic(counter) == {'accounts': 0}


class _Ring:
    """Two local devices; partition 1's first primary is d0, partition 2's is remote."""

    def local_devices(self, ip, port):
        return [{'id': 0, 'device': 'd0'}, {'id': 1, 'device': 'd1'}]

    def get_part_nodes(self, part):
        return [{'id': {1: 0, 2: 9}[part]}, {'id': 1}]


def _account_db(root, dev, part, account, bytes_used):
    h = uuid.uuid4().hex
    path = listing_db.db_path(str(root / dev), 'accounts', part, h)
    os.makedirs(os.path.dirname(path))
    broker = listing_db.AccountBroker(path)
    broker.initialize('1.0', {'account': account, 'put_timestamp': '1.0'})
    broker.put_container('c', '1.0', '0', 3, bytes_used)
    return broker


def test_account_usage_from_first_primary_only(notifier, conf, tmp_path):
    _account_db(tmp_path, 'd0', 1, 'AUTH_a', 100)       # first primary here: reported
    _account_db(tmp_path, 'd1', 1, 'AUTH_a', 100)       # its second copy: not again
    _account_db(tmp_path, 'd0', 2, 'AUTH_b', 50)        # first primary elsewhere
    assert usage.report_usage(_Ring(), devices=str(tmp_path)) == {'accounts': 1}
    notifications.flush(5)
    [(_t, m)] = notifier.sent
    assert m['event_type'] == 'objectstore.account.usage'
    assert m['payload']['resource_id'] == 'AUTH_a' and m['payload']['bytes_used'] == 100
    assert m['payload']['project_id'] == 'a'
