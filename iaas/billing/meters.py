"""The meters: what is billed, in which unit, from which intervals.

Adding a meter is adding a row to :data:`METERS`; a new kind of resource
adds a row to :data:`RESOURCES` too (which payload field is its size and its
price key, how its states map to billable ones).

A **duration** meter bills the time a resource spends in one of its
``states``: quantity = value × hours / ``scale``, where value is 1
(``column='one'``) or the interval's ``size`` (GiB of a volume, bytes of an
image). A **counter** meter bills an amount counted over a period (the
object store's traffic): quantity = the interval's ``column`` / ``scale``,
counted in the month its period ends. GiB means 2**30 bytes everywhere.

Prices (:mod:`iaas.billing.prices`) are per meter and price key: the
flavor's name for instances, the volume type for volumes (``*`` = any).
"""
import dataclasses

DURATION, COUNTER = 'duration', 'counter'
GIB = 2 ** 30
# microseconds per hour: durations are summed exactly, in microseconds
US_PER_HOUR = 3_600_000_000


@dataclasses.dataclass(frozen=True)
class Meter:
    name: str
    resource_type: str
    kind: str                 # DURATION or COUNTER
    unit: str
    states: frozenset
    column: str               # 'one', 'size', 'requests' or 'bytes_out'
    scale: int = 1            # column units per invoiced unit
    keyed: bool = False       # priced per the interval's price key
    description: str = ''

    @property
    def divisor(self):
        """What the summed integer (value × µs, or value) is divided by."""
        return self.scale * (US_PER_HOUR if self.kind == DURATION else 1)


def _m(name, rtype, kind, unit, states, column, scale=1, keyed=False, description=''):
    return Meter(name, rtype, kind, unit, frozenset(states), column, scale, keyed, description)


PRESENT = 'present'

METERS = [
    _m('instance.running', 'instance', DURATION, 'hour', ['active'], 'one', keyed=True,
       description='flavor-hours of a running server'),
    _m('instance.stopped', 'instance', DURATION, 'hour', ['stopped'], 'one', keyed=True,
       description='flavor-hours of a stopped server (its disks are kept)'),
    _m('instance.suspended', 'instance', DURATION, 'hour', ['paused', 'suspended'], 'one',
       keyed=True, description='flavor-hours of a paused or suspended server'),
    _m('instance.shelved', 'instance', DURATION, 'hour', ['shelved'], 'one', keyed=True,
       description='flavor-hours of a shelved server'),
    _m('volume.size', 'volume', DURATION, 'GiB-hour', [PRESENT], 'size', keyed=True,
       description='GiB-hours of a volume (any status but deleted), per volume type'),
    _m('snapshot.size', 'snapshot', DURATION, 'GiB-hour', [PRESENT], 'size',
       description='GiB-hours of a volume snapshot'),
    _m('image.size', 'image', DURATION, 'GiB-hour', ['active'], 'size', GIB,
       description='GiB-hours of a stored image'),
    _m('object.size', 'object_account', DURATION, 'GiB-hour', [PRESENT], 'size', GIB,
       description='GiB-hours of object storage (each sample held until the next)'),
    _m('object.bytes_out', 'object_account', COUNTER, 'GiB', ['traffic'], 'bytes_out', GIB,
       description='GiB served out by the object store'),
    _m('object.requests', 'object_account', COUNTER, '1000 requests', ['traffic'],
       'requests', 1000, description='requests to the object store, per thousand'),
    _m('floating_ip.hours', 'floating_ip', DURATION, 'hour', ['allocated'], 'one',
       description='hours a floating IP is held (associated or not)'),
]

BY_NAME = {m.name: m for m in METERS}


@dataclasses.dataclass(frozen=True)
class ResourceKind:
    """How a usage event's payload becomes an interval of this resource type."""
    name: str
    states: frozenset          # states the contract names (others: see normalize)
    size_field: str | None     # payload field → interval.size
    key_field: str | None      # payload field → interval.price_key
    attr_fields: tuple         # payload fields kept for display
    present_states: bool = False   # every non-deleted state counts as PRESENT


RESOURCES = {r.name: r for r in [
    ResourceKind('instance', frozenset({'building', 'active', 'stopped', 'paused',
                                        'suspended', 'shelved', 'error', 'deleted'}),
                 None, 'flavor_name', ('flavor_id', 'flavor_name', 'vcpus', 'memory_mb',
                                       'root_gb')),
    ResourceKind('volume', frozenset({PRESENT, 'deleted'}), 'size_gb', 'volume_type',
                 ('size_gb', 'volume_type'), present_states=True),
    ResourceKind('snapshot', frozenset({PRESENT, 'deleted'}), 'size_gb', None,
                 ('size_gb', 'volume_id'), present_states=True),
    ResourceKind('image', frozenset({'active', 'deleted'}), 'size_bytes', None,
                 ('size_bytes',)),
    ResourceKind('floating_ip', frozenset({'allocated', 'deleted'}), None, None,
                 ('floating_ip_address', 'port_id')),
    ResourceKind('object_account', frozenset({PRESENT, 'traffic'}), 'bytes_used', None,
                 ('bytes_used',)),
]}

# Other names of instance states (Nova's vm_state values) → billable state.
INSTANCE_ALIASES = {'shelved_offloaded': 'shelved', 'resized': 'active',
                    'rescued': 'active', 'soft-deleted': 'deleted', 'soft_deleted': 'deleted'}


def normalize_state(resource_type, state):
    """The billable state of ``state`` reported for a resource of this type."""
    kind = RESOURCES[resource_type]
    state = (state or '').lower()
    if state == 'deleted':
        return state
    if kind.present_states:
        return PRESENT
    if resource_type == 'instance':
        state = INSTANCE_ALIASES.get(state, state)
    if state not in kind.states:
        raise ValueError(f'unknown {resource_type} state {state!r}')
    return state


# (resource_type, kind, state) → meters that bill an interval of it
_INDEX: dict[tuple, list] = {}
for _meter in METERS:
    for _state in _meter.states:
        _INDEX.setdefault((_meter.resource_type, _meter.kind, _state), []).append(_meter)


def meters_for(resource_type, kind, state):
    """Meters billing an interval of ``kind`` ('state' or 'counter')."""
    return _INDEX.get((resource_type, DURATION if kind == 'state' else kind, state), ())


def describe():
    """The meter table as plain dicts (API, docs, iaas-manage)."""
    return [{'name': m.name, 'resource_type': m.resource_type, 'kind': m.kind,
             'unit': m.unit, 'states': sorted(m.states), 'per': m.column,
             'scale': m.scale, 'keyed': m.keyed, 'description': m.description}
            for m in METERS]
