"""A conductor client that calls a ConductorManager in this thread (no bus),
for unit tests of the compute and network managers: the rpcapi builds the
same method name and arguments it would send, the caller is the one a
verified signature would name, and the manager's answer (or exception)
comes back directly."""
import dataclasses
import uuid

from iaas import states
from iaas.conductor import hostauth, rpcapi
from iaas.conductor.manager import ConductorManager
from iaas.db import instances as db


class _DirectClient:
    def __init__(self, endpoint, caller):
        self.endpoint, self.caller = endpoint, caller

    def prepare(self, **_kw):
        return self

    def call(self, context, method, **kwargs):
        # what the RPC server does once the signature checked out
        context = dataclasses.replace(context)
        context.caller = self.caller
        return getattr(self.endpoint, method)(context, **kwargs)

    cast = call


def direct_conductor(caller_host, role='compute', host='cond-test'):
    """A conductor client for the manager on ``caller_host`` in ``role``."""
    api = rpcapi.ConductorAPI.__new__(rpcapi.ConductorAPI)
    api.client = _DirectClient(ConductorManager(host), hostauth.Caller(caller_host, role))
    return api


def placed_instance(host, project_id='p'):
    """An instance the scheduler claimed on ``host`` (building, spawning); its uuid."""
    values = dict(uuid=str(uuid.uuid4()), project_id=project_id, user_id='u', display_name='x',
                  vm_state=states.BUILDING, task_state=states.SPAWNING, host=host,
                  node=host, vcpus=1, memory_mb=256, root_gb=1, ephemeral_gb=0,
                  metadata_={}, system_metadata={'networks': 'none'})
    db.create_with_quota(project_id, [values])
    return values['uuid']
