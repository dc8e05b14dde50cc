"""GET /os-migrations and GET /servers/{id}/migrations (admin): the moves of
servers between hosts (evacuations, cold migrations, resizes), Nova's view.

Unlike Nova, ``/servers/{id}/migrations`` lists every move of the server
(Nova lists only its live migrations in progress: there are none here).
"""
import datetime

from iaas import wsgi
from iaas.api.compute import microversion as mv
from iaas.api.compute import schemas
from iaas.api.compute.servers import _ctx, _respond, compute_api
from iaas.compute import policies as P

MAX_LIMIT = 1000


def _view(m, v):
    out = {'id': m['id'], 'instance_uuid': m['instance_uuid'], 'status': m['status'],
           'source_compute': m['source_compute'], 'source_node': m['source_node'],
           'dest_compute': m['dest_compute'], 'dest_node': m['dest_node'],
           'dest_host': None, 'old_instance_type_id': m['old_flavor_id'],
           'new_instance_type_id': m['new_flavor_id'],
           'created_at': wsgi.isotime(m['created_at'], False),
           'updated_at': wsgi.isotime(m['updated_at'], False)}
    if v >= (2, 23):
        out['migration_type'] = m['migration_type']
    if v >= (2, 59):
        out['uuid'] = m['uuid']
    if v >= (2, 80):
        out['user_id'], out['project_id'] = m['user_id'], m['project_id']
    return out


def _since(value):
    try:
        dt = datetime.datetime.fromisoformat(value.replace('Z', '+00:00'))
    except ValueError:
        raise wsgi.BadRequest(f'Invalid changes-since value: {value[:64]}') from None
    if dt.tzinfo is not None:
        dt = dt.astimezone(datetime.UTC).replace(tzinfo=None)
    return dt


@wsgi.route_policy(P.MIGRATIONS_INDEX)
def index(req):
    """Filters: instance_uuid, status, migration_type, host (either end),
    source_compute, project_id (2.80), changes-since (2.59), limit."""
    v = mv.version(req)
    q = req.GET
    filters = {k: q[k][:255] for k in ('instance_uuid', 'status', 'migration_type', 'host',
                                       'source_compute') if q.get(k)}
    if v >= (2, 80) and q.get('project_id'):
        filters['project_id'] = q['project_id'][:255]
    if v >= (2, 59) and q.get('changes-since'):
        filters['changes_since'] = _since(q['changes-since'])
    if q.get('limit'):
        filters['limit'] = min(schemas.int_in(q['limit'], 'limit', 0), MAX_LIMIT)
    rows = compute_api.migrations_list(_ctx(req), filters)
    return _respond(req, {'migrations': [_view(m, v) for m in rows]})


@wsgi.route_policy(P.SERVER_MIGRATIONS_INDEX)
def server_index(req, server_id):
    v = mv.version(req)
    rows = compute_api.migrations_of(_ctx(req), server_id)
    return _respond(req, {'migrations': [_view(m, v) for m in rows]})
