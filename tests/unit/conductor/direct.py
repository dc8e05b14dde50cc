"""A conductor client that calls a ConductorManager in this thread (no bus),
for unit tests of the compute and network managers: the rpcapi builds the
same method name and arguments it would send, and the manager's answer (or
exception) comes back directly."""
from iaas.conductor import rpcapi
from iaas.conductor.manager import ConductorManager


class _DirectClient:
    def __init__(self, endpoint):
        self.endpoint = endpoint

    def prepare(self, **_kw):
        return self

    def call(self, context, method, **kwargs):
        return getattr(self.endpoint, method)(context, **kwargs)

    cast = call


def direct_conductor(host='cond-test'):
    api = rpcapi.ConductorAPI.__new__(rpcapi.ConductorAPI)
    api.client = _DirectClient(ConductorManager(host))
    return api
