"""Exceptions shared across the process boundary.

Exceptions raised by a service and re-raised at an RPC caller (see
``iaas.rpc.deserialize_exception``) live here, so a caller re-creates them
without importing the module that raised them: a hypervisor host gets
``InstanceNotFound`` from the conductor without importing ``iaas.db``.
``expected = True`` marks an outcome of normal operation (not logged as a
failure by the RPC server).
"""


class InstanceNotFound(LookupError):
    expected = True

    def __init__(self, uuid):
        super().__init__(f'Instance {uuid} could not be found.')
        self.uuid = uuid


class UnexpectedState(Exception):
    """A compare-and-swap found the resource in another state (HTTP 409)."""
    expected = True


class ServiceNotFound(LookupError):
    expected = True


class NoDatabase(RuntimeError):
    """This process holds no database credentials (hypervisor and network
    hosts): its state goes through the conductor."""
