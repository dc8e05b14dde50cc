"""Usage notifications: one notifier every service emits its usage events with.

:func:`notify` builds the OpenStack notification envelope::

    {"message_id": "<uuid4>", "publisher_id": "<service>.<host>",
     "event_type": "compute.instance.create.end", "priority": "INFO",
     "timestamp": "YYYY-MM-DD HH:MM:SS.ffffff" (UTC), "payload": {...}}

and hands it to a background sender thread, which publishes it on the topic
exchange with routing key ``<topic>.info`` (``[notifications] topics``),
persistent, into the durable queue ``<control_exchange>.<topic>.info``
(:meth:`iaas.rpc.Transport.publish_notification`; the consumer declares
the same queue). The caller never waits for the bus: a slow, absent or
failing broker costs it a ``put`` into a bounded in-memory queue; a full
queue drops the event with a warning; a publish that still fails after
``[notifications] publish_timeout`` seconds of reconnecting is logged and
dropped. Nothing here raises into a request, a boot or an RPC handler —
iaas-billing's reconciliation repairs what a lost event would have said.

The payload builders below are the one definition of each resource's
payload (docs/developers/notifications.md lists every event type, its
fields and where it is emitted). Payload times (``at``) are ISO 8601 UTC
with microseconds: when the change took effect, i.e. when its database
transition was committed.
"""
import atexit
import datetime
import logging
import queue
import threading
import time
import uuid

from iaas import rpc, states
from iaas.conf import CONF

LOG = logging.getLogger(__name__)

PRIORITY = 'INFO'
ROUTING_PRIORITY = 'info'


# -- times ------------------------------------------------------------------------------
def _utc(dt):
    """An aware UTC datetime of ``dt`` (naive values are UTC, as the DB keeps them);
    an ISO string is parsed; None → now."""
    if dt is None:
        return datetime.datetime.now(datetime.UTC)
    if isinstance(dt, str):
        dt = datetime.datetime.fromisoformat(dt.replace('Z', '+00:00'))
    if dt.tzinfo is None:
        return dt.replace(tzinfo=datetime.UTC)
    return dt.astimezone(datetime.UTC)


def iso(dt=None):
    """ISO 8601 UTC with microseconds: ``2024-05-01T12:00:00.000123+00:00``."""
    return _utc(dt).isoformat(timespec='microseconds')


def envelope_timestamp(dt=None):
    """The envelope's ``timestamp``: ``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC."""
    return _utc(dt).strftime('%Y-%m-%d %H:%M:%S.%f')


def publisher(service, host=None):
    """``<service>.<host>`` (host: ``[DEFAULT] host``)."""
    return f'{service}.{host or CONF.host}'


def envelope(event_type, payload, publisher_id, now=None):
    return {'message_id': str(uuid.uuid4()), 'publisher_id': publisher_id,
            'event_type': event_type, 'priority': PRIORITY,
            'timestamp': envelope_timestamp(now), 'payload': payload}


# -- drivers ------------------------------------------------------------------------------
class NoopDriver:
    """``[notifications] driver = noop``: nothing is sent."""

    def send(self, message, topic):
        pass


class MessagingDriver:
    """Publishes on the configured bus (iaas.rpc), persistent, into the topic's
    durable notification queue."""

    def send(self, message, topic):
        transport = rpc.get_transport()
        transport.publish_notification(
            message, time.monotonic() + CONF.notifications.publish_timeout, topic=topic,
            priority=ROUTING_PRIORITY)


DRIVERS = {'messaging': MessagingDriver(), 'noop': NoopDriver()}


class _Sender:
    """One background thread per process that publishes queued events in order."""

    def __init__(self, maxsize):
        self.queue = queue.Queue(maxsize)
        self.dropped = 0
        self._thread = threading.Thread(target=self._run, name='notifications', daemon=True)
        self._thread.start()

    def submit(self, driver, message, topics):
        try:
            self.queue.put_nowait((driver, message, topics))
            return True
        except queue.Full:
            self.dropped += 1
            LOG.warning('notification queue full (%d events): dropped %s %s',
                        self.queue.maxsize, message['event_type'], message['message_id'])
            return False

    def _run(self):
        while True:
            item = self.queue.get()
            try:
                if item is None:
                    return
                driver, message, topics = item
                for topic in topics:
                    try:
                        driver.send(message, topic)
                    except Exception as exc:
                        LOG.warning('could not publish notification %s %s to %s: %s',
                                    message['event_type'], message['message_id'], topic, exc)
            finally:
                self.queue.task_done()

    def flush(self, timeout):
        """Wait until every queued event was handed to its driver; False on timeout."""
        end = time.monotonic() + timeout
        with self.queue.all_tasks_done:
            while self.queue.unfinished_tasks:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self.queue.all_tasks_done.wait(left)
        return True

    def stop(self):
        try:
            self.queue.put_nowait(None)
        except queue.Full:
            pass


_sender = None
_sender_lock = threading.Lock()


def _get_sender():
    global _sender
    with _sender_lock:
        if _sender is None:
            _sender = _Sender(CONF.notifications.max_queued)
        return _sender


def flush(timeout=10.0):
    """Wait (up to ``timeout`` s) until this process's queued events are sent."""
    sender = _sender
    return True if sender is None else sender.flush(timeout)


def reset():
    """Forget the sender (tests): a new one starts with the next event; the old
    thread ends once its current publish returns."""
    global _sender
    with _sender_lock:
        old, _sender = _sender, None
    if old is not None:
        old.stop()


@atexit.register
def _drain_at_exit():
    flush(2.0)


def notify(context, event_type, payload, publisher_id=None, at=None):
    """Emit one usage event; never raises, never waits for the bus.

    ``payload`` gets ``at`` (when the change took effect; default now) unless it
    has one. ``publisher_id``: ``<service>.<host>`` (default ``iaas.<host>``).
    ``context`` is the request's (only its request id is logged). Returns the
    envelope queued, or None (noop driver, queue full, or an error).
    """
    try:
        name = CONF.notifications.driver
        if name == 'noop':
            return None
        payload = dict(payload)
        payload.setdefault('at', iso(at))
        message = envelope(event_type, payload, publisher_id or publisher('iaas'))
        sender = _get_sender()
        if not sender.submit(DRIVERS[name], message, list(CONF.notifications.topics)):
            return None
        return message
    except Exception:
        LOG.exception('notification %s not emitted (request %s)', event_type,
                      getattr(context, 'request_id', None))
        return None


# -- instances ----------------------------------------------------------------------------
INSTANCE_CREATE = 'compute.instance.create.end'
INSTANCE_DELETE = 'compute.instance.delete.end'
INSTANCE_UPDATE = 'compute.instance.update'
INSTANCE_RESIZE_CONFIRM = 'compute.instance.resize.confirm.end'
INSTANCE_SHELVE = 'compute.instance.shelve.end'
INSTANCE_SHELVE_OFFLOAD = 'compute.instance.shelve_offload.end'
INSTANCE_UNSHELVE = 'compute.instance.unshelve.end'
# the completion of a compute host's operation (the task_state its swap expects) →
# its event; any other completion that writes a vm_state is compute.instance.update
INSTANCE_COMPLETIONS = {
    states.SPAWNING: INSTANCE_CREATE,
    states.POWERING_OFF: 'compute.instance.power_off.end',
    states.POWERING_ON: 'compute.instance.power_on.end',
    states.PAUSING: 'compute.instance.pause.end',
    states.UNPAUSING: 'compute.instance.unpause.end',
    states.SUSPENDING: 'compute.instance.suspend.end',
    states.RESUMING: 'compute.instance.resume.end',
    # the new flavor is billed from the confirm (compute.instance.resize.confirm.end)
    states.RESIZE_MIGRATING: None,
    # a shelve ends in whichever of its task_states the snapshot reached
    **{t: INSTANCE_SHELVE for t in states.SHELVE_TASKS},
    states.UNSHELVING: INSTANCE_UNSHELVE,
}
# compute.instance.shelve_offload.end: ConductorManager.instance_offloaded


def instance_state(inst):
    """The billing state of an instance row (building, active, stopped, paused,
    suspended, shelved, error, deleted): a resized server waiting for its
    confirm runs (active) or not (stopped) as its power state says."""
    vm = inst.get('vm_state')
    if vm == states.RESIZED:
        return 'active' if inst.get('power_state') == states.RUNNING else 'stopped'
    if vm and vm.startswith('shelved'):
        return 'shelved'
    return vm


def instance_payload(inst, state=None):
    flavor = inst.get('flavor') or {}
    return {'resource_type': 'instance', 'resource_id': inst['uuid'],
            'project_id': inst['project_id'], 'user_id': inst.get('user_id'),
            'state': state or instance_state(inst),
            'flavor_id': flavor.get('flavorid', inst.get('flavor_id')),
            'flavor_name': flavor.get('name'), 'vcpus': inst.get('vcpus'),
            'memory_mb': inst.get('memory_mb'), 'root_gb': inst.get('root_gb')}


def exact(when):
    """A row's time if the database kept its fraction of a second, else None
    (the event then carries the time it is emitted, right after the commit).
    MariaDB's DATETIME columns keep whole seconds: two changes of one
    resource within a second would carry the same time and their order
    would be lost."""
    return when if when is not None and when.microsecond else None


def instance_event(context, event_type, inst, at=None, state=None, service='conductor'):
    """Emit ``event_type`` for the instance row ``inst`` (as committed); ``at``
    defaults to the row's ``updated_at`` (see :func:`exact`). Nothing for a
    None row (the swap did not happen: nothing changed)."""
    if not inst or not event_type:
        return None
    return notify(context, event_type, instance_payload(inst, state),
                  publisher(service), at or exact(inst.get('updated_at')))


def instance_updated(context, expected_task_state, values, inst, service='conductor'):
    """After a compute host's compare-and-swap (conductor ``instance_update``):
    the event of the operation it completes, if it wrote a vm_state."""
    if 'vm_state' not in values:
        return None
    event_type = INSTANCE_UPDATE
    if isinstance(expected_task_state, str) and expected_task_state in INSTANCE_COMPLETIONS:
        event_type = INSTANCE_COMPLETIONS[expected_task_state]
    return instance_event(context, event_type, inst, service=service)


def instance_deleted(context, inst, service='conductor'):
    """After the row was soft-deleted (``inst``: the row before, None when it was
    gone already: nothing emitted)."""
    if not inst:
        return None
    return instance_event(context, INSTANCE_DELETE, inst, at=exact(inst.get('terminated_at'))
                          or datetime.datetime.now(datetime.UTC), state='deleted',
                          service=service)


def instance_error(context, inst, service='conductor'):
    """After a swap to ERROR (``inst``: the row after, None when it did not happen)."""
    return instance_event(context, INSTANCE_UPDATE, inst, service=service)


# -- volumes and snapshots --------------------------------------------------------------------
def volume_payload(vol, state=None, volume_type=None):
    """``volume_type``: the type's name (what prices name; the caller, which has
    the database, looks it up); default: the type's id."""
    return {'resource_type': 'volume', 'resource_id': vol['uuid'],
            'project_id': vol['project_id'], 'user_id': vol.get('user_id'),
            'state': state or vol['status'], 'size_gb': vol['size'],
            'volume_type': volume_type or vol.get('volume_type_id')}


def snapshot_payload(snap, state=None):
    return {'resource_type': 'snapshot', 'resource_id': snap['uuid'],
            'project_id': snap['project_id'], 'user_id': snap.get('user_id'),
            'state': state or snap['status'], 'size_gb': snap['volume_size'],
            'volume_id': snap['volume_id']}


def _changed_at(row):
    return exact(row.get('status_changed_at') or row.get('updated_at'))


def volume_updated(context, expected_status, status, vol, service='conductor',
                   volume_type=None):
    """After a volume host's status swap (``vol``: the row after): creating →
    available is volume.create.end, the end of an extend volume.resize.end."""
    if not vol:
        return None
    if expected_status == 'creating' and status == 'available':
        event_type = 'volume.create.end'
    elif expected_status == 'extending' and status != 'error_extending':
        event_type = 'volume.resize.end'
    else:
        return None
    return notify(context, event_type, volume_payload(vol, volume_type=volume_type),
                  publisher(service), _changed_at(vol))


def volume_deleted(context, vol, service='conductor', volume_type=None):
    """``vol``: the row before its soft delete."""
    return notify(context, 'volume.delete.end',
                  volume_payload(vol, 'deleted', volume_type), publisher(service))


def volume_retyped(context, vol, volume_type, service='volume-api'):
    """After an os-retype's swap (``vol``: the row after; ``volume_type``: the
    new type's name): volume.retype, as Cinder names it."""
    if not vol:
        return None
    return notify(context, 'volume.retype', volume_payload(vol, volume_type=volume_type),
                  publisher(service), exact(vol.get('updated_at')))


def volume_transferred(context, vol, snapshots=(), volume_type=None, service='volume-api'):
    """After a transfer's accept moved the volume (``vol``: the row after) and
    ``snapshots`` (their rows after) to the accepting project:
    volume.transfer.accept.end, and snapshot.transfer.accept.end for each
    snapshot that went with it."""
    if not vol:
        return None
    out = notify(context, 'volume.transfer.accept.end',
                 volume_payload(vol, volume_type=volume_type), publisher(service),
                 exact(vol.get('updated_at')))
    for snap in snapshots:
        notify(context, 'snapshot.transfer.accept.end', snapshot_payload(snap),
               publisher(service), exact(vol.get('updated_at')))
    return out


def snapshot_updated(context, expected_status, status, snap, service='conductor'):
    if not snap or (expected_status, status) != ('creating', 'available'):
        return None
    return notify(context, 'snapshot.create.end', snapshot_payload(snap),
                  publisher(service), _changed_at(snap))


def snapshot_deleted(context, snap, service='conductor'):
    return notify(context, 'snapshot.delete.end', snapshot_payload(snap, 'deleted'),
                  publisher(service))


# -- images ---------------------------------------------------------------------------------
def image_payload(image, state=None):
    return {'resource_type': 'image', 'resource_id': image['id'],
            'project_id': image.get('owner'), 'user_id': None,
            'state': state or image.get('status'), 'size_bytes': image.get('size')}


def image_uploaded(context, image, service='image'):
    """``image``: the row after saving → active."""
    return notify(context, 'image.upload', image_payload(image, 'active'),
                  publisher(service), exact(image.get('updated_at')))


def image_deleted(context, image, service='image'):
    """``image``: the row before its delete."""
    return notify(context, 'image.delete', image_payload(image, 'deleted'),
                  publisher(service))


# -- floating IPs -------------------------------------------------------------------------
def floating_ip_payload(fip, user_id=None, state='allocated'):
    return {'resource_type': 'floating_ip', 'resource_id': fip['id'],
            'project_id': fip.get('project_id'), 'user_id': user_id, 'state': state,
            'floating_ip_address': fip['floating_ip_address'],
            'port_id': None if state == 'deleted' else fip.get('port_id')}


def floating_ip_event(context, event_type, fip, state='allocated', service='network'):
    if not fip:
        return None
    return notify(context, event_type,
                  floating_ip_payload(fip, getattr(context, 'user_id', None), state),
                  publisher(service))


# -- object store -------------------------------------------------------------------------
def account_project(account, prefix=None):
    """The project of an object store account ``<reseller_prefix><project>``."""
    prefix = CONF.objectstore.reseller_prefix if prefix is None else prefix
    return account[len(prefix):] if prefix and account.startswith(prefix) else account


def object_account_payload(account, **fields):
    return {'resource_type': 'object_account', 'resource_id': account,
            'project_id': account_project(account), 'user_id': None, 'state': 'present',
            **fields}
