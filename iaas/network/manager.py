"""The iaas-network RPC endpoint. Its methods grow with the network issue."""
from iaas import manager


class NetworkManager(manager.Manager):
    service_name = 'iaas-network'
