"""``iaas-manage status``: one screen of what needs an operator, each with
the command that fixes it.

    iaas-manage status [--json] [--stuck-minutes 30] [--capacity-percent 90]
    iaas-manage server reset-state UUID [--state error|active]

Sections (docs/operators/status.md):

* DOWN: services whose heartbeat is older than ``[service]
  service_down_time`` or that an operator forced down;
* STUCK: servers in BUILD or in a task, volumes, snapshots and backups in a
  transitional status, images saving, for longer than ``--stuck-minutes``;
* DEGRADED: disabled services (with their reason), compute services with no
  hypervisor report, volume services with no backend, no compute service;
* NEAR CAPACITY: hypervisors and volume backends with more than
  ``--capacity-percent`` of their RAM, vCPUs or disk claimed, and flavors
  the whole cloud has no room left for.

Then one line with how many servers of each flavor still fit, and "all
good" when nothing is wrong. Exit status 0 when nothing is wrong, 1 when
something is (2: the database cannot be read, from iaas-manage).
"""
import datetime
import json
import math
import sys

from iaas.conf import CONF
from iaas.db import (
    compute_nodes,
    flavors,
    images,
    instances,
    volume_backends,
    volume_backups,
    volume_snapshots,
    volumes,
)
from iaas.db import services as db
from iaas.db.base import utcnow

SECTIONS = (('down', 'DOWN'), ('stuck', 'STUCK'), ('degraded', 'DEGRADED'),
            ('near_capacity', 'NEAR CAPACITY'))

# Transitional statuses: a row still in one after --stuck-minutes hangs.
VOLUME_BUSY = ('creating', 'attaching', 'detaching', 'deleting', 'backing-up',
               'restoring-backup', 'extending', 'downloading', 'uploading', 'retyping')
SNAPSHOT_BUSY = ('creating', 'deleting')
BACKUP_BUSY = ('creating', 'restoring', 'deleting')
IMAGE_BUSY = ('saving', 'importing')
# The status a stuck volume is best reset to: the one it was heading from.
VOLUME_RESET = {'attaching': 'available', 'detaching': 'in-use'}


def _ago(now, then):
    if then is None:
        return 'never'
    minutes = int((now - then).total_seconds() // 60)
    if minutes < 60:
        return f'{minutes} min'
    if minutes < 48 * 60:
        return f'{minutes // 60} h {minutes % 60} min'
    return f'{minutes // 1440} days'


def _problem(what, fix, **detail):
    return {'what': what, 'fix': fix, **detail}


def check_services(report, services, now):
    down_time = CONF.service.service_down_time
    for s in services:
        where = f'{s["binary"]} on {s["host"]}'
        if s['forced_down']:
            report['down'].append(_problem(
                f'{where}: forced down by an operator',
                f'openstack compute service set --up {s["host"]} {s["binary"]}',
                host=s['host'], binary=s['binary']))
        elif not db.is_up(s, down_time, now):
            report['down'].append(_problem(
                f'{where}: no heartbeat for {_ago(now, s["last_seen_up"])} '
                f'(down after {down_time} s)',
                f'start it on {s["host"]}: systemctl start {s["binary"]} '
                f'(the all-in-one: make run)', host=s['host'], binary=s['binary']))
        if s['disabled']:
            reason = s['disabled_reason'] or 'no reason given'
            report['degraded'].append(_problem(
                f'{where}: disabled ({reason})',
                f'iaas-manage service enable {s["host"]} {s["binary"]}',
                host=s['host'], binary=s['binary']))


def check_stuck(report, now, minutes):
    cutoff = now - datetime.timedelta(minutes=minutes)
    stuck = report['stuck']
    for inst in instances.building_older_than(cutoff):
        stuck.append(_problem(
            f'server {inst["uuid"]} ({inst["display_name"]}) in BUILD for '
            f'{_ago(now, inst["updated_at"])} (task {inst["task_state"]}, host '
            f'{inst["host"] or "none yet"})',
            f'iaas-manage server reset-state {inst["uuid"]} --state error', id=inst['uuid']))
    for inst in instances.busy_older_than(cutoff):
        stuck.append(_problem(
            f'server {inst["uuid"]} ({inst["display_name"]}) in task '
            f'{inst["task_state"]} for {_ago(now, inst["updated_at"])} (host {inst["host"]})',
            f'iaas-manage server reset-state {inst["uuid"]}', id=inst['uuid']))
    for vol in volumes.on_host_in(VOLUME_BUSY, older_than=cutoff):
        stuck.append(_problem(
            f'volume {vol["uuid"]} ({vol["display_name"]}) {vol["status"]} for '
            f'{_ago(now, vol["status_changed_at"])}',
            f'openstack volume set --state {VOLUME_RESET.get(vol["status"], "error")} '
            f'{vol["uuid"]}', id=vol['uuid']))
    for snap in volume_snapshots.in_status(SNAPSHOT_BUSY, older_than=cutoff):
        stuck.append(_problem(
            f'volume snapshot {snap["uuid"]} {snap["status"]} for '
            f'{_ago(now, snap["status_changed_at"])}',
            f'openstack volume snapshot set --state error {snap["uuid"]}', id=snap['uuid']))
    for backup in volume_backups.in_status(BACKUP_BUSY, older_than=cutoff):
        stuck.append(_problem(
            f'volume backup {backup["uuid"]} {backup["status"]} for '
            f'{_ago(now, backup["status_changed_at"])}',
            f'openstack volume backup set --state error {backup["uuid"]}', id=backup['uuid']))
    for img in images.in_status(IMAGE_BUSY, older_than=cutoff):
        stuck.append(_problem(
            f'image {img["id"]} ({img["name"]}) {img["status"]} for {_ago(now, img["since"])}',
            f'openstack image delete {img["id"]}', id=img['id']))


def _percent(used, total):
    return 100.0 * used / total if total > 0 else 0.0


def _room(node):
    """(free vCPUs, free MiB, free GiB) a node has under its allocation ratios."""
    return (node['vcpus'] * node['cpu_allocation_ratio'] - node['vcpus_used'],
            node['memory_mb'] * node['ram_allocation_ratio'] - node['memory_mb_used'],
            node['local_gb'] * node['disk_allocation_ratio'] - node['local_gb_used'])


def _fits(room, flavor):
    needs = (flavor['vcpus'], flavor['memory_mb'], flavor['root_gb'] + flavor['ephemeral_gb'])
    return max(0, min(math.floor(free / need) if need else math.inf
                      for free, need in zip(room, needs, strict=True)))


def check_capacity(report, services, now, percent):
    down_time = CONF.service.service_down_time
    computes = {s['host']: s for s in services if s['binary'] == 'iaas-compute'}
    nodes = compute_nodes.list_()
    if not computes:
        report['degraded'].append(_problem(
            'no iaas-compute service is registered: servers cannot be built',
            'start iaas-compute on a hypervisor host (systemctl start iaas-compute)'))
    reported = {n['host'] for n in nodes}
    for host in sorted(set(computes) - reported):
        report['degraded'].append(_problem(
            f'iaas-compute on {host} reports no hypervisor',
            f'check its driver: journalctl -u iaas-compute on {host}, [compute] '
            'compute_driver', host=host))
    usable = []
    for n in nodes:
        name = f'{n["host"]}/{n["hypervisor_hostname"]}'
        free = _room(n)
        for label, used, free_amount in (('RAM', n['memory_mb_used'], free[1]),
                                         ('vCPUs', n['vcpus_used'], free[0]),
                                         ('disk', n['local_gb_used'], free[2])):
            share = _percent(used, used + free_amount)
            if share >= percent:
                report['near_capacity'].append(_problem(
                    f'hypervisor {name}: {share:.0f} % of its {label} claimed',
                    f'add a compute host, or move servers off it: openstack server list '
                    f'--all-projects --host {n["host"]}', host=n['host'], resource=label,
                    percent=round(share, 1)))
        svc = computes.get(n['host'])
        if svc and not svc['disabled'] and db.is_up(svc, down_time, now):
            usable.append(free)
    for b in volume_backends.list_():
        limit = volume_backends.limit_gb(b)
        shares = [('allocated', _percent(b['allocated_gb'], limit))]
        if b['total_gb']:
            shares.append(('used', _percent(b['total_gb'] - b['free_gb'], b['total_gb'])))
        for label, share in shares:
            if share >= percent:
                report['near_capacity'].append(_problem(
                    f'volume backend {b["name"]}: {share:.0f} % of its space {label}',
                    f'grow the backend or add one ([volume] enabled_backends on a volume '
                    f'host); openstack volume list --all-projects --host {b["name"]}',
                    host=b['host'], resource=label, percent=round(share, 1)))
    volume_hosts = {b['host'] for b in volume_backends.list_()}
    for s in services:
        if s['binary'] == 'iaas-volume' and s['host'] not in volume_hosts:
            report['degraded'].append(_problem(
                f'iaas-volume on {s["host"]} reports no backend',
                f'check its backends: journalctl -u iaas-volume on {s["host"]}, [volume] '
                'enabled_backends', host=s['host']))
    free_per_flavor = {f['name']: sum(_fits(room, f) for room in usable)
                       for f in flavors.list_() if not f.get('disabled')}
    full = [name for name, n in free_per_flavor.items() if n == 0]
    if computes and full:
        report['near_capacity'].append(_problem(
            f'no room left in the cloud for one more server of: {", ".join(full)}',
            'add a compute host, or enable/start the disabled or down ones above',
            flavors=full))
    report['free_per_flavor'] = free_per_flavor


def collect(stuck_minutes=30, capacity_percent=90.0, now=None):
    """The whole report as a dict (what ``--json`` prints)."""
    now = now or utcnow()
    report = {key: [] for key, _ in SECTIONS}
    services = db.service_list()
    check_services(report, services, now)
    check_stuck(report, now, stuck_minutes)
    check_capacity(report, services, now, capacity_percent)
    report['problems'] = sum(len(report[key]) for key, _ in SECTIONS)
    report['ok'] = report['problems'] == 0
    report['services'] = len(services)
    report['checked_at'] = now.isoformat(timespec='seconds') + 'Z'
    return report


def render(report, out=None):
    out = out or sys.stdout
    for key, title in SECTIONS:
        if not report[key]:
            continue
        print(title, file=out)
        for p in report[key]:
            print(f'  {p["what"]}', file=out)
            print(f'      fix: {p["fix"]}', file=out)
    room = ', '.join(f'{name} {n}' for name, n in report['free_per_flavor'].items())
    print(f'room for more servers: {room or "no flavors"}', file=out)
    if report['ok']:
        print(f'all good: {report["services"]} services up, nothing stuck, degraded or '
              'near capacity', file=out)
    else:
        print(f'{report["problems"]} problem(s) at {report["checked_at"]}', file=out)


def status(args):
    """One screen: what is down, stuck, degraded or near capacity, and the fix."""
    report = collect(args.stuck_minutes, args.capacity_percent)
    if args.json:
        print(json.dumps(report, default=str, indent=2))
    else:
        render(report)
    return 0 if report['ok'] else 1


def server_reset_state(args):
    """Clear a stuck server's task (or set it to ERROR / ACTIVE): what
    ``iaas-manage status`` proposes for a server stuck in a task or BUILD."""
    if args.state == 'error':
        inst = instances.set_error(args.uuid, 'state reset by an operator', force=True)
        if inst is None:
            raise LookupError(f'no server {args.uuid}')
    else:
        values = {'vm_state': 'active'} if args.state == 'active' else {}
        inst = instances.update(args.uuid, force=True, task_state=None, **values)
    print(f'server {args.uuid}: vm_state {inst["vm_state"]}, task_state {inst["task_state"]}')


MANAGE_COMMANDS = {
    'status': {None: (status, [
        (['--json'], {'action': 'store_true', 'help': 'print the report as JSON'}),
        (['--stuck-minutes'], {'type': float, 'default': 30.0,
                               'help': 'a transitional state older than this is stuck'}),
        (['--capacity-percent'], {'type': float, 'default': 90.0,
                                  'help': 'claimed share above which a host is near '
                                          'capacity'}),
    ])},
    'server': {'reset-state': (server_reset_state, [
        (['uuid'], {'metavar': 'UUID'}),
        (['--state'], {'choices': ['error', 'active'], 'default': None,
                       'help': 'also set vm_state (default: only clear the task)'}),
    ])},
}
