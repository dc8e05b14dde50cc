"""Where a service's row and heartbeats are written.

Daemons that hold database credentials (api, scheduler, conductor, image,
volume) write their service row themselves; hypervisor and network hosts,
which hold none, go through iaas-conductor. A manager says which with its
``conductor_role`` class attribute (``compute``/``network``: the role its
calls are signed in).
"""
from iaas.conductor import rpcapi as conductor_rpcapi
from iaas.context import get_admin_context
from iaas.db import services as db_services


class DatabaseRegistry:
    def register(self, host, binary, topic):
        return db_services.service_register(host, binary, topic)

    def heartbeat(self, service_id):
        db_services.service_heartbeat(service_id)


class ConductorRegistry:
    def __init__(self, role, host=None, transport=None):
        self.conductor = conductor_rpcapi.ConductorAPI(role, host, transport=transport)

    def register(self, host, binary, topic):
        return self.conductor.service_register(get_admin_context(), host, binary, topic)

    def heartbeat(self, service_id):
        self.conductor.service_heartbeat(get_admin_context(), service_id)


def for_manager(manager, transport=None):
    role = getattr(manager, 'conductor_role', None)
    if role:
        return ConductorRegistry(role, manager.host, transport)
    return DatabaseRegistry()
