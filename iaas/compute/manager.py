"""The iaas-compute RPC endpoint. Its methods grow with the compute issue."""
from iaas import manager


class ComputeManager(manager.Manager):
    service_name = 'iaas-compute'
