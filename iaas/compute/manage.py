"""``iaas-manage host drain HOST [--timeout S] [--reason TEXT]``: empty a
compute host for maintenance.

The host's compute service is disabled (the scheduler places nothing new
there), every server on it is cold-migrated to another host and each
migration confirmed as soon as it reaches VERIFY_RESIZE; the command waits
until all are done or the deadline passes, then prints what moved where
and what could not move (and why). Servers in a state a migration does not
start from (paused, suspended, shelved, in error, busy) are listed as not
moved; run it again once they are settled, or move them by hand.
"""
import sys
import time

from iaas import states
from iaas.cmd.manage import print_table
from iaas.compute import api as compute_api
from iaas.compute import hosts
from iaas.compute.errors import ComputeError
from iaas.context import get_admin_context
from iaas.db import instances as db

POLL = 0.5


def drain(host, timeout=600, reason=None, api=None, ctx=None):
    """Drain ``host``: {'moved': [(uuid, name, new host)], 'failed': [(uuid,
    name, why)]}."""
    api = api or compute_api.API()
    ctx = ctx or get_admin_context()
    svc = hosts.service_get(host, 'iaas-compute')
    hosts.service_update(host, svc['binary'], disabled=True,
                         disabled_reason=reason or 'draining for maintenance')
    moving, failed, moved = {}, [], []
    for inst in hosts.servers_on(host):
        try:
            api.migrate(ctx, inst['uuid'])
            moving[inst['uuid']] = inst['display_name']
        except ComputeError as exc:
            failed.append((inst['uuid'], inst['display_name'], str(exc)))
    deadline = time.monotonic() + timeout
    while moving and time.monotonic() < deadline:
        for uuid, name in list(moving.items()):
            try:
                inst = db.get(uuid)
            except db.InstanceNotFound:
                moving.pop(uuid)
                failed.append((uuid, name, 'deleted meanwhile'))
                continue
            if inst['task_state'] is not None:
                continue
            moving.pop(uuid)
            if inst['vm_state'] == states.RESIZED:
                try:
                    api.confirm_resize(ctx, uuid)
                    moved.append((uuid, name, inst['host']))
                except ComputeError as exc:
                    failed.append((uuid, name, f'not confirmed: {exc}'))
            else:
                fault = (db.latest_fault(uuid) or {}).get('message')
                failed.append((uuid, name, fault or f'ended {inst["vm_state"]}'))
        if moving:
            time.sleep(POLL)
    failed += [(uuid, name, f'still moving after {timeout} s')
               for uuid, name in moving.items()]
    return {'moved': moved, 'failed': failed}


def host_drain(args):
    """Disable a compute host and cold-migrate every server off it."""
    result = drain(args.drain_host, timeout=args.timeout, reason=args.reason)
    if result['moved']:
        print(f'moved off {args.drain_host}:')
        print_table(['ID', 'Name', 'Now on'], result['moved'], out=sys.stdout)
    if result['failed']:
        print(f'could not move off {args.drain_host}:')
        print_table(['ID', 'Name', 'Why'], result['failed'], out=sys.stdout)
    print(f'{args.drain_host}: disabled; {len(result["moved"])} moved, '
          f'{len(result["failed"])} not moved')


MANAGE_COMMANDS = {
    'host': {
        'drain': (host_drain, [(['drain_host'], {'metavar': 'HOST'}),
                               (['--timeout'], {'type': int, 'default': 600,
                                                'help': 'seconds to wait for the '
                                                        'migrations (default 600)'}),
                               (['--reason'], {'default': None,
                                               'help': 'the disabled reason'})]),
    },
}
