"""Hypervisor drivers, chosen by ``[compute] compute_driver`` (entry points
``iaas.compute.drivers`` in pyproject.toml, loaded by :mod:`iaas.common.plugins`)."""
from iaas.common import plugins

GROUP = 'iaas.compute.drivers'

# An unknown driver name (kept as a name of its own for the callers).
UnknownDriver = plugins.UnknownPlugin


def load_driver(name, host):
    return plugins.load(GROUP, name, '[compute] compute_driver')(host)
