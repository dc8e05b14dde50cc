"""Admin views of the hosts: /os-services, /os-hypervisors, /os-availability-zone."""
from oslo_utils import uuidutils

from iaas import wsgi
from iaas.api.compute import microversion as mv
from iaas.api.compute import schemas
from iaas.api.compute.servers import _ctx, _respond, compute_api
from iaas.compute import hosts
from iaas.compute import policies as P
from iaas.conf import CONF
from iaas.exception import ComputeNodeNotFound, ServiceNotFound


def _svc_view(s, v):
    up = hosts.is_up(s)
    return {'id': s['uuid'] if v >= (2, 53) else s['id'], 'binary': s['binary'],
            'host': s['host'], 'zone': 'internal' if s['binary'] != 'iaas-compute'
            else (s['availability_zone'] or CONF.compute.default_availability_zone),
            'status': 'disabled' if s['disabled'] else 'enabled',
            'state': 'up' if up else 'down',
            'updated_at': wsgi.isotime(s['last_seen_up'] or s['updated_at'], False),
            'disabled_reason': s['disabled_reason'], 'forced_down': bool(s['forced_down'])}


@wsgi.route_policy(P.SERVICES_LIST)
def services_index(req):
    v = mv.version(req)
    rows = hosts.service_list(binary=req.GET.get('binary'), host=req.GET.get('host'))
    return _respond(req, {'services': [_svc_view(s, v) for s in rows]})


# PUT /os-services/<action> before 2.53 (force-down from 2.11); a uuid from 2.53.
LEGACY_SERVICE_ACTIONS = ('enable', 'disable', 'disable-log-reason', 'force-down')


def _find_service(ident):
    for s in hosts.service_list():
        if str(s['id']) == ident or s['uuid'] == ident:
            return s
    raise wsgi.NotFound(f'Service {ident} not found.')


@wsgi.route_policy(P.SERVICES_UPDATE)
@wsgi.accepts(schemas.SERVICE_UPDATE)
def services_update(req, service_id):
    """PUT /os-services/{id} (2.53+) or the legacy /os-services/{disable,enable,...}."""
    v = mv.version(req)
    body = req.json()
    wsgi.validate(body, schemas.SERVICE_UPDATE)
    legacy = v < (2, 53)
    if legacy and service_id not in LEGACY_SERVICE_ACTIONS or \
            service_id == 'force-down' and v < (2, 11):
        raise wsgi.NotFound(f'Unknown action {service_id}')
    if not legacy and not uuidutils.is_uuid_like(service_id):
        raise wsgi.BadRequest(f'Invalid uuid {service_id}')
    if legacy:
        host, binary = body.get('host'), body.get('binary')
        try:
            s = hosts.service_get(host, binary)
        except ServiceNotFound as exc:
            raise wsgi.NotFound(str(exc)) from None
        values = {'enable': {'disabled': False, 'disabled_reason': None},
                  'disable': {'disabled': True},
                  'disable-log-reason': {'disabled': True,
                                         'disabled_reason': body.get('disabled_reason')},
                  'force-down': {'forced_down': schemas.truthy(
                      body.get('forced_down', False))}}[service_id]
    else:
        s = _find_service(service_id)
        values = {}
        if 'status' in body:
            if body['status'] not in ('enabled', 'disabled'):
                raise wsgi.BadRequest('status must be enabled or disabled')
            values['disabled'] = body['status'] == 'disabled'
            values['disabled_reason'] = body.get('disabled_reason') \
                if values['disabled'] else None
        if 'forced_down' in body:
            values['forced_down'] = schemas.truthy(body['forced_down'])
        if not values:
            raise wsgi.BadRequest('Nothing to update')
    s = hosts.service_update(s['host'], s['binary'], **values)
    return _respond(req, {'service': _svc_view(s, v)})


@wsgi.route_policy(P.SERVICES_DELETE)
def services_delete(req, service_id):
    s = _find_service(service_id)
    hosts.service_delete(s['host'], s['binary'])
    return _respond(req, None, 204)


def _hv_view(cn, v, detail, svc_map):
    s = svc_map.get(cn['host'])
    up = s is not None and hosts.is_up(s)
    out = {'id': cn['uuid'] if v >= (2, 53) else cn['id'],
           'hypervisor_hostname': cn['hypervisor_hostname'],
           'state': 'up' if up else 'down',
           'status': 'disabled' if s and s['disabled'] else 'enabled'}
    if detail:
        out.update({'host_ip': cn['host_ip'] or '127.0.0.1',
                    'hypervisor_type': cn['hypervisor_type'],
                    'hypervisor_version': cn['hypervisor_version'],
                    'service': {'host': cn['host'],
                                'id': (s['uuid'] if v >= (2, 53) else s['id']) if s else None,
                                'disabled_reason': s['disabled_reason'] if s else None}})
        if v < (2, 88):
            out.update({'vcpus': cn['vcpus'], 'vcpus_used': cn['vcpus_used'],
                        'memory_mb': cn['memory_mb'], 'memory_mb_used': cn['memory_mb_used'],
                        'local_gb': cn['local_gb'], 'local_gb_used': cn['local_gb_used'],
                        'free_ram_mb': cn['memory_mb'] - cn['memory_mb_used'],
                        'free_disk_gb': cn['local_gb'] - cn['local_gb_used'],
                        'running_vms': cn['running_vms'], 'current_workload': 0,
                        'disk_available_least': cn['local_gb'] - cn['local_gb_used'],
                        'cpu_info': cn['cpu_info']})
        else:
            out['uptime'] = None
    return out


def _svc_map():
    return {s['host']: s for s in hosts.service_list(binary='iaas-compute')}


@wsgi.route_policy(P.HYPERVISORS_LIST)
def hypervisors_index(req, detail=False):
    v = mv.version(req)
    svc = _svc_map()
    nodes = hosts.node_list()
    pattern = req.GET.get('hypervisor_hostname_pattern')
    if pattern:
        nodes = [n for n in nodes if pattern in n['hypervisor_hostname']]
    return _respond(req, {'hypervisors': [_hv_view(n, v, detail, svc) for n in nodes]})


@wsgi.route_policy(P.HYPERVISORS_DETAIL)
def hypervisors_detail(req):
    return hypervisors_index(req, detail=True)


def _check_hypervisor_id(req, ident):
    """From 2.53 a hypervisor is named by its uuid only."""
    if mv.version(req) >= (2, 53) and not uuidutils.is_uuid_like(ident):
        raise wsgi.BadRequest(f'Invalid uuid {ident}')


@wsgi.route_policy(P.HYPERVISORS_SHOW)
def hypervisor_show(req, hypervisor_id):
    _check_hypervisor_id(req, hypervisor_id)
    try:
        cn = hosts.node_get(hypervisor_id)
    except ComputeNodeNotFound as exc:
        raise wsgi.NotFound(str(exc)) from None
    return _respond(req, {'hypervisor': _hv_view(cn, mv.version(req), True, _svc_map())})


@wsgi.route_policy(P.HYPERVISORS_STATISTICS)
def hypervisor_statistics(req):
    if mv.version(req) >= (2, 88):
        raise wsgi.NotFound('The statistics API was removed in microversion 2.88.')
    nodes = hosts.node_list()
    keys = ('vcpus', 'vcpus_used', 'memory_mb', 'memory_mb_used', 'local_gb',
            'local_gb_used', 'running_vms')
    stats = {k: sum(n[k] for n in nodes) for k in keys}
    stats.update({'count': len(nodes), 'current_workload': 0,
                  'free_ram_mb': stats['memory_mb'] - stats['memory_mb_used'],
                  'free_disk_gb': stats['local_gb'] - stats['local_gb_used'],
                  'disk_available_least': stats['local_gb'] - stats['local_gb_used']})
    return _respond(req, {'hypervisor_statistics': stats})


@wsgi.route_policy(P.HYPERVISORS_SERVERS)
def hypervisor_servers(req, hypervisor_id):
    if mv.version(req) >= (2, 53):
        raise wsgi.NotFound('GET /os-hypervisors/{id}/servers was removed in microversion '
                            '2.53; use GET /os-hypervisors?with_servers=true.')
    try:
        cn = hosts.node_get(hypervisor_id)
    except ComputeNodeNotFound as exc:
        raise wsgi.NotFound(str(exc)) from None
    servers = [{'uuid': i['uuid'], 'name': i['display_name']}
               for i in hosts.servers_on(cn['host'])]
    return _respond(req, {'hypervisors': [dict(_hv_view(cn, mv.version(req), False,
                                                        _svc_map()), servers=servers)]})


@wsgi.route_policy(P.AZ_LIST)
def az_index(req):
    zones = compute_api.availability_zones(_ctx(req), only_available=False)
    up = compute_api.availability_zones(_ctx(req), only_available=True)
    return _respond(req, {'availabilityZoneInfo': [
        {'zoneName': z, 'zoneState': {'available': z in up}, 'hosts': None}
        for z in sorted(zones)]})


@wsgi.route_policy(P.AZ_DETAIL)
def az_detail(req):
    out = []
    by_zone = {}
    for s in hosts.service_list():
        zone = s['availability_zone'] if s['binary'] == 'iaas-compute' else 'internal'
        by_zone.setdefault(zone or CONF.compute.default_availability_zone, {}).setdefault(
            s['host'], {})[s['binary']] = {
            'available': not s['disabled'] and hosts.is_up(s),
            'active': not s['disabled'],
            'updated_at': wsgi.isotime(s['last_seen_up'], False)}
    for zone, members in sorted(by_zone.items()):
        out.append({'zoneName': zone, 'zoneState': {'available': True}, 'hosts': members})
    return _respond(req, {'availabilityZoneInfo': out})
