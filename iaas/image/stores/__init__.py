"""Image stores: where image bytes live.

A store takes the upload as an iterator of byte chunks and returns the
location of the data (a URL plus a small dict of metadata, both recorded
in the database), serves byte ranges of it back, and deletes it. A store
never imports ``iaas.db``.

Contract of :meth:`Store.add`: it consumes the iterator to the end. If the
iterator raises (client gone, checksum or format refused, quota), the store
removes everything it wrote and lets the exception through: no half image
is ever left behind.

Stores are named by short names, the ``iaas.image.stores`` entry points
(pyproject.toml) loaded by :mod:`iaas.common.plugins`; iaas-image checks its
configured store with :func:`check_configured` while it starts, so an
unknown name fails at start-up with the known ones listed.
"""
import threading

from iaas.common import plugins
from iaas.conf import CONF

GROUP = 'iaas.image.stores'

CHUNK = 1 << 20


class StoreError(Exception):
    """The store failed (I/O, remote error)."""


class NotFoundInStore(StoreError):
    pass


class UnknownStore(plugins.UnknownPlugin):
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
    return plugins.load(GROUP, name, error=UnknownStore)


def check_configured(conf):
    """Start-up check of iaas-image: the configured default store exists."""
    plugins.check(GROUP, conf.image.default_store, '[image] default_store', UnknownStore)


def get_store(name, conf=None):
    """The (cached) store instance called ``name``."""
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
    conf = conf or CONF
    return get_store(conf.image.default_store, conf)
