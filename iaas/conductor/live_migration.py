"""The conductor's part of a live migration (iaas/compute/live_migration.py):
the end of the move, written for the destination host.

During the move the instance is placed on the destination (the scheduler's
claim), so only the destination may end it, and only as the record the
claim wrote (``live_migration`` in the system metadata) says: a success
clears the task and the record; a failure puts the instance back on its
source host and node (where its guest kept running), records a fault and
recounts both hosts' usage, which releases the destination's claim.
"""
import logging

from iaas import rpc, states
from iaas.compute import rpcapi as compute_rpcapi
from iaas.db import compute_nodes as db_nodes
from iaas.db import instances as db
from iaas.db import server_migrations as migrations
from iaas.exception import HostNotAuthorized, UnexpectedState

LOG = logging.getLogger(__name__)

RECORD = compute_rpcapi.LIVE_MIGRATION_RECORD
EVENT = compute_rpcapi.LIVE_MIGRATION_EVENT


def finish(inst, success, message=None):
    """The final status (``completed`` or ``failed``) of the migration
    record :func:`iaas.scheduler.live_migration.record_migration` wrote."""
    LOG.info('live migration of %s %s%s', inst['uuid'],
             'completed' if success else 'failed', f': {message}' if message else '')
    m = migrations.latest(inst['uuid'], migrations.LIVE_MIGRATION, status='running')
    if m is not None:
        migrations.update(m['id'], 'running', status='completed' if success else 'failed')


class LiveMigrationCalls:
    """Mixed into :class:`iaas.conductor.manager.ConductorManager`."""

    @rpc.expose
    def live_migration_finish(self, context, instance_uuid, success, message=None,
                              power_state=None):
        """End the live migration of an instance placed on the calling
        destination host; returns the instance."""
        self._own_instance(context, instance_uuid)
        caller = context.caller
        inst = db.get(instance_uuid)
        sysmeta = dict(inst['system_metadata'] or {})
        record = sysmeta.pop(RECORD, None)
        if inst['task_state'] != states.MIGRATING or not record:
            raise UnexpectedState(f'Instance {instance_uuid} is not being live-migrated '
                                  f'(task_state {inst["task_state"]})')
        if record.get('dest_host') != caller.host:
            raise HostNotAuthorized(f'compute host {caller.host} is not the destination of '
                                    f'the live migration of {instance_uuid}')
        values = {'task_state': None, 'system_metadata': sysmeta}
        if power_state is not None:
            values['power_state'] = int(power_state)
        if not success:
            values.update(host=record['source_host'], node=record['source_node'])
            db.add_fault(instance_uuid, f'Live migration failed: {message}'[:255],
                         host=caller.host)
        done = db.update(instance_uuid, expected_task_state=states.MIGRATING,
                         finish_event=(context.request_id, EVENT) if success else None,
                         **values)
        self._forget_placement(instance_uuid)
        if not success:
            db.event_finish(instance_uuid, context.request_id, EVENT, 'Error', message)
            db_nodes.refresh_usage(record['dest_host'], record['dest_node'])
        db_nodes.refresh_usage(record['source_host'], record['source_node'])
        finish(done or inst, success, message)
        return done
