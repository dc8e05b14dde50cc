"""The Block Storage API v3 application (Cinder-compatible): routes, auth,
microversions (3.0–3.70), faults in Cinder's format.

Every route exists with the project in the path (``/v3/{project_id}/…``,
what the catalog advertises) and without it (``/v3/…``, microversion 3.67
and later); the path's project is the policy target, so a token of another
project gets 403 there, and what a handler loads is checked on its own
project (another project's volume is 404).
"""
from iaas import rpc, wsgi
from iaas.api import auth, openapi
from iaas.api.volume import attachments, backups, misc, snapshots, types, views, volumes
from iaas.conf import CONF

ROUTES = [
    ('GET', '/volumes', volumes.index),
    ('POST', '/volumes', volumes.create),
    ('GET', '/volumes/detail', volumes.detail),
    ('GET', '/volumes/summary', volumes.summary),
    ('GET', '/volumes/{volume_id}', volumes.show),
    ('PUT', '/volumes/{volume_id}', volumes.update),
    ('DELETE', '/volumes/{volume_id}', volumes.delete),
    ('POST', '/volumes/{volume_id}/action', volumes.action),
    ('GET', '/volumes/{volume_id}/metadata', volumes.metadata_index),
    ('POST', '/volumes/{volume_id}/metadata', volumes.metadata_update),
    ('PUT', '/volumes/{volume_id}/metadata', volumes.metadata_replace),
    ('GET', '/volumes/{volume_id}/metadata/{key}', volumes.metadata_show),
    ('PUT', '/volumes/{volume_id}/metadata/{key}', volumes.metadata_put),
    ('DELETE', '/volumes/{volume_id}/metadata/{key}', volumes.metadata_delete),
    ('GET', '/snapshots', snapshots.index),
    ('POST', '/snapshots', snapshots.create),
    ('GET', '/snapshots/detail', snapshots.detail),
    ('GET', '/snapshots/{snapshot_id}', snapshots.show),
    ('PUT', '/snapshots/{snapshot_id}', snapshots.update),
    ('DELETE', '/snapshots/{snapshot_id}', snapshots.delete),
    ('POST', '/snapshots/{snapshot_id}/action', snapshots.action),
    ('GET', '/snapshots/{snapshot_id}/metadata', snapshots.metadata_index),
    ('POST', '/snapshots/{snapshot_id}/metadata', snapshots.metadata_update),
    ('PUT', '/snapshots/{snapshot_id}/metadata', snapshots.metadata_replace),
    ('GET', '/snapshots/{snapshot_id}/metadata/{key}', snapshots.metadata_show),
    ('PUT', '/snapshots/{snapshot_id}/metadata/{key}', snapshots.metadata_put),
    ('DELETE', '/snapshots/{snapshot_id}/metadata/{key}', snapshots.metadata_delete),
    ('GET', '/backups', backups.index),
    ('POST', '/backups', backups.create),
    ('GET', '/backups/detail', backups.detail),
    ('GET', '/backups/{backup_id}', backups.show),
    ('PUT', '/backups/{backup_id}', backups.update),
    ('DELETE', '/backups/{backup_id}', backups.delete),
    ('POST', '/backups/{backup_id}/restore', backups.restore),
    ('POST', '/backups/{backup_id}/action', backups.action),
    ('GET', '/attachments', attachments.index),
    ('POST', '/attachments', attachments.create),
    ('GET', '/attachments/detail', attachments.detail),
    ('GET', '/attachments/{attachment_id}', attachments.show),
    ('PUT', '/attachments/{attachment_id}', attachments.update),
    ('DELETE', '/attachments/{attachment_id}', attachments.delete),
    ('POST', '/attachments/{attachment_id}/action', attachments.action),
    ('GET', '/types', types.index),
    ('POST', '/types', types.create),
    ('GET', '/types/{type_id}', types.show),
    ('PUT', '/types/{type_id}', types.update),
    ('DELETE', '/types/{type_id}', types.delete),
    ('POST', '/types/{type_id}/action', types.action),
    ('GET', '/types/{type_id}/os-volume-type-access', types.access_index),
    ('GET', '/types/{type_id}/extra_specs', types.extra_specs_index),
    ('POST', '/types/{type_id}/extra_specs', types.extra_specs_create),
    ('GET', '/types/{type_id}/extra_specs/{key}', types.extra_spec_show),
    ('PUT', '/types/{type_id}/extra_specs/{key}', types.extra_spec_update),
    ('DELETE', '/types/{type_id}/extra_specs/{key}', types.extra_spec_delete),
    ('GET', '/os-quota-sets/{target_project_id}', misc.quota_show),
    ('PUT', '/os-quota-sets/{target_project_id}', misc.quota_update),
    ('DELETE', '/os-quota-sets/{target_project_id}', misc.quota_delete),
    ('GET', '/os-quota-sets/{target_project_id}/defaults', misc.quota_defaults),
    ('GET', '/limits', misc.limits),
    ('GET', '/os-availability-zone', misc.availability_zones),
    ('GET', '/os-services', misc.services),
    ('PUT', '/os-services/{action}', misc.service_update),
    ('GET', '/scheduler-stats/get_pools', misc.pools),
    ('GET', '/capabilities/{hostname}', misc.capabilities),
    ('GET', '/extensions', misc.extensions),
]


# collections whose path with a trailing slash names no item
_COLLECTIONS = tuple(sorted({p for _, p, _ in ROUTES if p.count('/') == 1 or
                             p.endswith(('/metadata', '/extra_specs'))}))


def no_such_item(req):
    """``…/volumes/`` (a collection with a trailing slash: an empty id) is
    404 whatever the method, as in Cinder, whose routes do not strip it."""
    path = req.path_info
    if path.endswith('/') and path.rstrip('/').endswith(_COLLECTIONS):
        raise wsgi.NotFound('The resource could not be found.')


def map_exception(exc):
    if isinstance(exc, rpc.RPCTimeout):
        return wsgi.Fault('The volume service did not answer in time.', code=503)
    return None


def build_app():
    r = wsgi.Router(fault_formatter=wsgi.nova_fault,
                    max_body=CONF.api.max_request_body_size,
                    request_id_headers=('X-OpenStack-Request-ID',),
                    authorizer=auth.authorize)
    r.middleware.append(views.VERSIONS.middleware)
    r.middleware.append(no_such_item)
    r.exception_mappers.append(map_exception)
    r.add('GET', '/', misc.root)
    r.add('GET', '/v3', misc.v3)
    r.add('GET', '/v3/', misc.v3)
    # without the project first: /v3/volumes/detail is not project "volumes"
    for prefix in ('/v3', '/v3/{project_id}'):
        for method, path, handler in ROUTES:
            r.add(method, prefix + path, handler)
    openapi.install(r, 'iaas Block Storage API (Cinder v3)', '3.0')
    return r
