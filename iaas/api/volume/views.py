"""Cinder's response shapes for volumes, snapshots, types, quotas."""
from iaas import wsgi
from iaas.api.microversion import Microversions
from iaas.api.microversion import fmt as microversion_fmt  # noqa: F401

MIN_VERSION = (3, 0)
MAX_VERSION = (3, 70)
VERSIONS = Microversions('volume', MIN_VERSION, MAX_VERSION)
version = VERSIONS.version


def respond(req, body, status=200, headers=None):
    return status, body, {**VERSIONS.headers(version(req)), **(headers or {})}


def base_url(req):
    return req.host_url.rstrip('/')


def link(req, kind, uuid, project_id):
    return [{'href': f'{base_url(req)}/v3/{project_id}/{kind}/{uuid}', 'rel': 'self'},
            {'href': f'{base_url(req)}/{project_id}/{kind}/{uuid}', 'rel': 'bookmark'}]


def attachment(a, admin=False):
    """Cinder shows the attachment's host to admins only."""
    return {'server_id': a['instance_uuid'], 'attachment_id': a['uuid'],
            'attached_at': wsgi.isotime(a['attach_time'], False),
            'host_name': a['attached_host'] if admin else None, 'volume_id': a['volume_id'],
            'device': a['mountpoint'], 'id': a['volume_id']}


def volume_summary(req, v):
    return {'id': v['uuid'], 'name': v['display_name'],
            'links': link(req, 'volumes', v['uuid'], v['project_id'])}


def _time(value):
    return wsgi.isotime(value, False) + '.000000' if value else None


def volume(req, v, attachments=(), vtype=None, admin=False, extended=True):
    """Cinder's detail view of a volume. ``extended``: the attributes its API
    extensions add to show and list-detail answers (tenant, host, migration
    status, image metadata) -- create and update answers have none of them."""
    mv = version(req)
    out = {
        'id': v['uuid'], 'name': v['display_name'], 'description': v['display_description'],
        'status': v['status'], 'size': v['size'], 'availability_zone': v['availability_zone'],
        'created_at': _time(v['created_at']), 'updated_at': _time(v['updated_at']),
        'attachments': [attachment(a, admin) for a in attachments
                        if a['attach_status'] == 'attached'],
        'bootable': 'true' if v['bootable'] else 'false', 'encrypted': False,
        'links': link(req, 'volumes', v['uuid'], v['project_id']),
        'metadata': v['metadata'] or {}, 'multiattach': bool(v['multiattach']),
        'replication_status': None, 'snapshot_id': v['snapshot_id'],
        'source_volid': v['source_volid'], 'user_id': v['user_id'],
        'volume_type': vtype['name'] if vtype else None, 'consistencygroup_id': None,
    }
    if admin:
        out['migration_status'] = v['migration_status']
    if extended:
        out['os-vol-tenant-attr:tenant_id'] = v['project_id']
        if v['image_metadata']:
            out['volume_image_metadata'] = v['image_metadata']
        if admin:
            out['os-vol-host-attr:host'] = v['host'] and \
                f'{v["host"]}#{v["host"].split("@")[-1]}'
            out['os-vol-mig-status-attr:migstat'] = v['migration_status']
            out['os-vol-mig-status-attr:name_id'] = None
    if mv >= (3, 13):
        out['group_id'] = v.get('group_id')
    if mv >= (3, 21) and admin:
        out['provider_id'] = None
    if mv >= (3, 48):
        out['service_uuid'] = None
        out['shared_targets'] = False
    if mv >= (3, 61) and admin:
        out['cluster_name'] = None
    if mv >= (3, 63):
        out['volume_type_id'] = v['volume_type_id']
    if mv >= (3, 65):
        out['consumes_quota'] = True
    return out


def snapshot(req, s, extended=True):
    """Cinder's view of a snapshot; ``extended`` (show, list detail) adds the
    os-extended-snapshot-attributes."""
    mv = version(req)
    out = {'id': s['uuid'], 'name': s['display_name'], 'description': s['display_description'],
           'status': s['status'], 'size': s['volume_size'], 'volume_id': s['volume_id'],
           'created_at': _time(s['created_at']), 'updated_at': _time(s['updated_at']),
           'metadata': s['metadata'] or {}}
    if extended:
        out['os-extended-snapshot-attributes:progress'] = s['progress']
        out['os-extended-snapshot-attributes:project_id'] = s['project_id']
    if mv >= (3, 14):
        out['group_snapshot_id'] = s.get('group_snapshot_id')
    if mv >= (3, 41):
        out['user_id'] = s['user_id']
    if mv >= (3, 65):
        out['consumes_quota'] = True
    return out


def volume_type(t, with_specs=True, kind='show'):
    """Cinder's type view: ``show`` (show, list), ``create`` (no
    qos_specs_id) or ``update`` (neither qos_specs_id nor the access flag)."""
    out = {'id': t['uuid'], 'name': t['name'], 'description': t['description'],
           'is_public': t['is_public']}
    if kind != 'update':
        out['os-volume-type-access:is_public'] = t['is_public']
    if kind == 'show':
        out['qos_specs_id'] = t.get('qos_specs_id')
    if with_specs:
        out['extra_specs'] = t['extra_specs'] or {}
    return out


def cinder_attachment(a, detail=True):
    """Cinder's view of an attachment record (the attachment API, 3.27+):
    the summary (list) or the detail (show, create, update, list detail;
    times as Cinder's, '' when unset)."""
    out = {'id': a['uuid'], 'status': a['attach_status'], 'instance': a['instance_uuid'],
           'volume_id': a['volume_id']}
    if detail:
        out.update(attached_at=_time(a['attach_time']) or '',
                   detached_at=_time(a['detach_time']) or '',
                   attach_mode=a['attach_mode'] or 'rw',
                   connection_info=a['connection_info'])
    return out
