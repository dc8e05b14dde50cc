"""Compute nodes: capacity reported by hypervisors, and atomic claims.

A node's usage is never a free-running counter: it is the sum of the
instances placed on it. A claim locks the node row (an UPDATE of its
generation), sums the instances already there, checks the new one fits
under the allocation ratios, and sets the instance's host — all in one
transaction. Two schedulers claiming on one node are serialized by the row
lock, so a node is never oversubscribed.
"""
import sqlalchemy as sa

from iaas.db import instances
from iaas.db.base import utcnow
from iaas.db.engine import transaction
from iaas.db.models import ComputeNode, Instance, Service
from iaas.db.utils import row_to_dict
from iaas.exception import ComputeNodeNotFound  # noqa: F401


def upsert(host, node, **values):
    """Create or update the node (capacity fields, hypervisor info)."""
    with transaction() as s:
        cn = s.scalars(sa.select(ComputeNode).filter_by(
            host=host, hypervisor_hostname=node, deleted=0)).first()
        if cn is None:
            cn = ComputeNode(host=host, hypervisor_hostname=node)
            s.add(cn)
        for k, v in values.items():
            setattr(cn, k, v)
        s.flush()
        _refresh(s, cn)
        return row_to_dict(cn)


def _usage(s, host, node):
    return _counted(s.connection(), host, node)


def _refresh(s, cn):
    for k, v in _usage(s, cn.host, cn.hypervisor_hostname).items():
        setattr(cn, k, v)


def refresh_usage(host, node=None):
    """Recount a node's usage from its instances (after a delete or a move)."""
    with transaction() as s:
        q = sa.select(ComputeNode).filter_by(host=host, deleted=0)
        if node:
            q = q.filter_by(hypervisor_hostname=node)
        for cn in s.scalars(q):
            s.execute(sa.update(ComputeNode).where(ComputeNode.id == cn.id).values(
                generation=ComputeNode.generation + 1))
            _refresh(s, cn)


def _fits(cn, used, flavor):
    disk = flavor.get('root_gb', 0) + flavor.get('ephemeral_gb', 0)
    return (used['vcpus_used'] + flavor.get('vcpus', 0)
            <= cn.vcpus * cn.cpu_allocation_ratio and
            used['memory_mb_used'] + flavor.get('memory_mb', 0)
            <= cn.memory_mb * cn.ram_allocation_ratio and
            used['local_gb_used'] + disk <= cn.local_gb * cn.disk_allocation_ratio)


# A claim's statements, prebuilt (a build runs them all: no statement
# construction or cache-key generation per call) and run as Core.
_HOST, _NODE = sa.bindparam('h'), sa.bindparam('n')
_THE_NODE = (ComputeNode.host == _HOST, ComputeNode.hypervisor_hostname == _NODE,
             ComputeNode.deleted == 0)
_LOCK = sa.update(ComputeNode).where(*_THE_NODE).values(generation=ComputeNode.generation + 1)
# ... only while the host's compute service is enabled and not forced down
_LOCK_ENABLED = _LOCK.where(sa.exists().where(
    Service.host == _HOST, Service.binary == 'iaas-compute', Service.deleted == 0,
    Service.disabled.is_(False), Service.forced_down.is_(False)))
_CAPACITY = sa.select(ComputeNode.id, ComputeNode.vcpus, ComputeNode.memory_mb,
                      ComputeNode.local_gb, ComputeNode.cpu_allocation_ratio,
                      ComputeNode.ram_allocation_ratio,
                      ComputeNode.disk_allocation_ratio).where(*_THE_NODE)
_USAGE = sa.select(
    sa.func.count(Instance.id), sa.func.coalesce(sa.func.sum(Instance.vcpus), 0),
    sa.func.coalesce(sa.func.sum(Instance.memory_mb), 0),
    sa.func.coalesce(sa.func.sum(Instance.root_gb + Instance.ephemeral_gb), 0)).where(
    Instance.host == _HOST, Instance.node == _NODE, Instance.deleted == 0)
_SET_USAGE = sa.update(ComputeNode).where(ComputeNode.id == sa.bindparam('cid')).values(
    running_vms=sa.bindparam('running_vms_'), vcpus_used=sa.bindparam('vcpus_used_'),
    memory_mb_used=sa.bindparam('memory_mb_used_'),
    local_gb_used=sa.bindparam('local_gb_used_'))


def _counted(c, host, node):
    row = c.execute(_USAGE, {'h': host, 'n': node}).one()
    return {'running_vms': int(row[0]), 'vcpus_used': int(row[1]),
            'memory_mb_used': int(row[2]), 'local_gb_used': int(row[3])}


def claim(host, node, instance_uuid, resources, expected_task_state='scheduling',
          expected_vm_state=instances.ANY, start_event=None, service_enabled=False,
          **values):
    """Place the instance on (host, node) if ``resources`` (a flavor: vcpus,
    memory_mb, root_gb, ephemeral_gb) fit; ``values`` go to the instance row
    in the same transaction. True on success (with ``start_event``, a
    (request_id, event) started on the host in the same transaction: the
    instance as a dict);
    False if it no longer fits (or, ``service_enabled``, the host's service
    is disabled or forced down); None if the instance is gone or was not
    in ``expected_task_state`` (None: idle) and ``expected_vm_state``
    (deleted or changed meanwhile): the instance's part is
    :func:`instances.guarded`'s compare-and-swap."""
    where = {'h': host, 'n': node}
    with transaction() as s:
        c = s.connection()
        if not c.execute(_LOCK_ENABLED if service_enabled else _LOCK, where).rowcount:
            return False
        cn = c.execute(_CAPACITY, where).one()
        used = _counted(c, host, node)
        if not _fits(cn, used, resources):
            return False
        swapped, inst = instances.swap(
            s, instance_uuid, dict(values, host=host, node=node, updated_at=utcnow()),
            expected_vm_state, expected_task_state)
        if not swapped:
            return None
        if expected_task_state == 'scheduling':
            # a build: the instance was on no host, and the node row is
            # locked, so its usage is what was counted plus this one
            disk = resources.get('root_gb', 0) + resources.get('ephemeral_gb', 0)
            used = {'running_vms': used['running_vms'] + 1,
                    'vcpus_used': used['vcpus_used'] + resources.get('vcpus', 0),
                    'memory_mb_used': used['memory_mb_used'] + resources.get('memory_mb', 0),
                    'local_gb_used': used['local_gb_used'] + disk}
        else:   # a move: the instance may already count here (same-host resize)
            used = _counted(c, host, node)
        c.execute(_SET_USAGE, {'cid': cn.id, **{f'{k}_': v for k, v in used.items()}})
        if start_event:
            request_id, event = start_event
            instances._event_start(s, instance_uuid, request_id, event, host)
            return inst       # as the swap left it (the usage rows are not its)
        return True


# What the scheduler reads of each node and of its service (one decision
# reads every node: plain columns, no ORM objects — 1,000 hosts in a few ms).
HOST_STATE_NODE = ('host', 'hypervisor_hostname', 'uuid', 'vcpus', 'vcpus_used', 'memory_mb',
                   'memory_mb_used', 'local_gb', 'local_gb_used', 'cpu_allocation_ratio',
                   'ram_allocation_ratio', 'disk_allocation_ratio', 'hypervisor_type',
                   'running_vms', 'generation', 'updated_at')
HOST_STATE_SERVICE = ('availability_zone', 'last_seen_up', 'forced_down', 'disabled',
                      'disabled_reason')


def host_states(service_binary='iaas-compute'):
    """Every node with its service row, for the scheduler: ``(node, service)``
    dicts of the HOST_STATE_NODE and HOST_STATE_SERVICE fields."""
    cols = [getattr(ComputeNode, c) for c in HOST_STATE_NODE] + [
        getattr(Service, c).label(f'svc_{c}') for c in HOST_STATE_SERVICE]
    n = len(HOST_STATE_NODE)
    with transaction() as s:
        q = sa.select(*cols).join(
            Service, sa.and_(Service.host == ComputeNode.host, Service.binary == service_binary,
                             Service.deleted == 0)).where(ComputeNode.deleted == 0)
        return [(dict(zip(HOST_STATE_NODE, row[:n], strict=True)),
                 dict(zip(HOST_STATE_SERVICE, row[n:], strict=True)))
                for row in s.execute(q)]


def instances_by_host(uuids=None):
    """{host: set(instance uuids)} for the given instances (server groups)."""
    with transaction() as s:
        q = sa.select(Instance.host, Instance.uuid).where(
            Instance.deleted == 0, Instance.host.is_not(None))
        if uuids is not None:
            q = q.where(Instance.uuid.in_(list(uuids)))
        out = {}
        for host, uuid in s.execute(q):
            out.setdefault(host, set()).add(uuid)
        return out


def list_(host=None):
    with transaction() as s:
        q = sa.select(ComputeNode).filter_by(deleted=0).order_by(ComputeNode.id)
        if host:
            q = q.filter_by(host=host)
        return [row_to_dict(cn) for cn in s.scalars(q)]


def get(node_id):
    with transaction() as s:
        q = sa.select(ComputeNode).filter_by(deleted=0)
        q = q.filter_by(uuid=node_id) if not str(node_id).isdigit() else \
            q.filter_by(id=int(node_id))
        cn = s.scalars(q).first()
        if cn is None:
            raise ComputeNodeNotFound(f'Hypervisor {node_id} could not be found.')
        return row_to_dict(cn)
