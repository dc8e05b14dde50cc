"""Hypervisor drivers, chosen by ``[compute] compute_driver`` (entry points
``iaas.compute.drivers`` in pyproject.toml)."""
from importlib.metadata import entry_points

GROUP = 'iaas.compute.drivers'


class UnknownDriver(Exception):
    pass


def load_driver(name, host):
    eps = {ep.name: ep for ep in entry_points(group=GROUP)}
    if name not in eps:
        raise UnknownDriver(f'unknown compute_driver {name!r}; known: '
                            f'{", ".join(sorted(eps)) or "none"}')
    return eps[name].load()(host)
