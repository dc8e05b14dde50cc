"""Image stores: where image bytes live.

A store takes the upload as an iterator of byte chunks and returns the
location of the data (a URL plus a small dict of metadata, both recorded
in the database), serves byte ranges of it back, and deletes it. A store
never imports ``iaas.db``.

Contract of :meth:`Store.add`: it consumes the iterator to the end. If the
iterator raises (client gone, checksum or format refused, quota), the store
removes everything it wrote and lets the exception through: no half image
is ever left behind.

Stores are named by short names, resolved through the ``iaas.image.stores``
entry points (pyproject.toml) and the built-in table below; an unknown
name fails at start-up with a clear message.
"""
import importlib
import threading
from importlib import metadata

BUILTIN = {
    'file': 'iaas.image.stores.file:FileStore',
    'objectstore': 'iaas.image.stores.objectstore:ObjectStore',
    's3': 'iaas.image.stores.s3:S3Store',
}

CHUNK = 1 << 20


class StoreError(Exception):
    """The store failed (I/O, remote error)."""


class NotFoundInStore(StoreError):
    pass


class UnknownStore(ValueError):
    pass


class Store:
    name = None

    def __init__(self, conf):
        self.conf = conf

    def add(self, image_id, chunks, size=None):
        """Write all of ``chunks``; return (url, meta)."""
        raise NotImplementedError

    def get(self, url, meta, offset=0, length=None):
        """An iterator over ``length`` bytes (all when None) from ``offset``."""
        raise NotImplementedError

    def delete(self, url, meta):
        raise NotImplementedError


_lock = threading.Lock()
_stores = {}


def _resolve(name):
    target = None
    for ep in metadata.entry_points(group='iaas.image.stores'):
        if ep.name == name:
            return ep.load()
    target = BUILTIN.get(name)
    if target is None:
        known = sorted(set(BUILTIN) | {ep.name for ep in metadata.entry_points(
            group='iaas.image.stores')})
        raise UnknownStore(f'Unknown image store {name!r}; known stores: {", ".join(known)}')
    mod, _, cls = target.partition(':')
    return getattr(importlib.import_module(mod), cls)


def get_store(name, conf=None):
    """The (cached) store instance called ``name``."""
    from iaas.conf import CONF
    conf = conf or CONF
    key = (name, id(conf))
    with _lock:
        if key not in _stores:
            _stores[key] = _resolve(name)(conf)
        return _stores[key]


def reset():
    """Forget store instances (tests change config between cases)."""
    with _lock:
        _stores.clear()


def default_store(conf=None):
    from iaas.conf import CONF
    conf = conf or CONF
    return get_store(conf.image.default_store, conf)
