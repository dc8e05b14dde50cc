"""The usage-notification contract, parsed and checked.

An envelope (oslo.messaging's notification format)::

    {"message_id": "<uuid4>", "publisher_id": "<service>.<host>",
     "event_type": "compute.instance.create.end", "priority": "INFO",
     "timestamp": "YYYY-MM-DD HH:MM:SS.ffffff",
     "payload": {"resource_type", "resource_id", "project_id", "user_id",
                 "state", "at", ...type-specific fields}}

:func:`parse` turns one into a flat :class:`Event` (what is stored and
what intervals are made of) or raises :class:`InvalidEvent`; envelopes of
other event types give None (other consumers' notifications share the bus).
"""
import dataclasses
import datetime

from iaas.billing import meters

ROUTING_KEY = 'notifications.info'
QUEUE_SUFFIX = 'notifications.info'

EVENT_TYPES = frozenset({
    'compute.instance.create.end', 'compute.instance.power_off.end',
    'compute.instance.power_on.end', 'compute.instance.pause.end',
    'compute.instance.unpause.end', 'compute.instance.suspend.end',
    'compute.instance.resume.end', 'compute.instance.shelve.end',
    'compute.instance.shelve_offload.end',
    'compute.instance.unshelve.end', 'compute.instance.resize.confirm.end',
    'compute.instance.delete.end', 'compute.instance.update',
    'volume.create.end', 'volume.resize.end', 'volume.delete.end',
    # a new type (price key) / a new project: a new interval from then on
    'volume.retype', 'volume.transfer.accept.end', 'snapshot.transfer.accept.end',
    'snapshot.create.end', 'snapshot.delete.end',
    'image.upload', 'image.delete',
    'floatingip.create.end', 'floatingip.update.end', 'floatingip.delete.end',
    'objectstore.account.usage', 'objectstore.account.traffic',
})
TRAFFIC = 'objectstore.account.traffic'


class InvalidEvent(ValueError):
    """A billing event that breaks the contract (logged and dropped)."""


@dataclasses.dataclass
class Event:
    message_id: str
    event_type: str
    resource_type: str
    resource_id: str
    project_id: str
    user_id: str | None
    state: str
    at: datetime.datetime
    payload: dict
    kind: str = 'state'                 # 'state' or 'counter'
    price_key: str | None = None
    size: int | None = None
    requests: int | None = None
    bytes_out: int | None = None
    start: datetime.datetime | None = None   # counters: the period counted
    attrs: dict = dataclasses.field(default_factory=dict)
    source: str = 'bus'

    @property
    def key(self):
        return (self.resource_type, self.resource_id)


def parse_time(value):
    """ISO 8601 (or oslo's 'YYYY-MM-DD HH:MM:SS.ffffff') → naive UTC."""
    if isinstance(value, datetime.datetime):
        when = value
    else:
        if not isinstance(value, str) or not value:
            raise InvalidEvent(f'not a time: {value!r}')
        text = value.strip().replace('Z', '+00:00')
        try:
            when = datetime.datetime.fromisoformat(text)
        except ValueError:
            raise InvalidEvent(f'not a time: {value!r}') from None
    if when.tzinfo is not None:
        when = when.astimezone(datetime.UTC).replace(tzinfo=None)
    return when


def format_time(when):
    return when.strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def _int(payload, field, required=True):
    value = payload.get(field)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        if isinstance(value, float) and value >= 0 and value == int(value):
            return int(value)
        raise InvalidEvent(f'{field} must be a non-negative integer, not {value!r}')
    return value


def _str(payload, field, required=True, limit=255):
    value = payload.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > limit:
        raise InvalidEvent(f'{field} must be a string of 1..{limit} characters')
    return value


def parse(envelope, source='bus'):
    """The :class:`Event` of ``envelope``; None for event types billing ignores."""
    if not isinstance(envelope, dict):
        raise InvalidEvent('an envelope is a JSON object')
    event_type = envelope.get('event_type')
    if event_type not in EVENT_TYPES:
        return None
    message_id = _str(envelope, 'message_id', limit=64)
    p = envelope.get('payload')
    if not isinstance(p, dict):
        raise InvalidEvent('payload must be an object')
    rtype = p.get('resource_type')
    if rtype not in meters.RESOURCES:
        raise InvalidEvent(f'unknown resource_type {rtype!r}')
    kind = meters.RESOURCES[rtype]
    ev = Event(message_id=message_id, event_type=event_type, resource_type=rtype,
               resource_id=_str(p, 'resource_id', limit=64),
               project_id=_str(p, 'project_id', limit=64),
               user_id=_str(p, 'user_id', required=False, limit=64),
               state='', at=parse_time(p.get('at') or envelope.get('timestamp')),
               payload=p, source=source)
    if event_type == TRAFFIC:
        ev.kind, ev.state = 'counter', 'traffic'
        ev.requests = _int(p, 'requests')
        ev.bytes_out = _int(p, 'bytes_out')
        ev.start = parse_time(p.get('period_start'))
        ev.at = parse_time(p.get('period_end'))
        if ev.start > ev.at:
            raise InvalidEvent('period_start is after period_end')
        return ev
    try:
        ev.state = meters.normalize_state(rtype, p.get('state'))
    except ValueError as exc:
        raise InvalidEvent(str(exc)) from None
    if ev.state != 'deleted':
        if kind.size_field:
            ev.size = _int(p, kind.size_field)
        if kind.key_field:
            ev.price_key = _str(p, kind.key_field, required=rtype == 'instance')
    ev.attrs = {f: p[f] for f in kind.attr_fields if p.get(f) is not None}
    if ev.state != p.get('state') and p.get('state'):
        ev.attrs['status'] = str(p.get('state'))[:64]
    return ev


def envelope(event_type, payload, message_id, timestamp, publisher_id='billing'):
    """An envelope of the contract (reconciliation and tests make them)."""
    return {'message_id': message_id, 'publisher_id': publisher_id,
            'event_type': event_type, 'priority': 'INFO',
            'timestamp': timestamp.strftime('%Y-%m-%d %H:%M:%S.%f'), 'payload': payload}
