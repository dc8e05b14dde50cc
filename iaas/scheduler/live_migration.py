"""The scheduler's step of a live migration (iaas/compute/live_migration.py):
choose the destination and claim it.

The claim is the one every placement makes (:func:`iaas.db.compute_nodes.claim`,
atomic on the destination's node row): the instance's host and node become
the destination's while its task_state stays ``migrating``, so the
destination's room is taken before any byte moves, and the source's usage is
recounted without it (as a resize does). The source is kept in the
instance's system metadata (``live_migration``), where the conductor finds it
to hand the instance back when the move fails. No destination: the
task_state is cleared and a fault says why; the guest never stopped.
"""
import logging

from iaas import states
from iaas.compute import rpcapi as compute_rpcapi
from iaas.db import compute_nodes as db_nodes
from iaas.db import instances as db
from iaas.db import server_migrations as migrations
from iaas.scheduler.host_state import NoValidHost, RequestSpec

LOG = logging.getLogger(__name__)

CLAIM_ROUNDS = 5


def record_migration(inst, record):
    """The migration record (Nova's os-migrations, type ``live-migration``,
    status ``running``) of the move ``record`` of ``inst``; the conductor's
    :func:`iaas.conductor.live_migration.finish` sets its final status."""
    LOG.info('live migration of %s: %s (%s) -> %s (%s), block migration %s',
             inst['uuid'], record['source_host'], record['source_node'],
             record['dest_host'], record['dest_node'], record['block_migration'])
    m = migrations.create(dict(inst, host=record['source_host'], node=record['source_node']),
                          migrations.LIVE_MIGRATION, 'running',
                          dest_compute=record['dest_host'], old_flavor=inst.get('flavor'),
                          new_flavor=inst.get('flavor'))
    migrations.update(m['id'], dest_node=record['dest_node'])


def _give_up(uuid, message):
    LOG.info('live migration of %s not started: %s', uuid, message)
    db.add_fault(uuid, f'Live migration failed: {message}', code=400)
    try:
        db.update(uuid, expected_task_state=states.MIGRATING, task_state=None)
    except (db.UnexpectedState, db.InstanceNotFound):
        pass


def place(manager, context, uuid, host=None, block_migration='auto'):
    """Claim a destination for the migrating instance ``uuid`` (``host`` only,
    when given; never its own) and cast the move to its source host."""
    try:
        inst = db.get(uuid)
    except db.InstanceNotFound:
        return
    if inst['task_state'] != states.MIGRATING or not inst['host']:
        return
    source, source_node = inst['host'], inst['node']
    spec = RequestSpec(instance_uuids=[uuid], flavor=inst['flavor'],
                       project_id=inst['project_id'],
                       availability_zone=None if host else inst['availability_zone'],
                       ignore_hosts=[source])
    msg = 'No valid host was found. Claims kept failing under contention.'
    for _ in range(CLAIM_ROUNDS):
        hosts = [h for h in manager.host_states() if host is None or h.host == host]
        try:
            hs = manager.driver.select_destinations(spec, hosts)[0]
        except NoValidHost as exc:
            msg = str(exc)
            break
        record = {'source_host': source, 'source_node': source_node,
                  'dest_host': hs.host, 'dest_node': hs.node,
                  'block_migration': block_migration}
        got = db_nodes.claim(
            hs.host, hs.node, uuid, inst['flavor'], expected_vm_state=inst['vm_state'],
            expected_task_state=states.MIGRATING,
            system_metadata=dict(inst['system_metadata'] or {},
                                 **{compute_rpcapi.LIVE_MIGRATION_RECORD: record}),
            start_event=(context.request_id, compute_rpcapi.LIVE_MIGRATION_EVENT))
        if got is None:
            return      # deleted or changed meanwhile
        if got:
            record_migration(got, record)
            db_nodes.refresh_usage(source, source_node)
            manager.compute.live_migration(context, source, got, hs.host, block_migration)
            return
    _give_up(uuid, msg)
