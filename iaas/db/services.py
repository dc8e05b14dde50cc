"""Service rows: registration, heartbeats, enable/disable, liveness."""
import datetime

import sqlalchemy as sa

from iaas.db.base import utcnow
from iaas.db.engine import transaction
from iaas.db.models import Service
from iaas.exception import ServiceNotFound  # noqa: F401


def _as_dict(svc: Service):
    return {
        'id': svc.id, 'uuid': svc.uuid, 'host': svc.host, 'binary': svc.binary,
        'topic': svc.topic, 'report_count': svc.report_count,
        'last_seen_up': svc.last_seen_up, 'disabled': svc.disabled,
        'disabled_reason': svc.disabled_reason, 'forced_down': svc.forced_down,
        'availability_zone': svc.availability_zone, 'created_at': svc.created_at,
        'updated_at': svc.updated_at}


def service_register(host, binary, topic, availability_zone='nova'):
    """Create the row for (host, binary), or return the existing one."""
    with transaction() as s:
        svc = s.scalars(sa.select(Service).filter_by(
            host=host, binary=binary, deleted=0)).first()
        if svc is None:
            svc = Service(host=host, binary=binary, topic=topic,
                          availability_zone=availability_zone)
            s.add(svc)
        else:
            svc.topic = topic
        svc.last_seen_up = utcnow()
        s.flush()
        return _as_dict(svc)


def service_heartbeat(service_id):
    with transaction() as s:
        n = s.execute(sa.update(Service).where(Service.id == service_id).values(
            last_seen_up=utcnow(), report_count=Service.report_count + 1)).rowcount
        if not n:
            raise ServiceNotFound(f'service {service_id} not found')


def service_owners(service_ids):
    """{id: (host, binary)} of the live services among ``service_ids``."""
    if not service_ids:
        return {}
    with transaction() as s:
        rows = s.execute(sa.select(Service.id, Service.host, Service.binary).where(
            Service.id.in_(list(service_ids)), Service.deleted == 0))
        return {r.id: (r.host, r.binary) for r in rows}


def service_heartbeat_many(service_ids):
    """Heartbeat of many services in one UPDATE (a batched host report);
    returns how many rows it touched."""
    if not service_ids:
        return 0
    with transaction() as s:
        return s.execute(sa.update(Service).where(
            Service.id.in_(sorted(set(service_ids))), Service.deleted == 0).values(
            last_seen_up=utcnow(), report_count=Service.report_count + 1)).rowcount


def service_list(binary=None, host=None):
    with transaction() as s:
        q = sa.select(Service).filter_by(deleted=0).order_by(Service.host, Service.binary)
        if binary:
            q = q.filter_by(binary=binary)
        if host:
            q = q.filter_by(host=host)
        return [_as_dict(x) for x in s.scalars(q)]


def service_get(host, binary):
    with transaction() as s:
        svc = s.scalars(sa.select(Service).filter_by(
            host=host, binary=binary, deleted=0)).first()
        if svc is None:
            raise ServiceNotFound(f'no service {binary} on host {host}')
        return _as_dict(svc)


def service_update(host, binary, **values):
    allowed = {'disabled', 'disabled_reason', 'forced_down', 'availability_zone'}
    bad = set(values) - allowed
    if bad:
        raise ValueError(f'cannot update {sorted(bad)} on a service')
    with transaction() as s:
        svc = s.scalars(sa.select(Service).filter_by(
            host=host, binary=binary, deleted=0)).first()
        if svc is None:
            raise ServiceNotFound(f'no service {binary} on host {host}')
        for k, v in values.items():
            setattr(svc, k, v)
        s.flush()
        return _as_dict(svc)


def service_delete(host, binary):
    with transaction() as s:
        svc = s.scalars(sa.select(Service).filter_by(
            host=host, binary=binary, deleted=0)).first()
        if svc is None:
            raise ServiceNotFound(f'no service {binary} on host {host}')
        svc.deleted = svc.id
        svc.deleted_at = utcnow()


def is_up(service, down_time, now=None):
    """A service is up while its last heartbeat is newer than ``down_time`` s."""
    if service.get('forced_down') or not service.get('last_seen_up'):
        return False
    now = now or utcnow()
    return now - service['last_seen_up'] <= datetime.timedelta(seconds=down_time)
