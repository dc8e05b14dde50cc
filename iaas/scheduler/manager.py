"""The iaas-scheduler RPC endpoint. Its methods grow with the scheduler issue."""
from iaas import manager


class SchedulerManager(manager.Manager):
    service_name = 'iaas-scheduler'
