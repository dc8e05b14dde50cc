"""Version discovery, quota sets, limits, availability zones, services,
backend pools and extensions of the block-storage API."""
from iaas import wsgi
from iaas.api.volume import schemas, views
from iaas.api.volume.volumes import API, ctx_of
from iaas.volume import api as volume_api
from iaas.volume import policies as P

UPDATED = '2023-08-31T00:00:00Z'


def _version(req):
    base = views.base_url(req)
    return {'id': 'v3.0', 'status': 'CURRENT', 'version': views.microversion_fmt(views.MAX_VERSION),
            'min_version': views.microversion_fmt(views.MIN_VERSION), 'updated': UPDATED,
            'links': [{'href': f'{base}/v3/', 'rel': 'self'},
                      {'href': 'https://docs.openstack.org/', 'type': 'text/html',
                       'rel': 'describedby'}],
            'media-types': [{'base': 'application/json',
                             'type': 'application/vnd.openstack.volume+json;version=3'}]}


@wsgi.public
def root(req):
    return 300, {'versions': [_version(req)]}, {}


@wsgi.public
def v3(req):
    return views.respond(req, {'versions': [_version(req)]})


# -- quotas --------------------------------------------------------------------------------
def _quota_body(target, limits, usage=None):
    """Cinder's quota set: every limit (the per-volume-type ones of every
    type included), with ``usage`` as {limit, in_use, reserved, allocated}."""
    body = {'id': target}
    for resource, limit in limits.items():
        if usage is not None:
            body[resource] = {'limit': limit, 'in_use': usage.get(resource, 0),
                              'reserved': 0, 'allocated': 0}
        else:
            body[resource] = limit
    return body


def _may_see_quota(req, target_project_id):
    """The route's rule on the quota set's own project (a member of one
    project may not read another's through its own URL)."""
    volume_api.enforce(ctx_of(req), P.QUOTA_SHOW, {'project_id': target_project_id})


@wsgi.route_policy(P.QUOTA_SHOW)
def quota_show(req, target_project_id, project_id=None):
    _may_see_quota(req, target_project_id)
    usage = API.quota_usage(target_project_id) \
        if schemas.to_bool(req.GET.get('usage', 'false')) else None
    return views.respond(req, {'quota_set': _quota_body(
        target_project_id, API.quota_limits(target_project_id), usage)})


@wsgi.route_policy(P.QUOTA_SHOW)
def quota_defaults(req, target_project_id, project_id=None):
    _may_see_quota(req, target_project_id)
    return views.respond(req, {'quota_set': _quota_body(target_project_id,
                                                        API.quota_defaults())})


@wsgi.route_policy(P.QUOTA_UPDATE)
@wsgi.accepts(schemas.QUOTA_UPDATE)
def quota_update(req, target_project_id, project_id=None):
    """Cinder's keys, and ``volumes_<type>``, ``gigabytes_<type>``,
    ``snapshots_<type>`` of an existing type (what ``openstack quota set
    --volume-type`` sends); any other key is 400."""
    body = req.json()
    wsgi.validate(body, schemas.QUOTA_UPDATE)
    known = set(API.quota_keys())
    values, bad = {}, []
    for key, value in body['quota_set'].items():
        if key in known:
            values[key] = int(value)
        elif key not in ('id', 'tenant_id', 'project_id'):
            bad.append(key)
    if bad:
        raise wsgi.BadRequest(f'Bad key(s) in quota set: {",".join(sorted(bad))[:300]}')
    limits = API.quota_set(target_project_id, values)
    out = _quota_body(target_project_id, limits)
    out.pop('id')
    return views.respond(req, {'quota_set': out})


@wsgi.route_policy(P.QUOTA_DELETE)
def quota_delete(req, target_project_id, project_id=None):
    API.quota_reset(target_project_id)
    return views.respond(req, None, 200)


@wsgi.route_policy(P.LIMITS)
def limits(req, project_id=None):
    ctx = ctx_of(req)
    lim = API.quota_limits(ctx.project_id)
    used = API.quota_usage(ctx.project_id)
    return views.respond(req, {'limits': {'rate': [], 'absolute': {
        'maxTotalVolumes': lim['volumes'], 'maxTotalSnapshots': lim['snapshots'],
        'maxTotalVolumeGigabytes': lim['gigabytes'], 'maxTotalBackups': lim['backups'],
        'maxTotalBackupGigabytes': lim['backup_gigabytes'],
        'totalVolumesUsed': used['volumes'], 'totalSnapshotsUsed': used['snapshots'],
        'totalGigabytesUsed': used['gigabytes'], 'totalBackupsUsed': used['backups'],
        'totalBackupGigabytesUsed': used['backup_gigabytes']}}})


# -- zones, services, pools -------------------------------------------------------------------
@wsgi.route_policy(P.AZ_LIST)
def availability_zones(req, project_id=None):
    return views.respond(req, {'availabilityZoneInfo': [
        {'zoneName': z, 'zoneState': {'available': True}} for z in sorted(API.zones())]})


def _host_matches(name, wanted):
    """Cinder's host filter: 'h' matches h, h@backend (and pools of them),
    'h@b' matches h@b and its pools."""
    return name == wanted or name.startswith(wanted + ('#' if '@' in wanted else '@'))


@wsgi.route_policy(P.SERVICES_UPDATE)
@wsgi.accepts(schemas.SERVICE_UPDATE)
def service_update(req, action, project_id=None):
    """PUT /os-services/{enable,disable,disable-log-reason,freeze,thaw}."""
    body = req.json()
    wsgi.validate(body, schemas.SERVICE_UPDATE)
    host = body.get('host')
    if action in ('freeze', 'thaw'):
        if not host or not any(_host_matches(s['host'], host) for s in
                               API.services() if s['binary'] == 'iaas-volume'):
            raise wsgi.BadRequest(f'Invalid input received: host {str(host)[:255]!r} has '
                                  f'no volume service.')
        raise wsgi.Fault(f'{action} (replication failover) is not implemented.', code=501)
    if action not in ('enable', 'disable', 'disable-log-reason'):
        raise wsgi.NotFound(f'Unknown action {action[:64]}')
    binary = body.get('binary') or body.get('service')
    if not host or not binary:
        raise wsgi.BadRequest('Invalid input received: host and binary are required.')
    reason = body.get('disabled_reason')
    if action == 'disable-log-reason' and not (reason and reason.strip()):
        raise wsgi.BadRequest('Invalid input received: disabled_reason is required.')
    disabled = action != 'enable'
    API.set_service_disabled(host, binary, disabled, reason)
    out = {'host': host, 'binary': binary, 'service': binary, 'disabled': disabled,
           'status': 'disabled' if disabled else 'enabled'}
    if action == 'disable-log-reason':
        out['disabled_reason'] = reason
    return views.respond(req, out)


@wsgi.route_policy(P.SERVICES)
def services(req, project_id=None):
    out = []
    mv = views.version(req)
    backends = API.backends()
    for svc in API.services():
        binary = 'cinder-volume' if svc['binary'] == 'iaas-volume' else 'cinder-scheduler'
        hosts = [b['name'] for b in backends if b['host'] == svc['host']] \
            if binary == 'cinder-volume' else [svc['host']]
        for host in hosts or [svc['host']]:
            row = {'binary': binary, 'host': host,
                   'zone': svc['availability_zone'] or 'nova',
                   'status': 'disabled' if svc['disabled'] else 'enabled',
                   'state': 'up' if svc['up'] else 'down',
                   'updated_at': wsgi.isotime(svc['last_seen_up'], False),
                   'disabled_reason': svc['disabled_reason']}
            if binary == 'cinder-volume':
                row.update(frozen=False, replication_status='disabled',
                           active_backend_id=None)
                if mv >= (3, 49):
                    row['backend_state'] = 'up' if svc['up'] else 'down'
            if mv >= (3, 7):
                row['cluster'] = None
            out.append(row)
    binary = req.GET.get('binary')
    host = req.GET.get('host')
    out = [s for s in out if (not binary or s['binary'] == binary) and
           (not host or _host_matches(s['host'], host))]
    return views.respond(req, {'services': out})


@wsgi.route_policy(P.POOLS)
def pools(req, project_id=None):
    detail = schemas.to_bool(req.GET.get('detail', 'false'))
    out = []
    for b in API.backends():
        name = f'{b["name"]}#{b["backend_name"]}'
        pool = {'name': name}
        if detail:
            pool['capabilities'] = {
                **_stats(b), 'total_capacity_gb': b['total_gb'],
                'free_capacity_gb': b['free_gb'],
                'allocated_capacity_gb': b['allocated_gb'],
                'provisioned_capacity_gb': b['provisioned_gb'],
                'thin_provisioning_support': b['thin'],
                'thick_provisioning_support': not b['thin'],
                'max_over_subscription_ratio': b['max_over_subscription_ratio'],
                'reserved_percentage': b['reserved_percentage'], 'multiattach': True,
                'pool_name': b['backend_name'],
                'timestamp': wsgi.isotime(b['updated_at'], False)}
        out.append(pool)
    return views.respond(req, {'pools': out})


def _stats(b):
    return {'volume_backend_name': b['backend_name'], 'driver_version': '1.0',
            'storage_protocol': b['protocol'], 'vendor_name': 'iaas'}


@wsgi.route_policy(P.CAPABILITIES)
def capabilities(req, hostname, project_id=None):
    """GET /capabilities/{host@backend[#pool]}: what the backend offers."""
    name = hostname.split('#', 1)[0]
    b = next((b for b in API.backends() if b['name'] == name), None)
    if b is None:
        raise wsgi.NotFound(f'Service {hostname[:255]} could not be found.')
    return views.respond(req, {
        **_stats(b), 'namespace': f'OS::Storage::Capabilities::{b["name"]}',
        'pool_name': None, 'display_name': None, 'description': None, 'visibility': None,
        'replication_targets': [],
        'properties': {
            'thin_provisioning': {'title': 'Thin Provisioning', 'type': 'boolean',
                                  'description': 'Sets thin provisioning.'},
            'multiattach': {'title': 'Multiattach', 'type': 'boolean',
                            'description': 'Volumes may be attached to several servers.'}}})


# The API extensions of Cinder this API serves (name, alias, description,
# updated), as Cinder lists them; the ones it does not serve (consistency
# groups, manage/unmanage, encryption) are left out.
EXTENSIONS = (
    ('AdminActions', 'os-admin-actions', 'Enable admin actions.', '2012-08-25'),
    ('Availability_zones', 'os-availability-zone', 'Describe Availability Zones.',
     '2013-06-27'),
    ('Backups', 'backups', 'Backups support.', '2012-12-12'),
    ('ExtendedServices', 'os-extended-services', 'Extended services support.',
     '2014-01-10'),
    ('ExtendedSnapshotAttributes', 'os-extended-snapshot-attributes',
     'Extended SnapshotAttributes support.', '2012-06-19'),
    ('Quotas', 'os-quota-sets', 'Quota management support.', '2011-08-08'),
    ('Hosts', 'os-hosts', 'Admin-only host administration.', '2011-06-29'),
    ('Qos_specs_manage', 'qos-specs', 'QoS specs support.', '2013-08-02'),
    ('QuotaClasses', 'os-quota-class-sets', 'Quota classes management support.',
     '2012-03-12'),
    ('SchedulerHints', 'OS-SCH-HNT', 'Pass arbitrary key/value pairs to the scheduler.',
     '2013-04-18'),
    ('SchedulerStats', 'scheduler-stats', 'Scheduler stats support.', '2014-09-07'),
    ('Services', 'os-services', 'Services support.', '2012-10-28'),
    ('TypesExtraSpecs', 'os-types-extra-specs', 'Type extra specs support.', '2011-08-24'),
    ('TypesManage', 'os-types-manage', 'Types manage support.', '2011-08-24'),
    ('UsedLimits', 'os-used-limits', 'Provide data on limited resources that are being '
     'used.', '2013-10-03'),
    ('VolumeActions', 'os-volume-actions', 'Enable volume actions.', '2012-05-31'),
    ('VolumeHostAttribute', 'os-vol-host-attr', 'Expose host as an attribute of a volume.',
     '2011-11-03'),
    ('VolumeImageMetadata', 'os-vol-image-meta', 'Show image metadata associated with the '
     'volume.', '2012-12-07'),
    ('VolumeMigStatusAttribute', 'os-vol-mig-status-attr', 'Expose migration_status as an '
     'attribute of a volume.', '2013-08-08'),
    ('VolumeTenantAttribute', 'os-vol-tenant-attr', 'Expose the internal project_id as an '
     'attribute of a volume.', '2011-11-03'),
    ('VolumeTransfer', 'os-volume-transfer', 'Volume transfer management support.',
     '2013-05-29'),
    ('VolumeTypeAccess', 'os-volume-type-access', 'Volume type access support.',
     '2014-06-26'),
)


@wsgi.route_policy(P.EXTENSIONS)
def extensions(req, project_id=None):
    return views.respond(req, {'extensions': [
        {'name': name, 'alias': alias, 'description': desc, 'links': [],
         'updated': f'{day}T00:00:00+00:00'} for name, alias, desc, day in EXTENSIONS]})
