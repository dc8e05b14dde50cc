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
from iaas.api.volume import (
    attachments,
    backups,
    encryption,
    group_types,
    groups,
    messages,
    misc,
    qos_specs,
    quota_classes,
    snapshots,
    transfers,
    types,
    views,
    volumes,
)
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
    ('POST', '/backups/import_record', backups.import_record),
    ('GET', '/backups/{backup_id}', backups.show),
    ('GET', '/backups/{backup_id}/export_record', backups.export_record),
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
    # volume transfers: the legacy path, and volume-transfers (3.55+)
    ('GET', '/os-volume-transfer', transfers.index),
    ('POST', '/os-volume-transfer', transfers.create),
    ('GET', '/os-volume-transfer/detail', transfers.detail),
    ('GET', '/os-volume-transfer/{transfer_id}', transfers.show),
    ('DELETE', '/os-volume-transfer/{transfer_id}', transfers.delete),
    ('POST', '/os-volume-transfer/{transfer_id}/accept', transfers.accept),
    ('GET', '/volume-transfers', transfers.index),
    ('POST', '/volume-transfers', transfers.create),
    ('GET', '/volume-transfers/detail', transfers.detail),
    ('GET', '/volume-transfers/{transfer_id}', transfers.show),
    ('DELETE', '/volume-transfers/{transfer_id}', transfers.delete),
    ('POST', '/volume-transfers/{transfer_id}/accept', transfers.accept),
    ('GET', '/os-quota-class-sets/{quota_class_name}', quota_classes.show),
    ('PUT', '/os-quota-class-sets/{quota_class_name}', quota_classes.update),
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
    ('GET', '/types/{type_id}/encryption', encryption.index),
    ('POST', '/types/{type_id}/encryption', encryption.create),
    ('GET', '/types/{type_id}/encryption/{encryption_id}', encryption.show),   # a key
    ('PUT', '/types/{type_id}/encryption/{encryption_id}', encryption.update),
    ('DELETE', '/types/{type_id}/encryption/{encryption_id}', encryption.delete),
    # generic volume groups: group types 3.11+, groups 3.13+, group snapshots 3.14+
    ('GET', '/group_types', group_types.index),
    ('POST', '/group_types', group_types.create),
    ('GET', '/group_types/default', group_types.show_default),
    ('GET', '/group_types/{group_type_id}', group_types.show),
    ('PUT', '/group_types/{group_type_id}', group_types.update),
    ('DELETE', '/group_types/{group_type_id}', group_types.delete),
    ('GET', '/group_types/{group_type_id}/group_specs', group_types.specs_index),
    ('POST', '/group_types/{group_type_id}/group_specs', group_types.specs_create),
    ('GET', '/group_types/{group_type_id}/group_specs/{key}', group_types.spec_show),
    ('PUT', '/group_types/{group_type_id}/group_specs/{key}', group_types.spec_update),
    ('DELETE', '/group_types/{group_type_id}/group_specs/{key}', group_types.spec_delete),
    ('GET', '/groups', groups.index),
    ('POST', '/groups', groups.create),
    ('GET', '/groups/detail', groups.detail),
    ('POST', '/groups/action', groups.create_from_src),
    ('GET', '/groups/{group_id}', groups.show),
    ('PUT', '/groups/{group_id}', groups.update),
    ('POST', '/groups/{group_id}/action', groups.action),
    ('GET', '/group_snapshots', groups.snapshot_index),
    ('POST', '/group_snapshots', groups.snapshot_create),
    ('GET', '/group_snapshots/detail', groups.snapshot_detail),
    ('GET', '/group_snapshots/{group_snapshot_id}', groups.snapshot_show),
    ('DELETE', '/group_snapshots/{group_snapshot_id}', groups.snapshot_delete),
    ('POST', '/group_snapshots/{group_snapshot_id}/action', groups.snapshot_action),
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
    ('GET', '/qos-specs', qos_specs.index),
    ('POST', '/qos-specs', qos_specs.create),
    ('GET', '/qos-specs/{qos_id}', qos_specs.show),
    ('PUT', '/qos-specs/{qos_id}', qos_specs.update),
    ('DELETE', '/qos-specs/{qos_id}', qos_specs.delete),
    ('PUT', '/qos-specs/{qos_id}/delete_keys', qos_specs.delete_keys),
    ('GET', '/qos-specs/{qos_id}/associations', qos_specs.associations),
    ('GET', '/qos-specs/{qos_id}/associate', qos_specs.associate),
    ('GET', '/qos-specs/{qos_id}/disassociate', qos_specs.disassociate),
    ('GET', '/qos-specs/{qos_id}/disassociate_all', qos_specs.disassociate_all),
    ('GET', '/os-hosts', qos_specs.hosts_index),
    ('GET', '/os-hosts/{host_name}', qos_specs.host_show),
    ('GET', '/messages', messages.index),
    ('GET', '/messages/{message_id}', messages.show),
    ('DELETE', '/messages/{message_id}', messages.delete),
]


# collections whose path with a trailing slash names no item
_COLLECTIONS = tuple(sorted({p for _, p, _ in ROUTES if p.count('/') == 1 or
                             p.endswith(('/metadata', '/extra_specs', '/group_specs'))}))


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
