"""/os-simple-tenant-usage: instance-hours per project over a period (feeds billing)."""
import datetime

from iaas import wsgi
from iaas.api.compute.servers import _respond
from iaas.compute import policies as P
from iaas.compute import usage as compute_usage


def _parse(value, default):
    if not value:
        return default
    try:
        dt = datetime.datetime.fromisoformat(value.replace('Z', '+00:00'))
    except ValueError:
        raise wsgi.BadRequest(f'Invalid time format: {value}') from None
    if dt.tzinfo is not None:
        dt = dt.astimezone(datetime.UTC).replace(tzinfo=None)
    return dt


def _period(req):
    now = compute_usage.now()
    start = _parse(req.GET.get('start'), now - datetime.timedelta(days=1))
    end = _parse(req.GET.get('end'), now)
    if end < start:
        raise wsgi.BadRequest('Invalid start time. The start time cannot occur after the '
                              'end time.')
    return start, min(end, now) if end > now else end, end


def _usage(project_id, start, end, detailed):
    servers = []
    totals = {'total_hours': 0.0, 'total_vcpus_usage': 0.0, 'total_memory_mb_usage': 0.0,
              'total_local_gb_usage': 0.0}
    for inst, hours, disk in compute_usage.instance_usage(project_id, start, end):
        totals['total_hours'] += hours
        totals['total_vcpus_usage'] += hours * (inst['vcpus'] or 0)
        totals['total_memory_mb_usage'] += hours * (inst['memory_mb'] or 0)
        totals['total_local_gb_usage'] += hours * disk
        if detailed:
            f = inst.get('flavor') or {}
            servers.append({
                'instance_id': inst['uuid'], 'name': inst['display_name'],
                'hours': hours, 'vcpus': inst['vcpus'], 'memory_mb': inst['memory_mb'],
                'local_gb': disk, 'flavor': f.get('name'), 'tenant_id': inst['project_id'],
                'started_at': wsgi.isotime(inst['launched_at'] or inst['created_at'], False),
                'ended_at': wsgi.isotime(inst['terminated_at'], False),
                'state': 'terminated' if inst['terminated_at'] else inst['vm_state'],
                'uptime': int(hours * 3600)})
    return totals, servers


# The router checks the rules (show: with the path's {project_id} as target).

@wsgi.route_policy(P.USAGE_SHOW)
def show(req, project_id):
    start, end, asked_end = _period(req)
    totals, servers = _usage(project_id, start, end, True)
    body = {'tenant_id': project_id, 'start': wsgi.isotime(start, False),
            'stop': wsgi.isotime(asked_end, False), 'server_usages': servers, **totals}
    return _respond(req, {'tenant_usage': body})


@wsgi.route_policy(P.USAGE_LIST)
def index(req):
    start, end, asked_end = _period(req)
    detailed = req.GET.get('detailed') in ('1', 'true', 'True')
    projects = compute_usage.projects_in_period(start, end)
    out = []
    for p in sorted(projects):
        totals, servers = _usage(p, start, end, detailed)
        item = {'tenant_id': p, 'start': wsgi.isotime(start, False),
                'stop': wsgi.isotime(asked_end, False), **totals}
        if detailed:
            item['server_usages'] = servers
        out.append(item)
    return _respond(req, {'tenant_usages': out})
