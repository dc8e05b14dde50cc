"""A conductor client that calls a ConductorManager in this thread (no bus),
for unit tests of the compute and network managers: the rpcapi builds the
same method name and arguments it would send, the caller is the one a
verified signature would name, and the manager's answer (or exception)
comes back directly."""
import dataclasses

from iaas.conductor import hostauth, rpcapi
from iaas.conductor.manager import ConductorManager


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
