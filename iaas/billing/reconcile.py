"""Reconciliation: the intervals against the resources in the database.

For every instance, volume, snapshot, image and floating IP:

* in the database, unknown to billing (its create event was lost): an
  interval is **opened** from the resource's own start time
  (``launched_at``, else ``created_at``);
* in the database in another billable state, flavor, size or project than
  billing's: the interval is **changed** from the record's ``updated_at``
  (never before the last event billing has for it);
* counted by billing but deleted in the database: it is **closed** at the
  record's ``deleted_at`` (``terminated_at``); a row that is gone without a
  trace (floating IPs are hard-deleted) is closed when reconciliation last
  saw it, else now.

Resources in a transition (an instance with a ``task_state``, a volume or
snapshot ``creating``, ``deleting`` or ``extending``, an image not yet
``active``) are left to the next run. Each correction is a synthetic event
(``source='reconcile'``, kept with the others, so a late real event merges
with it in the order-independent derivation) and a row of
``billing_corrections`` with its reason, stored in the same transaction.
"""
import datetime
import logging
import uuid

from iaas.billing import clock, events, ingest, intervals
from iaas.db import billing as db
from iaas.db import billing_reconcile as dbr

LOG = logging.getLogger(__name__)
US = datetime.timedelta(microseconds=1)
INSTANCE_STATES = {'active': 'active', 'stopped': 'stopped', 'paused': 'paused',
                   'suspended': 'suspended', 'shelved': 'shelved',
                   'shelved_offloaded': 'shelved', 'error': 'error', 'building': 'building',
                   'resized': 'active', 'rescued': 'active'}
# statuses whose outcome (made, gone, new size or type) is not known yet
VOLUME_TRANSITIONS = {'creating', 'deleting', 'extending', 'retyping'}
EVENT_TYPES = {  # (type, deleted) → the event type a reconciliation event takes
    ('instance', False): 'compute.instance.update',
    ('instance', True): 'compute.instance.delete.end',
    ('volume', False): 'volume.resize.end', ('volume', True): 'volume.delete.end',
    ('snapshot', False): 'snapshot.create.end', ('snapshot', True): 'snapshot.delete.end',
    ('image', False): 'image.upload', ('image', True): 'image.delete',
    ('floating_ip', False): 'floatingip.update.end',
    ('floating_ip', True): 'floatingip.delete.end',
}


def _instance(r):
    if r['task_state'] or r['vm_state'] not in INSTANCE_STATES:
        return None
    flavor = r['flavor'] or {}
    state = INSTANCE_STATES[r['vm_state']]
    start = r['launched_at'] or r['created_at']
    return ({'state': state, 'flavor_id': flavor.get('flavorid'),
             'flavor_name': flavor.get('name') or 'unknown', 'vcpus': r['vcpus'],
             'memory_mb': r['memory_mb'], 'root_gb': r['root_gb']},
            start, r['updated_at'] or start, 'launched_at')


def _volume(r):
    if r['status'] in VOLUME_TRANSITIONS:
        return None
    start = r['launched_at'] or r['created_at']
    return ({'state': 'available', 'size_gb': r['size'], 'volume_type': r['volume_type']},
            start, r['updated_at'] or start, 'launched_at')


def _snapshot(r):
    if r['status'] in ('creating', 'deleting'):
        return None
    return ({'state': 'available', 'size_gb': r['size'], 'volume_id': r['volume_id']},
            r['created_at'], r['updated_at'] or r['created_at'], 'created_at')


def _image(r):
    if r['status'] != 'active' or not r['project_id']:
        return None
    return ({'state': 'active', 'size_bytes': r['size'] or 0},
            r['updated_at'] or r['created_at'], r['updated_at'] or r['created_at'],
            'updated_at')


def _floating_ip(r):
    if not r['project_id']:
        return None
    return ({'state': 'allocated', 'floating_ip_address': r['address'],
             'port_id': r['port_id']}, r['created_at'], r['updated_at'] or r['created_at'],
            'created_at')


KINDS = [('instance', dbr.live_instances, _instance),
         ('volume', dbr.live_volumes, _volume),
         ('snapshot', dbr.live_snapshots, _snapshot),
         ('image', dbr.live_images, _image),
         ('floating_ip', dbr.live_floating_ips, _floating_ip)]


def _event(rtype, rid, project_id, user_id, fields, at, deleted=False):
    payload = {'resource_type': rtype, 'resource_id': rid, 'project_id': project_id,
               'user_id': user_id, **fields, 'at': events.format_time(at)}
    if deleted:
        payload['state'] = 'deleted'
    env = events.envelope(EVENT_TYPES[(rtype, deleted)], payload,
                          f'reconcile-{uuid.uuid4()}', at, publisher_id='billing.reconcile')
    return events.parse(env, source='reconcile')


def _correction(ev, action, reason):
    return {'resource_type': ev.resource_type, 'resource_id': ev.resource_id,
            'project_id': ev.project_id, 'action': action, 'state': ev.state, 'at': ev.at,
            'reason': reason[:255], 'message_id': ev.message_id}


def plan(now=None):
    """(events, corrections, seen keys) that would make billing agree with
    the database."""
    now = clock.now(now)
    evs, fixes, seen = [], [], []
    for rtype, live, view in KINDS:
        heads = db.heads(rtype, live_only=False)
        actual = set()
        for r in live():
            key = (rtype, r['id'])
            actual.add(r['id'])
            v = view(r)
            head = heads.get(key)
            if v is None:
                if head is not None:
                    seen.append(key)
                continue
            fields, start, changed, start_field = v
            seen.append(key)
            if head is None:
                ev = _event(rtype, r['id'], r['project_id'], r.get('user_id'), fields, start)
                evs.append(ev)
                fixes.append(_correction(ev, 'open', f'no usage event for this {rtype}: '
                                         f'opened from its {start_field}'))
                continue
            if head['deleted']:
                continue
            probe = _event(rtype, r['id'], r['project_id'], r.get('user_id'), fields,
                           max(changed, head['last_at'] + US))
            if intervals.signature(probe.state, probe.project_id, probe.price_key,
                                   probe.size) != intervals.signature(
                    head['state'], head['project_id'], head['price_key'], head['size']):
                evs.append(probe)
                fixes.append(_correction(probe, 'change', (
                    f'{rtype} is {probe.state} (key {probe.price_key}, size {probe.size}) in '
                    f'the database, billing had {head["state"]} (key {head["price_key"]}, '
                    f'size {head["size"]}): changed from its updated_at')))
        missing = {k[1]: h for k, h in heads.items() if not h['deleted']
                   and k[1] not in actual}
        if missing:
            for rid, deleted_at in dbr.gone(rtype, missing).items():
                head = missing[rid]
                if deleted_at is not None:
                    at, why = deleted_at, 'deleted in the database at its deleted_at'
                elif head.get('seen_at'):
                    at, why = head['seen_at'], ('gone from the database without a time: '
                                                'closed when reconciliation last saw it')
                else:
                    at, why = now, 'gone from the database without a time: closed now'
                at = max(at, head['last_at'] + US)
                ev = _event(rtype, rid, head['project_id'], head['user_id'], {}, at,
                            deleted=True)
                evs.append(ev)
                fixes.append(_correction(ev, 'close', f'no delete event; {why}'))
    return evs, fixes, seen


def run(now=None):
    """Reconcile once; returns {'opened', 'changed', 'closed', 'corrections'}."""
    now = clock.now(now)
    evs, fixes, seen = plan(now)
    if evs:
        ingest.ingest_events(evs, now, corrections=fixes)
        for f in fixes:
            LOG.info('billing correction: %s %s %s at %s: %s', f['action'],
                     f['resource_type'], f['resource_id'], f['at'], f['reason'])
    if seen:
        db.mark_seen(seen, now)
    counts = {a: sum(1 for f in fixes if f['action'] == a) for a in ('open', 'change',
                                                                     'close')}
    return {'opened': counts['open'], 'changed': counts['change'],
            'closed': counts['close'], 'corrections': fixes}
