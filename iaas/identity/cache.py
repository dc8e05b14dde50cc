"""Small in-process caches with a time-to-live, for token validation.

Lookups that validation needs (user, project, roles, catalog, EC2
credentials, validated tokens) come from here. Changes made through this
process drop the entries they affect at once; changes made through any
other process drop every entry within ``[identity] revocation_cache_time``
(the shared revision, :mod:`iaas.identity.revision`, checked on each
lookup); entries expire after ``[identity] cache_time`` seconds anyway.
"""
import threading
import time

from iaas.conf import CONF
from iaas.identity import revision

_MISSING = object()


class TTLCache:
    def __init__(self, ttl=None, maxsize=10000):
        self._ttl = ttl
        self.maxsize = maxsize
        self._data = {}
        self._lock = threading.Lock()

    @property
    def ttl(self):
        return CONF.identity.cache_time if self._ttl is None else self._ttl

    def get_or_load(self, key, loader):
        revision.check()
        now = time.monotonic()
        hit = self._data.get(key, _MISSING)
        if hit is not _MISSING and hit[0] > now:
            return hit[1]
        generation = revision.WATCH.generation
        value = loader()
        ttl = self.ttl
        if ttl > 0 and generation == revision.WATCH.generation:
            with self._lock:
                if len(self._data) >= self.maxsize:
                    self._evict(now)
                self._data[key] = (now + ttl, value)
        return value

    def get(self, key):
        """The cached value, or None when absent or expired."""
        revision.check()
        hit = self._data.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        return None

    def put(self, key, value, generation=None):
        """Store ``value``; not when the caches were dropped since
        ``generation`` (:attr:`revision.WATCH.generation` before the load)."""
        ttl = self.ttl
        if ttl <= 0 or (generation is not None and generation != revision.WATCH.generation):
            return
        now = time.monotonic()
        with self._lock:
            if len(self._data) >= self.maxsize:
                self._evict(now)
            self._data[key] = (now + ttl, value)

    def _evict(self, now):
        for k in [k for k, (exp, _) in self._data.items() if exp <= now]:
            del self._data[k]
        if len(self._data) >= self.maxsize:
            self._data.clear()

    def pop(self, key):
        with self._lock:
            self._data.pop(key, None)

    def drop(self, predicate):
        with self._lock:
            for k in [k for k in self._data if predicate(k)]:
                del self._data[k]

    def clear(self):
        with self._lock:
            self._data.clear()


users = TTLCache()
projects = TTLCache()
domains = TTLCache()
roles = TTLCache()       # (user_id, 'project'|'domain', target_id) -> [{'id','name'}]
catalog = TTLCache()
ec2 = TTLCache()
validated = TTLCache(maxsize=50000)  # token string -> (TokenData, context fields)
# access key -> iaas.api.ec2_auth.Credential (user/project/role state re-read
# at least once a second, and at once after a change in this process)
ec2_state = TTLCache(ttl=1.0, maxsize=10000)

ALL = (users, projects, domains, roles, catalog, ec2, validated, ec2_state)


def clear_all():
    for c in ALL:
        c.clear()


revision.WATCH.on_change(clear_all)
