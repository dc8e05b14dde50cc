"""The iaas-volume RPC endpoint. Its methods grow with the volume issue."""
from iaas import manager


class VolumeManager(manager.Manager):
    service_name = 'iaas-volume'
