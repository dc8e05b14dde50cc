"""The one plug-in loader: virt drivers, image stores, scheduler filters and
weighers (and the volume/billing plug-ins to come).

Plug-ins are entry points declared in pyproject.toml, one group per kind
(:data:`GROUPS`); a short name in config picks one. The loader reads the
installed package metadata (``importlib.metadata``) and imports only the
plug-in asked for, so listing the known names never imports, say, the
libvirt driver on a host without libvirt.

Every daemon calls :func:`check` on the names it is configured with while it
starts, so an unknown name stops it at once with the known ones listed::

    unknown image store 'ftp'; known: file, objectstore, s3
"""
import functools
from importlib import metadata

# What each entry-point group holds, as the error messages say it.
GROUPS = {
    'iaas.compute.drivers': 'compute driver',
    'iaas.image.stores': 'image store',
    'iaas.scheduler.filters': 'scheduler filter',
    'iaas.scheduler.weighers': 'scheduler weigher',
    'iaas.volume.drivers': 'volume driver',
}


class UnknownPlugin(ValueError):
    """A configured plug-in name matches no entry point of its group."""

    def __init__(self, group, name, known, where=None):
        self.group, self.name, self.known = group, name, list(known)
        what = GROUPS.get(group, group)
        at = f' in {where}' if where else ''
        super().__init__(f'unknown {what} {name!r}{at}; known: '
                         f'{", ".join(self.known) or "none"}')


@functools.cache
def _entry_points(group):
    """Read once per process: scanning every installed distribution's
    metadata costs milliseconds and megabytes, and a store is looked up per
    request. Installing a plug-in means restarting the daemon anyway."""
    return {ep.name: ep for ep in metadata.entry_points(group=group)}


def names(group):
    """The sorted short names of a group."""
    return sorted(_entry_points(group))


def check(group, wanted, where=None, error=UnknownPlugin):
    """Raise ``error`` (:class:`UnknownPlugin` or a subclass) for the first of
    ``wanted`` (a name or a list of names) that is not in ``group``;
    ``where`` names the option, for the message."""
    eps = _entry_points(group)
    for name in [wanted] if isinstance(wanted, str) else wanted:
        if name not in eps:
            raise error(group, name, sorted(eps), where)


def load(group, name, where=None, error=UnknownPlugin):
    """The object (usually a class) the entry point ``name`` of ``group`` names."""
    check(group, name, where, error)
    return _load(group, name)


@functools.cache
def _load(group, name):
    return _entry_points(group)[name].load()
