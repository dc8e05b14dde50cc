"""Instances: quota-checked creation, compare-and-swap updates, listing,
faults and instance actions."""
import datetime

import re2
import sqlalchemy as sa

from iaas.db import ec2_ids as db_ec2_ids
from iaas.db import ec2_tokens, quotas
from iaas.db.base import utcnow
from iaas.db.engine import transaction
from iaas.db.models import (
    ConsoleAuthToken,
    Instance,
    InstanceAction,
    InstanceActionEvent,
    InstanceFault,
    InstanceGroupMember,
)
from iaas.db.utils import after_marker, row_to_dict
from iaas.exception import InstanceNotFound, MarkerNotFound, UnexpectedState  # noqa: F401

ANY = object()


class _AllProjects:
    def __repr__(self):
        return 'ALL_PROJECTS'


# ``project_id`` of a lookup that spans every project (internal callers,
# admin listings). ``None`` is refused: a caller without a project must
# never read "no filter" (see _project_filter).
ALL_PROJECTS = _AllProjects()


def _project_filter(project_id):
    """None → ValueError; ALL_PROJECTS → no filter; else the project."""
    if project_id is None:
        raise ValueError('project_id None: a lookup needs a project or ALL_PROJECTS')
    return None if project_id is ALL_PROJECTS else project_id


def _fault_dict(f):
    return {'code': f.code, 'message': f.message, 'details': f.details,
            'created': f.created_at, 'host': f.host}


def _to_dict(inst, with_fault=True):
    d = row_to_dict(inst)
    d['fault'] = None
    if with_fault and inst.vm_state == 'error' and inst.faults:
        d['fault'] = _fault_dict(inst.faults[0])
    return d


def _latest_faults(s, uuids):
    """{uuid: fault dict} of the newest fault of each instance, in batches."""
    out = {}
    uuids = list(uuids)
    for i in range(0, len(uuids), 500):
        q = sa.select(InstanceFault).where(
            InstanceFault.instance_uuid.in_(uuids[i:i + 500])).order_by(
            InstanceFault.id.desc())
        for f in s.scalars(q):
            out.setdefault(f.instance_uuid, _fault_dict(f))
    return out


def _query(s, uuid, include_deleted=False):
    # faults are read (by _to_dict, inside the session) only for an
    # instance in error: no second SELECT for every other one
    q = sa.select(Instance).options(sa.orm.lazyload(Instance.faults)).where(
        Instance.uuid == uuid)
    if not include_deleted:
        q = q.where(Instance.deleted == 0)
    return s.scalars(q).first()


_ROW = sa.select(Instance.__table__).where(Instance.uuid == sa.bindparam('u'),
                                           Instance.deleted == 0)
_LATEST_FAULT = sa.select(InstanceFault).where(
    InstanceFault.instance_uuid == sa.bindparam('u')).order_by(
    InstanceFault.id.desc()).limit(1)


def _read(s, uuid):
    """The live instance as :func:`_to_dict` makes it, read with prebuilt
    Core statements (the claim of every build and every state write end
    with it); None when it is gone."""
    return _row_dict(s, s.connection().execute(_ROW, {'u': uuid}).mappings().first())


def _row_dict(s, row):
    """An instances row (mappings) as :func:`_to_dict` makes it; None for None."""
    if row is None:
        return None
    d = dict(row)     # column names are the attribute names without '_'
    d['fault'] = None
    if d['vm_state'] == 'error':
        f = s.scalars(_LATEST_FAULT, {'u': d['uuid']}).first()
        d['fault'] = _fault_dict(f) if f else None
    return d


def swap(s, uuid, values, expected_vm_state=ANY, expected_task_state=ANY,
         expected_host=ANY):
    """Run the compare-and-swap of :func:`guarded` in the session ``s``:
    (swapped, the instance as it is now, None when gone). Where the
    database returns updated rows (PostgreSQL, SQLite) the UPDATE hands the
    row back itself; else (MariaDB) it is read after."""
    c = s.connection()
    if c.dialect.update_returning:
        row = c.execute(*guarded(uuid, values, expected_vm_state, expected_task_state,
                                 expected_host, returning=True)).mappings().first()
        if row is not None:
            return True, _row_dict(s, row)
        return False, _read(s, uuid)
    n = c.execute(*guarded(uuid, values, expected_vm_state, expected_task_state,
                           expected_host)).rowcount
    return bool(n), _read(s, uuid)


def create_with_quota(project_id, values_list, min_count=None, group_id=None,
                      action=None, limits=None, ec2_ids=None, client_token=None):
    """Insert instances after checking the project's quota in the same
    transaction; create as many as fit between ``min_count`` and
    ``len(values_list)``. Raise QuotaExceeded if not even min_count fit.

    The project's quota lock is taken only when something is limited
    (instances, cores or ram, or the members of ``group_id``): with no limit
    there is nothing to serialize, and creates of one project run in parallel.
    ``action``: {'action', 'request_id', 'user_id', 'project_id'}: the instance
    action recorded for each instance, in the same transaction. ``limits``:
    the project's limits when the caller just read them (whether anything
    is limited; a limited create reads them again under the lock).
    ``ec2_ids``: {kind: {uuid: EC2 id}} made for the new instances, stored
    in the same transaction (for those created).
    ``client_token``: (token, digest) of an EC2 RunInstances, recorded with
    the instances made (:func:`iaas.db.ec2_tokens.record`; ``Taken``, and
    nothing made, when another request has it).
    """
    wanted = len(values_list)
    min_count = min_count or wanted
    first = values_list[0]
    per = {'instances': 1, 'cores': first.get('vcpus', 0), 'ram': first.get('memory_mb', 0)}
    # Read apart: the lock must stay the first statement of the transaction
    # (SQLite cannot turn a read transaction into a write one once another
    # writer has committed).
    if limits is None:
        limits = quotas.get_limits(project_id)
    limited = any(limits[r] >= 0 for r in per) or (
        group_id is not None and limits['server_group_members'] >= 0)
    if limited:
        quotas.ensure_lock_row(project_id)
    with transaction() as s:
        count = wanted
        if limited:
            quotas.lock_project(s, project_id)
            limits = quotas.get_limits(project_id, s)   # as of the lock
            used = quotas.instance_usage(s, project_id)
            count = quotas.allowed_count(limits, used, per, wanted)
            if count < min_count:
                quotas.check(limits, used, {r: v * min_count for r, v in per.items()})
            if group_id is not None:
                _check_group_room(s, group_id, project_id, count)
        made = [_insert(s, values) for values in values_list[:count]]
        uuids = [d['uuid'] for d in made]
        made_uuids = set(uuids)
        conn = s.connection()
        if group_id is not None:
            conn.execute(_INSERT_MEMBER, [{'group_id': group_id, 'instance_uuid': u}
                                          for u in uuids])
        if action:
            now = utcnow()
            conn.execute(_INSERT_ACTION, [dict(action, instance_uuid=u, start_time=now)
                                          for u in uuids])
        for kind, pairs in (ec2_ids or {}).items():
            db_ec2_ids.store(s, kind, {u: e for u, e in pairs.items() if u in made_uuids})
        if client_token is not None:
            ec2_tokens.record(s, project_id, *client_token, uuids)
        return made


# Server create's inserts: prebuilt Core statements (no ORM unit of work)
_INSTANCES = Instance.__table__
_INSERT_INSTANCE = sa.insert(_INSTANCES)
_INSERT_ACTION = sa.insert(InstanceAction.__table__)
_INSERT_MEMBER = sa.insert(InstanceGroupMember.__table__)
# attribute name (``metadata_``) → column name (``metadata``)
_COLUMN_OF = {a.key: a.columns[0].key for a in Instance.__mapper__.column_attrs}


def _insert(s, values):
    """INSERT one instance (``values`` keyed by attribute name, as the
    model takes them); its dict as :func:`_to_dict` makes it: the values
    with the columns' defaults filled in, and its new id."""
    r = s.connection().execute(_INSERT_INSTANCE, {_COLUMN_OF[k]: v for k, v in values.items()})
    params = r.last_inserted_params()
    d = {key.rstrip('_'): params.get(col) for key, col in _COLUMN_OF.items()}
    d['id'] = r.inserted_primary_key[0]
    d['fault'] = None
    return d


def _check_group_room(s, group_id, project_id, count):
    limit = quotas.get_limits(project_id, s)['server_group_members']
    if limit < 0:
        return
    used = s.scalar(sa.select(sa.func.count(InstanceGroupMember.id)).join(
        Instance, Instance.uuid == InstanceGroupMember.instance_uuid).where(
        InstanceGroupMember.group_id == group_id, Instance.deleted == 0))
    quotas.check({'server_group_members': limit}, {'server_group_members': used},
                 {'server_group_members': count})


def get(uuid, project_id=ALL_PROJECTS, include_deleted=False):
    """The instance as a dict; InstanceNotFound (also for another project's)."""
    project_id = _project_filter(project_id)
    with transaction() as s:
        inst = _query(s, uuid, include_deleted)
        if inst is None or (project_id is not None and inst.project_id != project_id):
            raise InstanceNotFound(uuid)
        return _to_dict(inst)


def get_starting_event(uuid, request_id, event, host, event_if=None):
    """:func:`get`, and in the same transaction the start of ``event`` of
    the request's action when the instance's fields match ``event_if``
    (a dict; None: always)."""
    with transaction() as s:
        inst = _query(s, uuid)
        if inst is None:
            raise InstanceNotFound(uuid)
        d = _to_dict(inst)
        if all(d.get(k) == v for k, v in (event_if or {}).items()):
            _event_start(s, uuid, request_id, event, host)
        return d


def placement_of(uuid, include_deleted=False):
    """(host, project_id) of an instance (host None when not placed), in one
    narrow query; InstanceNotFound."""
    q = sa.select(Instance.host, Instance.project_id).where(Instance.uuid == uuid)
    if not include_deleted:
        q = q.where(Instance.deleted == 0)
    with transaction() as s:
        row = s.execute(q).first()
    if row is None:
        raise InstanceNotFound(uuid)
    return row[0], row[1]


# The columns that hold an instance's state: written only by a
# compare-and-swap (:func:`update`), never by :func:`set_fields`.
STATE_FIELDS = frozenset({'vm_state', 'task_state', 'power_state', 'host', 'node',
                          'deleted', 'launched_at', 'terminated_at'})


class UnguardedUpdate(TypeError):
    """A programming error: a state write without expected states (or force=True)."""


def update(uuid, expected_vm_state=ANY, expected_task_state=ANY, force=False,
           finish_event=None, expected_host=ANY, **values):
    """Compare-and-swap: change ``values`` only if the states are as expected.

    ``expected_*`` may be a value or a list/tuple/set of values. At least
    one is required: an unguarded write is refused (UnguardedUpdate) unless
    ``force=True`` says an operator really overrides whatever state the
    instance is in. Raises InstanceNotFound or UnexpectedState; returns the
    new dict. ``finish_event``: (request_id, event) finished with Success in
    the same transaction, when the swap happened. ``expected_host``: the
    instance must be placed there too, else it does not exist for the
    caller (InstanceNotFound, nothing written): a compute host's write
    checks its ownership in the same statement.
    """
    _require_guard(expected_vm_state, expected_task_state, force, 'update')
    return _write(uuid, expected_vm_state, expected_task_state, values, finish_event,
                  expected_host)


def set_fields(uuid, **values):
    """Change fields that are not the instance's state (name, metadata, lock,
    ...) whatever state it is in; InstanceNotFound if it is gone."""
    bad = STATE_FIELDS.intersection(values)
    if bad:
        raise UnguardedUpdate(f'{", ".join(sorted(bad))}: state fields change only by '
                              'a compare-and-swap (instances.update)')
    return _write(uuid, ANY, ANY, values)


def _require_guard(expected_vm_state, expected_task_state, force, what):
    if expected_vm_state is ANY and expected_task_state is ANY and not force:
        raise UnguardedUpdate(f'instances.{what} needs expected_vm_state or '
                              'expected_task_state (or force=True for an override)')


def _write(uuid, expected_vm_state, expected_task_state, values, finish_event=None,
           expected_host=ANY):
    # column names (``metadata``), as the Core UPDATE takes them
    values = {_COLUMN_OF.get(k, k): v for k, v in values.items()}
    with transaction() as s:
        values.setdefault('updated_at', utcnow())
        n, inst = swap(s, uuid, values, expected_vm_state, expected_task_state,
                       expected_host)
        if inst is None or (expected_host is not ANY and inst['host'] != expected_host):
            raise InstanceNotFound(uuid)
        if not n:
            raise UnexpectedState(
                f'Instance {uuid} is in vm_state {inst["vm_state"]}, task_state '
                f'{inst["task_state"]}; expected vm_state {_shown(expected_vm_state)}, '
                f'task_state {_shown(expected_task_state)}')
        if finish_event:
            request_id, event = finish_event
            _event_finish(s, uuid, request_id, event, 'Success', None)
        return inst


# The compare-and-swap UPDATEs, prebuilt per shape (which states are
# compared, against how many values and whether one is None, whether the
# host is, which columns are written): a state write runs a statement
# whose SQL is compiled once, with its values as bound parameters.
_CAS = {}
_CAS_MAX = 512


def _options(expected):
    """None (ANY: not compared) or the expected values, None first."""
    if expected is ANY:
        return None
    opts = expected if isinstance(expected, (list, tuple, set, frozenset)) else [expected]
    return tuple(sorted(set(opts), key=lambda o: (o is not None, str(o))))


def _cas_statement(shape):
    vm, task, host, keys, returning = shape
    c = _INSTANCES.c
    q = sa.update(_INSTANCES).where(c.uuid == sa.bindparam('u'), c.deleted == 0)
    for col, prefix, nones in ((c.vm_state, 'vm', vm), (c.task_state, 'ts', task)):
        if nones is not None:
            q = q.where(sa.or_(*[col.is_(None) if none else col == sa.bindparam(f'{prefix}{i}')
                                 for i, none in enumerate(nones)]))
    if host == 'null':
        q = q.where(c.host.is_(None))
    elif host:
        q = q.where(c.host == sa.bindparam('h'))
    q = q.values({k: sa.bindparam(f'v_{k}') for k in keys})
    return q.returning(*c) if returning else q


def guarded(uuid, values, expected_vm_state=ANY, expected_task_state=ANY,
            expected_host=ANY, returning=False):
    """(statement, parameters): the UPDATE of the live instance ``uuid``
    that writes ``values`` (keyed by column name) if its states are as
    expected (the compare-and-swap every state write is; ANY: not
    compared), and, ``expected_host``, if it is on that host. Run it on the
    session's connection: ``s.connection().execute(*guarded(...))``
    (``returning``: the UPDATE returns the updated row, where the database
    can; :func:`swap` runs it)."""
    vm, task = _options(expected_vm_state), _options(expected_task_state)
    host = None if expected_host is ANY else ('null' if expected_host is None else 'eq')
    keys = tuple(sorted(values))
    shape = (None if vm is None else tuple(o is None for o in vm),
             None if task is None else tuple(o is None for o in task), host, keys,
             bool(returning))
    q = _CAS.get(shape)
    if q is None:
        q = _cas_statement(shape)
        if len(_CAS) < _CAS_MAX:
            _CAS[shape] = q
    params = {'u': uuid}
    for prefix, opts in (('vm', vm), ('ts', task)):
        for i, o in enumerate(opts or ()):
            if o is not None:
                params[f'{prefix}{i}'] = o
    if host == 'eq':
        params['h'] = expected_host
    for k in keys:
        params[f'v_{k}'] = values[k]
    return q, params


def _shown(v):
    return 'any' if v is ANY else v


def soft_delete(uuid):
    """Mark deleted (vm_state deleted, terminated_at); returns the old dict or None."""
    with transaction() as s:
        inst = _query(s, uuid)
        if inst is None:
            return None
        before = _to_dict(inst, with_fault=False)
        now = utcnow()
        inst.vm_state, inst.task_state, inst.power_state = 'deleted', None, 0
        inst.deleted, inst.deleted_at, inst.terminated_at = inst.id, now, now
        # its console tokens go with it (as Nova's clean_console_auths_for_instance)
        s.execute(sa.delete(ConsoleAuthToken).where(ConsoleAuthToken.instance_uuid == uuid))
        return before


def add_fault(uuid, message, code=500, details=None, host=None):
    with transaction() as s:
        s.add(InstanceFault(instance_uuid=uuid, message=str(message)[:255], code=code,
                            details=details, host=host))


def latest_fault(uuid):
    """The newest fault of the instance (a dict), or None."""
    with transaction() as s:
        return _latest_faults(s, [uuid]).get(uuid)


def set_error(uuid, message, code=500, details=None, host=None, expected_task_state=ANY,
              force=False):
    """Move to ERROR (task_state cleared) and record why, in one transaction
    (nobody sees an ERROR without its fault). None if the instance is gone
    or not in ``expected_task_state``. As :func:`update`, an expected
    task_state is required unless ``force=True``."""
    _require_guard(ANY, expected_task_state, force, 'set_error')
    with transaction() as s:
        n = s.connection().execute(*guarded(
            uuid, {'vm_state': 'error', 'task_state': None, 'updated_at': utcnow()},
            expected_task_state=expected_task_state)).rowcount
        if not n:
            return None
        s.add(InstanceFault(instance_uuid=uuid, message=str(message)[:255], code=code,
                            details=details, host=host))
        s.flush()
        return _to_dict(_query(s, uuid))


_SORT_KEYS = {'created_at', 'updated_at', 'display_name', 'uuid', 'vm_state', 'task_state',
              'power_state', 'host', 'launched_at', 'terminated_at', 'hostname', 'project_id',
              'user_id', 'id'}


def list_(project_id=ALL_PROJECTS, filters=None, sort=(('created_at', 'desc'),), limit=None,
          marker=None, include_deleted=False):
    """Instances as dicts.

    ``filters``: name (regex), vm_states (list), task_state, image_ref, flavor_id,
    host, changes_since (datetime), or_deleted_since (datetime: the live ones
    and those deleted since then), uuids (list), user_id, availability_zone,
    locked, ip-free fields only. ``project_id``: one project, or
    ALL_PROJECTS (internal callers, admin listings); None is refused.
    The name filter is a regular expression run by RE2 (linear time,
    bounded pattern length; :func:`name_filter`).
    """
    project_id = _project_filter(project_id)
    filters = filters or {}
    with transaction() as s:
        # Faults are loaded below for the ERROR ones only, in one query.
        q = sa.select(Instance).options(sa.orm.lazyload(Instance.faults))
        if project_id is not None:
            q = q.where(Instance.project_id == project_id)
        since = filters.get('changes_since')
        kept_since = filters.get('or_deleted_since')
        if since is not None:
            q = q.where(Instance.updated_at >= since)
        elif kept_since is not None:        # the live ones and those deleted since
            q = q.where(sa.or_(Instance.deleted == 0, Instance.deleted_at >= kept_since))
        elif not include_deleted:
            q = q.where(Instance.deleted == 0)
        if filters.get('vm_states'):
            q = q.where(Instance.vm_state.in_(filters['vm_states']))
        for key, col in (('image_ref', Instance.image_ref), ('host', Instance.host),
                         ('user_id', Instance.user_id), ('task_state', Instance.task_state),
                         ('availability_zone', Instance.availability_zone),
                         ('locked', Instance.locked), ('node', Instance.node)):
            if filters.get(key) is not None:
                q = q.where(col == filters[key])
        if filters.get('flavor_id') is not None:
            q = q.where(Instance.flavor_id == filters['flavor_id'])
        if filters.get('uuids') is not None:
            q = q.where(Instance.uuid.in_(filters['uuids']))
        orders = []
        for key, direction in sort:
            if key not in _SORT_KEYS:
                raise ValueError(f'Invalid sort key {key}')
            col = getattr(Instance, key)
            orders.append(col.desc() if direction == 'desc' else col.asc())
        orders.append(Instance.id.desc() if (sort and sort[0][1] == 'desc')
                      else Instance.id.asc())
        q = q.order_by(*orders)
        if marker:
            q = _after_marker(s, q, marker, sort)
        name_re = name_filter(filters['name']) if filters.get('name') else None
        if name_re is None and limit:
            q = q.limit(limit)
        rows = []
        for inst in s.scalars(q):
            if name_re is not None and not name_re.search(inst.display_name or ''):
                continue
            rows.append(inst)
            if limit and len(rows) >= limit:
                break
        faults = _latest_faults(s, [i.uuid for i in rows if i.vm_state == 'error'])
        out = []
        for inst in rows:
            d = _to_dict(inst, with_fault=False)
            d['fault'] = faults.get(inst.uuid)
            out.append(d)
        return out


MAX_NAME_FILTER = 255   # characters of a name filter pattern (names have 255)
MAX_NAME_PROGRAM = 200  # RE2 program size (instructions): ~0.2 ms per name at most


def name_filter(pattern):
    """A compiled RE2 pattern for the ``name`` filter (searched anywhere in
    the name, as Nova's REGEXP). RE2 matches in linear time: no pattern can
    backtrack, and the program size is capped so that each name (at most
    255 characters) costs at most ~0.2 ms whatever the pattern. ValueError
    for a pattern that is too long, too complex or not valid RE2 syntax
    (backreferences and look-arounds are not)."""
    if len(pattern) > MAX_NAME_FILTER:
        raise ValueError(f'Invalid name filter: longer than {MAX_NAME_FILTER} characters')
    try:
        rx = re2.compile(pattern, _RE2_OPTIONS)
    except UnicodeEncodeError:
        raise ValueError('Invalid name filter: not valid Unicode') from None
    except re2.error as exc:
        msg = exc.args[0] if exc.args else ''
        if isinstance(msg, bytes):
            msg = msg.decode('utf-8', 'replace')
        raise ValueError(f'Invalid name filter: {msg[:100]}') from None
    if rx.programsize > MAX_NAME_PROGRAM:
        raise ValueError('Invalid name filter: the pattern is too complex')
    return rx


def _re2_options():
    opts = re2.Options()
    opts.log_errors = False
    opts.max_mem = 1 << 20
    return opts


_RE2_OPTIONS = _re2_options()


def _after_marker(s, q, marker, sort):
    m = s.scalars(sa.select(Instance).where(Instance.uuid == marker)).first()
    if m is None:
        raise MarkerNotFound(f'marker [{marker}] not found')
    return after_marker(q, Instance, m, sort)


def count_by_host(host):
    with transaction() as s:
        return s.scalar(sa.select(sa.func.count(Instance.id)).where(
            Instance.host == host, Instance.deleted == 0))


def building_older_than(cutoff):
    """Instances in BUILD not updated since ``cutoff``."""
    with transaction() as s:
        q = sa.select(Instance).where(Instance.deleted == 0, Instance.vm_state == 'building',
                                      Instance.updated_at < cutoff)
        return [_to_dict(i, with_fault=False) for i in s.scalars(q)]


def busy_older_than(cutoff):
    """Instances with a task_state (not building) not updated since ``cutoff``."""
    with transaction() as s:
        q = sa.select(Instance).where(Instance.deleted == 0, Instance.vm_state != 'building',
                                      Instance.task_state.is_not(None),
                                      Instance.updated_at < cutoff)
        return [_to_dict(i, with_fault=False) for i in s.scalars(q)]


def in_progress_on_hosts(hosts):
    """Building or busy instances whose host is one of ``hosts``."""
    if not hosts:
        return []
    with transaction() as s:
        q = sa.select(Instance).where(Instance.deleted == 0, Instance.host.in_(hosts),
                                      sa.or_(Instance.vm_state == 'building',
                                             Instance.task_state.is_not(None)))
        return [_to_dict(i, with_fault=False) for i in s.scalars(q)]


# -- instance actions --------------------------------------------------------

def action_start(uuid, action, request_id, user_id=None, project_id=None):
    with transaction() as s:
        s.add(InstanceAction(instance_uuid=uuid, action=action, request_id=request_id,
                             user_id=user_id, project_id=project_id, start_time=utcnow()))


# the hot path of every build and state change, prebuilt (no statement
# construction and cache-key generation per call) and run as Core
_ACTION_ID = sa.select(InstanceAction.id).where(
    InstanceAction.instance_uuid == sa.bindparam('u'),
    InstanceAction.request_id == sa.bindparam('r')).order_by(
    InstanceAction.id.desc()).limit(1)
_EVENT_ID = sa.select(InstanceActionEvent.id).where(
    InstanceActionEvent.action_id == sa.bindparam('a'),
    InstanceActionEvent.event == sa.bindparam('e')).order_by(
    InstanceActionEvent.id.desc()).limit(1)
_EVENT_ADD = sa.insert(InstanceActionEvent)
_EVENT_END = sa.update(InstanceActionEvent).where(
    InstanceActionEvent.id == sa.bindparam('eid')).values(
    finish_time=sa.bindparam('t'), result=sa.bindparam('res'), traceback=sa.bindparam('tb'))
_ACTION_END = sa.update(InstanceAction).where(InstanceAction.id == sa.bindparam('aid')).values(
    finish_time=sa.bindparam('t'))
_ACTION_FAILED = sa.update(InstanceAction).where(
    InstanceAction.id == sa.bindparam('aid')).values(
    finish_time=sa.bindparam('t'), message='Error')


def _action(s, uuid, request_id):
    # the action row alone (its events are not needed to add or finish one)
    return s.scalars(sa.select(InstanceAction).options(
        sa.orm.lazyload(InstanceAction.events)).where(
        InstanceAction.instance_uuid == uuid, InstanceAction.request_id == request_id)
        .order_by(InstanceAction.id.desc())).first()


def event_start(uuid, request_id, event, host=None):
    with transaction() as s:
        _event_start(s, uuid, request_id, event, host)


def _event_start(s, uuid, request_id, event, host):
    c = s.connection()
    act = c.execute(_ACTION_ID, {'u': uuid, 'r': request_id}).scalar()
    if act is None:
        return
    c.execute(_EVENT_ADD, {'action_id': act, 'event': event, 'start_time': utcnow(),
                           'host': host})


def event_finish(uuid, request_id, event, result='Success', traceback=None):
    with transaction() as s:
        _event_finish(s, uuid, request_id, event, result, traceback)


def _event_finish(s, uuid, request_id, event, result, traceback):
    c = s.connection()
    act = c.execute(_ACTION_ID, {'u': uuid, 'r': request_id}).scalar()
    if act is None:
        return
    ev = c.execute(_EVENT_ID, {'a': act, 'e': event}).scalar()
    now = utcnow()
    if ev is None:
        c.execute(_EVENT_ADD, {'action_id': act, 'event': event, 'start_time': now,
                               'finish_time': now, 'result': result, 'traceback': traceback})
    else:
        c.execute(_EVENT_END, {'eid': ev, 't': now, 'res': result, 'tb': traceback})
    c.execute(_ACTION_END if result == 'Success' else _ACTION_FAILED, {'aid': act, 't': now})


def actions_list(uuid):
    with transaction() as s:
        q = sa.select(InstanceAction).where(InstanceAction.instance_uuid == uuid).order_by(
            InstanceAction.id.desc())
        return [row_to_dict(a) for a in s.scalars(q)]


def action_get(uuid, request_id):
    with transaction() as s:
        act = _action(s, uuid, request_id)
        if act is None:
            return None
        d = row_to_dict(act)
        d['events'] = [row_to_dict(e) for e in act.events]
        return d


def usage_in_period(project_id, start, end):
    """Instances of a project (or ALL_PROJECTS) that existed during [start, end)
    (deleted ones too)."""
    project_id = _project_filter(project_id)
    with transaction() as s:
        q = sa.select(Instance).where(
            Instance.project_id == project_id if project_id is not None else sa.true(),
            Instance.created_at < end,
            sa.or_(Instance.terminated_at.is_(None), Instance.terminated_at >= start))
        return [_to_dict(i, with_fault=False) for i in s.scalars(q)]


def hours_between(a, b):
    return max(0.0, (b - a) / datetime.timedelta(hours=1))
